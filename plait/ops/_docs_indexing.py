"""Docstrings of the indexing, selecting, sorting and searching ops of `_indexing.py`
(format: `plait/ops/_docs.py`). Each example's output is Keras 3's value on the torch
backend."""

from plait.ops._docs import parse

_X = "    x: a tensor, NumPy array or nested list."

_INDEXING = f"""
get_item: `x[key]`: the elements of `x` that a Python or NumPy-style index selects.
    Args:
    {_X}
        key: an int, a slice, a tuple of them (with `None` and `...`), an int tensor or a
            bool mask.

    Returns:
        A tensor.
    >>> x = ops.array([[1, 2, 3], [4, 5, 6]])
    >>> ops.get_item(x, 1)
    tensor([4, 5, 6], dtype=torch.int32)
    >>> ops.get_item(x, (1, -1))
    tensor(6, dtype=torch.int32)
take: The elements of `x` at `indices` along `axis`.
    Args:
    {_X}
        indices: an int tensor of any shape (negative indices count from the end).
        axis: the axis to take along (default None: the flattened `x`).

    Returns:
        A tensor of shape `x.shape[:axis] + indices.shape + x.shape[axis + 1:]`.
    >>> ops.take([[1, 2], [3, 4]], [1, 0], axis=1)
    tensor([[2, 1],
            [4, 3]], dtype=torch.int32)
    >>> ops.take([[1, 2], [3, 4]], [[0, 3]])
    tensor([[1, 4]], dtype=torch.int32)
take_along_axis: The elements of `x` at `indices` taken along `axis`, index by index.
    Args:
    {_X}
        indices: an int tensor with `x`'s number of axes (broadcasting against `x` on the
            others).
        axis: the axis to take along (default None: the flattened `x`).

    Returns:
        A tensor of `indices`'s shape (broadcast with `x` off `axis`).
    >>> ops.take_along_axis([[10, 30, 20]], ops.argsort([[10, 30, 20]]), axis=1)
    tensor([[10, 20, 30]], dtype=torch.int32)
where: `x1` where `condition` holds and `x2` elsewhere, element-wise.
    Args:
        condition: a bool tensor (other dtypes: non-zero is true).
        x1: the values where `condition` holds (default None).
        x2: the values elsewhere (default None); `condition`, `x1` and `x2` broadcast.

    Returns:
        A tensor of the broadcast shape in the promoted dtype of `x1` and `x2`; with neither,
        the indices where `condition` holds, as `nonzero` gives them.

    Raises:
        ValueError: only one of `x1` and `x2` is given.
    >>> ops.where([True, False, True], [1, 2, 3], 0)
    tensor([1, 0, 3], dtype=torch.int32)
nonzero: The indices of the non-zero elements of `x`.
    Args:
    {_X}

    Returns:
        An int32 tensor of shape `(x.ndim, count)`: row `i` holds the indices along axis
        `i`, so `rows, cols = ops.nonzero(x)` unpacks as NumPy's tuple does.
    >>> ops.nonzero([[0, 1], [2, 0]])
    tensor([[0, 1],
            [1, 0]], dtype=torch.int32)
select: From each choice, the elements where its condition is the first to hold.
    Args:
        condlist: a list of bool tensors.
        choicelist: a list of tensors, one per condition (broadcasting with them).
        default: the value where no condition holds (default 0).

    Returns:
        A tensor of the broadcast shape in the choices' promoted dtype.
    >>> x = ops.arange(5)
    >>> ops.select([x < 2, x > 3], [x, x * 10], default=-1)
    tensor([ 0,  1, -1, -1, 40], dtype=torch.int32)
isin: Whether each element of `x1` is among the elements of `x2`.
    Args:
        x1: a tensor, NumPy array or nested list.
        x2: the values to look for (any shape).
        assume_unique: a speed hint: both hold distinct values (default False).
        invert: whether to answer "not in" instead (default False).

    Returns:
        A bool tensor of `x1`'s shape.
    >>> ops.isin([1, 2, 3, 4], [2, 4])
    tensor([False,  True, False,  True])
unravel_index: The coordinates in an array of `shape` of the flat `indices`.
    Args:
        indices: an int tensor of flat (row-major) indices.
        shape: the array's shape, a tuple of ints.

    Returns:
        A tuple of `len(shape)` int tensors of `indices`'s shape (in its dtype).
    >>> ops.unravel_index([1, 5], (2, 3))
    (tensor([0, 1], dtype=torch.int32), tensor([1, 2], dtype=torch.int32))
"""

