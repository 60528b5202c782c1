"""Docstrings of the reducing, arg-reducing and cumulative ops of `_elementwise.py` and its
written-out ops (`clip`, `round`, ...), one block per dtype rule (format: `plait/ops/_docs.py`).
Each example's output is Keras 3's value on the torch backend."""

from plait.ops._docs import parse

_ARGS = """Args:
    x: a tensor, NumPy array, Python number or nested list.
    axis: an int or a tuple of ints to reduce over; None (the default) reduces over every axis.
    keepdims: whether the reduced axes stay, with size 1 (default False)."""


def _returns(rule: str) -> str:
    return f"{_ARGS}\n\nReturns:\n    A tensor of `x`'s shape less the reduced axes; {rule}"


SAME = _returns("`x`'s dtype.")
FLOAT = _returns(
    "floats keep their dtype, ints and bools\n    are computed in floatx (float32 by default)."
)
SUM = _returns("`x`'s dtype, but bools and small ints\n    (int8, int16, uint8) add up as int32.")
INT32 = _returns("floats keep their dtype, ints and bools\n    multiply as int32.")
BOOL = _returns("bool.")
ARG = """Args:
    x: a tensor, NumPy array or nested list.
    axis: the int axis to search along; None (the default) searches the flattened `x`.
    keepdims: whether the searched axis stays, with size 1 (default False).

Returns:
    An int32 tensor of indices, of `x`'s shape less `axis` (a scalar when `axis` is None)."""
CUMULATIVE = """Args:
    x: a tensor, NumPy array or nested list.
    axis: the int axis to accumulate along; None (the default) accumulates over the
        flattened `x`.
    dtype: the result's dtype; None keeps `x`'s, with bools and int64 accumulated as int32.

Returns:
    A tensor of `x`'s shape (1-D when `axis` is None)."""

_SAME = """
max: The largest value of `x` along `axis`.
    Args:
        x: a tensor, NumPy array, Python number or nested list.
        axis: an int or a tuple of ints to reduce over; None (the default) reduces over
            every axis.
        keepdims: whether the reduced axes stay, with size 1 (default False).
        initial: None (the default) or a lower bound for the answer, which is also the
            answer for an empty `x`.

    Returns:
        A tensor of `x`'s shape less the reduced axes, in `x`'s dtype.

    Raises:
        ValueError: `x` is empty and `initial` is None.
    >>> ops.max([[1, 5], [3, 2]], axis=1)
    tensor([5, 3], dtype=torch.int32)
    >>> ops.max([[1, 5], [3, 2]], axis=1, initial=4)
    tensor([5, 4], dtype=torch.int32)
min: The smallest value of `x` along `axis`.
    Args:
        x: a tensor, NumPy array, Python number or nested list.
        axis: an int or a tuple of ints to reduce over; None (the default) reduces over
            every axis.
        keepdims: whether the reduced axes stay, with size 1 (default False).
        initial: None (the default) or an upper bound for the answer, which is also the
            answer for an empty `x`.

    Returns:
        A tensor of `x`'s shape less the reduced axes, in `x`'s dtype.

    Raises:
        ValueError: `x` is empty and `initial` is None.
    >>> ops.min([[1, 5], [3, 2]], axis=0)
    tensor([1, 2], dtype=torch.int32)
    >>> ops.min(ops.zeros((0, 3)), initial=1.0)
    tensor(1.)
amax: The largest value of `x` along `axis` (as `max`, without `initial`).
    >>> ops.amax([[1.0, 5.0], [3.0, 2.0]])
    tensor(5.)
amin: The smallest value of `x` along `axis` (as `min`, without `initial`).
    >>> ops.amin([[1.0, 5.0], [3.0, 2.0]], axis=1, keepdims=True)
    tensor([[1.],
            [2.]])
nanmax: The largest value of `x` along `axis`, ignoring NaN.
    >>> ops.nanmax([[1.0, float("nan")], [3.0, 2.0]], axis=1)
    tensor([1., 3.])
nanmin: The smallest value of `x` along `axis`, ignoring NaN.
    >>> ops.nanmin([[1.0, float("nan")], [3.0, 2.0]], axis=1)
    tensor([1., 2.])
ptp: The range (peak to peak, `max - min`) of `x` along `axis`.
    >>> ops.ptp([[1, 5], [3, 2]], axis=1)
    tensor([4, 1], dtype=torch.int32)
"""

