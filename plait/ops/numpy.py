"""Keras's `ops.numpy`: the NumPy-style ops (element-wise, reductions, array making,
reshaping, indexing, sorting and products)."""

from plait.ops import _arrays, _elementwise, _indexing, _products
from plait.ops._arrays import *  # noqa: F403
from plait.ops._indexing import *  # noqa: F403
from plait.ops._elementwise import *  # noqa: F403
from plait.ops._products import *  # noqa: F403

__all__ = sorted(  # noqa: PLE0605
    set(_arrays.__all__)
    | set(_indexing.__all__)
    | set(_elementwise.__all__)
    | set(_products.__all__)
)
