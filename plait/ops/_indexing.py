"""NumPy-style ops that index, select, sort and search arrays (`take`, `where`, `sort`,
`unique`, `bincount`, ...), with Keras's arguments: torch underneath, int32 indices as Keras
answers. Every op's docstring (what `help()` shows, with its example) is in
`_docs_indexing.py`.
"""

import numpy as np
import torch

from plait.ops import _docs, _docs_indexing
from plait.ops._base import (
    keras_op,
    result_type,
    tensor,
    tensors,
    to_float,
)
from plait.ops._arrays import _same_dtype, _shape

__all__ = [
    "argpartition",
    "argsort",
    "bincount",
    "digitize",
    "get_item",
    "histogram",
    "isin",
    "nonzero",
    "searchsorted",
    "select",
    "sort",
    "take",
    "take_along_axis",
    "unique",
    "unravel_index",
    "where",
]


# ------------------------------------------------------------------ indexing


@keras_op
def get_item(x, key):
    """`x[key]`."""
    return tensor(x)[key]


@keras_op
def take(x, indices, axis=None):
    """Elements of `x` at `indices` along `axis` (of the flattened `x` when None)."""
    x = tensor(x)
    idx = tensor(indices, like=x).long()
    if axis is None:
        x, axis = x.reshape(-1), 0
    idx = torch.where(idx < 0, idx + x.shape[axis], idx)
    out = torch.index_select(x, axis, idx.reshape(-1))
    axis = axis % x.ndim
    return out.reshape(x.shape[:axis] + idx.shape + x.shape[axis + 1 :])


@keras_op
def take_along_axis(x, indices, axis=None):
    """Elements of `x` picked by `indices` along `axis` (as numpy.take_along_axis)."""
    x, idx = tensor(x), tensor(indices).long()
    if axis is None:
        return x.reshape(-1)[idx.reshape(-1)]
    shape = list(  # NumPy's: torch.broadcast_shapes imports ~500 modules on first use
        np.broadcast_shapes(
            x.shape[:axis] + (1,) + x.shape[axis + 1 :] if axis != -1 else x.shape[:-1] + (1,),
            idx.shape,
        )
    )
    xs, ids = list(shape), list(shape)
    xs[axis], ids[axis] = x.shape[axis], idx.shape[axis]
    return torch.gather(x.expand(xs), axis, idx.expand(ids))


@keras_op
def where(condition, x1=None, x2=None):
    """`x1` where `condition`, else `x2`; with only `condition`, the indices where it holds."""
    condition = tensor(condition).to(torch.bool)
    if x1 is None and x2 is None:
        return torch.nonzero(condition).T
    if x1 is None or x2 is None:
        raise ValueError(
            f"where: give both x1 and x2, or neither. Received: x1={x1!r:.50}, x2={x2!r:.50}"
        )
    a, b = tensors(x1, x2)
    dtype = result_type(*(v.dtype if isinstance(v, torch.Tensor) else type(v) for v in (a, b)))
    return torch.where(
        condition, tensor(a, dtype, like=condition), tensor(b, dtype, like=condition)
    )


@keras_op
def nonzero(x):
    """The indices of the non-zero values: an int32 tensor of shape (ndim, count), whose rows
    unpack as numpy's tuple does (`rows, cols = nonzero(x)`)."""
    return torch.nonzero(tensor(x)).T.to(torch.int32)


@keras_op
def select(condlist, choicelist, default=0):
    """From each choice, where its condition is the first to hold; `default` elsewhere."""
    choices = _same_dtype(*choicelist)
    out = torch.full_like(choices[0], default)
    for cond, choice in reversed(list(zip(condlist, choices))):
        out = torch.where(tensor(cond).to(torch.bool), choice, out)
    return out


@keras_op
def isin(x1, x2, assume_unique=False, invert=False):
    """Whether each element of `x1` is in `x2`."""
    a, b = _same_dtype(x1, x2)
    return torch.isin(a, b, assume_unique=assume_unique, invert=invert)


@keras_op
def unravel_index(indices, shape):
    """The coordinates in `shape` of flat `indices`, a tuple of int tensors."""
    idx = tensor(indices)
    dims = _shape(shape)
    strides = [1] * len(dims)  # row-major: the flat step of each axis
    for i in range(len(dims) - 2, -1, -1):
        strides[i] = strides[i + 1] * dims[i + 1]
    # torch.unravel_index's arithmetic, without its first-call import of ~500 modules
    steps = torch.tensor(strides, dtype=torch.int64, device=idx.device)
    sizes = torch.tensor(dims, dtype=torch.int64, device=idx.device)
    coords = idx.long().unsqueeze(-1).floor_divide(steps) % sizes
    return tuple(c.to(idx.dtype) for c in coords.unbind(-1))


