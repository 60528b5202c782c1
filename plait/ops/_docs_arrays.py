"""Docstrings of the array-making, reshaping, joining and splitting ops of `_arrays.py`
(format: `plait/ops/_docs.py`). Each example's output is Keras 3's value on the torch
backend."""

from plait.ops._docs import parse

_X = "    x: a tensor, NumPy array, Python number or nested list."
_SHAPE = "    shape: an int or a tuple of ints."
_DTYPE = "    dtype: the result's dtype (default None: floatx, float32 unless configured)."
_LIKE_DTYPE = "    dtype: the result's dtype (default None: `x`'s dtype)."
_XS = "    xs: a list or tuple of tensors (or arrays); they take their promoted dtype."
_SECTIONS = """    indices_or_sections: an int N (N equal parts; the axis must divide evenly) or a
            list of the indices to split before."""
_WINDOW = """Args:
        x: the window's length, an int.

    Returns:
        A 1-D floatx tensor of length `x` (symmetric: the first and last values are equal)."""

_CREATION = f"""
arange: Evenly spaced values in [`start`, `stop`) every `step`; `arange(n)` counts 0..n-1.
    Args:
        start: the first value (or, without `stop`, the end, counting from 0).
        stop: the end, excluded (default None).
        step: the spacing (default None: 1).
        dtype: the result's dtype (default None: int32 for ints, floatx when any is a float).

    Returns:
        A 1-D tensor.
    >>> ops.arange(4)
    tensor([0, 1, 2, 3], dtype=torch.int32)
    >>> ops.arange(0, 1, 0.25)
    tensor([0.0000, 0.2500, 0.5000, 0.7500])
array: `x` as a tensor.
    Args:
    {_X}
        dtype: the result's dtype (default None: NumPy arrays keep theirs; Python ints are
            int32, floats floatx, bools bool).

    Returns:
        A tensor of `x`'s shape.
    >>> ops.array([[1, 2], [3, 4]])
    tensor([[1, 2],
            [3, 4]], dtype=torch.int32)
empty: A tensor of `shape` whose values are not set (read nothing from it before writing).
    Args:
    {_SHAPE}
    {_DTYPE}

    Returns:
        A tensor of `shape`.
    >>> ops.empty((2, 3)).shape
    torch.Size([2, 3])
zeros: A tensor of `shape` filled with 0.
    Args:
    {_SHAPE}
    {_DTYPE}

    Returns:
        A tensor of `shape`.
    >>> ops.zeros((2, 3))
    tensor([[0., 0., 0.],
            [0., 0., 0.]])
ones: A tensor of `shape` filled with 1.
    Args:
    {_SHAPE}
    {_DTYPE}

    Returns:
        A tensor of `shape`.
    >>> ops.ones(3, dtype="int32")
    tensor([1, 1, 1], dtype=torch.int32)
full: A tensor of `shape` filled with `fill_value`.
    Args:
    {_SHAPE}
        fill_value: a number (or a tensor that broadcasts to `shape`).
    {_DTYPE}

    Returns:
        A tensor of `shape`.
    >>> ops.full((2, 2), 7.0)
    tensor([[7., 7.],
            [7., 7.]])
empty_like: A tensor of `x`'s shape whose values are not set.
    Args:
    {_X}
    {_LIKE_DTYPE}

    Returns:
        A tensor of `x`'s shape.
    >>> ops.empty_like([[1, 2, 3]]).shape
    torch.Size([1, 3])
zeros_like: A tensor of `x`'s shape filled with 0.
    Args:
    {_X}
    {_LIKE_DTYPE}

    Returns:
        A tensor of `x`'s shape.
    >>> ops.zeros_like([[1, 2, 3]])
    tensor([[0, 0, 0]], dtype=torch.int32)
ones_like: A tensor of `x`'s shape filled with 1.
    Args:
    {_X}
    {_LIKE_DTYPE}

    Returns:
        A tensor of `x`'s shape.
    >>> ops.ones_like([1.5, 2.5])
    tensor([1., 1.])
full_like: A tensor of `x`'s shape filled with `fill_value`.
    Args:
    {_X}
        fill_value: a number.
    {_LIKE_DTYPE}

    Returns:
        A tensor of `x`'s shape.
    >>> ops.full_like([1.5, 2.5], 9)
    tensor([9., 9.])
eye: A 2-D tensor with ones on the `k`-th diagonal and zeros elsewhere.
    Args:
        N: the number of rows.
        M: the number of columns (default None: `N`).
        k: the diagonal: 0 the main one, positive above it, negative below (default 0).
    {_DTYPE}

    Returns:
        A tensor of shape `(N, M)`.
    >>> ops.eye(2, 3, k=1)
    tensor([[0., 1., 0.],
            [0., 0., 1.]])
identity: The `n` x `n` identity matrix.
    Args:
        n: the number of rows and columns.
    {_DTYPE}

    Returns:
        A tensor of shape `(n, n)`.
    >>> ops.identity(2)
    tensor([[1., 0.],
            [0., 1.]])
tri: A 2-D tensor with ones at and below the `k`-th diagonal, zeros above it.
    Args:
        N: the number of rows.
        M: the number of columns (default None: `N`).
        k: the diagonal: 0 the main one, positive above it, negative below (default 0).
    {_DTYPE}

    Returns:
        A tensor of shape `(N, M)`.
    >>> ops.tri(3)
    tensor([[1., 0., 0.],
            [1., 1., 0.],
            [1., 1., 1.]])
linspace: `num` evenly spaced values from `start` to `stop`.
    Args:
        start: the first value (a number or a tensor: then each of its elements starts a
            sequence).
        stop: the last value (included when `endpoint`).
        num: how many values (default 50).
        endpoint: whether `stop` is the last value (default True).
        retstep: whether to return the spacing too (default False).
    {_DTYPE}
        axis: where the new axis goes when `start`/`stop` are tensors (default 0).

    Returns:
        A tensor of `num` values along `axis`; with `retstep`, `(values, step)`.
    >>> ops.linspace(0, 1, 5)
    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
logspace: `num` values evenly spaced on a log scale: `base ** linspace(start, stop, num)`.
    Args:
        start: the first exponent.
        stop: the last exponent (included when `endpoint`).
        num: how many values (default 50).
        endpoint: whether `base ** stop` is the last value (default True).
        base: the base of the powers (default 10).
    {_DTYPE}
        axis: where the new axis goes when `start`/`stop` are tensors (default 0).

    Returns:
        A tensor of `num` values along `axis`.
    >>> ops.logspace(0, 3, 4)
    tensor([   1.,   10.,  100., 1000.])
geomspace: `num` values from `start` to `stop` in a geometric progression.
    Args:
        start: the first value (non-zero).
        stop: the last value (included when `endpoint`).
        num: how many values (default 50).
        endpoint: whether `stop` is the last value (default True).
    {_DTYPE}
        axis: where the new axis goes when `start`/`stop` are tensors (default 0).

    Returns:
        A tensor of `num` values along `axis`.
    >>> ops.round(ops.geomspace(1, 1000, 4), 3)
    tensor([   1.,   10.,  100., 1000.])
bartlett: The Bartlett (triangular) window of length `x`.
    {_WINDOW}
    >>> ops.bartlett(5)
    tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
blackman: The Blackman window of length `x`.
    {_WINDOW}
    >>> ops.round(ops.blackman(5), 4)
    tensor([-0.0000, 0.3400, 1.0000, 0.3400, -0.0000])
hamming: The Hamming window of length `x`.
    {_WINDOW}
    >>> ops.hamming(3)
    tensor([0.0800, 1.0000, 0.0800])
hanning: The Hann window of length `x`.
    {_WINDOW}
    >>> ops.hanning(5)
    tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
kaiser: The Kaiser window of length `x` with shape parameter `beta`.
    Args:
        x: the window's length, an int.
        beta: the shape parameter (0 gives a rectangular window; larger values taper more).

    Returns:
        A 1-D floatx tensor of length `x`.
    >>> ops.kaiser(3, 0.0)
    tensor([1., 1., 1.])
"""

