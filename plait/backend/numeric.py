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
    """The index of the largest value along `axis` (the last by default, as in Keras 2)."""
    return ops.argmax(x, axis=axis)


def argmin(x, axis=-1):
    """The index of the smallest value along `axis` (the last by default)."""
    return ops.argmin(x, axis=axis)


def sqrt(x):
    """Element-wise square root; negative values count as 0 (Keras 2 clips them)."""
    return ops.sqrt(ops.maximum(x, 0.0))


def pow(x, a):
    """`x ** a` element-wise."""
    return ops.power(x, a)


def clip(x, min_value, max_value):
    """`x` limited to [min_value, max_value] (None: unbounded on that side)."""
    low = -np.inf if min_value is None else min_value
    high = np.inf if max_value is None else max_value
    return ops.clip(x, low, builtins.max(low, high) if isinstance(high, (int, float)) else high)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with Keras 2's options (leak `alpha`, cap, threshold)."""
    x = ops.convert_to_tensor(x) if not isinstance(x, SymbolicTensor) else x
    if alpha == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    out = ops.where(ops.greater_equal(x, threshold), x, alpha * (x - threshold))
    return out if max_value is None else ops.minimum(out, max_value)


def hard_sigmoid(x):
    """Keras 2's piecewise-linear sigmoid: `clip(0.2 * x + 0.5, 0, 1)`."""
    return ops.clip(0.2 * x + 0.5, 0.0, 1.0)


def l2_normalize(x, axis=None):
    """`x / sqrt(max(sum(x ** 2, axis), 1e-12))`."""
    x = x if isinstance(x, SymbolicTensor) else ops.convert_to_tensor(x)
    squares = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x * ops.rsqrt(ops.maximum(squares, 1e-12))


def switch(condition, then_expression, else_expression):
    """`then_expression` where `condition`, else `else_expression` (callables are called);
    a scalar condition picks one whole expression."""
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
    """`x + bias`, the bias along the channel axis."""
    fmt = data_format or image_data_format()
    if fmt == "channels_first" and ndim(x) > 2:
        return x + ops.reshape(bias, (1, -1) + (1,) * (ndim(x) - 2))
    return x + bias


def batch_dot(x, y, axes=None):
    """Per-sample dot products of two batches, contracting `axes` (Keras 2's default: the
    last axis of `x` with the second-to-last of `y`, or its last when `y` is 2-D)."""
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
    """`fn` applied to each slice of `elems` along the first axis, results stacked."""
    return ops.map(fn, elems)


def foldl(fn, elems, initializer=None, name=None):
    """Reduces `elems` from the left with `fn(accumulator, element)`."""
    items = list(elems)
    acc = items.pop(0) if initializer is None else initializer
    for item in items:
        acc = fn(acc, item)
    return acc


def foldr(fn, elems, initializer=None, name=None):
    """Reduces `elems` from the right with `fn(accumulator, element)`."""
    return foldl(fn, list(elems)[::-1], initializer)
