"""Keras's `keras.utils` names for serialization and graphs, wired to plait's own:
`register_keras_serializable`, `get_custom_objects`, `custom_object_scope`,
`serialize_keras_object`, `deserialize_keras_object`, `get_registered_name`,
`get_registered_object` (over `plait.serialization`) and `get_source_inputs` (over the
symbolic graph), plus `pack_x_y_sample_weight` / `unpack_x_y_sample_weight`.

`plait.utils` is a leaf of the import graph, so the higher parts are imported inside the
functions, when called.
"""

import contextlib

__all__ = [
    "register_keras_serializable",
    "get_custom_objects",
    "custom_object_scope",
    "CustomObjectScope",
    "serialize_keras_object",
    "deserialize_keras_object",
    "get_registered_name",
    "get_registered_object",
    "get_source_inputs",
    "pack_x_y_sample_weight",
    "unpack_x_y_sample_weight",
]


def register_keras_serializable(package="Custom", name=None):
    """Decorator: register a class or function under `"package>name"` so that a saved
    model using it loads without `custom_objects` (Keras's spelling of
    `plait.saving.register_serializable`).

    Example:
        >>> import plait
        >>> @register_keras_serializable(package="MyLayers")
        ... class Scale(plait.layers.Layer):
        ...     pass
        >>> get_registered_name(Scale)
        'MyLayers>Scale'
    """
    from plait import serialization

    inner = serialization.register_serializable(package=package, name=name)

    def decorator(obj):
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot register a class that does not have a get_config() method. "
                f"Received: {obj.__name__}"
            )
        return inner(obj)

    return decorator


def get_custom_objects():
    """The global `{name: object}` dict consulted when deserializing (add to it freely).

    Example:
        >>> def my_act(x):
        ...     return x
        >>> get_custom_objects()["my_act"] = my_act
        >>> get_registered_object("my_act") is my_act
        True
        >>> del get_custom_objects()["my_act"]
    """
    from plait import serialization

    return serialization.get_custom_objects()


@contextlib.contextmanager
def custom_object_scope(*args):
    """`with custom_object_scope({"MyLayer": MyLayer}): load_model(...)`.

    Example:
        >>> def my_act(x):
        ...     return x
        >>> with custom_object_scope({"my_act": my_act}):
        ...     print(get_registered_object("my_act") is my_act)
        True
        >>> get_registered_object("my_act") is None
        True
    """
    from plait import serialization

    with serialization.custom_object_scope(*args) as merged:
        yield merged


class CustomObjectScope:
    """Keras 2's class spelling of `custom_object_scope`.

    Example:
        >>> def my_act(x):
        ...     return x
        >>> with CustomObjectScope({"my_act": my_act}):
        ...     print(get_registered_object("my_act") is my_act)
        True
    """

    def __init__(self, *custom_objects):
        self._objects = custom_objects
        self._scope = None

    def __enter__(self):
        self._scope = custom_object_scope(*self._objects)
        return self._scope.__enter__()

    def __exit__(self, *exc):
        return self._scope.__exit__(*exc)


