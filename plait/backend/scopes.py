"""Keras 3's top-level backend names: `Variable`, `name_scope`, `device` and `remat`
(`keras.Variable`, `keras.name_scope`, `keras.device`, `keras.remat`), on torch."""

import contextlib
import threading

import numpy as np
import torch
import torch.utils.checkpoint

from plait import config, initializers
from plait.utils import dtypes, naming
from plait.utils.variables import StateVariable, make_variable
from plait.utils.variables import Variable as _Parameter

__all__ = ["Variable", "device", "name_scope", "remat"]

_SCOPES = threading.local()


def _scope_stack():
    if not hasattr(_SCOPES, "stack"):
        _SCOPES.stack = []
    return _SCOPES.stack


class name_scope:  # noqa: N801  (Keras's spelling: a class used as a function)
    """A context manager naming what is made inside it: a `plait.Variable` made in
    `name_scope("block")` has the path `"block/<name>"` (nested scopes join with "/").

    Args:
        name: the scope's name, a non-empty string.
        override_parent: a path to use instead of the enclosing scopes'. Default None.
        caller, deduplicate: accepted for Keras's signature; no effect here.

    Raises:
        ValueError: `name` not a non-empty string.

    Example:
        >>> import plait
        >>> with plait.name_scope("block"):
        ...     v = plait.Variable([1.0, 2.0], name="scale")
        >>> v.path
        'block/scale'
    """

    def __init__(self, name, caller=None, deduplicate=True, override_parent=None):
        if not isinstance(name, str) or not name:
            raise ValueError(f"Argument `name` must be a non-empty string. Received: name={name!r}")
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        self.override_parent = override_parent
        self._entered = None

    def __enter__(self):
        stack = _scope_stack()
        parent = self.override_parent if self.override_parent is not None else current_path()
        path = f"{parent}/{self.name}" if parent else self.name
        stack.append(path)
        self._entered = path
        return self

    def __exit__(self, *exc):
        stack = _scope_stack()
        if stack and stack[-1] == self._entered:
            stack.pop()
        return False


def current_path():
    """The path of the innermost `name_scope` ("" outside any)."""
    stack = _scope_stack()
    return stack[-1] if stack else ""


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, (_Parameter, StateVariable))

    def __call__(
        cls,
        initializer,
        shape=None,
        dtype=None,
        trainable=True,
        autocast=True,
        aggregation="none",
        synchronization="auto",
        name=None,
        **kwargs,
    ):
        return _make(initializer, shape, dtype, trainable, aggregation, synchronization, name)


class Variable(metaclass=_VariableMeta):
    """A Keras variable (`keras.Variable`): a torch tensor that answers Keras's variable
    API (`assign`, `assign_add`, `numpy()`, `value`, `name`, `path`, `trainable`).

    Trainable variables are `nn.Parameter`s (optimizers take them); non-trainable ones
    are plain tensors. `isinstance(w, plait.Variable)` is True for them and for every
    layer weight made by `add_weight`.

    Args:
        initializer: a value (array, list, number, tensor) or an initializer (a name
            such as "glorot_uniform", or an `Initializer`) used with `shape`.
        shape: the shape; needed with an initializer.
        dtype: default: the value's (numbers: `plait.config.floatx()`), or floatx for an
            initializer.
        trainable: default True.
        name: default `variable_<n>`; the path is the enclosing `name_scope`s + name.
        autocast, aggregation, synchronization: accepted for Keras's signature
            (aggregation and synchronization are checked as Keras checks them).

    Raises:
        ValueError: an initializer without `shape`; a name with "/"; an unknown
            aggregation or synchronization.

    Example:
        >>> import plait
        >>> w = plait.Variable(initializer="ones", shape=(2,), name="w")
        >>> w.assign_add([1.0, 2.0]).numpy().tolist(), w.path
        ([2.0, 3.0], 'w')
    """


