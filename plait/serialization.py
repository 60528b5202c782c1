"""The registry of serializable classes: every layer, model, loss, metric and optimizer
that can be rebuilt from its config registers here under its class name.

    serialize(Dense(3))        -> {"class_name": "Dense", "config": {...}}
    deserialize({...})         -> Dense(3)

Nothing is imported by name from a file: only registered classes (and the
`custom_objects` a caller passes) can be rebuilt, so a config cannot run arbitrary code.
"""

import contextlib
import contextvars
import difflib
import importlib
from typing import Any

from plait.utils import settings

__all__ = [
    "custom_object_scope",
    "deserialize",
    "function_name",
    "get_custom_objects",
    "get_function",
    "get_registered_object",
    "in_safe_mode",
    "register_serializable",
    "registered_name",
    "safe_mode_scope",
    "serialize",
]

_REGISTRY: dict[str, Any] = {}  # classes, and functions registered by name
_SAFE_MODE = contextvars.ContextVar("plait_safe_mode", default=True)
# Keras's `get_custom_objects()` dict and the `custom_object_scope` stack: looked up after
# the `custom_objects` a caller passes and before the registry.
_CUSTOM_OBJECTS: dict[str, Any] = {}
_SCOPES = contextvars.ContextVar("plait_custom_object_scopes", default=())


def get_custom_objects():
    """The global dict of custom objects (Keras's `keras.utils.get_custom_objects()`).

    Entries added to it are found by name when configs are deserialized.

    Returns:
        The dict itself (edit it in place).

    Example:
        >>> from plait import serialization
        >>> def twice(x):
        ...     return 2 * x
        >>> serialization.get_custom_objects()["twice"] = twice
        >>> serialization.get_registered_object("twice") is twice
        True
        >>> del serialization.get_custom_objects()["twice"]
    """
    return _CUSTOM_OBJECTS


@contextlib.contextmanager
def custom_object_scope(*custom_objects):
    """A context manager: within the block, the given dicts are found by name when configs are deserialized.

    Keras's `custom_object_scope`; also usable as `CustomObjectScope`.

    Args:
        *custom_objects: dicts of `{name: object}` (None entries are skipped).

    Raises:
        TypeError: an argument that is not a dict.

    Example:
        >>> from plait import serialization
        >>> def halve(x):
        ...     return x / 2
        >>> with serialization.custom_object_scope({"halve": halve}):
        ...     serialization.get_registered_object("halve") is halve
        True
        >>> print(serialization.get_registered_object("halve"))
        None
    """
    merged = {}
    for objects in custom_objects:
        if objects is not None:
            if not isinstance(objects, dict):
                raise TypeError(
                    "custom_object_scope takes dicts of {name: object}. Received: "
                    f"custom_objects of type {type(objects).__name__}"
                )
            merged.update(objects)
    token = _SCOPES.set(_SCOPES.get() + (merged,))
    try:
        yield merged
    finally:
        _SCOPES.reset(token)


def in_safe_mode():
    """Whether deserializing must refuse to run code from a config.

    False only inside `safe_mode_scope(False)` (as `load_model(..., safe_mode=False)` sets) or
    after `config.enable_unsafe_deserialization()`. A class whose config holds code (Lambda)
    refuses to rebuild itself when this is True.

    Example:
        >>> from plait import serialization
        >>> serialization.in_safe_mode()
        True
        >>> with serialization.safe_mode_scope(False):
        ...     serialization.in_safe_mode()
        False
    """
    return _SAFE_MODE.get() and not settings.get("unsafe_deserialization")


@contextlib.contextmanager
def safe_mode_scope(safe_mode=True):
    """A context manager that sets `in_safe_mode()` for its block.

    Args:
        safe_mode: the value inside the block (default True).

    Example:
        >>> from plait import serialization
        >>> with serialization.safe_mode_scope(False):
        ...     serialization.in_safe_mode()
        False
    """
    token = _SAFE_MODE.set(bool(safe_mode))
    try:
        yield
    finally:
        _SAFE_MODE.reset(token)


def register_serializable(package="Custom", name=None):
    """Class (or function) decorator: makes a class rebuildable by `deserialize`, or a function (a custom loss, metric or activation) findable by name when loading.

    Built-in classes register under their plain class name; user classes under
    `"package>Name"` (Keras's spelling) and, for convenience, under the plain name too
    unless a built-in already holds it.

    Args:
        package: the prefix of the registered name (default "Custom").
        name: the name to register under (default: the class's or function's `__name__`).

    Returns:
        The decorator; it returns the class or function unchanged (with `_registered_name`).

    Example:
        >>> from plait import serialization
        >>> @serialization.register_serializable(package="docs")
        ... class Scale:
        ...     def __init__(self, factor=1.0):
        ...         self.factor = factor
        ...     def get_config(self):
        ...         return {"factor": self.factor}
        >>> serialization.registered_name(Scale)
        'docs>Scale'
        >>> serialization.deserialize({"class_name": "docs>Scale", "config": {"factor": 2.0}}).factor
        2.0
    """

    def decorator(cls):
        key = name or cls.__name__
        if package and package != "plait":
            _REGISTRY[f"{package}>{key}"] = cls
            _REGISTRY.setdefault(key, cls)
        else:
            _REGISTRY[key] = cls
        cls._registered_name = key if package in (None, "plait") else f"{package}>{key}"
        return cls

    return decorator