_SORTING = f"""
sort: `x` sorted in ascending order along `axis`.
    Args:
    {_X}
        axis: the axis to sort along (default -1).

    Returns:
        A tensor of `x`'s shape and dtype.
    >>> ops.sort([[3, 1, 2], [0, 5, 4]])
    tensor([[1, 2, 3],
            [0, 4, 5]], dtype=torch.int32)
argsort: The indices that sort `x` along `axis` (a stable sort: ties keep their order).
    Args:
    {_X}
        axis: the axis to sort along (default -1; None sorts the flattened `x`).

    Returns:
        An int32 tensor of `x`'s shape (1-D when `axis` is None).
    >>> ops.argsort([3, 1, 2, 1])
    tensor([1, 3, 2, 0], dtype=torch.int32)
argpartition: Indices that put the `kth` element of `x` where sorting would, along `axis`.
    The smaller elements come before it and the larger after; plait sorts fully, which is
    one valid answer (the order within each side is unspecified in Keras).

    Args:
    {_X}
        kth: the index of the element to place.
        axis: the axis to partition along (default -1).

    Returns:
        An int32 tensor of `x`'s shape.
    >>> ops.argpartition([3, 4, 2, 1], 2)[2]
    tensor(0, dtype=torch.int32)
searchsorted: The indices at which `values` would be inserted into `sorted_sequence` in order.
    Args:
        sorted_sequence: a 1-D tensor in ascending order.
        values: a tensor of values to place.
        side: 'left' (the default: the first suitable index) or 'right' (the last).

    Returns:
        An int32 tensor of `values`'s shape.
    >>> ops.searchsorted([1, 3, 5], [0, 3, 6])
    tensor([0, 1, 3], dtype=torch.int32)
    >>> ops.searchsorted([1, 3, 5], [0, 3, 6], side="right")
    tensor([0, 2, 3], dtype=torch.int32)
digitize: The index of the bin each element of `x` falls in.
    Args:
    {_X}
        bins: a 1-D tensor of increasing bin edges.

    Returns:
        An int32 tensor of `x`'s shape: `i` where `bins[i - 1] <= x < bins[i]` (0 below the
        first edge, `len(bins)` from the last one on).
    >>> ops.digitize([0.5, 1.0, 2.5, 9.0], [1.0, 2.0, 3.0])
    tensor([0, 1, 2, 3], dtype=torch.int32)
unique: The distinct elements of `x`, sorted.
    Args:
    {_X}
        sorted: accepted for Keras's signature; the values always come sorted.
        return_index: also return the index of each value's first occurrence in `x`
            (flattened when `axis` is None).
        return_inverse: also return, for each element of `x`, its index among the values.
        return_counts: also return how often each value occurs.
        axis: None (the default: the flattened `x`) or the axis whose distinct slices to
            find.
        size: None, or the fixed number of values to answer: cut, or padded with
            `fill_value` (the counts with 0, the first indices with 1).
        fill_value: the padding value (default None: 0).

    Returns:
        The values, or a tuple `(values, index, inverse, counts)` of those asked for.
    >>> ops.unique([3, 1, 3, 2])
    tensor([1, 2, 3], dtype=torch.int32)
    >>> ops.unique([3, 1, 3], return_index=True, return_counts=True)
    (tensor([1, 3], dtype=torch.int32), tensor([1, 0]), tensor([1, 2]))
    >>> ops.unique([3, 1, 3], size=3)
    tensor([1, 3, 0], dtype=torch.int32)
bincount: The number of occurrences of each value 0..N of the non-negative ints `x`.
    Args:
        x: a 1-D int tensor (or 2-D: one count per row).
        weights: None, or one weight per element of `x` to sum instead of counting.
        minlength: the least length of the answer (default 0).
        sparse: accepted for Keras's signature; the answer is dense.

    Returns:
        A 1-D tensor of length `max(max(x) + 1, minlength)` (int32 counts, or `weights`'s
        dtype).
    >>> ops.bincount([0, 1, 1, 3])
    tensor([1, 2, 0, 1], dtype=torch.int32)
    >>> ops.bincount([0, 1, 1], weights=[0.5, 1.0, 2.0], minlength=3)
    tensor([0.5000, 3.0000, 0.0000])
histogram: The counts of `x`'s elements in `bins` equal bins over `range`, and the edges.
    Args:
    {_X}
        bins: the number of bins (default 10).
        range: `(low, high)` (default None: `x`'s minimum and maximum); values outside it
            are not counted.

    Returns:
        A tuple `(counts, edges)`: `bins` float counts and `bins + 1` edges (floatx for int
        `x`).
    >>> ops.histogram([1.0, 2.0, 2.5, 4.0], bins=3)
    (tensor([1., 2., 1.]), tensor([1., 2., 3., 4.]))
"""

DOCS = {**parse(_INDEXING), **parse(_SORTING)}
