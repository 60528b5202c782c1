"""The Keras 3 `.keras` file: a zip of `metadata.json`, `config.json` (the model's config,
its `compile_config`) and `model.weights.h5` (weights in Keras 3's layout, see `layout`).

    model.save("m.keras")                      # keras.saving.load_model("m.keras") reads it
    model = plait.models.load_model("m.keras")  # a file Keras 3 wrote

Loading builds the model from the config on PyTorch's meta device first (shapes only, no
memory) and checks that the weights file declares exactly the datasets that model needs,
so a hostile config or file cannot make it allocate more than the file declares. Nothing
is imported from a module the file names, and a Lambda layer's bytecode is refused unless
`safe_mode=False`.
"""

import contextlib
import datetime
import io
import json
import lzma
import os
import warnings
import zipfile
import zlib

from plait import config as config_module
from plait import serialization
from plait.saving.keras import config as keras_config
from plait.saving.keras import hdf5, layout, optimizer_state, weights_h5
from plait.utils import atomic

__all__ = [
    "save_model",
    "load_model",
    "open_weights",
    "compile_config",
    "restore_compile",
    "check_on_meta",
]

_MAX_JSON_BYTES = 64 * 1024 * 1024
_WEIGHTS = "model.weights.h5"


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Write `model` as a Keras 3 `.keras` file, atomically.

    Raises:
        ValueError: the model holds a layer Keras cannot rebuild (a TorchModule, a
            subclassed model); it is not built.
    """
    filepath = os.fspath(filepath)
    layout.check_built(model, "save")
    entry = keras_config.to_keras(model)
    if include_optimizer:
        entry["compile_config"] = compile_config(model)
    buffer = io.BytesIO()
    h5py = hdf5.h5py_module()
    with h5py.File(buffer, "w") as handle:
        weights_h5.write_keras3(model, handle)
        if include_optimizer and entry.get("compile_config"):
            optimizer_state.write_keras3(model, handle)
    metadata = {
        "keras_version": weights_h5.KERAS_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }
    with atomic.atomic_write(filepath, overwrite=overwrite) as f:
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("metadata.json", json.dumps(metadata))
            archive.writestr("config.json", json.dumps(entry))
            archive.writestr(
                zipfile.ZipInfo(_WEIGHTS), buffer.getvalue(), compress_type=zipfile.ZIP_STORED
            )


def compile_config(model):
    """Keras 3's `compile_config` for a compiled plait model (None when not compiled or
    when it holds objects Keras cannot rebuild)."""
    state = getattr(model, "_compile_state", None)
    if state is None:
        return None
    optimizer = state.optimizer
    if hasattr(optimizer, "get_config") and type(optimizer).__module__.startswith("plait."):
        optimizer = {
            "module": "keras.optimizers",
            "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(),
            "registered_name": None,
        }
    elif not isinstance(optimizer, str):
        return None
    parts = {
        "loss": state.loss,
        "metrics": state.metrics,
        "loss_weights": state.loss_weights,
        "weighted_metrics": state.weighted_metrics,
    }
    if not all(_names_only(v) for v in parts.values()):
        return None
    return {
        "optimizer": optimizer,
        **parts,
        "run_eagerly": bool(state.run_eagerly),
        "steps_per_execution": state.steps_per_execution or 1,
        "jit_compile": bool(state.jit_compile),
    }


def _names_only(value):
    if value is None or isinstance(value, (str, int, float)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_names_only(v) for v in value)
    if isinstance(value, dict):
        return all(_names_only(v) for v in value.values())
    return False


# ------------------------------------------------------------------------- loading

# what zipfile raises on a damaged archive or member (a bad CRC, a corrupt compressed
# stream, an unknown compression method, a size field out of range)
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    OSError,
    EOFError,
    ValueError,
    OverflowError,
    UnicodeDecodeError,
    NotImplementedError,
    RuntimeError,
    zlib.error,
    lzma.LZMAError,
)


@contextlib.contextmanager
def _archive(filepath):
    filepath = os.fspath(filepath)
    label = f"'{filepath}'"
    if not os.path.isfile(filepath):
        raise ValueError(f"No file at {label}. Received: filepath={filepath!r}")
    try:
        archive = zipfile.ZipFile(filepath)
    except _ZIP_ERRORS as err:
        raise ValueError(
            f"{label} is not a readable .keras file: it is not a zip archive, "
            f"or it is truncated or damaged ({err})."
        ) from None
    with archive:
        yield archive, label


def _member(archive, name, label, limit=None):
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ValueError(
            f"{label} is not a complete .keras file: it has no '{name}'. "
            f"Its members: {archive.namelist()[:20]}"
        ) from None
    if limit is not None and info.file_size > limit:
        raise ValueError(
            f"{label}: '{name}' declares {info.file_size} bytes, more than a "
            "config can be; the file is damaged or hostile."
        )
    try:
        data = archive.read(info)
    except _ZIP_ERRORS as err:
        raise ValueError(
            f"{label} is truncated or damaged: '{name}' cannot be read "
            f"({type(err).__name__}: {err})."
        ) from None
    if len(data) != info.file_size:
        raise ValueError(f"{label} is damaged: '{name}' does not hold the size it declares.")
    return data


@contextlib.contextmanager
def open_weights(filepath):
    """The `model.weights.h5` of a `.keras` file, opened (from memory) for reading."""
    with _archive(filepath) as (archive, label):
        data = _member(archive, _WEIGHTS, label)
    with hdf5.in_memory(data, f"{label} ('{_WEIGHTS}')") as handle:
        yield handle


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True, build=None):
    """Read a Keras 3 `.keras` file into a plait model (see the module docstring).

    Raises:
        ValueError: the file is missing, truncated or damaged; it names a layer class plait
            does not have; it holds a Lambda layer and safe_mode is True; its weights do not
            fit its config.
    """
    with _archive(filepath) as (archive, label):
        try:
            entry = json.loads(_member(archive, "config.json", label, _MAX_JSON_BYTES))
        except (ValueError, RecursionError) as err:
            if "config.json" in str(err) and label in str(err):
                raise
            raise ValueError(f"{label} is damaged: its config.json is not JSON ({err}).") from None
        data = _member(archive, _WEIGHTS, label)
    tree = keras_config.to_plait(entry, label, custom_objects)
    weights_label = f"{label} ('{_WEIGHTS}')"
    with hdf5.in_memory(data, weights_label) as handle:
        check_on_meta(
            build,
            tree,
            label,
            custom_objects,
            safe_mode,
            lambda skeleton: weights_h5.read_keras3(
                skeleton, handle, weights_label, check_only=True
            ),
        )
        model = build(tree, custom_objects, safe_mode, label)
        weights_h5.read_keras3(model, handle, weights_label)
    if compile and isinstance(entry.get("compile_config"), dict) and entry["compile_config"]:
        restore_compile(model, entry["compile_config"], label, custom_objects)
        with hdf5.in_memory(data, weights_label) as handle:
            optimizer_state.read_keras3(model, handle, weights_label)
    return model


def check_on_meta(build, tree, label, custom_objects, safe_mode, check):
    """Build the model with meta tensors (no memory) and run `check(skeleton)`, which
    compares its weights with the file's declared shapes, before anything is allocated."""
    previous = config_module._device
    config_module.set_device("meta")
    try:
        skeleton = build(tree, custom_objects, safe_mode, label)
    except ValueError as err:
        if "safe_mode" in str(err) or "plait does not have" in str(err):
            raise
        return  # the real build reports it
    finally:
        config_module._device = previous
    check(skeleton)


