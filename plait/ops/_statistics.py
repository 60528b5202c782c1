"""NumPy-style statistics along axes (differences, integrals, correlations, quantiles) and a
few helpers (`allclose`, `ndim`, `size`, `view`, `vectorize`), with Keras's arguments and
result dtypes; re-exported by `_products.py` into `ops.numpy`."""

import functools
import math

import numpy as np
import torch

from plait.ops._arrays import _same_dtype
from plait.ops._base import keras_op, tensor, to_float, torch_dtype

__all__ = [
    "allclose",
    "corrcoef",
    "correlate",
    "diff",
    "nanpercentile",
    "nanquantile",
    "ndim",
    "percentile",
    "quantile",
    "size",
    "trapezoid",
    "view",
    "vectorize",
]


@keras_op
def diff(a, n=1, axis=-1):
    """The `n`-th discrete difference along `axis`: `a[1:] - a[:-1]`, `n` times.

    Args:
        a: input tensor.
        n: how many times to difference (default 1).
        axis: default -1.

    Returns:
        `a`'s shape with `n` fewer elements along `axis`.

        >>> from plait import ops
        >>> ops.diff(ops.convert_to_tensor([1, 4, 9, 16]))
        tensor([3, 5, 7], dtype=torch.int32)
    """
    return torch.diff(tensor(a), n=n, dim=axis)


