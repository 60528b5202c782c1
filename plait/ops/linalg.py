"""Keras's `ops.linalg`, over `torch.linalg` (ints and bools are computed in floatx)."""

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
    """The Cholesky factor of a positive-definite matrix (lower, unless `upper`)."""
    return torch.linalg.cholesky(to_float(x), upper=upper)


@keras_op
def cholesky_inverse(x, upper=False):
    """The inverse of the matrix whose Cholesky factor is `x`."""
    return torch.cholesky_inverse(to_float(x), upper=upper)


det = keras_op(lambda x: torch.linalg.det(to_float(x)), name="det")
inv = keras_op(lambda x: torch.linalg.inv(to_float(x)), name="inv")
eig = keras_op(lambda x: tuple(torch.linalg.eig(to_float(x))), name="eig")
eigh = keras_op(lambda x: tuple(torch.linalg.eigh(to_float(x))), name="eigh")
pinv = keras_op(lambda x, rcond=1e-15: torch.linalg.pinv(to_float(x), rtol=rcond), name="pinv")


@keras_op
def lu_factor(x):
    """The LU factorization: the packed LU matrix and 0-based int32 pivots."""
    lu, pivots = torch.linalg.lu_factor(to_float(x))
    return lu, (pivots - 1).to(torch.int32)


@keras_op
def matrix_rank(x, tol=None):
    """The rank of a matrix (singular values above `tol`)."""
    return torch.linalg.matrix_rank(to_float(x), atol=tol).to(torch.int32)


@keras_op
def norm(x, ord=None, axis=None, keepdims=False):
    """The vector or matrix norm (numpy.linalg.norm's semantics)."""
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
    """The QR decomposition (`mode` 'reduced' or 'complete')."""
    return tuple(torch.linalg.qr(to_float(x), mode=mode))


@keras_op
def solve(a, b):
    """The `x` with `a @ x == b`."""
    return torch.linalg.solve(to_float(a), to_float(b))


@keras_op
def solve_triangular(a, b, lower=False):
    """The `x` with `a @ x == b` for triangular `a`."""
    b = to_float(b)
    vector = b.ndim == a.ndim - 1 if hasattr(a, "ndim") else False
    out = torch.linalg.solve_triangular(
        to_float(a), b.unsqueeze(-1) if vector else b, upper=not lower
    )
    return out.squeeze(-1) if vector else out


@keras_op
def svd(x, full_matrices=True, compute_uv=True):
    """The singular value decomposition `(u, s, vh)`, or `s` alone."""
    x = to_float(x)
    if not compute_uv:
        return torch.linalg.svdvals(x)
    return tuple(torch.linalg.svd(x, full_matrices=full_matrices))


@keras_op
def lstsq(a, b, rcond=None):
    """The least-squares solution of `a @ x == b`."""
    b = to_float(b)
    vector = b.ndim == 1
    out = torch.linalg.lstsq(
        to_float(a), b.unsqueeze(-1) if vector else b, rcond=rcond, driver="gelsd"
    ).solution
    return out.squeeze(-1) if vector else out


def jvp(fun, primals, tangents, has_aux=False):
    """The value of `fun(*primals)` and its Jacobian-vector product with `tangents`."""
    return torch.func.jvp(
        fun, tuple(tensor(p) for p in primals), tuple(tensor(t) for t in tangents), has_aux=has_aux
    )