def _make(initializer, shape, dtype, trainable, aggregation, synchronization, name):
    name = name or naming.unique_name("variable")
    if not isinstance(name, str) or "/" in name:
        raise ValueError(
            "Argument `name` must be a string and cannot contain character `/`. "
            f"Received: name={name}"
        )
    if aggregation not in (None, "none", "mean", "sum", "only_first_replica"):
        raise ValueError(
            "Invalid value for argument `aggregation`. Expected one of `None`, `'none'`, "
            f"`'mean'`, `'sum'`, `'only_first_replica'`. Received: aggregation={aggregation}"
        )
    if synchronization not in (None, "none", "on_read", "on_write", "auto"):
        raise ValueError(
            "Invalid value for argument `synchronization`. Expected one of `None`, "
            "`'none'`, `'on_read'`, `'on_write'`, `'auto'`. "
            f"Received: synchronization={synchronization}"
        )
    target = None if dtype is None else dtypes.to_torch_dtype(dtype)
    if isinstance(initializer, str):
        initializer = initializers.get(initializer)
    if callable(initializer) and not isinstance(initializer, torch.Tensor):
        if shape is None:
            raise ValueError(
                "When creating a Variable from an initializer, the `shape` argument should "
                f"be specified. Received: initializer={initializer} and shape={shape}"
            )
        floatx = dtypes.to_torch_dtype(config.floatx())
        value = initializer(tuple(shape), dtype=target or floatx)
    else:
        value = _value(initializer, target)
    value = torch.as_tensor(value).detach().clone().to(config.device())
    if target is not None:
        value = value.to(target)
    parent = current_path()
    path = f"{parent}/{name}" if parent else name
    requires_grad = bool(trainable) and (value.is_floating_point() or value.is_complex())
    return make_variable(value, bool(trainable), requires_grad, name, path)


def _value(value, target):
    if isinstance(value, torch.Tensor):
        return value if target is None else value.to(target)
    array = np.asarray(value)
    if target is None and not isinstance(value, np.ndarray):
        if array.dtype == np.float64:  # Python floats take floatx, ints int32 (Keras)
            target = dtypes.to_torch_dtype(config.floatx())
        elif array.dtype == np.int64:
            target = torch.int32
    return torch.as_tensor(array, dtype=target)


@contextlib.contextmanager
def device(device_name):
    """Make new layers' weights, `plait.Variable`s and `plait.random` draws on
    `device_name` inside the block (Keras's `keras.device`).

    Args:
        device_name: "cpu", "gpu", "gpu:1", "cuda:0" (Keras's "gpu" is torch's "cuda").

    Raises:
        ValueError: `device_name` not a string.

    Example:
        >>> import plait
        >>> with plait.device("cpu"):
        ...     plait.Variable([1.0]).device.type
        'cpu'
    """
    if not isinstance(device_name, str):
        raise ValueError(
            "Invalid value for argument `device_name`. Expected a string like 'gpu:0' or "
            f"'cpu'. Received: device_name='{device_name}'"
        )
    previous = config._device
    config.set_device(device_name.lower().replace("gpu", "cuda"))
    try:
        yield
    finally:
        config._device = previous


def remat(f):
    """`f` recomputed in the backward pass instead of keeping its activations
    (gradient checkpointing, Keras's `keras.remat`): memory for compute.

    Args:
        f: a function or layer of tensors.

    Returns:
        A function with `f`'s results and gradients, run through
        `torch.utils.checkpoint.checkpoint` (non-reentrant).

    Example:
        >>> import plait, torch
        >>> x = torch.ones(3, requires_grad=True)
        >>> plait.remat(torch.sin)(x).sum().backward()
        >>> bool(torch.allclose(x.grad, torch.cos(x)))
        True
    """
    if not callable(f):
        raise TypeError(f"remat() takes a callable. Received: f={f!r}")

    def wrapped(*args, **kwargs):
        return torch.utils.checkpoint.checkpoint(f, *args, use_reentrant=False, **kwargs)

    wrapped.__name__ = getattr(f, "__name__", "remat")
    wrapped.__doc__ = getattr(f, "__doc__", None)
    return wrapped
