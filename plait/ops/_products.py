"""NumPy-style products, diagonals and triangles, with Keras's arguments and result dtypes
(ints stay ints, bools count as int32). Statistics and helpers are in `_statistics.py`; this
module re-exports them, so `ops.numpy` takes both from here."""

import torch

from plait.ops import _statistics
from plait.ops._arrays import _mm_inputs, _same_dtype
from plait.ops._base import keras_op, tensor, to_float
from plait.ops._statistics import *  # noqa: F403

__all__ = sorted(  # noqa: PLE0605
    set(_statistics.__all__)
    | {
        "cross",
        "diag",
        "diagflat",
        "diagonal",
        "dot",
        "einsum",
        "inner",
        "kron",
        "matmul",
        "outer",
        "slogdet",
        "tensordot",
        "trace",
        "tril",
        "triu",
        "vander",
        "vdot",
    }
)


# ------------------------------------------------------------------ products


@keras_op
def matmul(x1, x2):
    """The matrix product of `x1` and `x2`, with `numpy.matmul`'s broadcasting.

    Args:
        x1: `(..., n, k)` or `(k,)`.
        x2: `(..., k, m)` or `(k,)`.

    Returns:
        `(..., n, m)` (a 1-D operand's axis dropped).

        >>> from plait import ops
        >>> ops.matmul(ops.convert_to_tensor([[1, 2], [3, 4]]), ops.convert_to_tensor([5, 6]))
        tensor([17, 39], dtype=torch.int32)
    """
    a, b, dtype = _mm_inputs(x1, x2)
    return torch.matmul(a, b).to(dtype)