def get_registered_object(name, custom_objects=None):
    """The object registered (or passed in `custom_objects`) under `name`, or None.

    Looks in `custom_objects` first (also by the short name of "package>Name"), then in the
    open `custom_object_scope`s and `get_custom_objects()`, then in the registry.

    Args:
        name: a registered name, e.g. "Dense" or "my_package>MyLayer".
        custom_objects: an optional dict of `{name: object}`.

    Example:
        >>> from plait import serialization
        >>> class Gate:
        ...     pass
        >>> serialization.get_registered_object("Gate", {"Gate": Gate}) is Gate
        True
        >>> print(serialization.get_registered_object("NoSuchLayer"))
        None
    """
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    short = name.rpartition(">")[2] if isinstance(name, str) else name
    if custom_objects and short in custom_objects:  # "Custom>MyLayer" given as "MyLayer"
        return custom_objects[short]
    for scope in (*reversed(_SCOPES.get()), _CUSTOM_OBJECTS):
        if scope and (name in scope or short in scope):
            return scope[name] if name in scope else scope[short]
    found = _REGISTRY.get(name)
    if found is None and not _builtins_loaded:
        _load_builtins()
        found = _REGISTRY.get(name)
    return found


_builtins_loaded = False


def _load_builtins():
    """Register plait's own classes (layers, models, losses, metrics, optimizers, callbacks):
    `import plait` loads them lazily, so a lookup by name may come first."""
    global _builtins_loaded
    _builtins_loaded = True
    # By name, not an import statement: this is the registry asking for its entries at run
    # time, after every module is loaded, not a dependency of this module (which sits below
    # models in the import DAG). plait.models imports layers and training, which register.
    importlib.import_module("plait.models")


def function_name(fn):
    """The name a function is saved under.

    Its registered name ("Custom>my_loss") when it was decorated with
    `register_serializable()`, else its `__name__`.

    Example:
        >>> from plait import serialization
        >>> @serialization.register_serializable(package="docs")
        ... def doubled(x):
        ...     return 2 * x
        >>> serialization.function_name(doubled), serialization.function_name(abs)
        ('docs>doubled', 'abs')
    """
    name = getattr(fn, "_registered_name", None)
    if name is not None and _REGISTRY.get(name) is fn:
        return name
    return getattr(fn, "__name__", type(fn).__name__)


def get_function(name, custom_objects=None):
    """The function saved as `name` (see `function_name`), or None.

    Looked up in `custom_objects` and the registry; nothing is imported.

    Args:
        name: a saved function name.
        custom_objects: an optional dict of `{name: object}`.

    Example:
        >>> from plait import serialization
        >>> def tripled(x):
        ...     return 3 * x
        >>> serialization.get_function("tripled", {"tripled": tripled}) is tripled
        True
        >>> print(serialization.get_function("Dense"))  # a class, not a function
        None
    """
    found = get_registered_object(name, custom_objects)
    return found if callable(found) and not isinstance(found, type) else None


def saved_class(obj):
    """The class that `obj`'s config names: its own, or for a module that a wrapper re-classed
    in place (FSDP2's `fully_shard` makes `FSDPModel` from `Model`), the user's class."""
    cls = obj if isinstance(obj, type) else type(obj)
    while cls.__module__.startswith("torch.distributed") or any(
        base.__module__.startswith("torch.distributed") for base in cls.__bases__
    ):
        own = [b for b in cls.__bases__ if not b.__module__.startswith("torch.distributed")]
        if not own:
            break
        cls = own[0]
    return cls


def registered_name(obj):
    """The name `obj`'s class (or `obj`, a class) is saved under.

    "package>Name" for a class registered with a package, else the class name (also for a
    class a distributed wrapper re-classed in place).

    Example:
        >>> from plait import serialization
        >>> from plait.layers import Dense
        >>> serialization.registered_name(Dense(2)), serialization.registered_name(Dense)
        ('Dense', 'Dense')
    """
    cls = saved_class(obj)
    return (
        getattr(cls, "_registered_name", cls.__name__)
        if _REGISTRY.get(getattr(cls, "_registered_name", cls.__name__)) is cls
        else cls.__name__
    )