@keras_op
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of `y` along `axis` by the trapezoidal rule.

    Args:
        y: the sampled values.
        x: None, or the sample points (then `dx` is not used).
        dx: the spacing of the samples when `x` is None (default 1.0).
        axis: default -1.

    Returns:
        `y`'s shape without `axis`, float.

        >>> from plait import ops
        >>> ops.trapezoid(ops.convert_to_tensor([1.0, 2.0, 3.0]))
        tensor(4.)
    """
    y = to_float(y)
    if x is None:
        return torch.trapezoid(y, dx=dx, dim=axis)
    return torch.trapezoid(y, tensor(x, y.dtype), dim=axis)


@keras_op
def correlate(x1, x2, mode="valid"):
    """The cross-correlation of two 1-D tensors, `numpy.correlate`'s.

    Args:
        x1, x2: 1-D tensors.
        mode: 'valid' (default), 'same' or 'full'.

    Returns:
        A 1-D float tensor.

        >>> from plait import ops
        >>> x1 = ops.convert_to_tensor([1.0, 2.0, 3.0])
        >>> ops.correlate(x1, ops.convert_to_tensor([0.0, 1.0, 0.5]), mode="same")
        tensor([2.0000, 3.5000, 3.0000])
    """
    a, b = (to_float(v) for v in _same_dtype(x1, x2))
    m = b.shape[0]
    pad = {"valid": 0, "same": m // 2, "full": m - 1}[mode]
    padded = torch.nn.functional.pad(a, (pad, pad if mode != "same" else m - 1 - m // 2))
    out = torch.nn.functional.conv1d(padded.reshape(1, 1, -1), b.reshape(1, 1, -1)).reshape(-1)
    return out


@keras_op
def corrcoef(x):
    """The Pearson correlation coefficients of the rows of `x` (variables in rows).

    Args:
        x: `(variables, observations)`.

    Returns:
        `(variables, variables)`.

        >>> from plait import ops
        >>> ops.corrcoef(ops.convert_to_tensor([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]))
        tensor([[ 1., -1.],
                [-1.,  1.]])
    """
    return torch.corrcoef(to_float(x))


def _quantile(fn, scale, name, summary, example, result):
    def op(x, q, axis=None, method="linear", keepdims=False):
        x = to_float(x)
        qs = tensor(q, x.dtype, like=x) / scale
        if axis is None:
            out = fn(x.reshape(-1), qs, dim=0, interpolation=method)
            return out.reshape(qs.shape + (1,) * x.ndim) if keepdims else out
        dims = (axis,) if isinstance(axis, int) else tuple(axis)
        dims = tuple(d % x.ndim for d in dims)
        rest = [d for d in range(x.ndim) if d not in dims]
        moved = x.permute(*rest, *dims).reshape(*[x.shape[d] for d in rest], -1)
        out = fn(moved, qs, dim=-1, interpolation=method)
        if keepdims:
            out = out.reshape(
                qs.shape + tuple(1 if d in dims else x.shape[d] for d in range(x.ndim))
            )
        return out

    unit = "in [0, 1]" if scale == 1.0 else "in [0, 100]"
    op.__doc__ = f"""{summary}

    Args:
        x: input tensor.
        q: a number or a 1-D tensor of them, {unit}.
        axis: None (all of `x`, flattened), an int or a tuple of axes.
        method: 'linear' (default), 'lower', 'higher', 'midpoint' or 'nearest'.
        keepdims: keep the reduced axes with size 1 (default False).

    Returns:
        `x`'s shape without `axis`, with `q`'s axis first when `q` is a tensor.

        >>> from plait import ops
        >>> x = ops.convert_to_tensor({example})
        >>> ops.{name}(x, {0.5 if scale == 1.0 else 50})
        {result}
    """
    return keras_op(op, name=name)


quantile = _quantile(
    torch.quantile,
    1.0,
    "quantile",
    "The `q`-th quantiles of `x` along `axis`.",
    "[1.0, 2.0, 3.0, 4.0]",
    "tensor(2.5000)",
)
percentile = _quantile(
    torch.quantile,
    100.0,
    "percentile",
    "The `q`-th percentiles of `x` along `axis`.",
    "[1.0, 2.0, 3.0, 4.0]",
    "tensor(2.5000)",
)
nanquantile = _quantile(
    torch.nanquantile,
    1.0,
    "nanquantile",
    "The `q`-th quantiles of `x` along `axis`, ignoring NaNs.",
    "[1.0, float('nan'), 3.0]",
    "tensor(2.)",
)
nanpercentile = _quantile(
    torch.nanquantile,
    100.0,
    "nanpercentile",
    "The `q`-th percentiles of `x` along `axis`, ignoring NaNs.",
    "[1.0, float('nan'), 3.0]",
    "tensor(2.)",
)


# ------------------------------------------------------------------ helpers


@keras_op
def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether every element of `x1` is close to `x2`'s: `abs(x1 - x2) <= atol + rtol *
    abs(x2)`.

    Args:
        x1, x2: tensors broadcasting together.
        rtol, atol: the relative and absolute tolerances (default 1e-5 and 1e-8).
        equal_nan: whether NaNs count as equal (default False).

    Returns:
        A scalar bool tensor.

        >>> from plait import ops
        >>> x = ops.convert_to_tensor([1.0, 2.0])
        >>> ops.allclose(x, x + 1e-6), ops.allclose(x, x + 1e-3)
        (tensor(True), tensor(False))
    """
    a, b = _same_dtype(x1, x2)
    return torch.tensor(torch.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def ndim(x):
    """The number of axes of `x` (symbolic tensors too).

    Args:
        x: a tensor, symbolic tensor, array or nested list.

    Returns:
        A Python int.

        >>> from plait import ops
        >>> ops.ndim(ops.ones((2, 3)))
        2
    """
    return len(getattr(x, "shape", np.shape(x)))


@keras_op
def size(x):
    """The number of elements of `x`.

    Args:
        x: a tensor, array, list or number.

    Returns:
        A scalar int64 tensor.

        >>> from plait import ops
        >>> ops.size(ops.ones((2, 3)))
        tensor(6)
    """
    return torch.tensor(math.prod(tensor(x).shape))


@keras_op
def view(x, dtype=None):
    """`x`'s memory read as `dtype` (the last axis scales with the itemsize).

    Args:
        x: a tensor.
        dtype: None (`x` itself) or the dtype to read the bytes as.

    Returns:
        A tensor sharing `x`'s memory.

        >>> from plait import ops
        >>> ops.view(ops.convert_to_tensor([1.0]), "int32")
        tensor([1065353216], dtype=torch.int32)
    """
    x = tensor(x)
    return x if dtype is None else x.view(torch_dtype(dtype))


def vectorize(pyfunc, *, excluded=None, signature=None):
    """`pyfunc` made to apply to each element of its (broadcast) inputs, as
    `numpy.vectorize` does, run with `torch.vmap`.

    Args:
        pyfunc: a function of scalars (or of core slices, per `signature`).
        excluded: accepted for Keras's signature.
        signature: None, or a generalized-ufunc signature such as '(n),(n)->()': then
            `pyfunc` maps over the first axis.

    Returns:
        The vectorized function.

        >>> from plait import ops
        >>> add = ops.vectorize(lambda a, b: a + b)
        >>> add(ops.convert_to_tensor([1, 2]), ops.convert_to_tensor([[10], [20]]))
        tensor([[11, 12],
                [21, 22]], dtype=torch.int32)
    """

    @functools.wraps(pyfunc)
    def wrapped(*args):
        xs = [tensor(a) for a in args]
        out = torch.vmap(pyfunc)
        if signature is None:
            shape = torch.broadcast_shapes(*(x.shape for x in xs))
            flat = [x.broadcast_to(shape).reshape(-1) for x in xs]
            return out(*flat).reshape(shape)
        return out(*xs)

    return wrapped