def get_registered_name(obj):
    """The name `obj` (a class, instance or function) is saved under.

    Example:
        >>> import plait
        >>> get_registered_name(plait.layers.Dense)
        'Dense'
    """
    from plait import serialization

    if callable(obj) and not isinstance(obj, type) and not hasattr(obj, "get_config"):
        return serialization.function_name(obj)
    return serialization.registered_name(obj)


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class or function registered (or in scope, or in `custom_objects` /
    `module_objects`) under `name`, or None.

    Example:
        >>> import plait
        >>> get_registered_object("Dense") is plait.layers.Dense
        True
    """
    from plait import serialization

    found = serialization.get_registered_object(name, custom_objects)
    if found is None and module_objects and name in module_objects:
        found = module_objects[name]
    return found


def serialize_keras_object(obj):
    """A JSON-able description of `obj`: `{"class_name", "config", ...}` for an object with
    `get_config`, the registered name for a function, and plain values as they are.

    Example:
        >>> import plait
        >>> config = serialize_keras_object(plait.layers.Dense(3, name="d"))
        >>> config["class_name"], config["config"]["units"]
        ('Dense', 3)
    """
    from plait import serialization

    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if hasattr(obj, "get_config"):
        out = serialization.serialize(obj)
        out["registered_name"] = out["class_name"]
        return out
    if callable(obj):
        return serialization.function_name(obj)
    raise TypeError(
        f"Cannot serialize {obj!r} of type {type(obj).__name__}: it is neither a plain value "
        "nor an object with get_config() nor a function."
    )


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """Rebuild what `serialize_keras_object` made: a class instance from a config dict, a
    registered function (or class) from a name; plain values come back as they are.

    Raises:
        ValueError: the class or function is not registered nor in `custom_objects`.

    Example:
        >>> import plait
        >>> layer = deserialize_keras_object(serialize_keras_object(plait.layers.Dense(3)))
        >>> type(layer).__name__, layer.units
        ('Dense', 3)
    """
    from plait import serialization

    del kwargs
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        found = serialization.get_registered_object(config, custom_objects)
        if found is None:
            raise ValueError(
                f"Could not interpret serialized object: '{config}'. Register it with "
                "@plait.utils.register_keras_serializable() or pass custom_objects="
                f"{{'{config}': ...}}."
            )
        return found
    if isinstance(config, list):
        return [deserialize_keras_object(item, custom_objects, safe_mode) for item in config]
    if isinstance(config, dict) and "class_name" in config:
        name = config.get("registered_name") or config["class_name"]
        with serialization.safe_mode_scope(safe_mode):
            if (
                serialization.get_registered_object(name, custom_objects) is None
                and name != config["class_name"]
            ):
                name = config["class_name"]
            return serialization.deserialize(
                {"class_name": name, "config": config.get("config", {})}, custom_objects
            )
    if isinstance(config, dict):
        return config
    raise TypeError(
        f"Could not deserialize {config!r}: expected a config dict, a name or a plain value."
    )


def get_source_inputs(tensor):
    """The `Input` tensors that `tensor` (a symbolic tensor) is computed from, in the order
    they are first reached. An Input tensor gives `[tensor]`.

    Example:
        >>> import plait
        >>> a, b = plait.Input((2,), name="a"), plait.Input((2,), name="b")
        >>> y = plait.layers.Add()([plait.layers.Dense(2)(a), b])
        >>> [t.name for t in get_source_inputs(y)]
        ['a', 'b']
    """
    from plait.graph.tensor import SymbolicTensor

    if not isinstance(tensor, SymbolicTensor):
        raise TypeError(
            "get_source_inputs takes a symbolic tensor (made from `plait.Input`). "
            f"Received: tensor of type {type(tensor).__name__}"
        )
    found, seen, stack = [], set(), [tensor]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        node = current.node
        parents = [] if node is None else node.parent_tensors
        if not parents:
            found.append(current)
        stack.extend(reversed(parents))
    return found


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """`x`, `(x, y)` or `(x, y, sample_weight)`: what a data source yields (a list or tuple
    `x` alone is wrapped as `(x,)` so that it is not read as `(x, y)`).

    Example:
        >>> pack_x_y_sample_weight([1, 2], [3])
        ([1, 2], [3])
        >>> pack_x_y_sample_weight([1, 2])
        ([1, 2],)
    """
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """`(x, y, sample_weight)` from a batch of any of the forms `pack_x_y_sample_weight`
    makes (missing parts are None).

    Raises:
        ValueError: a tuple of more than 3 entries.

    Example:
        >>> unpack_x_y_sample_weight(([1, 2], [3]))
        ([1, 2], [3], None)
        >>> unpack_x_y_sample_weight(([1, 2],))
        ([1, 2], None, None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) == 1:
        return (data[0], None, None)
    if len(data) == 2:
        return (data[0], data[1], None)
    if len(data) == 3:
        return data
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found: {data}"
    )
