"""Keras 2's `K.*` math whose arguments or defaults differ from the op of the same name
(`argmax`'s last axis, `relu`'s options, `switch`, `batch_dot`, folds), over `plait.ops`."""

import builtins

import numpy as np
import torch

from plait import ops
from plait.backend.tensors import get_value, ndim
from plait.config import image_data_format
from plait.graph.tensor import SymbolicTensor
from plait.ops._base import keras_op

__all__ = [
    "argmax",
    "argmin",
    "sqrt",
    "pow",
    "clip",
    "relu",
    "hard_sigmoid",
    "l2_normalize",
    "switch",
    "bias_add",
    "batch_dot",
    "map_fn",
    "foldl",
    "foldr",
]


def argmax(x, axis=-1):
    """The index of the largest value along `axis` (the last by default, as in Keras 2).

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.argmax(torch.tensor([[1.0, 3.0, 2.0], [4.0, 0.0, 5.0]]))
        tensor([1, 2], dtype=torch.int32)
    """
    return ops.argmax(x, axis=axis)


def argmin(x, axis=-1):
    """The index of the smallest value along `axis` (the last by default).

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.argmin(torch.tensor([[1.0, 3.0, 2.0], [4.0, 0.0, 5.0]]))
        tensor([0, 1], dtype=torch.int32)
    """
    return ops.argmin(x, axis=axis)


def sqrt(x):
    """Element-wise square root; negative values count as 0 (Keras 2 clips them).

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.sqrt(torch.tensor([4.0, -1.0, 2.25]))
        tensor([2.0000, 0.0000, 1.5000])
    """
    return ops.sqrt(ops.maximum(x, 0.0))


def pow(x, a):
    """`x ** a`, element-wise.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.pow(torch.tensor([1.0, 2.0, 3.0]), 2)
        tensor([1., 4., 9.])
    """
    return ops.power(x, a)