_FLOAT = """
mean: The arithmetic mean of `x` along `axis`.
    >>> ops.mean([[1, 2], [3, 4]], axis=0)
    tensor([2., 3.])
std: The standard deviation of `x` along `axis` (population: divides by N).
    >>> ops.std([[1.0, 3.0], [2.0, 2.0]], axis=1)
    tensor([1., 0.])
var: The variance of `x` along `axis` (population: divides by N).
    >>> ops.var([[1.0, 3.0], [2.0, 2.0]], axis=1)
    tensor([1., 0.])
median: The median of `x` along `axis` (the mean of the middle two for even counts).
    >>> ops.median([[1, 3, 2], [4, 6, 8]], axis=1)
    tensor([2., 6.])
nanmedian: The median of `x` along `axis`, ignoring NaN.
    >>> ops.nanmedian([[1.0, float("nan"), 2.0], [4.0, 6.0, 8.0]], axis=1)
    tensor([1.5000, 6.0000])
logsumexp: `log(sum(exp(x)))` along `axis`, computed without overflow.
    >>> ops.logsumexp([[0.0, 0.0], [100.0, 100.0]], axis=1)
    tensor([  0.6931, 100.6931])
nanmean: The mean of `x` along `axis`, ignoring NaN.
    >>> ops.nanmean([[1.0, float("nan")], [3.0, 4.0]], axis=1)
    tensor([1.0000, 3.5000])
nanvar: The variance of `x` along `axis` (divides by N), ignoring NaN.
    >>> ops.nanvar([[1.0, float("nan"), 3.0], [2.0, 2.0, 2.0]], axis=1)
    tensor([1., 0.])
nanstd: The standard deviation of `x` along `axis` (divides by N), ignoring NaN.
    >>> ops.nanstd([[1.0, float("nan"), 3.0], [2.0, 2.0, 2.0]], axis=1)
    tensor([1., 0.])
"""

_SUM = """
sum: The sum of `x` along `axis`.
    >>> ops.sum([[1, 2], [3, 4]], axis=0)
    tensor([4, 6], dtype=torch.int32)
nansum: The sum of `x` along `axis`, NaN counted as 0.
    >>> ops.nansum([[1.0, float("nan")], [3.0, 4.0]], axis=1)
    tensor([1., 7.])
"""

_INT32 = """
prod: The product of `x` along `axis`.
    Args:
        x: a tensor, NumPy array, Python number or nested list.
        axis: an int or a tuple of ints to reduce over; None (the default) reduces over
            every axis.
        keepdims: whether the reduced axes stay, with size 1 (default False).
        dtype: the dtype to multiply in and answer (default None: floats keep their dtype,
            ints and bools multiply as int32).

    Returns:
        A tensor of `x`'s shape less the reduced axes.
    >>> ops.prod([[1, 2], [3, 4]], axis=1)
    tensor([ 2, 12], dtype=torch.int32)
    >>> ops.prod([[1, 2], [3, 4]], axis=1, dtype="float32")
    tensor([ 2., 12.])
nanprod: The product of `x` along `axis`, NaN counted as 1.
    >>> ops.nanprod([[2.0, float("nan")], [3.0, 4.0]], axis=1)
    tensor([ 2., 12.])
"""

_BOOL = """
all: Whether every value of `x` along `axis` is true (non-zero).
    >>> ops.all([[True, False], [True, True]], axis=1)
    tensor([False,  True])
any: Whether any value of `x` along `axis` is true (non-zero).
    >>> ops.any([[0, 0], [0, 3]], axis=1)
    tensor([False,  True])
"""

_ARG = """
argmax: The index of the largest value of `x` along `axis` (the first, on ties).
    >>> ops.argmax([[1, 5, 2], [7, 0, 7]], axis=1)
    tensor([1, 0], dtype=torch.int32)
argmin: The index of the smallest value of `x` along `axis` (the first, on ties).
    >>> ops.argmin([[1, 5, 2], [7, 0, 7]], axis=1)
    tensor([0, 1], dtype=torch.int32)
nanargmax: The index of the largest value of `x` along `axis`, ignoring NaN.
    >>> ops.nanargmax([[1.0, float("nan"), 2.0]], axis=1)
    tensor([2], dtype=torch.int32)
nanargmin: The index of the smallest value of `x` along `axis`, ignoring NaN.
    >>> ops.nanargmin([[float("nan"), 3.0, 2.0]], axis=1)
    tensor([2], dtype=torch.int32)
"""

_CUMULATIVE = """
cumsum: The cumulative sum of `x` along `axis`.
    >>> ops.cumsum([[1, 2], [3, 4]], axis=1)
    tensor([[1, 3],
            [3, 7]], dtype=torch.int32)
cumprod: The cumulative product of `x` along `axis`.
    >>> ops.cumprod([1.0, 2.0, 3.0])
    tensor([1., 2., 6.])
nancumsum: The cumulative sum of `x` along `axis`, NaN counted as 0.
    >>> ops.nancumsum([1.0, float("nan"), 3.0])
    tensor([1., 1., 4.])
nancumprod: The cumulative product of `x` along `axis`, NaN counted as 1.
    >>> ops.nancumprod([2.0, float("nan"), 3.0])
    tensor([2., 2., 6.])
"""

