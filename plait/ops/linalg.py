"""Keras's `ops.linalg`, over `torch.linalg` (ints and bools are computed in floatx).

Matrices are the last two axes; any leading axes are a batch."""

import torch

from plait.ops._base import keras_op, tensor, to_float

__all__ = [
    "cholesky",
    "cholesky_inverse",
    "det",
    "eig",
    "eigh",
    "inv",
    "jvp",
    "lstsq",
    "lu_factor",
    "matrix_rank",
    "norm",
    "pinv",
    "qr",
    "solve",
    "solve_triangular",
    "svd",
]


@keras_op
def cholesky(x, upper=False):
    """The Cholesky factor of a symmetric positive-definite matrix.

    Args:
        x: `(..., n, n)`.
        upper: return the upper factor `u` (`x == u^T u`) instead of the lower `l`
            (`x == l l^T`; default False).

    Returns:
        `(..., n, n)`, triangular.

        >>> from plait import ops
        >>> ops.cholesky([[4.0, 2.0], [2.0, 5.0]])
        tensor([[2., 0.],
                [1., 2.]])
    """
    return torch.linalg.cholesky(to_float(x), upper=upper)


@keras_op
def cholesky_inverse(x, upper=False):
    """The inverse of the matrix whose Cholesky factor is `x`.

    Args:
        x: `(..., n, n)`, a lower (or, with `upper`, upper) Cholesky factor.
        upper: whether `x` is the upper factor (default False).

    Returns:
        `(..., n, n)`.

        >>> from plait import ops
        >>> ops.cholesky_inverse([[2.0, 0.0], [1.0, 2.0]])
        tensor([[ 0.3125, -0.1250],
                [-0.1250,  0.2500]])
    """
    return torch.cholesky_inverse(to_float(x), upper=upper)


@keras_op
def det(x):
    """The determinant of a square matrix.

    Args:
        x: `(..., n, n)`.

    Returns:
        `(...)`.

        >>> from plait import ops
        >>> ops.det([[1.0, 2.0], [3.0, 4.0]])
        tensor(-2.)
    """
    return torch.linalg.det(to_float(x))


@keras_op
def inv(x):
    """The inverse of a square matrix.

    Args:
        x: `(..., n, n)`, invertible.

    Returns:
        `(..., n, n)`.

        >>> from plait import ops
        >>> ops.inv([[2.0, 0.0], [0.0, 4.0]])
        tensor([[0.5000, 0.0000],
                [0.0000, 0.2500]])
    """
    return torch.linalg.inv(to_float(x))


@keras_op
def eig(x):
    """The eigenvalues and eigenvectors of a square matrix (complex in general).

    Args:
        x: `(..., n, n)`.

    Returns:
        `(values, vectors)`: `(..., n)` and `(..., n, n)` complex tensors, the vectors as
        columns.

        >>> from plait import ops
        >>> values, vectors = ops.eig([[2.0, 0.0], [0.0, 3.0]])
        >>> values
        tensor([2.+0.j, 3.+0.j])
    """
    return tuple(torch.linalg.eig(to_float(x)))


@keras_op
def eigh(x):
    """The eigenvalues (ascending) and eigenvectors of a symmetric matrix.

    Args:
        x: `(..., n, n)`, symmetric (its lower triangle is used).

    Returns:
        `(values, vectors)`: `(..., n)` and `(..., n, n)`, the vectors as columns.

        >>> from plait import ops
        >>> values, vectors = ops.eigh([[2.0, 1.0], [1.0, 2.0]])
        >>> values
        tensor([1., 3.])
    """
    return tuple(torch.linalg.eigh(to_float(x)))


@keras_op
def pinv(x, rcond=1e-15):
    """The Moore-Penrose pseudo-inverse.

    Args:
        x: `(..., m, n)`.
        rcond: singular values below `rcond` times the largest count as zero.

    Returns:
        `(..., n, m)`.

        >>> from plait import ops
        >>> ops.pinv([[1.0, 0.0], [0.0, 0.0]])
        tensor([[1., 0.],
                [0., 0.]])
    """
    return torch.linalg.pinv(to_float(x), rtol=rcond)