def clip(x, min_value, max_value):
    """`x` limited to `[min_value, max_value]` (None: unbounded on that side).

    A `max_value` below `min_value` counts as `min_value`, as in Keras 2.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.clip(torch.tensor([-2.0, 0.5, 3.0]), 0.0, 1.0)
        tensor([0.0000, 0.5000, 1.0000])
    """
    low = -np.inf if min_value is None else min_value
    high = np.inf if max_value is None else max_value
    return ops.clip(x, low, builtins.max(low, high) if isinstance(high, (int, float)) else high)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with Keras 2's options.

    Args:
        x: a tensor.
        alpha: the slope below `threshold` (default 0.0).
        max_value: the cap, or None (default).
        threshold: values below it are "off" (default 0.0).

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> x = torch.tensor([-2.0, 0.5, 3.0])
        >>> K.relu(x), K.relu(x, alpha=0.1, max_value=2.0)
        (tensor([0.0000, 0.5000, 3.0000]), tensor([-0.2000,  0.5000,  2.0000]))
    """
    x = ops.convert_to_tensor(x) if not isinstance(x, SymbolicTensor) else x
    if alpha == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    out = ops.where(ops.greater_equal(x, threshold), x, alpha * (x - threshold))
    return out if max_value is None else ops.minimum(out, max_value)


def hard_sigmoid(x):
    """Keras 2's piecewise-linear sigmoid: `clip(0.2 * x + 0.5, 0, 1)`.

    (Keras 3's `activations.hard_sigmoid` is `relu6(x + 3) / 6`, a different slope.)

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.hard_sigmoid(torch.tensor([-3.0, 0.0, 1.0]))
        tensor([0.0000, 0.5000, 0.7000])
    """
    return ops.clip(0.2 * x + 0.5, 0.0, 1.0)


def l2_normalize(x, axis=None):
    """`x / sqrt(max(sum(x ** 2, axis), 1e-12))`.

    Args:
        x: a tensor.
        axis: the axis (or axes) to normalize over; None: all.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.l2_normalize(torch.tensor([[3.0, 4.0]]), axis=-1)
        tensor([[0.6000, 0.8000]])
    """
    x = x if isinstance(x, SymbolicTensor) else ops.convert_to_tensor(x)
    squares = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x * ops.rsqrt(ops.maximum(squares, 1e-12))


def switch(condition, then_expression, else_expression):
    """`then_expression` where `condition`, else `else_expression`.

    Callables are called. A scalar condition picks one whole expression; a tensor condition
    picks element-wise (broadcast over the trailing axes it lacks).

    Args:
        condition: a bool, a scalar tensor, or a bool tensor.
        then_expression, else_expression: tensors, or callables that return them.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> x = torch.tensor([-1.0, 2.0])
        >>> K.switch(x > 0, x, torch.zeros(2))
        tensor([0., 2.])
        >>> K.switch(True, lambda: x, lambda: -x)
        tensor([-1.,  2.])
    """
    then_value = then_expression() if callable(then_expression) else then_expression
    else_value = else_expression() if callable(else_expression) else else_expression
    if isinstance(condition, bool) or (
        not isinstance(condition, SymbolicTensor) and np.ndim(get_value(condition)) == 0
    ):
        return then_value if bool(condition) else else_value
    cond = condition
    while ndim(cond) < ndim(then_value):
        cond = ops.expand_dims(cond, -1)
    return ops.where(cond, then_value, else_value)


def bias_add(x, bias, data_format=None):
    """`x + bias`, the bias along the channel axis.

    Args:
        x: a tensor.
        bias: a 1-D tensor of the channel size.
        data_format: 'channels_last' or 'channels_first' (default `image_data_format()`).

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> x = torch.zeros(1, 2, 3)
        >>> K.bias_add(x, torch.tensor([1.0, 2.0]), data_format="channels_first")
        tensor([[[1., 1., 1.],
                 [2., 2., 2.]]])
    """
    fmt = data_format or image_data_format()
    if fmt == "channels_first" and ndim(x) > 2:
        return x + ops.reshape(bias, (1, -1) + (1,) * (ndim(x) - 2))
    return x + bias


def batch_dot(x, y, axes=None):
    """Per-sample dot products of two batches, contracting `axes`.

    Args:
        x, y: tensors of rank >= 2 with the same batch size.
        axes: an int or a pair of ints; default: the last axis of `x` with the
            second-to-last of `y` (its last when `y` is 2-D), as in Keras 2.

    Returns:
        The batched product; a rank-1 result gets a trailing axis of size 1.

    Raises:
        ValueError: contracted axes of different sizes.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> x, y = torch.ones(32, 20), torch.ones(32, 30, 20)
        >>> K.batch_dot(x, y, axes=(1, 2)).shape
        torch.Size([32, 30])
        >>> K.batch_dot(torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0, 4.0]]))
        tensor([[11.]])
    """
    return _batch_dot(x, y, axes)


@keras_op(name="batch_dot")
def _batch_dot(x, y, axes=None):
    x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 1 if y.ndim == 2 else y.ndim - 2)
    elif isinstance(axes, int):
        axes = (axes, axes)
    ax, ay = (a % t.ndim for a, t in zip(axes, (x, y)))
    if x.shape[ax] != y.shape[ay]:
        raise ValueError(
            f"batch_dot: the contracted axes differ in size: x axis {ax} is "
            f"{x.shape[ax]}, y axis {ay} is {y.shape[ay]}. Received: "
            f"x.shape={tuple(x.shape)}, y.shape={tuple(y.shape)}, axes={axes}"
        )
    xm = torch.movedim(x, ax, -1)
    ym = torch.movedim(y, ay, 1)
    out = torch.matmul(
        xm.reshape(xm.shape[0], -1, xm.shape[-1]), ym.reshape(ym.shape[0], ym.shape[1], -1)
    )
    out = out.reshape(xm.shape[:-1] + ym.shape[2:])
    return out.unsqueeze(-1) if out.ndim == 1 else out


def map_fn(fn, elems, name=None, dtype=None):
    """`fn` applied to each slice of `elems` along the first axis, the results stacked.

    Args:
        fn: a function of one slice.
        elems: a tensor.
        name, dtype: accepted for Keras 2's signature; not used.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.map_fn(lambda row: row.sum(), torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor([3., 7.])
    """
    return ops.map(fn, elems)


def foldl(fn, elems, initializer=None, name=None):
    """Reduces `elems` from the left with `fn(accumulator, element)`.

    Args:
        fn: a function of (accumulator, element).
        elems: a tensor (its first axis) or a sequence.
        initializer: the first accumulator; default: the first element.
        name: accepted for Keras 2's signature; not used.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.foldl(lambda acc, x: acc * 10 + x, torch.tensor([1.0, 2.0, 3.0]))
        tensor(123.)
    """
    items = list(elems)
    acc = items.pop(0) if initializer is None else initializer
    for item in items:
        acc = fn(acc, item)
    return acc


def foldr(fn, elems, initializer=None, name=None):
    """Reduces `elems` from the right with `fn(accumulator, element)`: `foldl` of the
    reversed elements (same arguments; the default first accumulator is the last element).

    Example:
        >>> from plait import backend as K
        >>> K.foldr(lambda acc, x: acc + x, ["a", "b", "c"])
        'cba'
        >>> K.foldr(lambda acc, x: acc + x, ["a", "b"], initializer=">")
        '>ba'
    """
    return foldl(fn, list(elems)[::-1], initializer)
