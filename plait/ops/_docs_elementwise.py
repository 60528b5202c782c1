"""Docstrings of the element-wise ops of `_elementwise.py`, one block per table (format:
`plait/ops/_docs.py`). Each example's output is Keras 3's value on the torch backend."""

from plait.ops._docs import parse

_X = """Args:
    x: a tensor, NumPy array, Python number or nested list."""
_X1X2 = """Args:
    x1: a tensor, NumPy array, Python number or nested list.
    x2: the same; `x1` and `x2` broadcast against each other."""

UNARY_SAME = f"""{_X}

Returns:
    A tensor of `x`'s shape and dtype."""
UNARY_FLOAT = f"""{_X}

Returns:
    A tensor of `x`'s shape: floats keep their dtype, ints and bools are computed in floatx
    (`config.floatx()`, float32 by default)."""
UNARY_BOOL = f"""{_X}

Returns:
    A bool tensor of `x`'s shape."""
BINARY_SAME = f"""{_X1X2}

Returns:
    A tensor of the broadcast shape in the operands' promoted dtype. A Python number is weak:
    it takes the tensor's dtype, except that a float with an int or bool tensor gives floatx,
    and an int with a bool tensor gives int32."""
BITWISE = """Args:
    x: an integer or bool tensor, NumPy array, Python int or nested list.
    y: the same; `x` and `y` broadcast against each other.

Returns:
    A tensor of the broadcast shape in the operands' promoted dtype (a Python int takes the
    tensor's dtype)."""
BINARY_FLOAT = f"""{_X1X2}

Returns:
    A float tensor of the broadcast shape: the operands' promoted float dtype, or floatx when
    neither is a float."""
BINARY_BOOL = f"""{_X1X2}

Returns:
    A bool tensor of the broadcast shape."""

_UNARY_SAME = """
abs: The absolute value of `x`, element-wise.
    >>> ops.abs([-1.5, 2.0])
    tensor([1.5000, 2.0000])
absolute: The absolute value of `x`, element-wise (the same op as `abs`).
    >>> ops.absolute([-3, 2])
    tensor([3, 2], dtype=torch.int32)
negative: `-x`, element-wise.
    >>> ops.negative([1.5, -2.0])
    tensor([-1.5000,  2.0000])
sign: The sign of `x`, element-wise: -1, 0 or 1 (NaN stays NaN).
    >>> ops.sign([-2.0, 0.0, 3.0])
    tensor([-1.,  0.,  1.])
square: `x * x`, element-wise.
    >>> ops.square([-3, 2])
    tensor([9, 4], dtype=torch.int32)
conj: The complex conjugate of `x`, element-wise; real inputs come back unchanged.
    >>> ops.conj(np.array([1 + 2j, 3 - 1j]))
    tensor([1.-2.j, 3.+1.j], dtype=torch.complex128)
conjugate: The complex conjugate of `x`, element-wise (the same op as `conj`).
    >>> ops.conjugate(np.array([1 + 2j]))
    tensor([1.-2.j], dtype=torch.complex128)
bitwise_invert: The bitwise NOT (`~x`) of an integer or bool `x`, element-wise.
    >>> ops.bitwise_invert([0, 5, -1])
    tensor([-1, -6,  0], dtype=torch.int32)
bitwise_not: The bitwise NOT (`~x`) of an integer or bool `x` (the same op as `bitwise_invert`).
    >>> ops.bitwise_not([True, False])
    tensor([False,  True])
copy: A copy of `x` (a new tensor; writing to it leaves `x` alone).
    >>> ops.copy([1.5, 2.0])
    tensor([1.5000, 2.0000])
real: The real part of `x`, element-wise; real inputs come back unchanged.
    Args:
        x: a tensor, NumPy array, Python number or nested list.

    Returns:
        A tensor of `x`'s shape: float32 for complex64, float64 for complex128, otherwise
        `x`'s dtype.
    >>> ops.real(np.array([1 + 2j, 3 - 1j]))
    tensor([1., 3.], dtype=torch.float64)
trunc: `x` rounded toward zero, element-wise; integers pass unchanged.
    >>> ops.trunc([-1.7, 2.7])
    tensor([-1.,  2.])
imag: The imaginary part of `x`, element-wise; zeros for real inputs.
    Args:
        x: a tensor, NumPy array, Python number or nested list.

    Returns:
        A tensor of `x`'s shape: float32 for complex64, float64 for complex128, otherwise
        `x`'s dtype.
    >>> ops.imag(np.array([1 + 2j, 3 - 1j]))
    tensor([ 2., -1.], dtype=torch.float64)
"""