_WRITTEN = """
count_nonzero: The number of non-zero values of `x` along `axis`.
    Args:
        x: a tensor, NumPy array or nested list.
        axis: an int or a tuple of ints to count over; None (the default) counts all of `x`.

    Returns:
        An int32 tensor of `x`'s shape less the counted axes.
    >>> ops.count_nonzero([[0, 1, 2], [0, 0, 3]], axis=1)
    tensor([2, 1], dtype=torch.int32)
round: `x` rounded half to even to `decimals` decimal places, element-wise.
    Args:
        x: a tensor, NumPy array, Python number or nested list.
        decimals: the number of decimal places (default 0); negative values round to tens,
            hundreds and so on.

    Returns:
        A tensor of `x`'s shape and dtype (integers with `decimals >= 0` pass unchanged).
    >>> ops.round([0.5, 1.5, 2.567], 0)
    tensor([0., 2., 3.])
    >>> ops.round([1.234, 5.678], decimals=1)
    tensor([1.2000, 5.7000])
clip: `x` limited to the interval [`x_min`, `x_max`], element-wise.
    Args:
        x: a tensor, NumPy array, Python number or nested list.
        x_min: the lower bound (a number or a tensor that broadcasts to `x`).
        x_max: the upper bound (the same).

    Returns:
        A tensor of `x`'s shape in the promoted dtype of `x` and the bounds (bools become
        int32).
    >>> ops.clip([-2, 0, 5], -1, 3)
    tensor([-1,  0,  3], dtype=torch.int32)
divide_no_nan: `x1 / x2`, element-wise, with 0 wherever `x2` is 0.
    Args:
        x1: a tensor, NumPy array, Python number or nested list.
        x2: the same; `x1` and `x2` broadcast against each other.

    Returns:
        A float tensor of the broadcast shape (floatx when neither is a float).
    >>> ops.divide_no_nan([1.0, 3.0], [2.0, 0.0])
    tensor([0.5000, 0.0000])
isclose: Whether `x1` and `x2` are equal within a tolerance, element-wise.
    Args:
        x1: a tensor, NumPy array, Python number or nested list.
        x2: the same; `x1` and `x2` broadcast against each other.
        rtol: the relative tolerance (default 1e-5).
        atol: the absolute tolerance (default 1e-8): the test is
            `abs(x1 - x2) <= atol + rtol * abs(x2)`.
        equal_nan: whether NaN equals NaN (default False).

    Returns:
        A bool tensor of the broadcast shape.
    >>> ops.isclose([1.0, 1.0], [1.000001, 1.1])
    tensor([ True, False])
ldexp: `x1 * 2 ** x2`, element-wise.
    Args:
        x1: a tensor, NumPy array, Python number or nested list (the mantissas).
        x2: integer exponents that broadcast against `x1`.

    Returns:
        A float tensor of the broadcast shape (floatx for int `x1`).
    >>> ops.ldexp([1.0, 3.0], [2, 1])
    tensor([4., 6.])
nan_to_num: `x` with NaN and infinities replaced by finite numbers, element-wise.
    Args:
        x: a tensor, NumPy array, Python number or nested list.
        nan: the value for NaN (default 0.0).
        posinf: the value for +inf (default None: the dtype's largest finite value).
        neginf: the value for -inf (default None: the dtype's lowest finite value).

    Returns:
        A tensor of `x`'s shape and dtype (integers pass unchanged).
    >>> ops.nan_to_num([float("nan"), 1.0, float("inf")], posinf=9.0)
    tensor([0., 1., 9.])
average: The weighted average of `x` along `axis`.
    Args:
        x: a tensor, NumPy array or nested list.
        axis: the int axis to average over; None (the default) averages all of `x`.
        weights: None (a plain mean) or weights of `x`'s shape, or 1-D along `axis`.

    Returns:
        A float tensor of `x`'s shape less `axis` (floatx for ints).
    >>> ops.average([[1.0, 2.0], [3.0, 4.0]], axis=1, weights=[3.0, 1.0])
    tensor([1.2500, 3.2500])
"""

DOCS = {
    **parse(_SAME, SAME),
    **parse(_FLOAT, FLOAT),
    **parse(_SUM, SUM),
    **parse(_INT32, INT32),
    **parse(_BOOL, BOOL),
    **parse(_ARG, ARG),
    **parse(_CUMULATIVE, CUMULATIVE),
    **parse(_WRITTEN),
}
