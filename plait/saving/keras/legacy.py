"""Legacy HDF5 model files (`.h5`, `.hdf5`), as Keras 2 / tf.keras wrote them with
`model.save("m.h5")` and Keras 3 still writes and reads them.

Layout: root attributes `model_config` (the model's config as JSON), `training_config`
(compile()'s arguments, optional), `keras_version`, `backend`; group `model_weights` with
the weights in Keras 2's layout (see `weights_h5.write_legacy`). The optimizer's state
(`optimizer_weights`, Keras 3's order of variables) is written and restored (see
`optimizer_state`); a Keras 2 file's optimizer state is not: its optimizer starts afresh.

    model.save("m.h5")
    model = plait.models.load_model("m.h5")
"""

import json
import os

from plait.saving.keras import config as keras_config
from plait.saving.keras import hdf5, keras_format, layout, optimizer_state, weights_h5
from plait.utils import atomic

__all__ = ["save_model", "load_model"]

_MAX_CONFIG_CHARS = 64 * 1024 * 1024


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Write `model` as a legacy HDF5 model file that Keras 3's `load_model` reads.

    Raises:
        ValueError: the model holds a layer Keras cannot rebuild; it is not built.
    """
    filepath = os.fspath(filepath)
    layout.check_built(model, "save")
    entry = keras_config.to_keras(model)
    model_config = {"class_name": entry["class_name"], "config": entry["config"]}
    training = keras_format.compile_config(model) if include_optimizer else None
    with atomic.atomic_path(filepath, overwrite=overwrite) as tmp:
        with hdf5.open_write(tmp) as handle:
            handle.attrs["keras_version"] = weights_h5.KERAS_VERSION
            handle.attrs["backend"] = "torch"
            handle.attrs["model_config"] = json.dumps(model_config)
            if training is not None:
                optimizer = training.pop("optimizer")
                if isinstance(optimizer, dict):
                    optimizer = {
                        "class_name": optimizer["class_name"],
                        "config": optimizer["config"],
                    }
                else:
                    optimizer = {"class_name": optimizer, "config": {}}
                training["optimizer_config"] = optimizer
                training["loss"] = _full_loss_names(training.get("loss"))
                handle.attrs["training_config"] = json.dumps(training)
            weights_h5.write_legacy(model, handle.create_group("model_weights"))
            if training is not None:
                optimizer_state.write_legacy(model, handle)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True, build=None):
    """Read a legacy HDF5 model file (Keras 2, tf.keras, or Keras 3's legacy writer).

    Raises:
        ValueError: the file is missing, not HDF5, truncated or damaged; it holds weights
            only (no `model_config`); it names a layer class plait does not have; it holds a
            Lambda layer and safe_mode is True; its weights do not fit its config.
    """
    filepath = os.fspath(filepath)
    label = f"'{filepath}'"
    with hdf5.open_read(filepath, label) as handle:
        text = hdf5.attr_text(handle, "model_config")
        if text is None:
            raise ValueError(
                f"{label} holds no model config: it is a weights file (build the model, then "
                "model.load_weights(path)), or it is damaged."
            )
        entry = _json(text, label, "model_config")
        tree = keras_config.to_plait(entry, label, custom_objects)
        group = hdf5.child(handle, "model_weights")
        if not hdf5.is_group(group):
            raise ValueError(
                f"{label} is damaged: it has a model config but no 'model_weights' group."
            )
        keras_format.check_on_meta(
            build,
            tree,
            label,
            custom_objects,
            safe_mode,
            lambda skeleton: weights_h5.read_legacy(skeleton, group, label, check_only=True),
        )
        model = build(tree, custom_objects, safe_mode, label)
        weights_h5.read_legacy(model, group, label)
        training = hdf5.attr_text(handle, "training_config")
    if compile and training:
        config = _json(training, label, "training_config")
        if isinstance(config, dict):
            config["optimizer"] = config.pop("optimizer_config", None)
            keras_format.restore_compile(model, config, label, custom_objects)
            with hdf5.open_read(filepath, label) as handle:
                optimizer_state.read_legacy(model, handle, label)
    return model


# Keras's legacy loader cannot deserialize these short loss names; it takes the full ones.
_LOSS_ALIASES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error",
}


def _full_loss_names(loss):
    if isinstance(loss, str):
        return _LOSS_ALIASES.get(loss, loss)
    if isinstance(loss, list):
        return [_full_loss_names(v) for v in loss]
    if isinstance(loss, dict):
        return {k: _full_loss_names(v) for k, v in loss.items()}
    return loss


def _json(text, label, what):
    if len(text) > _MAX_CONFIG_CHARS:
        raise ValueError(
            f"{label}: its {what} is {len(text)} characters long, more than a "
            "config can be; the file is damaged or hostile."
        )
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as err:
        raise ValueError(f"{label} is damaged: its {what} is not JSON ({err}).") from None