_UNARY_FLOAT = """
sqrt: The non-negative square root of `x`, element-wise (NaN for negatives).
    >>> ops.sqrt([4, 9])
    tensor([2., 3.])
rsqrt: The reciprocal square root `1 / sqrt(x)`, element-wise.
    >>> ops.rsqrt([4.0, 16.0])
    tensor([0.5000, 0.2500])
exp: The exponential `e ** x`, element-wise.
    >>> ops.exp([0.0, 1.0])
    tensor([1.0000, 2.7183])
exp2: `2 ** x`, element-wise.
    >>> ops.exp2([0, 3])
    tensor([1., 8.])
expm1: `exp(x) - 1`, element-wise, accurate for small `x`.
    >>> ops.expm1([0.0, 1.0])
    tensor([0.0000, 1.7183])
log: The natural logarithm of `x`, element-wise (NaN for negatives, -inf at 0).
    >>> ops.log([1.0, 2.0])
    tensor([0.0000, 0.6931])
log10: The base-10 logarithm of `x`, element-wise.
    >>> ops.log10([1, 100])
    tensor([0., 2.])
log1p: `log(1 + x)`, element-wise, accurate for small `x`.
    >>> ops.log1p([0.0, 1.0])
    tensor([0.0000, 0.6931])
log2: The base-2 logarithm of `x`, element-wise.
    >>> ops.log2([1.0, 8.0])
    tensor([0., 3.])
sin: The sine of `x` (in radians), element-wise.
    >>> ops.sin([0.0, 1.5707964])
    tensor([0., 1.])
cos: The cosine of `x` (in radians), element-wise.
    >>> ops.cos([0.0, 3.1415927])
    tensor([ 1., -1.])
tan: The tangent of `x` (in radians), element-wise.
    >>> ops.tan([0.0, 0.7853982])
    tensor([0., 1.])
arcsin: The inverse sine of `x`, element-wise, in radians in [-pi/2, pi/2].
    >>> ops.arcsin([0.0, 1.0])
    tensor([0.0000, 1.5708])
arccos: The inverse cosine of `x`, element-wise, in radians in [0, pi].
    >>> ops.arccos([1.0, 0.0])
    tensor([0.0000, 1.5708])
arctan: The inverse tangent of `x`, element-wise, in radians in (-pi/2, pi/2).
    >>> ops.arctan([0.0, 1.0])
    tensor([0.0000, 0.7854])
arcsinh: The inverse hyperbolic sine of `x`, element-wise.
    >>> ops.arcsinh([0.0, 1.0])
    tensor([0.0000, 0.8814])
arccosh: The inverse hyperbolic cosine of `x`, element-wise (NaN below 1).
    >>> ops.arccosh([1.0, 2.0])
    tensor([0.0000, 1.3170])
arctanh: The inverse hyperbolic tangent of `x`, element-wise (infinite at -1 and 1).
    >>> ops.arctanh([0.0, 0.5])
    tensor([0.0000, 0.5493])
sinh: The hyperbolic sine of `x`, element-wise.
    >>> ops.sinh([0.0, 1.0])
    tensor([0.0000, 1.1752])
cosh: The hyperbolic cosine of `x`, element-wise.
    >>> ops.cosh([0.0, 1.0])
    tensor([1.0000, 1.5431])
tanh: The hyperbolic tangent of `x`, element-wise.
    >>> ops.tanh([0.0, 1.0])
    tensor([0.0000, 0.7616])
erf: The Gauss error function of `x`, element-wise.
    >>> ops.erf([0.0, 1.0])
    tensor([0.0000, 0.8427])
erfc: The complementary error function `1 - erf(x)`, element-wise.
    >>> ops.erfc([0.0, 1.0])
    tensor([1.0000, 0.1573])
erfinv: The inverse of the error function, element-wise (defined on (-1, 1)).
    >>> ops.erfinv([0.0, 0.5])
    tensor([0.0000, 0.4769])
i0: The modified Bessel function of the first kind, order 0, element-wise.
    >>> ops.i0([0.0, 1.0])
    tensor([1.0000, 1.2661])
sinc: The normalized sinc `sin(pi * x) / (pi * x)`, element-wise (1 at 0).
    >>> ops.sinc([0.0, 0.5])
    tensor([1.0000, 0.6366])
floor: The largest integer not above `x`, element-wise, as a float.
    >>> ops.floor([-1.5, 2.5])
    tensor([-2.,  2.])
ceil: The smallest integer not below `x`, element-wise, as a float.
    >>> ops.ceil([-1.5, 2.5])
    tensor([-1.,  3.])
fabs: The absolute value of `x`, element-wise, as a float.
    >>> ops.fabs([-3, 2])
    tensor([3., 2.])
reciprocal: `1 / x`, element-wise.
    >>> ops.reciprocal([2.0, 4.0])
    tensor([0.5000, 0.2500])
deg2rad: `x` converted from degrees to radians, element-wise.
    >>> ops.deg2rad([90.0, 180.0])
    tensor([1.5708, 3.1416])
rad2deg: `x` converted from radians to degrees, element-wise.
    >>> ops.rad2deg([1.5707964, 3.1415927])
    tensor([ 90., 180.])
cbrt: The real cube root of `x`, element-wise (negative for negative `x`).
    >>> ops.cbrt([-8.0, 27.0])
    tensor([-2.,  3.])
angle: The angle (argument, in radians) of complex `x`, element-wise; 0 or pi for reals.
    Complex inputs give their real dtype (float64 for complex128).
    >>> ops.angle(np.array([1j, -1 + 0j]))
    tensor([1.5708, 3.1416], dtype=torch.float64)
"""