_SHAPES = f"""
reshape: `x` with the shape `newshape` (the same values in the same order).
    Args:
    {_X}
        newshape: an int or a tuple of ints; one of them may be -1, inferred from the size.

    Returns:
        A tensor of shape `newshape`.

    Raises:
        RuntimeError: the sizes differ.
    >>> ops.reshape(ops.arange(6), (2, -1))
    tensor([[0, 1, 2],
            [3, 4, 5]], dtype=torch.int32)
ravel: `x` flattened to 1-D (in row-major order).
    Args:
    {_X}

    Returns:
        A 1-D tensor of `x`'s size.
    >>> ops.ravel([[1, 2], [3, 4]])
    tensor([1, 2, 3, 4], dtype=torch.int32)
expand_dims: `x` with a new axis of size 1 at `axis`.
    Args:
    {_X}
        axis: the new axis's position in the result (an int, or a tuple for several).

    Returns:
        A tensor with one more axis per entry of `axis`.
    >>> ops.expand_dims([1, 2], axis=0).shape
    torch.Size([1, 2])
    >>> ops.expand_dims([1, 2], axis=-1).shape
    torch.Size([2, 1])
squeeze: `x` without its axes of size 1 (only `axis`, when given).
    Args:
    {_X}
        axis: None (the default: every size-1 axis), an int or a tuple of ints.

    Returns:
        A tensor with those axes removed.

    Raises:
        ValueError: an axis named in `axis` does not have size 1.
    >>> ops.squeeze([[[1], [2]]]).shape
    torch.Size([2])
    >>> ops.squeeze([[[1], [2]]], axis=0).shape
    torch.Size([2, 1])
transpose: `x` with its axes permuted.
    Args:
    {_X}
        axes: the new order of the axes (default None: reversed).

    Returns:
        A tensor whose axis `i` is `x`'s axis `axes[i]`.
    >>> ops.transpose([[1, 2, 3], [4, 5, 6]])
    tensor([[1, 4],
            [2, 5],
            [3, 6]], dtype=torch.int32)
swapaxes: `x` with axes `axis1` and `axis2` exchanged.
    Args:
    {_X}
        axis1: an axis.
        axis2: another axis.

    Returns:
        A tensor of `x`'s shape with those two sizes exchanged.
    >>> ops.swapaxes(ops.zeros((2, 3, 4)), 0, 2).shape
    torch.Size([4, 3, 2])
moveaxis: `x` with the axes `source` moved to `destination`; the others keep their order.
    Args:
    {_X}
        source: an int or a tuple of ints.
        destination: an int or a tuple of ints, as many as `source`.

    Returns:
        A tensor with the axes moved.
    >>> ops.moveaxis(ops.zeros((2, 3, 4)), 0, -1).shape
    torch.Size([3, 4, 2])
broadcast_to: `x` broadcast to `shape` (NumPy's broadcasting rules).
    Args:
    {_X}
    {_SHAPE}

    Returns:
        A tensor of `shape`.
    >>> ops.broadcast_to([1, 2], (2, 2))
    tensor([[1, 2],
            [1, 2]], dtype=torch.int32)
tile: `x` repeated `repeats` times along each axis.
    Args:
    {_X}
        repeats: an int or a tuple of ints, one per axis (prepended axes when longer).

    Returns:
        A tensor whose axis sizes are multiplied by `repeats`.
    >>> ops.tile([1, 2], 2)
    tensor([1, 2, 1, 2], dtype=torch.int32)
repeat: Each element of `x` repeated `repeats` times along `axis`.
    Args:
    {_X}
        repeats: an int, or one int per element along `axis`.
        axis: the axis to repeat along (default None: the flattened `x`).

    Returns:
        A tensor with `axis` lengthened (1-D when `axis` is None).
    >>> ops.repeat([[1, 2], [3, 4]], 2, axis=1)
    tensor([[1, 1, 2, 2],
            [3, 3, 4, 4]], dtype=torch.int32)
flip: `x` with the order of its elements reversed along `axis`.
    Args:
    {_X}
        axis: an int or a tuple of ints (default None: every axis).

    Returns:
        A tensor of `x`'s shape.
    >>> ops.flip([[1, 2], [3, 4]], axis=1)
    tensor([[2, 1],
            [4, 3]], dtype=torch.int32)
fliplr: `x` reversed left to right: along axis 1 (`x` needs at least 2 axes).
    Args:
    {_X}

    Returns:
        A tensor of `x`'s shape.
    >>> ops.fliplr([[1, 2], [3, 4]])
    tensor([[2, 1],
            [4, 3]], dtype=torch.int32)
flipud: `x` reversed up to down: along axis 0.
    Args:
    {_X}

    Returns:
        A tensor of `x`'s shape.
    >>> ops.flipud([[1, 2], [3, 4]])
    tensor([[3, 4],
            [1, 2]], dtype=torch.int32)
rot90: `array` rotated by 90 degrees `k` times, from the first of `axes` toward the second.
    Args:
        array: a tensor with at least 2 axes.
        k: the number of quarter turns (default 1; negative turns the other way).
        axes: the two axes of the plane of rotation (default (0, 1)).

    Returns:
        A tensor (the sizes of `axes` exchanged when `k` is odd).
    >>> ops.rot90([[1, 2], [3, 4]])
    tensor([[2, 4],
            [1, 3]], dtype=torch.int32)
roll: `x`'s elements shifted by `shift` along `axis`, wrapping around at the end.
    Args:
    {_X}
        shift: an int or a tuple of ints (one per axis of `axis`).
        axis: an int or a tuple of ints (default None: roll the flattened `x`, keeping its
            shape).

    Returns:
        A tensor of `x`'s shape.
    >>> ops.roll([1, 2, 3, 4], 1)
    tensor([4, 1, 2, 3], dtype=torch.int32)
pad: `x` padded by `pad_width` before and after each axis.
    Args:
    {_X}
        pad_width: `((before, after), ...)` per axis, or one pair or int for all axes.
        mode: 'constant' (the default), 'edge', 'reflect', 'symmetric' or 'wrap'.
        constant_values: the value for 'constant' (default None: 0).

    Returns:
        A tensor whose sizes grew by `before + after`.

    Raises:
        ValueError: an unknown `mode`, or `constant_values` with another mode.
    >>> ops.pad([1, 2], (1, 2))
    tensor([0, 1, 2, 0, 0], dtype=torch.int32)
    >>> ops.pad([1, 2, 3], (2, 0), mode="reflect")
    tensor([3, 2, 1, 2, 3], dtype=torch.int32)
"""

