"""`plait.layers.serialize` and `plait.layers.deserialize`: a layer as the dict Keras 3
writes for it (`module`, `class_name`, `config`, `registered_name`, `build_config`) and
back.

    config = plait.layers.serialize(layer)
    clone = plait.layers.deserialize(config)
"""

from plait import serialization
from plait.layers.layer import Layer

__all__ = ["deserialize", "serialize"]


def serialize(layer: Layer) -> dict:
    """A layer's configuration as a dict, in Keras 3's layout.

    Args:
        layer: a plait Layer (or Model).

    Returns:
        `{"module", "class_name", "config", "registered_name"}`, plus `"build_config":
        {"input_shape": ...}` when the layer is built and knows its input shape.
        `registered_name` is None for plait's own layers and `"Package>Name"` for a class
        registered with `register_serializable`.

    Raises:
        TypeError: `layer` has no `get_config`.

    Example:
        >>> from plait.layers import Dense
        >>> config = serialize(Dense(3))
        >>> config["class_name"], config["config"]["units"]
        ('Dense', 3)
    """
    base = serialization.serialize(layer)
    cls = serialization.saved_class(layer)
    name = base["class_name"]
    own = cls.__module__.startswith("plait.")
    out = {
        "module": "plait.layers" if own and isinstance(layer, Layer) else cls.__module__,
        "class_name": cls.__name__,
        "config": base["config"],
        "registered_name": None if own or name == cls.__name__ else name,
    }
    shape = _input_shape(layer)
    if shape is not None:
        out["build_config"] = {"input_shape": shape}
    return out


def _input_shape(layer):
    if not getattr(layer, "built", False):
        return None
    nodes = getattr(layer, "_inbound_nodes", None)
    if nodes:
        try:
            return layer.input_shape
        except (AttributeError, ValueError):
            return None
    batch_shape = getattr(layer, "_batch_input_shape", None)
    return tuple(batch_shape) if batch_shape is not None else None


def deserialize(config: dict, custom_objects: dict | None = None) -> Layer:
    """The layer that `serialize` (or Keras's `serialize` of a plait-compatible layer)
    described; built for `build_config`'s input shape when it has one.

    Args:
        config: a dict with `class_name` and `config` (and optionally `registered_name`,
            `build_config`).
        custom_objects: dict of names to your own classes.

    Returns:
        A new Layer.

    Raises:
        ValueError: an unknown class, or a config that does not describe a Layer.

    Example:
        >>> from plait.layers import Dense
        >>> layer = deserialize(serialize(Dense(3, name="head")))
        >>> layer.name, layer.units
        ('head', 3)
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "`plait.layers.deserialize` expects a dict with 'class_name' and 'config' (as "
            f"`plait.layers.serialize` writes). Received: config={config!r}"
        )
    entry = dict(config)
    if entry.get("registered_name"):
        entry["class_name"] = entry["registered_name"]
    obj = serialization.deserialize(entry, custom_objects, kind="layer")
    if not isinstance(obj, Layer):
        raise ValueError(
            "`plait.layers.deserialize` was passed a `config` object that is not a "
            f"`plait.layers.Layer`. Received: {config}"
        )
    shape = (config.get("build_config") or {}).get("input_shape")
    if shape is not None and not obj.built:
        obj._ensure_built(_as_shape(shape))
    return obj


def _as_shape(shape):
    if isinstance(shape, dict):
        return {k: _as_shape(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [_as_shape(s) for s in shape]
    return tuple(shape)