_UNARY_BOOL = """
isfinite: Whether each element of `x` is finite (not infinite and not NaN).
    >>> ops.isfinite([1.0, float("inf"), float("nan")])
    tensor([ True, False, False])
isinf: Whether each element of `x` is positive or negative infinity.
    >>> ops.isinf([1.0, float("inf"), -float("inf")])
    tensor([False,  True,  True])
isnan: Whether each element of `x` is NaN.
    >>> ops.isnan([1.0, float("nan")])
    tensor([False,  True])
isneginf: Whether each element of `x` is negative infinity.
    >>> ops.isneginf([1.0, float("inf"), -float("inf")])
    tensor([False, False,  True])
isposinf: Whether each element of `x` is positive infinity.
    >>> ops.isposinf([1.0, float("inf"), -float("inf")])
    tensor([False,  True, False])
isreal: Whether each element of `x` has no imaginary part (always true for real dtypes).
    >>> ops.isreal(np.array([1 + 0j, 1 + 2j]))
    tensor([ True, False])
signbit: Whether each element of `x` has its sign bit set (true for -0.0).
    >>> ops.signbit([-1.0, 0.0, -0.0])
    tensor([ True, False,  True])
logical_not: The logical NOT of `x`, element-wise (non-zero values are true).
    >>> ops.logical_not([0, 1, 2])
    tensor([ True, False, False])
"""