@keras_op
def dot(x1, x2):
    """`numpy.dot`: a scalar times a tensor, an inner product of vectors, a matrix product,
    or a sum over the last axis of `x1` and the second-to-last of `x2`.

    Args:
        x1, x2: tensors.

    Returns:
        The product.

        >>> from plait import ops
        >>> ops.dot(ops.convert_to_tensor([1, 2, 3]), ops.convert_to_tensor([4, 5, 6]))
        tensor(32, dtype=torch.int32)
    """
    a, b, dtype = _mm_inputs(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return (a * b).to(dtype)
    if b.ndim <= 2 or a.ndim == 1:
        return torch.matmul(a, b).to(dtype)
    return torch.tensordot(a, b, dims=([-1], [b.ndim - 2])).to(dtype)


@keras_op
def tensordot(x1, x2, axes=2):
    """Sums of products over `axes`.

    Args:
        x1, x2: tensors.
        axes: an int `n` (the last `n` axes of `x1` with the first `n` of `x2`; default 2)
            or two lists of axes.

    Returns:
        `x1`'s remaining axes followed by `x2`'s.

        >>> from plait import ops
        >>> ops.tensordot(ops.ones((2, 3)), ops.ones((3, 4)), axes=1)
        tensor([[3., 3., 3., 3.],
                [3., 3., 3., 3.]])
    """
    a, b, dtype = _mm_inputs(x1, x2)
    return torch.tensordot(a, b, dims=axes).to(dtype)


@keras_op
def einsum(subscripts, *operands):
    """Einstein summation over `operands` as `subscripts` says.

    Args:
        subscripts: e.g. 'ij,jk->ik'.
        *operands: the tensors.

    Returns:
        The result (ints stay ints, bools become int32).

        >>> from plait import ops
        >>> x = ops.convert_to_tensor([[1, 2], [3, 4]])
        >>> ops.einsum("ij,j->i", x, ops.convert_to_tensor([1, 1]))
        tensor([3, 7], dtype=torch.int32)
    """
    xs = _same_dtype(*operands)
    dtype = xs[0].dtype
    if dtype == torch.bool or not (dtype.is_floating_point or dtype.is_complex):
        return torch.einsum(subscripts, *[x.to(torch.int64) for x in xs]).to(
            torch.int32 if dtype == torch.bool else dtype
        )
    return torch.einsum(subscripts, *xs)


def _product(fn, name, summary, x1, x2, result, flat=False):
    def op(x1, x2):
        a, b, dtype = _mm_inputs(x1, x2)
        if flat:
            a, b = a.reshape(-1), b.reshape(-1)
        return fn(a, b).to(dtype)

    op.__doc__ = f"""{summary}

    Args:
        x1, x2: tensors{" (flattened)" if flat else ""}.

    Returns:
        The product, in the operands' promoted dtype.

        >>> from plait import ops
        >>> x1, x2 = ops.convert_to_tensor({x1}), ops.convert_to_tensor({x2})
        >>> ops.{name}(x1, x2).tolist()
        {result}
    """
    return keras_op(op, name=name)


inner = _product(
    torch.inner,
    "inner",
    "The inner product: sums of products over the last axes of `x1` and `x2`.",
    "[1, 2, 3]",
    "[0, 1, 0]",
    "2",
)
outer = _product(
    torch.outer,
    "outer",
    "The outer product of the flattened `x1` and `x2`: `x1[i] * x2[j]`.",
    "[1, 2]",
    "[3, 4]",
    "[[3, 4], [6, 8]]",
    flat=True,
)
kron = _product(
    torch.kron,
    "kron",
    "The Kronecker product: `x1`'s elements each times the whole of `x2`.",
    "[[1, 2]]",
    "[[1], [10]]",
    "[[1, 2], [10, 20]]",
)
vdot = _product(
    torch.vdot,
    "vdot",
    "The dot product of the flattened `x1` and `x2` (`x1` conjugated when complex).",
    "[1, 2]",
    "[3, 4]",
    "11",
    flat=True,
)


@keras_op
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (2-vectors are padded with a zero z; two 2-vectors
    give the z component alone).

    Args:
        x1, x2: tensors with 2 or 3 elements along their vector axes.
        axisa, axisb: the vector axes of `x1` and `x2` (default -1).
        axisc: the vector axis of the result (default -1).
        axis: if given, all three.

    Returns:
        The cross products, broadcast over the other axes.

        >>> from plait import ops
        >>> x = ops.convert_to_tensor([1.0, 0.0, 0.0])
        >>> ops.cross(x, ops.convert_to_tensor([0.0, 1.0, 0.0]))
        tensor([0., 0., 1.])
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _same_dtype(x1, x2)
    a, b = torch.movedim(a, axisa, -1), torch.movedim(b, axisb, -1)
    two = a.shape[-1] == 2 and b.shape[-1] == 2
    a, b = (torch.nn.functional.pad(v, (0, 3 - v.shape[-1])) for v in (a, b))
    a, b = torch.broadcast_tensors(a, b)
    out = torch.linalg.cross(a, b, dim=-1)
    return out[..., 2] if two else torch.movedim(out, -1, axisc)


# ------------------------------------------------------------------ diagonals, triangles


@keras_op
def trace(x, offset=0, axis1=0, axis2=1):
    """The sum along a diagonal (int32 for small ints and bools).

    Args:
        x: at least 2-D.
        offset: the diagonal's offset from the main one (default 0).
        axis1, axis2: the axes of the matrices (default 0 and 1).

    Returns:
        `x`'s shape without `axis1` and `axis2`.

        >>> from plait import ops
        >>> ops.trace(ops.convert_to_tensor([[1, 2], [3, 4]]))
        tensor(5, dtype=torch.int32)
    """
    x = tensor(x)
    out = torch.diagonal(x, offset, axis1, axis2).sum(-1)
    return (
        out.to(torch.int32)
        if x.dtype in (torch.bool, torch.int8, torch.int16, torch.uint8)
        else out.to(x.dtype)
    )


@keras_op
def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal at `offset` of the matrices over `axis1` and `axis2`.

    Args:
        x: at least 2-D.
        offset: the diagonal's offset from the main one (default 0).
        axis1, axis2: the axes of the matrices (default 0 and 1).

    Returns:
        `x`'s other axes, then the diagonal as the last axis.

        >>> from plait import ops
        >>> ops.diagonal(ops.convert_to_tensor([[1, 2], [3, 4]]))
        tensor([1, 4], dtype=torch.int32)
    """
    return torch.diagonal(tensor(x), offset, axis1, axis2)


@keras_op
def diag(x, k=0):
    """The `k`-th diagonal of a matrix, or a matrix with the vector `x` on its `k`-th
    diagonal.

    Args:
        x: a vector or a matrix.
        k: the diagonal's offset (default 0; above the main one when positive).

    Returns:
        A matrix (for a vector) or a vector (for a matrix).

        >>> from plait import ops
        >>> ops.diag(ops.convert_to_tensor([1, 2]))
        tensor([[1, 0],
                [0, 2]], dtype=torch.int32)
    """
    return torch.diag(tensor(x), k)


@keras_op
def diagflat(x, k=0):
    """A matrix with the flattened `x` on its `k`-th diagonal.

    Args:
        x: any shape.
        k: the diagonal's offset (default 0).

    Returns:
        `(n + abs(k), n + abs(k))`, `n` the size of `x`.

        >>> from plait import ops
        >>> ops.diagflat(ops.convert_to_tensor([[1, 2]]), k=1)
        tensor([[0, 1, 0],
                [0, 0, 2],
                [0, 0, 0]], dtype=torch.int32)
    """
    return torch.diagflat(tensor(x), k)


@keras_op
def tril(x, k=0):
    """The lower triangle of `x`'s matrices: zeros above the `k`-th diagonal.

    Args:
        x: at least 2-D (the last two axes are the matrices).
        k: the diagonal kept last (default 0, the main one).

    Returns:
        `x`'s shape.

        >>> from plait import ops
        >>> ops.tril(ops.ones((3, 3)))
        tensor([[1., 0., 0.],
                [1., 1., 0.],
                [1., 1., 1.]])
    """
    return torch.tril(tensor(x), k)


@keras_op
def triu(x, k=0):
    """The upper triangle of `x`'s matrices: zeros below the `k`-th diagonal.

    Args:
        x: matrices in its last two axes.
        k: the first diagonal kept; 0 (default) keeps the main diagonal, 1 starts above it.

    Returns:
        A tensor of `x`'s shape and dtype.

        >>> from plait import ops
        >>> ops.triu(ops.ones((3, 3)), k=1)
        tensor([[0., 1., 1.],
                [0., 0., 1.],
                [0., 0., 0.]])
    """
    return torch.triu(tensor(x), k)


@keras_op
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of the 1-D `x`: columns of powers of `x`, in `x`'s dtype.

    Args:
        x: a 1-D tensor.
        N: the number of columns (default `len(x)`).
        increasing: powers from 0 up (default False: down to 0).

    Returns:
        `(len(x), N)`.

        >>> from plait import ops
        >>> ops.vander(ops.convert_to_tensor([1, 2, 3]))
        tensor([[1, 1, 1],
                [4, 2, 1],
                [9, 3, 1]], dtype=torch.int32)
    """
    x = tensor(x)
    return torch.vander(x, N, increasing).to(x.dtype)  # torch gives int64 for ints


@keras_op
def slogdet(x):
    """The sign and the log of the absolute value of a determinant.

    Args:
        x: `(..., n, n)`.

    Returns:
        `(sign, logabsdet)`, each `(...)`.

        >>> from plait import ops
        >>> ops.slogdet(ops.convert_to_tensor([[2.0, 0.0], [0.0, -3.0]]))
        (tensor(-1.), tensor(1.7918))
    """
    return tuple(torch.linalg.slogdet(to_float(x)))