@keras_op
def lu_factor(x):
    """The LU factorization with partial pivoting, packed as LAPACK's `getrf` packs it.

    Args:
        x: `(..., n, n)`.

    Returns:
        `(lu, pivots)`: `(..., n, n)` holding `l` below the diagonal (its unit diagonal
        implied) and `u` on and above it, and `(..., n)` 0-based int32 row swaps.

        >>> from plait import ops
        >>> lu, pivots = ops.lu_factor([[1.0, 2.0], [3.0, 4.0]])
        >>> lu
        tensor([[3.0000, 4.0000],
                [0.3333, 0.6667]])
        >>> pivots
        tensor([1, 1], dtype=torch.int32)
    """
    lu, pivots = torch.linalg.lu_factor(to_float(x))
    return lu, (pivots - 1).to(torch.int32)


@keras_op
def matrix_rank(x, tol=None):
    """The rank of a matrix: the number of its singular values above `tol`.

    Args:
        x: `(..., m, n)`.
        tol: default `max(m, n) * eps * largest singular value`.

    Returns:
        `(...)` int32.

        >>> from plait import ops
        >>> ops.matrix_rank([[1.0, 2.0], [2.0, 4.0]])
        tensor(1, dtype=torch.int32)
    """
    return torch.linalg.matrix_rank(to_float(x), atol=tol).to(torch.int32)


@keras_op
def norm(x, ord=None, axis=None, keepdims=False):
    """A vector or matrix norm, with `numpy.linalg.norm`'s semantics.

    Args:
        x: input tensor.
        ord: the norm's order: for vectors a number or inf (default 2), for matrices 'fro'
            (default), 'nuc', 1, 2, -1, -2 or inf.
        axis: None (a vector's norm, or with `ord` a matrix's), an int (vector norms along
            it) or two ints (matrix norms over them).
        keepdims: keep the reduced axes with size 1 (default False).

    Returns:
        `x`'s shape without the reduced axes.

        >>> from plait import ops
        >>> ops.norm([3.0, 4.0])
        tensor(5.)
        >>> ops.norm([[1.0, 2.0], [3.0, 4.0]], ord=1)
        tensor(6.)
    """
    x = to_float(x)
    if axis is None and ord is None:
        return torch.linalg.vector_norm(x.reshape(-1), keepdim=False).reshape(
            (1,) * x.ndim if keepdims else ()
        )
    if isinstance(axis, int) or (axis is None and x.ndim == 1):
        return torch.linalg.vector_norm(
            x, ord=2 if ord is None else ord, dim=0 if axis is None else axis, keepdim=keepdims
        )
    dims = (-2, -1) if axis is None else tuple(axis)
    if ord is None:
        ord = "fro"
    return torch.linalg.matrix_norm(x, ord=ord, dim=dims, keepdim=keepdims)


@keras_op
def qr(x, mode="reduced"):
    """The QR decomposition: `x == q @ r`, `q` orthonormal, `r` upper triangular.

    Args:
        x: `(..., m, n)`.
        mode: 'reduced' (default; `q` `(..., m, k)`, `r` `(..., k, n)`, `k = min(m, n)`) or
            'complete' (`q` `(..., m, m)`).

    Returns:
        `(q, r)`.

        >>> from plait import ops
        >>> q, r = ops.qr([[3.0, 1.0], [4.0, 2.0]])
        >>> ops.abs(r)
        tensor([[5.0000, 2.2000],
                [0.0000, 0.4000]])
    """
    return tuple(torch.linalg.qr(to_float(x), mode=mode))


