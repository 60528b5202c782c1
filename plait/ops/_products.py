"""NumPy-style products, diagonals, statistics along axes and a few helpers, with Keras's
arguments and result dtypes."""

import math

import numpy as np
import torch

from plait.ops._arrays import _mm_inputs, _same_dtype
from plait.ops._base import keras_op, tensor, to_float, torch_dtype

__all__ = [
    "allclose",
    "corrcoef",
    "correlate",
    "cross",
    "diag",
    "diagflat",
    "diagonal",
    "diff",
    "dot",
    "einsum",
    "inner",
    "kron",
    "matmul",
    "nanpercentile",
    "nanquantile",
    "ndim",
    "outer",
    "percentile",
    "quantile",
    "size",
    "slogdet",
    "tensordot",
    "trace",
    "trapezoid",
    "tril",
    "triu",
    "vander",
    "vdot",
    "vectorize",
    "view",
]


# ------------------------------------------------------------------ products


@keras_op
def matmul(x1, x2):
    """The matrix product of `x1` and `x2` (numpy.matmul's broadcasting)."""
    a, b, dtype = _mm_inputs(x1, x2)
    return torch.matmul(a, b).to(dtype)


@keras_op
def dot(x1, x2):
    """numpy.dot: products of scalars, vectors, matrices and sum over the last axis of `x1`
    with the second-to-last of `x2`."""
    a, b, dtype = _mm_inputs(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return (a * b).to(dtype)
    if b.ndim <= 2 or a.ndim == 1:
        return torch.matmul(a, b).to(dtype)
    return torch.tensordot(a, b, dims=([-1], [b.ndim - 2])).to(dtype)


@keras_op
def tensordot(x1, x2, axes=2):
    """Sums of products over `axes` (an int, or two lists of axes)."""
    a, b, dtype = _mm_inputs(x1, x2)
    return torch.tensordot(a, b, dims=axes).to(dtype)


@keras_op
def einsum(subscripts, *operands):
    """Einstein summation over `operands` as `subscripts` says."""
    xs = _same_dtype(*operands)
    dtype = xs[0].dtype
    if dtype == torch.bool or not (dtype.is_floating_point or dtype.is_complex):
        return torch.einsum(subscripts, *[x.to(torch.int64) for x in xs]).to(
            torch.int32 if dtype == torch.bool else dtype
        )
    return torch.einsum(subscripts, *xs)


def _product(fn, flat=False):
    def op(x1, x2):
        a, b, dtype = _mm_inputs(x1, x2)
        if flat:
            a, b = a.reshape(-1), b.reshape(-1)
        return fn(a, b).to(dtype)

    return op


inner = keras_op(_product(torch.inner), name="inner")
outer = keras_op(_product(torch.outer, flat=True), name="outer")
kron = keras_op(_product(torch.kron), name="kron")
vdot = keras_op(_product(torch.vdot, flat=True), name="vdot")


@keras_op
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (2-vectors are padded with a zero z)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _same_dtype(x1, x2)
    a, b = torch.movedim(a, axisa, -1), torch.movedim(b, axisb, -1)
    two = a.shape[-1] == 2 and b.shape[-1] == 2
    a, b = (torch.nn.functional.pad(v, (0, 3 - v.shape[-1])) for v in (a, b))
    a, b = torch.broadcast_tensors(a, b)
    out = torch.linalg.cross(a, b, dim=-1)
    return out[..., 2] if two else torch.movedim(out, -1, axisc)


@keras_op
def trace(x, offset=0, axis1=0, axis2=1):
    """The sum along a diagonal (int32 for small ints and bools)."""
    x = tensor(x)
    out = torch.diagonal(x, offset, axis1, axis2).sum(-1)
    return (
        out.to(torch.int32)
        if x.dtype in (torch.bool, torch.int8, torch.int16, torch.uint8)
        else out.to(x.dtype)
    )


@keras_op
def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal at `offset` over `axis1`, `axis2` (as the last axis)."""
    return torch.diagonal(tensor(x), offset, axis1, axis2)


@keras_op
def diag(x, k=0):
    """The `k`-th diagonal of a matrix, or a matrix with vector `x` on it."""
    return torch.diag(tensor(x), k)


@keras_op
def diagflat(x, k=0):
    """A matrix with the flattened `x` on its `k`-th diagonal."""
    return torch.diagflat(tensor(x), k)


tril = keras_op(lambda x, k=0: torch.tril(tensor(x), k), name="tril")
triu = keras_op(lambda x, k=0: torch.triu(tensor(x), k), name="triu")


@keras_op
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of the 1-D `x`."""
    return torch.vander(tensor(x), N, increasing)


@keras_op
def diff(a, n=1, axis=-1):
    """The `n`-th discrete difference along `axis`."""
    return torch.diff(tensor(a), n=n, dim=axis)


@keras_op
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of `y` by the trapezoidal rule (over `x`, or spacing `dx`)."""
    y = to_float(y)
    if x is None:
        return torch.trapezoid(y, dx=dx, dim=axis)
    return torch.trapezoid(y, tensor(x, y.dtype), dim=axis)


@keras_op
def correlate(x1, x2, mode="valid"):
    """The cross-correlation of two 1-D tensors ('valid', 'same' or 'full')."""
    a, b = (to_float(v) for v in _same_dtype(x1, x2))
    m = b.shape[0]
    pad = {"valid": 0, "same": m // 2, "full": m - 1}[mode]
    padded = torch.nn.functional.pad(a, (pad, pad if mode != "same" else m - 1 - m // 2))
    out = torch.nn.functional.conv1d(padded.reshape(1, 1, -1), b.reshape(1, 1, -1)).reshape(-1)
    return out


@keras_op
def corrcoef(x):
    """Pearson correlation coefficients of the rows of `x`."""
    return torch.corrcoef(to_float(x))


def _quantile(fn, scale):
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

    return op


quantile = keras_op(_quantile(torch.quantile, 1.0), name="quantile")
percentile = keras_op(_quantile(torch.quantile, 100.0), name="percentile")
nanquantile = keras_op(_quantile(torch.nanquantile, 1.0), name="nanquantile")
nanpercentile = keras_op(_quantile(torch.nanquantile, 100.0), name="nanpercentile")


# ------------------------------------------------------------------ misc


@keras_op
def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether every element of `x1` is close to `x2`'s (a bool tensor)."""
    a, b = _same_dtype(x1, x2)
    return torch.tensor(torch.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def ndim(x):
    """The number of axes of `x` (symbolic tensors too)."""
    return len(getattr(x, "shape", np.shape(x)))


@keras_op
def size(x):
    """The number of elements of `x`, as an int64 tensor."""
    return torch.tensor(math.prod(tensor(x).shape))


@keras_op
def slogdet(x):
    """The sign and log of the absolute determinant."""
    return tuple(torch.linalg.slogdet(to_float(x)))


@keras_op
def view(x, dtype=None):
    """`x`'s memory read as `dtype` (the last axis scales with the itemsize)."""
    x = tensor(x)
    return x if dtype is None else x.view(torch_dtype(dtype))


def vectorize(pyfunc, *, excluded=None, signature=None):
    """`pyfunc` applied to each element (or core slice, per `signature`) of its inputs."""
    import functools

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
