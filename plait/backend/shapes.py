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
    """The tensors joined along `axis` (the last by default).

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.concatenate([torch.zeros(2, 1), torch.ones(2, 2)]).shape
        torch.Size([2, 3])
    """
    return ops.concatenate(tensors, axis=axis)


def expand_dims(x, axis=-1):
    """`x` with a size-1 axis inserted at `axis` (the end by default, as in Keras 2).

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.expand_dims(torch.zeros(2, 3)).shape
        torch.Size([2, 3, 1])
    """
    return ops.expand_dims(x, axis)


def permute_dimensions(x, pattern):
    """`x` with its axes in the order `pattern`.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.permute_dimensions(torch.zeros(2, 3, 4), (0, 2, 1)).shape
        torch.Size([2, 4, 3])
    """
    return ops.transpose(x, pattern)


def flatten(x):
    """`x` as a 1-D tensor.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.flatten(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor([1., 2., 3., 4.])
    """
    return ops.reshape(x, (-1,))


def batch_flatten(x):
    """`x` as a 2-D tensor `(batch, everything else)`.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.batch_flatten(torch.zeros(2, 3, 4)).shape
        torch.Size([2, 12])
    """
    return ops.reshape(x, (-1, int(np.prod(int_shape(x)[1:]))))


def repeat_elements(x, rep, axis):
    """Each slice of `x` along `axis` repeated `rep` times.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.repeat_elements(torch.tensor([[1.0, 2.0]]), 2, axis=1)
        tensor([[1., 1., 2., 2.]])
    """
    return ops.repeat(x, rep, axis=axis)


def repeat(x, n):
    """A 2-D `x` of shape `(batch, dim)` repeated `n` times: `(batch, n, dim)`.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.repeat(torch.tensor([[1.0, 2.0]]), 3)
        tensor([[[1., 2.],
                 [1., 2.],
                 [1., 2.]]])
    """
    return ops.repeat(ops.expand_dims(x, 1), n, axis=1)


def gather(reference, indices):
    """The rows of `reference` at `indices`.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> K.gather(torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), torch.tensor([2, 0]))
        tensor([[5., 6.],
                [1., 2.]])
    """
    return ops.take(reference, indices, axis=0)


def arange(start, stop=None, step=1, dtype="int32"):
    """Evenly spaced values from `start` to `stop` (int32 by default, as in Keras 2).

    Args:
        start: the first value (or the end, when `stop` is None).
        stop: the end (excluded), or None.
        step: the spacing (default 1).
        dtype: default 'int32'.

    Example:
        >>> from plait import backend as K
        >>> K.arange(1, 7, 2)
        tensor([1, 3, 5], dtype=torch.int32)
    """
    return ops.arange(start, stop, step, dtype=dtype)


def ones(shape, dtype=None, name=None):
    """A tensor of ones of `shape` (dtype `floatx()` by default).

    Args:
        shape: a tuple of ints.
        dtype: a dtype name, or None for `floatx()`.
        name: accepted for Keras 2's signature; not used.

    Example:
        >>> from plait import backend as K
        >>> K.ones((2, 2))
        tensor([[1., 1.],
                [1., 1.]])
    """
    return ops.ones(shape, dtype=dtype)


def zeros(shape, dtype=None, name=None):
    """A tensor of zeros of `shape` (dtype `floatx()` by default).

    Args:
        shape: a tuple of ints.
        dtype: a dtype name, or None for `floatx()`.
        name: accepted for Keras 2's signature; not used.

    Example:
        >>> from plait import backend as K
        >>> K.zeros((1, 3), dtype="int32")
        tensor([[0, 0, 0]], dtype=torch.int32)
    """
    return ops.zeros(shape, dtype=dtype)


def eye(size, dtype=None, name=None):
    """The identity matrix of `size` (an int, or `(rows, cols)`).

    Args:
        size: an int, or a pair of ints.
        dtype: a dtype name, or None for `floatx()`.
        name: accepted for Keras 2's signature; not used.

    Example:
        >>> from plait import backend as K
        >>> K.eye((2, 3))
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    rows, cols = (size, size) if isinstance(size, int) else size
    return ops.eye(rows, cols, dtype=dtype)