# ------------------------------------------------------------------ sorting, searching


@keras_op
def sort(x, axis=-1):
    """`x` sorted along `axis`."""
    return torch.sort(tensor(x), dim=axis).values


@keras_op
def argsort(x, axis=-1):
    """The int32 indices that sort `x` along `axis` (a stable sort)."""
    x = tensor(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    return torch.argsort(x, dim=axis, stable=True).to(torch.int32)


@keras_op
def argpartition(x, kth, axis=-1):
    """Indices that put the `kth` element in its sorted place along `axis` (a full sort)."""
    return argsort(x, axis=axis)


@keras_op
def searchsorted(sorted_sequence, values, side="left"):
    """Where `values` would be inserted into the 1-D `sorted_sequence`, as int32."""
    seq, vals = _same_dtype(sorted_sequence, values)
    return torch.searchsorted(seq, vals, side=side).to(torch.int32)


@keras_op
def digitize(x, bins):
    """The index of the bin each value falls in, as int32."""
    x, bins = _same_dtype(x, bins)
    return torch.bucketize(x, bins, right=True).to(torch.int32)


@keras_op
def unique(
    x,
    sorted=True,
    return_index=False,
    return_inverse=False,
    return_counts=False,
    axis=None,
    size=None,
    fill_value=None,
):
    """The distinct values of `x` (optionally padded or cut to `size` with `fill_value`)."""
    x = tensor(x)
    dim = None if axis is None else axis % x.ndim
    values, inverse, counts = torch.unique(
        x, sorted=True, return_inverse=True, return_counts=True, dim=dim
    )
    parts = {"values": values}
    if return_index:  # the first occurrence of each value
        flat = inverse.reshape(-1)
        order = torch.arange(flat.numel(), device=flat.device)
        first = torch.full_like(counts, flat.numel())
        parts["index"] = first.scatter_reduce(0, flat, order, reduce="amin")
    if return_inverse:
        parts["inverse"] = inverse
    if return_counts:
        parts["counts"] = counts
    if size is not None:
        _to_size(parts, size, 0 if fill_value is None else fill_value, dim or 0)
    out = tuple(parts.values())
    return out if len(out) > 1 else out[0]


def _to_size(parts, size, fill_value, dim):
    """`unique`'s answers cut or padded to `size` values, as Keras's torch backend does:
    values with `fill_value`, counts with 0, first indices with 1; the inverse is kept."""
    values = parts["values"]
    missing = size - values.shape[dim]
    if missing <= 0:
        parts["values"] = values.narrow(dim, 0, size)
        for key in ("index", "counts"):
            if key in parts:
                parts[key] = parts[key][:size]
        return
    shape = list(values.shape)
    shape[dim] = missing
    pad = torch.full(shape, fill_value, dtype=values.dtype, device=values.device)
    parts["values"] = torch.cat([values, pad], dim=dim)
    for key, value in (("index", 1), ("counts", 0)):
        if key in parts:
            parts[key] = torch.nn.functional.pad(parts[key], (0, missing), value=value)


@keras_op
def bincount(x, weights=None, minlength=0, sparse=False):
    """The count of each non-negative int in `x` (summed `weights` when given)."""
    x = tensor(x)
    w = None if weights is None else tensor(weights)
    if x.ndim == 2:
        return torch.stack(
            [bincount(r, None if w is None else w[i], minlength) for i, r in enumerate(x)]
        )
    out = torch.bincount(x.long(), weights=w, minlength=minlength)
    return out.to(torch.int32) if w is None else out.to(w.dtype)


@keras_op
def histogram(x, bins=10, range=None):
    """The counts and bin edges of `x`'s values in `bins` equal bins over `range`."""
    x = to_float(x)
    low, high = range if range is not None else (x.min().item(), x.max().item())
    counts = torch.histc(x, bins=bins, min=low, max=high)
    return counts.to(x.dtype), torch.linspace(low, high, bins + 1, dtype=x.dtype)


_docs.attach(globals(), _docs_indexing.DOCS)
