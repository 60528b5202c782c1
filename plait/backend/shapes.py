"""Keras 2's `K.*` functions that build or reshape tensors, with Keras 2's default axes."""

import numpy as np

from plait import ops
from plait.backend.tensors import int_shape

__all__ = [
    "concatenate",
    "expand_dims",
    "permute_dimensions",
    "flatten",
    "batch_flatten",
    "repeat_elements",
    "repeat",
    "gather",
    "arange",
    "ones",
    "zeros",
    "eye",
]


def concatenate(tensors, axis=-1):
    """The tensors joined along `axis` (the last by default)."""
    return ops.concatenate(tensors, axis=axis)


def expand_dims(x, axis=-1):
    """`x` with a size-1 axis inserted at `axis` (the end by default, as in Keras 2)."""
    return ops.expand_dims(x, axis)


def permute_dimensions(x, pattern):
    """`x` with its axes in the order `pattern`."""
    return ops.transpose(x, pattern)


def flatten(x):
    """`x` as a 1-D tensor."""
    return ops.reshape(x, (-1,))


def batch_flatten(x):
    """`x` as (batch, everything else)."""
    return ops.reshape(x, (-1, int(np.prod(int_shape(x)[1:]))))


def repeat_elements(x, rep, axis):
    """Each slice of `x` along `axis` repeated `rep` times."""
    return ops.repeat(x, rep, axis=axis)


def repeat(x, n):
    """(batch, dim) -> (batch, n, dim)."""
    return ops.repeat(ops.expand_dims(x, 1), n, axis=1)


def gather(reference, indices):
    """Rows of `reference` at `indices`."""
    return ops.take(reference, indices, axis=0)


def arange(start, stop=None, step=1, dtype="int32"):
    """Evenly spaced values (int32 by default)."""
    return ops.arange(start, stop, step, dtype=dtype)


def ones(shape, dtype=None, name=None):
    """Ones (floatx by default)."""
    return ops.ones(shape, dtype=dtype)


def zeros(shape, dtype=None, name=None):
    """Zeros (floatx by default)."""
    return ops.zeros(shape, dtype=dtype)


def eye(size, dtype=None, name=None):
    """The identity matrix of `size` (an int or (rows, cols))."""
    rows, cols = (size, size) if isinstance(size, int) else size
    return ops.eye(rows, cols, dtype=dtype)
