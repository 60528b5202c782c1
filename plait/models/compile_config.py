"""`Model.get_compile_config` and `Model.compile_from_config`: the arguments `compile` was
given, serialized, and back (Keras 3's `compile_config` of a `.keras` file)."""

from plait import serialization

__all__ = ["compile_from_config", "get_compile_config"]


def _compile_value(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_compile_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _compile_value(v) for k, v in value.items()}
    if callable(value) and not hasattr(value, "get_config"):
        return serialization.function_name(value)
    return serialization.serialize(value)


def get_compile_config(model) -> dict | None:
    """The arguments `compile` was given, serialized (None when not compiled), for
    `compile_from_config`."""
    state = getattr(model, "_compile_state", None)
    if state is None:
        return None
    return {
        "optimizer": _compile_value(state.optimizer),
        "loss": _compile_value(state.loss),
        "metrics": _compile_value(state.metrics),
        "loss_weights": _compile_value(state.loss_weights),
        "weighted_metrics": _compile_value(state.weighted_metrics),
        "run_eagerly": state.run_eagerly,
        "steps_per_execution": state.steps_per_execution,
        "jit_compile": state.jit_compile,
    }


def _revive(value, kind):
    from plait import losses, metrics, optimizers

    getter = {"optimizer": optimizers.get, "loss": losses.get, "metric": metrics.get}[kind]
    if isinstance(value, list):
        return [_revive(v, kind) for v in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _revive(v, kind) for k, v in value.items()}
    return getter(value) if value is not None else None


def compile_from_config(model, config: dict) -> None:
    """Compile the model with `get_compile_config()`'s output.

    Raises:
        TypeError: when `config` is not a dict.
    """
    if not isinstance(config, dict):
        raise TypeError(
            "compile_from_config takes the dict get_compile_config() returns. "
            f"Received: config={config!r:.200}"
        )
    config = dict(config)
    config["optimizer"] = _revive(config.get("optimizer"), "optimizer") or "rmsprop"
    config["loss"] = _revive(config.get("loss"), "loss")
    for key in ("metrics", "weighted_metrics"):
        config[key] = _revive(config.get(key), "metric")
    model.compile(**config)
