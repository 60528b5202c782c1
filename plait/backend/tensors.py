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
    """Whether `x` is a torch tensor or a symbolic tensor.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.is_tensor(torch.zeros(2)), K.is_tensor([0.0, 0.0])
        (True, False)
    """
    return isinstance(x, (torch.Tensor, SymbolicTensor))


def int_shape(x):
    """The shape as a tuple of ints, None for unknown dimensions.

    Args:
        x: a tensor, a symbolic tensor, or an array-like.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> from plait.layers import Input
        >>> K.int_shape(torch.zeros(2, 3)), K.int_shape(Input(shape=(4,)))
        ((2, 3), (None, 4))
    """
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def shape(x):
    """The shape: ints for a concrete tensor; for a symbolic tensor, None where unknown.

    Args:
        x: a tensor or a symbolic tensor.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.shape(torch.zeros(2, 3))
        (2, 3)
    """
    return ops.shape(x)


def ndim(x) -> int:
    """The number of axes of `x`.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.ndim(torch.zeros(2, 3, 4))
        3
    """
    return len(int_shape(x))


def dtype(x) -> str:
    """The name of `x`'s dtype, e.g. 'float32'.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.dtype(torch.zeros(2, dtype=torch.int64))
        'int64'
    """
    return ops.dtype(x)


def count_params(x) -> int:
    """The number of elements of a weight or tensor.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.count_params(torch.zeros(3, 4))
        12
    """
    return int(np.prod(int_shape(x)))


def cast_to_floatx(x):
    """`x` as a NumPy array of dtype `floatx()`.

    Example:
        >>> from plait import backend as K
        >>> K.cast_to_floatx([1, 2])
        array([1., 2.], dtype=float32)
    """
    return np.asarray(ops.convert_to_numpy(x), dtype=floatx())


def variable(value, dtype=None, name=None, constraint=None):
    """A weight (`torch.nn.Parameter`) holding `value`.

    Args:
        value: an array-like or tensor.
        dtype: the dtype name; default: `value`'s own dtype, or `floatx()` for Python numbers.
        name, constraint: accepted for Keras 2's signature; not used.

    Returns:
        A Parameter, trainable when it is a float tensor.

    Example:
        >>> from plait import backend as K
        >>> v = K.variable([[1.0, 2.0]])
        >>> v.shape, v.dtype, v.requires_grad
        (torch.Size([1, 2]), torch.float32, True)
    """
    data = ops.convert_to_tensor(
        value, dtype or (floatx() if not hasattr(value, "dtype") else None)
    )
    param = torch.nn.Parameter(data.detach().clone(), requires_grad=data.is_floating_point())
    return param


def constant(value, dtype=None, shape=None, name=None):
    """A tensor of `value`, broadcast to `shape` when given.

    Args:
        value: a number, array-like or tensor.
        dtype: the dtype name (default `floatx()`).
        shape: the shape to broadcast to, or None.
        name: accepted for Keras 2's signature; not used.

    Example:
        >>> from plait import backend as K
        >>> K.constant(2.0, shape=(2, 2))
        tensor([[2., 2.],
                [2., 2.]])
    """
    out = ops.convert_to_tensor(value, dtype or floatx())
    return out.expand(tuple(shape)).clone() if shape is not None else out


def get_value(x):
    """A weight's or tensor's value as a NumPy array.

    Example:
        >>> from plait import backend as K
        >>> K.get_value(K.variable([1.0, 2.0]))
        array([1., 2.], dtype=float32)
    """
    return ops.convert_to_numpy(x)


def batch_get_value(tensors):
    """`get_value` of each tensor in a list.

    Example:
        >>> from plait import backend as K
        >>> K.batch_get_value([K.constant(1.0), K.constant([2.0, 3.0])])
        [array(1., dtype=float32), array([2., 3.], dtype=float32)]
    """
    return [get_value(t) for t in tensors]


def set_value(x, value) -> None:
    """Sets `x` to `value` in place.

    `x` may be a tensor, a weight, or a value that answers Keras's `assign` (an optimizer's
    `learning_rate` or `iterations`), so Keras 2's `K.set_value(model.optimizer.lr, 1e-4)`
    changes the rate the next step uses.

    Args:
        x: the tensor, weight or assignable value.
        value: the new value (broadcast to `x`'s shape).

    Raises:
        TypeError: when `x` is neither a tensor nor assignable.

    Example:
        >>> from plait import backend as K
        >>> v = K.variable([1.0, 2.0])
        >>> K.set_value(v, [5.0, 6.0])
        >>> K.get_value(v)
        array([5., 6.], dtype=float32)
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
    """`set_value(x, value)` for each `(x, value)` pair.

    Example:
        >>> from plait import backend as K
        >>> a, b = K.variable([0.0]), K.variable([0.0])
        >>> K.batch_set_value([(a, [1.0]), (b, [2.0])])
        >>> K.batch_get_value([a, b])
        [array([1.], dtype=float32), array([2.], dtype=float32)]
    """
    for x, value in tuples:
        set_value(x, value)


def update(x, new_x):
    """Assigns `new_x` to `x` in place; returns `x`.

    Example:
        >>> from plait import backend as K
        >>> v = K.variable([1.0, 2.0])
        >>> K.get_value(K.update(v, [3.0, 4.0]))
        array([3., 4.], dtype=float32)
    """
    set_value(x, ops.convert_to_numpy(new_x))
    return x


def update_add(x, increment):
    """Adds `increment` to `x` in place; returns `x`.

    Example:
        >>> from plait import backend as K
        >>> v = K.variable([1.0, 2.0])
        >>> K.get_value(K.update_add(v, [0.5, 0.5]))
        array([1.5, 2.5], dtype=float32)
    """
    with torch.no_grad():
        x.add_(ops.convert_to_tensor(increment).to(x.dtype))
    return x


def update_sub(x, decrement):
    """Subtracts `decrement` from `x` in place; returns `x`.

    Example:
        >>> from plait import backend as K
        >>> v = K.variable([1.0, 2.0])
        >>> K.get_value(K.update_sub(v, 1.0))
        array([0., 1.], dtype=float32)
    """
    with torch.no_grad():
        x.sub_(ops.convert_to_tensor(decrement).to(x.dtype))
    return x


def print_tensor(x, message=""):
    """Prints `message` and `x`'s value; returns `x`.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> y = K.print_tensor(torch.tensor([1.0, 2.0]), message="y:")
        y: tensor([1., 2.])
    """
    print(message, x)
    return x