_BINARY_SAME = """
add: `x1 + x2`, element-wise.
    >>> ops.add([1, 2], [10, 20])
    tensor([11, 22], dtype=torch.int32)
subtract: `x1 - x2`, element-wise.
    >>> ops.subtract([1.5, 2.0], 1)
    tensor([0.5000, 1.0000])
multiply: `x1 * x2`, element-wise.
    >>> ops.multiply([1, 2], 1.5)
    tensor([1.5000, 3.0000])
maximum: The larger of `x1` and `x2`, element-wise (NaN wins).
    >>> ops.maximum([1.0, 5.0], [3.0, 2.0])
    tensor([3., 5.])
minimum: The smaller of `x1` and `x2`, element-wise (NaN wins).
    >>> ops.minimum([1.0, 5.0], [3.0, 2.0])
    tensor([1., 2.])
mod: The remainder of `x1 / x2`, element-wise, with the sign of `x2` (Python's `%`).
    >>> ops.mod([5, -5], 3)
    tensor([2, 1], dtype=torch.int32)
fmod: The remainder of `x1 / x2`, element-wise, with the sign of `x1` (C's `fmod`).
    >>> ops.fmod([5, -5], 3)
    tensor([ 2, -2], dtype=torch.int32)
floor_divide: `x1 // x2`, element-wise: the quotient rounded toward negative infinity.
    >>> ops.floor_divide([7, -7], 2)
    tensor([ 3, -4], dtype=torch.int32)
power: `x1 ** x2`, element-wise.
    >>> ops.power([2, 3], 2)
    tensor([4, 9], dtype=torch.int32)
gcd: The greatest common divisor of integer `x1` and `x2`, element-wise.
    >>> ops.gcd([12, 9], [8, 6])
    tensor([4, 3], dtype=torch.int32)
lcm: The least common multiple of integer `x1` and `x2`, element-wise.
    >>> ops.lcm([4, 3], [6, 5])
    tensor([12, 15], dtype=torch.int32)
fmax: The larger of `x1` and `x2`, element-wise, ignoring NaN (NaN only when both are).
    >>> ops.fmax([1.0, float("nan")], [3.0, 2.0])
    tensor([3., 2.])
fmin: The smaller of `x1` and `x2`, element-wise, ignoring NaN (NaN only when both are).
    >>> ops.fmin([1.0, float("nan")], [3.0, 2.0])
    tensor([1., 2.])
nextafter: The next representable float after `x1` toward `x2`, element-wise.
    Differs from Keras's torch backend, which steps in float64 and casts back (so its float32
    results equal `x1`): plait steps in the operands' dtype, so `nextafter(1.0, 2.0) - 1` is
    1.1921e-07 (float32's epsilon), as in NumPy.
    >>> ops.nextafter([1.0, 2.0], [1.0, 2.0])
    tensor([1., 2.])
"""

_BITWISE = """
bitwise_and: The bitwise AND of integer or bool `x` and `y`, element-wise.
    >>> ops.bitwise_and([12, 10], 6)
    tensor([4, 2], dtype=torch.int32)
bitwise_or: The bitwise OR of integer or bool `x` and `y`, element-wise.
    >>> ops.bitwise_or([12, 10], 6)
    tensor([14, 14], dtype=torch.int32)
bitwise_xor: The bitwise XOR of integer or bool `x` and `y`, element-wise.
    >>> ops.bitwise_xor([12, 10], 6)
    tensor([10, 12], dtype=torch.int32)
left_shift: The bits of integer `x` shifted left by `y`, element-wise (`x << y`).
    >>> ops.left_shift([1, 3], 2)
    tensor([ 4, 12], dtype=torch.int32)
right_shift: The bits of integer `x` shifted right by `y`, element-wise (`x >> y`).
    >>> ops.right_shift([8, 13], 2)
    tensor([2, 3], dtype=torch.int32)
bitwise_left_shift: `x << y`, element-wise (the same op as `left_shift`).
    >>> ops.bitwise_left_shift([1, 3], 2)
    tensor([ 4, 12], dtype=torch.int32)
bitwise_right_shift: `x >> y`, element-wise (the same op as `right_shift`).
    >>> ops.bitwise_right_shift([8, 13], 2)
    tensor([2, 3], dtype=torch.int32)
"""