def serialize(obj):
    """`{"class_name": ..., "config": obj.get_config()}` for a registered object.

    Args:
        obj: an object with `get_config()`, or None.

    Returns:
        The dict, or None for None.

    Raises:
        TypeError: an object without `get_config()`.

    Example:
        >>> from plait import regularizers, serialization
        >>> serialization.serialize(regularizers.L2(0.5))
        {'class_name': 'L2', 'config': {'l2': 0.5}}
    """
    if obj is None:
        return None
    if not hasattr(obj, "get_config"):
        raise TypeError(
            f"Cannot serialize {obj!r}: it has no get_config(). "
            "Give the class get_config() and register it with "
            "@plait.saving.register_serializable()."
        )
    return {"class_name": registered_name(obj), "config": obj.get_config()}


def deserialize(config, custom_objects=None, kind="object"):
    """Rebuilds an object from `serialize`'s output.

    Args:
        config: a `{"class_name": ..., "config": ...}` dict.
        custom_objects: an optional dict of `{name: class}` for your own classes.
        kind: what is rebuilt, for error messages (default "object").

    Raises:
        ValueError: a config that is not such a dict, or a class neither registered nor in
            `custom_objects` (the message names it and suggests the closest known name).

    Example:
        >>> from plait import serialization
        >>> layer = serialization.deserialize({"class_name": "Dense", "config": {"units": 3}})
        >>> type(layer).__name__, layer.units
        ('Dense', 3)
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"Cannot deserialize {kind}: expected a dict with 'class_name' and 'config'. "
            f"Received: config={config!r}"
        )
    name = config["class_name"]
    cls = get_registered_object(name, custom_objects)
    if cls is None:
        known = sorted(set(_REGISTRY) | set(custom_objects or {}))
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ValueError(
            f"Unknown {kind} class '{name}'.{hint} If it is your own class, decorate it with "
            "@plait.saving.register_serializable() or pass "
            f"custom_objects={{'{name}': {str(name).rpartition('>')[2]}}}."
        )
    inner = config.get("config", {})
    if hasattr(cls, "from_config"):
        if _accepts_custom_objects(cls.from_config):
            return cls.from_config(inner, custom_objects=custom_objects)
        return cls.from_config(inner)
    return cls(**inner)


def _accepts_custom_objects(fn):
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    return (
        code is not None
        and "custom_objects" in code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    )


def get_from_registry(identifier, registry, kind, custom_objects=None):
    """The one `get(identifier)` behind activations, initializers, losses, metrics and
    optimizers: a name from `registry`, a config dict, or a callable/object as it is.

    Error format: "Unknown activation: 'relus'. Expected one of [...] or a callable."
    """
    if isinstance(identifier, str):
        if identifier in registry:
            return registry[identifier]
        registered = get_registered_object(identifier, custom_objects)
        if registered is not None and callable(registered):
            # a user's function or class registered with register_serializable
            return registered() if isinstance(registered, type) and kind != "layer" else registered
        close = difflib.get_close_matches(identifier, list(registry), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ValueError(
            f"Unknown {kind}: '{identifier}'.{hint} Expected one of {sorted(registry)} "
            "or a callable."
        )
    if isinstance(identifier, dict):
        return deserialize(identifier, custom_objects, kind=kind)
    if callable(identifier):
        return identifier
    raise TypeError(
        f"Could not interpret {kind} identifier: {identifier!r}. "
        f"Expected a string (one of {sorted(registry)}), a config dict or a callable."
    )


def module_dir(namespace):
    """`dir()` of a module of Keras objects (activations, constraints, initializers, ...):
    its `__all__` plus the public classes it defines, not torch, re or helpers. A module
    defines `def __dir__(): return module_dir(globals())`."""
    own = namespace["__name__"]
    return sorted(
        set(namespace["__all__"])
        | {
            n
            for n, v in namespace.items()
            if isinstance(v, type) and v.__module__ == own and not n.startswith("_")
        }
    )


def get_object(identifier, base, registry, kind, classes):
    """`get` of constraints, regularizers and initializers: an instance of `base` from a
    `base` subclass (called with no arguments), a name in `registry` (a class there is
    instantiated), a config dict (resolved first in `classes`), or a callable as it is."""
    if isinstance(identifier, type) and issubclass(identifier, base):
        return identifier()
    found = get_from_registry(identifier, registry, kind, custom_objects=classes)
    return found() if isinstance(found, type) else found


def serialize_object(obj, base):
    """`serialize` of constraints and regularizers: None for None, a
    `{"class_name", "config"}` dict for an instance of `base`, else a function's name."""
    if obj is None:
        return None
    if isinstance(obj, base):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    return getattr(obj, "__name__", type(obj).__name__)


def deserialize_object(config, custom_objects, get):
    """`deserialize` of constraints, regularizers and initializers: `config` a name or a
    `{"class_name", "config"}` dict, looked up in `custom_objects` first, else by `get`."""
    if custom_objects and isinstance(config, str) and config in custom_objects:
        return get(custom_objects[config])
    if custom_objects and isinstance(config, dict) and config.get("class_name") in custom_objects:
        cls = custom_objects[config["class_name"]]
        inner = config.get("config", {})
        return cls.from_config(inner) if hasattr(cls, "from_config") else cls(**inner)
    return get(config)