_JOINING = f"""
concatenate: The tensors `xs` joined along an existing `axis`.
    Args:
    {_XS}
        axis: the axis to join along (default 0; None flattens them first).

    Returns:
        A tensor whose `axis` is the sum of theirs.
    >>> ops.concatenate([[1, 2], [3]])
    tensor([1, 2, 3], dtype=torch.int32)
append: `x2` appended to `x1` along `axis`.
    Args:
        x1: a tensor, NumPy array or nested list.
        x2: the same, of `x1`'s shape except along `axis`.
        axis: the axis to join along (default None: both are flattened first).

    Returns:
        A tensor in the operands' promoted dtype.
    >>> ops.append([[1, 2]], [[3, 4]], axis=0)
    tensor([[1, 2],
            [3, 4]], dtype=torch.int32)
stack: The tensors `x` stacked along a new axis `axis`.
    Args:
        x: a list or tuple of tensors of one shape (they take their promoted dtype).
        axis: the new axis's position in the result (default 0).

    Returns:
        A tensor with one more axis, of size `len(x)`.
    >>> ops.stack([[1, 2], [3, 4]], axis=1)
    tensor([[1, 3],
            [2, 4]], dtype=torch.int32)
hstack: The tensors `xs` joined horizontally: along axis 1 (axis 0 for 1-D tensors).
    Args:
    {_XS}

    Returns:
        A tensor.
    >>> ops.hstack([[1, 2], [3]])
    tensor([1, 2, 3], dtype=torch.int32)
vstack: The tensors `xs` joined vertically: along axis 0, 1-D tensors becoming rows.
    Args:
    {_XS}

    Returns:
        A tensor with at least 2 axes.
    >>> ops.vstack([[1, 2], [3, 4]])
    tensor([[1, 2],
            [3, 4]], dtype=torch.int32)
dstack: The tensors `xs` joined depth-wise: along axis 2, after making each at least 3-D.
    Args:
    {_XS}

    Returns:
        A tensor with at least 3 axes.
    >>> ops.dstack([[1, 2], [3, 4]]).shape
    torch.Size([1, 2, 2])
split: `x` split along `axis` into equal parts or at the given indices.
    Args:
    {_X}
    {_SECTIONS}
        axis: the axis to split along (default 0).

    Returns:
        A list of tensors.

    Raises:
        ValueError: an int `indices_or_sections` does not divide the axis's size.
    >>> ops.split([1, 2, 3, 4], 2)
    [tensor([1, 2], dtype=torch.int32), tensor([3, 4], dtype=torch.int32)]
    >>> [part.tolist() for part in ops.split([1, 2, 3, 4], [1, 3])]
    [[1], [2, 3], [4]]
array_split: `x` split along `axis` into N parts whose sizes differ by at most one.
    Args:
    {_X}
        indices_or_sections: an int N, or a list of the indices to split before.
        axis: the axis to split along (default 0).

    Returns:
        A list of tensors (the first ones are the longer).
    >>> ops.array_split([1, 2, 3, 4, 5], 2)
    [tensor([1, 2, 3], dtype=torch.int32), tensor([4, 5], dtype=torch.int32)]
hsplit: `x` split horizontally: along axis 1 (axis 0 for 1-D `x`).
    Args:
    {_X}
    {_SECTIONS}

    Returns:
        A list of tensors.

    Raises:
        ValueError: an int `indices_or_sections` does not divide the axis's size.
    >>> ops.hsplit([[1, 2], [3, 4]], 2)
    [tensor([[1],
            [3]], dtype=torch.int32), tensor([[2],
            [4]], dtype=torch.int32)]
vsplit: `x` split vertically: along axis 0.
    Args:
    {_X}
    {_SECTIONS}

    Returns:
        A list of tensors.

    Raises:
        ValueError: an int `indices_or_sections` does not divide the axis's size.
    >>> ops.vsplit([[1, 2], [3, 4]], 2)
    [tensor([[1, 2]], dtype=torch.int32), tensor([[3, 4]], dtype=torch.int32)]
dsplit: `x` split depth-wise: along axis 2 (`x` needs at least 3 axes).
    Args:
    {_X}
    {_SECTIONS}

    Returns:
        A list of tensors.

    Raises:
        ValueError: an int `indices_or_sections` does not divide the axis's size.
    >>> [part.shape for part in ops.dsplit(ops.zeros((1, 2, 4)), 2)]
    [torch.Size([1, 2, 2]), torch.Size([1, 2, 2])]
meshgrid: Coordinate grids from 1-D coordinate vectors.
    Args:
        *x: 1-D tensors, one per dimension of the grid.
        indexing: 'xy' (the default: Cartesian, the first two grid axes swapped) or 'ij'
            (matrix indexing).

    Returns:
        A list of tensors, one per input, each of the grid's shape.
    >>> xs, ys = ops.meshgrid([1, 2, 3], [4, 5])
    >>> xs
    tensor([[1, 2, 3],
            [1, 2, 3]], dtype=torch.int32)
    >>> ys
    tensor([[4, 4, 4],
            [5, 5, 5]], dtype=torch.int32)
"""

DOCS = {**parse(_CREATION), **parse(_SHAPES), **parse(_JOINING)}
