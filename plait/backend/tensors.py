"""Keras 2's `K.*` functions on tensors and weights: shapes, dtypes, values, in-place updates."""

import numpy as np
import torch

from plait import ops
from plait.config import floatx
from plait.graph.tensor import SymbolicTensor

__all__ = [
    "is_tensor",
    "int_shape",
    "shape",
    "ndim",
    "dtype",
    "count_params",
    "cast_to_floatx",
    "variable",
    "constant",
    "get_value",
    "batch_get_value",
    "set_value",
    "batch_set_value",
    "update",
    "update_add",
    "update_sub",
    "print_tensor",
]


def is_tensor(x) -> bool:
    """Whether `x` is a torch tensor or a symbolic tensor."""
    return isinstance(x, (torch.Tensor, SymbolicTensor))


def int_shape(x):
    """The shape as a tuple of ints, None for unknown dimensions."""
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def shape(x):
    """The shape (concrete tensors: ints; symbolic tensors: None where unknown)."""
    return ops.shape(x)


def ndim(x) -> int:
    """The number of axes."""
    return len(int_shape(x))


def dtype(x) -> str:
    """The dtype's name, e.g. 'float32'."""
    return ops.dtype(x)


def count_params(x) -> int:
    """The number of elements of a weight or tensor."""
    return int(np.prod(int_shape(x)))


def cast_to_floatx(x):
    """`x` as a NumPy array of dtype `floatx()`."""
    return np.asarray(ops.convert_to_numpy(x), dtype=floatx())


def variable(value, dtype=None, name=None, constraint=None):
    """A trainable tensor (`torch.nn.Parameter`) holding `value`."""
    data = ops.convert_to_tensor(
        value, dtype or (floatx() if not hasattr(value, "dtype") else None)
    )
    param = torch.nn.Parameter(data.detach().clone(), requires_grad=data.is_floating_point())
    return param


def constant(value, dtype=None, shape=None, name=None):
    """A tensor of `value` (broadcast to `shape` when given)."""
    out = ops.convert_to_tensor(value, dtype or floatx())
    return out.expand(tuple(shape)).clone() if shape is not None else out


def get_value(x):
    """A weight's or tensor's value as a NumPy array."""
    return ops.convert_to_numpy(x)


def batch_get_value(tensors):
    """`get_value` of each."""
    return [get_value(t) for t in tensors]


def set_value(x, value) -> None:
    """Sets the weight `x` to `value` in place: a tensor, a weight, or a value that answers
    Keras's `assign` (an optimizer's `learning_rate` or `iterations`), so Keras 2's
    `K.set_value(model.optimizer.lr, 1e-4)` changes the rate the next step uses.

    Raises:
        TypeError: when `x` is neither a tensor nor assignable.
    """
    if isinstance(x, torch.Tensor):
        with torch.no_grad():
            x.copy_(torch.as_tensor(np.asarray(value), dtype=x.dtype, device=x.device))
    elif callable(getattr(x, "assign", None)):
        x.assign(value)
    else:
        raise TypeError(
            "`set_value` expects a weight, a tensor or an optimizer value such as "
            f"`optimizer.learning_rate`. Received: x={x!r} of type {type(x).__name__}"
        )


def batch_set_value(tuples) -> None:
    """`set_value` for each `(x, value)`."""
    for x, value in tuples:
        set_value(x, value)


def update(x, new_x):
    """Assigns `new_x` to `x` in place; returns `x`."""
    set_value(x, ops.convert_to_numpy(new_x))
    return x


def update_add(x, increment):
    """Adds `increment` to `x` in place; returns `x`."""
    with torch.no_grad():
        x.add_(ops.convert_to_tensor(increment).to(x.dtype))
    return x


def update_sub(x, decrement):
    """Subtracts `decrement` from `x` in place; returns `x`."""
    with torch.no_grad():
        x.sub_(ops.convert_to_tensor(decrement).to(x.dtype))
    return x


def print_tensor(x, message=""):
    """Prints `message` and `x`'s value; returns `x`."""
    print(message, x)
    return x