def restore_compile(model, config, label, custom_objects=None):
    """compile() the model as Keras's `compile_config` says, when plait has its optimizer,
    loss and metrics; otherwise warn and leave it uncompiled."""
    from plait import optimizers

    try:
        optimizer = config.get("optimizer")
        if isinstance(optimizer, dict):
            cls = serialization.get_registered_object(optimizer.get("class_name"), custom_objects)
            if cls is None:
                # tf.keras 2.11+ writes its optimizers as "Custom>Adam"
                name = str(optimizer.get("class_name")).removeprefix("Custom>")
                cls = getattr(optimizers, name, None)
            if not isinstance(cls, type):
                raise ValueError(f"plait has no optimizer {optimizer.get('class_name')!r}")
            inner = keras_config._object(optimizer)["config"]
            known = keras_config.accepted_arguments(cls)
            optimizer = cls(**{k: v for k, v in inner.items() if known is None or k in known})
        kwargs = {k: config.get(k) for k in ("loss", "metrics", "loss_weights", "weighted_metrics")}
        model.compile(optimizer=optimizer, **kwargs)
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        warnings.warn(
            f"{label} was saved compiled, but its compile() settings cannot be "
            f"restored ({err}). The model is loaded uncompiled: call compile() "
            "again.",
            stacklevel=3,
        )