_BINARY_FLOAT = """
divide: `x1 / x2`, element-wise (true division: ints give floats).
    >>> ops.divide([1, 3], 2)
    tensor([0.5000, 1.5000])
true_divide: `x1 / x2`, element-wise (the same op as `divide`).
    >>> ops.true_divide([1.0, 3.0], [2.0, 4.0])
    tensor([0.5000, 0.7500])
arctan2: The angle of the point `(x2, x1)` in radians, in [-pi, pi], element-wise.
    >>> ops.arctan2([1.0, 1.0], [1.0, -1.0])
    tensor([0.7854, 2.3562])
hypot: `sqrt(x1 ** 2 + x2 ** 2)`, element-wise, without overflow in the squares.
    >>> ops.hypot([3, 5], [4, 12])
    tensor([ 5., 13.])
logaddexp: `log(exp(x1) + exp(x2))`, element-wise, computed without overflow.
    >>> ops.logaddexp([0.0, 100.0], [0.0, 100.0])
    tensor([  0.6931, 100.6931])
logaddexp2: `log2(2 ** x1 + 2 ** x2)`, element-wise, computed without overflow.
    >>> ops.logaddexp2([1.0, 3.0], [1.0, 3.0])
    tensor([2., 4.])
heaviside: The Heaviside step of `x1`: 0 where `x1 < 0`, `x2` where `x1 == 0`, 1 where `x1 > 0`.
    >>> ops.heaviside([-1.0, 0.0, 2.0], 0.5)
    tensor([0.0000, 0.5000, 1.0000])
"""

_BINARY_BOOL = """
equal: Whether `x1 == x2`, element-wise.
    >>> ops.equal([1, 2, 3], 2)
    tensor([False,  True, False])
not_equal: Whether `x1 != x2`, element-wise.
    >>> ops.not_equal([1, 2, 3], 2)
    tensor([ True, False,  True])
greater: Whether `x1 > x2`, element-wise.
    >>> ops.greater([1, 2, 3], 2)
    tensor([False, False,  True])
greater_equal: Whether `x1 >= x2`, element-wise.
    >>> ops.greater_equal([1, 2, 3], 2)
    tensor([False,  True,  True])
less: Whether `x1 < x2`, element-wise.
    >>> ops.less([1, 2, 3], 2)
    tensor([ True, False, False])
less_equal: Whether `x1 <= x2`, element-wise.
    >>> ops.less_equal([1, 2, 3], 2)
    tensor([ True,  True, False])
logical_and: The logical AND of `x1` and `x2`, element-wise (non-zero values are true).
    >>> ops.logical_and([True, True, False], [True, False, False])
    tensor([ True, False, False])
logical_or: The logical OR of `x1` and `x2`, element-wise (non-zero values are true).
    >>> ops.logical_or([True, True, False], [True, False, False])
    tensor([ True,  True, False])
logical_xor: The logical XOR of `x1` and `x2`, element-wise (non-zero values are true).
    >>> ops.logical_xor([True, True, False], [True, False, False])
    tensor([False,  True, False])
"""

DOCS = {
    **parse(_UNARY_SAME, UNARY_SAME),
    **parse(_UNARY_FLOAT, UNARY_FLOAT),
    **parse(_UNARY_BOOL, UNARY_BOOL),
    **parse(_BINARY_SAME, BINARY_SAME),
    **parse(_BITWISE, BITWISE),
    **parse(_BINARY_FLOAT, BINARY_FLOAT),
    **parse(_BINARY_BOOL, BINARY_BOOL),
}