@keras_op
def solve(a, b):
    """The `x` with `a @ x == b`, for a square invertible `a`.

    Args:
        a: `(..., n, n)`.
        b: `(..., n, k)` or `(..., n)`.

    Returns:
        `b`'s shape.

        >>> from plait import ops
        >>> ops.solve([[2.0, 0.0], [0.0, 4.0]], [[2.0], [2.0]])
        tensor([[1.0000],
                [0.5000]])
    """
    return torch.linalg.solve(to_float(a), to_float(b))


@keras_op
def solve_triangular(a, b, lower=False):
    """The `x` with `a @ x == b`, for a triangular `a`.

    Args:
        a: `(..., n, n)`, triangular (only that triangle is read).
        b: `(..., n, k)` or `(..., n)`.
        lower: whether `a` is lower triangular (default False: upper).

    Returns:
        `b`'s shape.

        >>> from plait import ops
        >>> a = ops.convert_to_tensor([[1.0, 0.0], [1.0, 2.0]])
        >>> ops.solve_triangular(a, ops.convert_to_tensor([1.0, 5.0]), lower=True)
        tensor([1., 2.])
    """
    b = to_float(b)
    vector = b.ndim == a.ndim - 1 if hasattr(a, "ndim") else False
    out = torch.linalg.solve_triangular(
        to_float(a), b.unsqueeze(-1) if vector else b, upper=not lower
    )
    return out.squeeze(-1) if vector else out


@keras_op
def svd(x, full_matrices=True, compute_uv=True):
    """The singular value decomposition: `x == u @ diag(s) @ vh`.

    Args:
        x: `(..., m, n)`.
        full_matrices: square `u` and `vh` (default True) rather than reduced ones.
        compute_uv: return `(u, s, vh)` (default True), or `s` alone.

    Returns:
        `(u, s, vh)`, or `s` `(..., min(m, n))`, descending.

        >>> from plait import ops
        >>> ops.svd([[3.0, 0.0], [0.0, -4.0]], compute_uv=False)
        tensor([4., 3.])
    """
    x = to_float(x)
    if not compute_uv:
        return torch.linalg.svdvals(x)
    return tuple(torch.linalg.svd(x, full_matrices=full_matrices))


@keras_op
def lstsq(a, b, rcond=None):
    """The least-squares solution `x` of `a @ x == b`.

    Args:
        a: `(m, n)`.
        b: `(m, k)` or `(m,)`.
        rcond: singular values below `rcond` times the largest count as zero.

    Returns:
        `(n, k)` or `(n,)`.

        >>> from plait import ops
        >>> a = ops.convert_to_tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
        >>> ops.round(ops.lstsq(a, ops.convert_to_tensor([1.0, 2.0, 3.0])), 3)
        tensor([1., 1.])
    """
    b = to_float(b)
    vector = b.ndim == 1
    out = torch.linalg.lstsq(
        to_float(a), b.unsqueeze(-1) if vector else b, rcond=rcond, driver="gelsd"
    ).solution
    return out.squeeze(-1) if vector else out


def jvp(fun, primals, tangents, has_aux=False):
    """The value of `fun(*primals)` and its Jacobian-vector product with `tangents`
    (forward-mode differentiation, `torch.func.jvp`).

    Args:
        fun: a function of tensors.
        primals: a tuple of its arguments.
        tangents: a tuple of tangents, one per argument, of their shapes.
        has_aux: whether `fun` returns `(output, aux)`; then `aux` is returned third.

    Returns:
        `(output, jvp)`, or `(output, jvp, aux)`.

        >>> from plait import ops
        >>> x = ops.convert_to_tensor([1.0, 2.0])
        >>> ops.linalg.jvp(lambda t: t**2, (x,), (ops.ones(2),))
        (tensor([1., 4.]), tensor([2., 4.]))
    """
    return torch.func.jvp(
        fun, tuple(tensor(p) for p in primals), tuple(tensor(t) for t in tangents), has_aux=has_aux
    )
