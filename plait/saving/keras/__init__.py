"""Keras's own files, read and written by plait: `.keras` (Keras 3: a zip of config JSON and
HDF5 weights), `.weights.h5` (Keras 3 weights) and legacy `.h5`/`.hdf5` (Keras 2 / tf.keras
whole models or weights).

    model.save("m.keras")                    # Keras 3 loads it: keras.saving.load_model
    model = plait.models.load_model("m.keras")
    model.save("m.h5")                       # legacy HDF5, as tf.keras wrote it
    model.save_weights("m.weights.h5"); model.load_weights("m.weights.h5")
    model.load_weights("old.h5", by_name=True, skip_mismatch=True)

These need h5py: `pip install plait[keras]`. It is imported only when such a file is read or
written; `.plait` and `.safetensors` never need it.
"""

import os

__all__ = ["kind", "save_model", "load_model", "save_weights", "load_weights"]

KERAS_SUFFIX = ".keras"
WEIGHTS_SUFFIX = ".weights.h5"
LEGACY_SUFFIXES = (".h5", ".hdf5")


def kind(filepath):
    """'keras', 'weights' or 'legacy' for a Keras file name, else None."""
    name = os.fspath(filepath) if isinstance(filepath, (str, os.PathLike)) else ""
    name = name.lower() if isinstance(name, str) else ""
    if name.endswith(KERAS_SUFFIX):
        return "keras"
    if name.endswith(WEIGHTS_SUFFIX):
        return "weights"
    if name.endswith(LEGACY_SUFFIXES):
        return "legacy"
    return None


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Write `model` as a Keras file chosen by the name: `.keras` (Keras 3) or `.h5`/`.hdf5`
    (legacy Keras 2). See `keras_format.save_model` and `legacy.save_model`."""
    which = kind(filepath)
    if which == "keras":
        from plait.saving.keras import keras_format

        return keras_format.save_model(model, filepath, overwrite, include_optimizer)
    if which == "legacy":
        from plait.saving.keras import legacy

        return legacy.save_model(model, filepath, overwrite, include_optimizer)
    raise ValueError(
        "model.save writes '.plait', '.keras', '.h5' or '.hdf5' files; '.weights.h5' holds "
        f"weights only (use save_weights). Received: filepath={os.fspath(filepath)!r}"
    )


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True, build=None):
    """Read a Keras `.keras` or legacy `.h5`/`.hdf5` model file into a plait model.

    `build(tree, custom_objects, safe_mode, label)` turns a plait config tree into a model,
    refusing code in safe mode (`saving_lib.build_from_config`, passed in by the caller so
    this package does not import it back)."""
    which = kind(filepath)
    if which == "keras":
        from plait.saving.keras import keras_format

        return keras_format.load_model(filepath, custom_objects, compile, safe_mode, build)
    if which == "legacy":
        from plait.saving.keras import legacy

        return legacy.load_model(filepath, custom_objects, compile, safe_mode, build)
    raise ValueError(
        "load_model reads '.plait', '.keras', '.h5' and '.hdf5' files; a '.weights.h5' file "
        "holds weights only: build the model, then model.load_weights(path). "
        f"Received: filepath={os.fspath(filepath)!r}"
    )


def save_weights(model, filepath, overwrite=True):
    """Write `model`'s weights in Keras 3's layout (`.weights.h5`) or Keras 2's (`.h5`)."""
    from plait.saving.keras import hdf5, layout, weights_h5
    from plait.utils import atomic

    which = kind(filepath)
    layout.check_built(model, "save")
    with atomic.atomic_path(filepath, overwrite=overwrite) as tmp:
        with hdf5.open_write(tmp) as handle:
            if which == "weights":
                weights_h5.write_keras3(model, handle)
            else:
                weights_h5.write_legacy(model, handle)


def load_weights(model, filepath, skip_mismatch=False, by_name=False):
    """Load a Keras weights file into `model`: `.weights.h5` (Keras 3, by position in the
    model's structure), `.h5`/`.hdf5` (Keras 2, by layer order, or by layer name with
    `by_name=True`), or the weights of a `.keras` file."""
    from plait.saving.keras import hdf5, layout, weights_h5

    filepath = os.fspath(filepath)
    which = kind(filepath)
    layout.check_built(model, "load")
    label = f"'{filepath}'"
    if which == "keras":
        from plait.saving.keras import keras_format

        with keras_format.open_weights(filepath) as handle:
            weights_h5.read_keras3(model, handle, label, skip_mismatch)
        return
    with hdf5.open_read(filepath, label) as handle:
        if hdf5.has_attr(handle, "layer_names") or hdf5.child(handle, "model_weights") is not None:
            weights_h5.read_legacy(model, handle, label, by_name, skip_mismatch)
        elif by_name:
            raise ValueError(
                f"{label} holds weights in Keras 3's layout, which has no layer names: "
                "by_name=True works with legacy Keras 2 '.h5' weight files only. "
                "Received: by_name=True"
            )
        else:
            weights_h5.read_keras3(model, handle, label, skip_mismatch)
