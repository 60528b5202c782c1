"""Keras's `keras.utils`, plus plait's leaf helpers.

`plot_model`, `model_to_dot` and `plot_history` live in `plait.plotting` and are re-exported
here lazily for Keras's `from keras.utils import plot_model`: importing them eagerly would
make utils (the bottom of the import graph) import plotting (near the top), and
`import plait` would load Pillow. `clear_session`,
`is_keras_tensor`, `standardize_dtype` and the interactive-logging switches are forwarded
to `plait.backend` / `plait.config` when those define them.
"""

from plait.utils.config_object import Config
from plait.utils.dataset_utils import split_dataset, timeseries_dataset_from_array
from plait.utils.directory_datasets import (
    audio_dataset_from_directory,
    image_dataset_from_directory,
    text_dataset_from_directory,
)
from plait.utils.file_utils import get_file
from plait.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from plait.utils.keras_objects import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    get_source_inputs,
    pack_x_y_sample_weight,
    register_keras_serializable,
    serialize_keras_object,
    unpack_x_y_sample_weight,
)
from plait.utils.naming import to_snake_case  # noqa: F401
from plait.utils.numerical_utils import normalize, to_categorical
from plait.utils.progbar import Progbar
from plait.utils.py_dataset import PyDataset, Sequence
from plait.utils.random import enable_determinism, set_random_seed
from plait.utils.sequence_utils import pad_sequences

__all__ = [
    "Config",
    "CustomObjectScope",
    "Progbar",
    "PyDataset",
    "Sequence",
    "array_to_img",
    "audio_dataset_from_directory",
    "custom_object_scope",
    "deserialize_keras_object",
    "enable_determinism",
    "get_custom_objects",
    "get_file",
    "get_registered_name",
    "get_registered_object",
    "get_source_inputs",
    "image_dataset_from_directory",
    "img_to_array",
    "load_img",
    "model_to_dot",
    "normalize",
    "pack_x_y_sample_weight",
    "pad_sequences",
    "plot_history",
    "plot_model",
    "register_keras_serializable",
    "save_img",
    "serialize_keras_object",
    "set_random_seed",
    "split_dataset",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
    "to_categorical",
    "unpack_x_y_sample_weight",
]

_FORWARDED = {
    "clear_session": "backend",
    "is_keras_tensor": "backend",
    "standardize_dtype": "backend",
    "enable_interactive_logging": "config",
    "disable_interactive_logging": "config",
    "is_interactive_logging_enabled": "config",
}


def _forwarded(name):
    import importlib

    module = importlib.import_module("plait." + _FORWARDED[name])
    return getattr(module, name, None)


_FROM_PLOTTING = ("plot_model", "model_to_dot", "plot_history")


def __getattr__(name):
    if name in _FROM_PLOTTING:
        from plait import plotting

        return getattr(plotting, name)
    if name in _FORWARDED:
        found = _forwarded(name)
        if found is not None:
            return found
    raise AttributeError(f"module 'plait.utils' has no attribute {name!r}")


def __dir__():
    return sorted(set(__all__) | {n for n in _FORWARDED if _forwarded(n) is not None})
