"""Element-wise and reducing ops, as tables: Keras's name -> the torch function, plus the
Keras dtype rule that applies to the whole row (keep the dtype, compute in float, answer
bool). The few ops whose semantics differ from torch's are written out below the tables.
Every op's docstring (what `help()` shows, with its example) is in `_docs_elementwise.py` and
`_docs_reductions.py`."""

import builtins
import sys
from typing import Any

import torch

from plait import config
from plait.ops import _docs, _docs_elementwise, _docs_reductions
from plait.ops._base import (
    axes,
    keras_op,
    result_type,
    tensor,
    tensors,
    to_float,
    torch_dtype,
)

_this = sys.modules[__name__]
__all__ = []


def _define(name, func):
    op = keras_op(func, name=name)
    setattr(_this, name, op)
    __all__.append(name)
    return op


# ------------------------------------------------------------------ unary

# Keras name -> torch function; the result keeps the input's dtype.
_UNARY_SAME = {
    "abs": torch.abs,
    "absolute": torch.abs,
    "negative": torch.neg,
    "sign": torch.sign,
    "square": torch.square,
    "conj": torch.conj_physical,
    "conjugate": torch.conj_physical,
    "bitwise_invert": torch.bitwise_not,
    "bitwise_not": torch.bitwise_not,
    "copy": torch.clone,
    "real": torch.real,
    "trunc": lambda x: torch.trunc(x) if x.is_floating_point() else x,
    "imag": lambda x: torch.imag(x) if x.is_complex() else torch.zeros_like(x),
}
# Keras name -> torch function; ints and bools are computed in floatx.
_UNARY_FLOAT = {
    "sqrt": torch.sqrt,
    "rsqrt": torch.rsqrt,
    "exp": torch.exp,
    "exp2": torch.exp2,
    "expm1": torch.expm1,
    "log": torch.log,
    "log10": torch.log10,
    "log1p": torch.log1p,
    "log2": torch.log2,
    "sin": torch.sin,
    "cos": torch.cos,
    "tan": torch.tan,
    "arcsin": torch.arcsin,
    "arccos": torch.arccos,
    "arctan": torch.arctan,
    "arcsinh": torch.arcsinh,
    "arccosh": torch.arccosh,
    "arctanh": torch.arctanh,
    "sinh": torch.sinh,
    "cosh": torch.cosh,
    "tanh": torch.tanh,
    "erf": torch.erf,
    "erfc": torch.erfc,
    "erfinv": torch.erfinv,
    "i0": torch.i0,
    "sinc": torch.sinc,
    "floor": torch.floor,
    "ceil": torch.ceil,
    "fabs": torch.abs,
    "reciprocal": torch.reciprocal,
    "deg2rad": torch.deg2rad,
    "rad2deg": torch.rad2deg,
    "cbrt": lambda x: torch.sign(x) * torch.abs(x).pow(1.0 / 3.0),
    "angle": torch.angle,
}
# Keras name -> torch function answering bool.
_UNARY_BOOL = {
    "isfinite": torch.isfinite,
    "isinf": torch.isinf,
    "isnan": torch.isnan,
    "isneginf": torch.isneginf,
    "isposinf": torch.isposinf,
    "isreal": torch.isreal,
    "signbit": torch.signbit,
    "logical_not": torch.logical_not,
}


def _unary(fn, to):
    def op(x):
        x = tensor(x)
        if to == "float":
            x = to_float(x)
        elif to == "same" and x.dtype == torch.bool:
            if fn is torch.abs:
                return x.clone()
            if fn in (torch.square, torch.neg):
                x = x.to(torch.int32)
        return fn(x)

    return op


_table: dict[str, Any]  # each table in turn, unary and binary
for _table, _to in ((_UNARY_SAME, "same"), (_UNARY_FLOAT, "float"), (_UNARY_BOOL, "bool")):
    for _name, _fn in _table.items():
        _define(_name, _unary(_fn, _to))

# ------------------------------------------------------------------ binary

# Keras name -> torch function; the result takes the operands' promoted dtype.
_BINARY_SAME = {
    "add": torch.add,
    "subtract": torch.subtract,
    "multiply": torch.multiply,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
    "mod": torch.remainder,
    "fmod": torch.fmod,
    "floor_divide": torch.floor_divide,
    "power": torch.pow,
    "bitwise_and": torch.bitwise_and,
    "bitwise_or": torch.bitwise_or,
    "bitwise_xor": torch.bitwise_xor,
    "left_shift": torch.bitwise_left_shift,
    "right_shift": torch.bitwise_right_shift,
    "bitwise_left_shift": torch.bitwise_left_shift,
    "bitwise_right_shift": torch.bitwise_right_shift,
    "gcd": torch.gcd,
    "lcm": torch.lcm,
    "fmax": torch.fmax,
    "fmin": torch.fmin,
    "nextafter": torch.nextafter,
}
# Keras name -> torch function; computed in float (floatx for ints).
_BINARY_FLOAT = {
    "divide": torch.true_divide,
    "true_divide": torch.true_divide,
    "arctan2": torch.arctan2,
    "hypot": torch.hypot,
    "logaddexp": torch.logaddexp,
    "logaddexp2": torch.logaddexp2,
    "heaviside": torch.heaviside,
}
# Keras name -> torch function answering bool.
_BINARY_BOOL = {
    "equal": torch.eq,
    "not_equal": torch.ne,
    "greater": torch.gt,
    "greater_equal": torch.ge,
    "less": torch.lt,
    "less_equal": torch.le,
    "logical_and": torch.logical_and,
    "logical_or": torch.logical_or,
    "logical_xor": torch.logical_xor,
}


def _binary(fn, to):
    def op(x1, x2):
        a, b = tensors(x1, x2)
        dtype = result_type(*(v.dtype if isinstance(v, torch.Tensor) else type(v) for v in (a, b)))
        if to == "float" and dtype not in ("float16", "bfloat16", "float32", "float64"):
            dtype = config.floatx()
        if to != "bool":
            a, b = (tensor(v, dtype, like=a if isinstance(a, torch.Tensor) else b) for v in (a, b))
        else:
            like = a if isinstance(a, torch.Tensor) else b
            a, b = tensor(a, like=like), tensor(b, like=like)
        if (
            dtype == "bool"
            and fn in (torch.add, torch.multiply, torch.subtract, torch.maximum, torch.minimum)
            and to != "bool"
        ):
            return (
                fn(a.to(torch.int32), b.to(torch.int32)).to(torch.bool)
                if fn is not torch.subtract
                else fn(a.to(torch.int32), b.to(torch.int32))
            )
        return fn(a, b)

    return op


# Keras names the operands of its bitwise ops `x` and `y` (of the others `x1` and `x2`).
_XY_NAMES = {n for n in _BINARY_SAME if n.startswith(("bitwise_", "left_", "right_"))}


def _named_xy(f):
    def op(x, y):
        return f(x, y)

    return op


for _table, _to in ((_BINARY_SAME, "same"), (_BINARY_FLOAT, "float"), (_BINARY_BOOL, "bool")):
    for _name, _fn in _table.items():
        _op = _binary(_fn, _to)
        _define(_name, _named_xy(_op) if _name in _XY_NAMES else _op)

# ------------------------------------------------------------------ reductions


def _over(fn, x, axis, keepdims):
    """`fn(x, dim=-1)` applied over all of `axis` (None: every axis) at once, by moving those
    axes last and flattening them; `keepdims` keeps them as size-1 axes."""
    dims = axes(axis, x.ndim)
    dims = (
        tuple(range(x.ndim)) if dims is None else tuple(d % builtins.max(x.ndim, 1) for d in dims)
    )
    if x.ndim == 0:
        return fn(x.reshape(1), dim=-1)
    rest = [d for d in range(x.ndim) if d not in dims]
    moved = x.permute(*rest, *dims).reshape(*[x.shape[d] for d in rest], -1)
    out = fn(moved, dim=-1)
    if keepdims:
        out = out.reshape([1 if d in dims else x.shape[d] for d in range(x.ndim)])
    return out


def _values(fn):
    return lambda x, dim: fn(x, dim=dim).values


def _nan_to(value, fn):
    return lambda x, dim: fn(
        torch.nan_to_num(x, nan=value) if x.is_floating_point() else x, dim=dim
    )


_SMALL_INTS = (torch.bool, torch.int8, torch.int16, torch.uint8)
# Keras name -> (reduction over dim -1, how the input dtype is prepared: "same", "float",
# "sum" (bools and small ints as int32), "int32" (every int as int32), "bool").
_REDUCE = {
    "sum": (torch.sum, "sum"),
    "mean": (torch.mean, "float"),
    "amax": (torch.amax, "same"),
    "amin": (torch.amin, "same"),
    "all": (torch.all, "bool"),
    "any": (torch.any, "bool"),
    "std": (lambda x, dim: torch.std(x, dim=dim, correction=0), "float"),
    "var": (lambda x, dim: torch.var(x, dim=dim, correction=0), "float"),
    "median": (lambda x, dim: torch.quantile(x, 0.5, dim=dim), "float"),
    "nanmedian": (lambda x, dim: torch.nanquantile(x, 0.5, dim=dim), "float"),
    "logsumexp": (torch.logsumexp, "float"),
    "nansum": (torch.nansum, "sum"),
    "nanmean": (torch.nanmean, "float"),
    "nanprod": (_nan_to(1.0, torch.prod), "int32"),
    "nanmax": (_nan_to(float("-inf"), torch.amax), "same"),
    "nanmin": (_nan_to(float("inf"), torch.amin), "same"),
    "nanvar": (
        lambda x, dim: torch.nanmean(
            (x - torch.nanmean(x, dim=dim, keepdim=True)).square(), dim=dim
        ),
        "float",
    ),
    "ptp": (lambda x, dim: torch.amax(x, dim=dim) - torch.amin(x, dim=dim), "same"),
}


def _prepare(x, how):
    if how == "float":
        return to_float(x)
    if how == "bool":
        return x.to(torch.bool)
    if how == "sum" and x.dtype in _SMALL_INTS:
        return x.to(torch.int32)
    if how == "int32" and not (x.is_floating_point() or x.is_complex()):
        return x.to(torch.int32)
    return x


def _reduction(fn, how):
    def op(x, axis=None, keepdims=False):
        x = _prepare(tensor(x), how)
        out = _over(fn, x, axis, keepdims)
        return out.to(x.dtype) if how in ("sum", "int32") else out

    return op


for _name, (_fn, _how) in _REDUCE.items():
    _define(_name, _reduction(_fn, _how))


def _with_initial(name, reduce, pick):
    """`max`/`min` with Keras's `initial`: a bound the answer never passes, and the answer for
    an empty `x` (which raises without it)."""

    def op(x, axis=None, keepdims=False, initial=None):
        x = tensor(x)
        if x.numel() == 0:
            if initial is None:
                raise ValueError(
                    f"{name}: cannot reduce an empty tensor without `initial`. "
                    f"Received: x.shape={tuple(x.shape)}, initial=None"
                )
            dims = range(x.ndim) if axis is None else [d % x.ndim for d in axes(axis, x.ndim)]
            kept = [1 if d in dims else n for d, n in enumerate(x.shape)]
            shape = kept if keepdims else [n for d, n in enumerate(x.shape) if d not in dims]
            return torch.full(shape, initial, dtype=x.dtype, device=x.device)
        out = reduce(x, axis, keepdims)
        if initial is None:
            return out
        return pick(out, torch.tensor(initial, dtype=out.dtype, device=out.device))

    return op


def _prod(x, axis=None, keepdims=False, dtype=None):
    if dtype is None:
        return _reduction(torch.prod, "int32")(x, axis, keepdims)
    dtype = torch_dtype(dtype)
    return _over(torch.prod, tensor(x).to(dtype), axis, keepdims).to(dtype)


_define("max", _with_initial("max", _reduction(torch.amax, "same"), torch.maximum))
_define("min", _with_initial("min", _reduction(torch.amin, "same"), torch.minimum))
_define("prod", _prod)
_define(
    "nanstd",
    lambda x, axis=None, keepdims=False: torch.sqrt(_this.nanvar(x, axis=axis, keepdims=keepdims)),
)


def _argreduce(fn, nan_fill=None):
    def op(x, axis=None, keepdims=False):
        x = tensor(x)
        if nan_fill is not None and x.is_floating_point():
            x = torch.nan_to_num(x, nan=nan_fill)
        if x.dtype == torch.bool:
            x = x.to(torch.int32)
        if axis is None:
            out = fn(x.reshape(-1), dim=0)
            return out.reshape([1] * x.ndim).to(torch.int32) if keepdims else out.to(torch.int32)
        return fn(x, dim=int(axis), keepdim=keepdims).to(torch.int32)

    return op


_define("argmax", _argreduce(torch.argmax))
_define("argmin", _argreduce(torch.argmin))
_define("nanargmax", _argreduce(torch.argmax, float("-inf")))
_define("nanargmin", _argreduce(torch.argmin, float("inf")))


def _cumulative(fn, nan_fill=None):
    def op(x, axis=None, dtype=None):
        x = tensor(x)
        if dtype is not None:
            x = x.to(torch_dtype(dtype))
        elif x.dtype == torch.bool or x.dtype == torch.int64:
            x = x.to(torch.int32)
        if nan_fill is not None and x.is_floating_point():
            x = torch.nan_to_num(x, nan=nan_fill)
        if axis is None:
            return fn(x.reshape(-1), dim=0, dtype=x.dtype)
        return fn(x, dim=int(axis), dtype=x.dtype)

    return op


_define("cumsum", _cumulative(torch.cumsum))
_define("cumprod", _cumulative(torch.cumprod))
_define("nancumsum", _cumulative(torch.cumsum, 0.0))
_define("nancumprod", _cumulative(torch.cumprod, 1.0))


@keras_op
def count_nonzero(x, axis=None):
    """The number of non-zero values along `axis` (all axes when None), as int32."""
    x = tensor(x)
    dims = axes(axis, x.ndim)
    return torch.count_nonzero(x, dim=dims).to(torch.int32)


@keras_op
def round(x, decimals=0):
    """Rounds half to even to `decimals` places; integers stay integers."""
    x = tensor(x)
    if not x.is_floating_point():
        if decimals >= 0:
            return x
        factor = 10 ** (-decimals)
        return (torch.round(x.double() / factor) * factor).to(x.dtype)
    return torch.round(x, decimals=decimals)


@keras_op
def clip(x, x_min, x_max):
    """`x` limited to [x_min, x_max]; bools become int32 (Keras's rule)."""
    x = tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    dtype = result_type(
        x.dtype,
        *(type(v) if isinstance(v, (int, float)) else tensor(v).dtype for v in (x_min, x_max)),
    )
    x = x.to(torch_dtype(dtype))
    low = x_min if isinstance(x_min, (int, float)) else tensor(x_min, dtype, like=x)
    high = x_max if isinstance(x_max, (int, float)) else tensor(x_max, dtype, like=x)
    return torch.clamp(x, low, high)


@keras_op
def divide_no_nan(x1, x2):
    """`x1 / x2`, with 0 where `x2` is 0."""
    x1, x2 = _this.divide(x1, 1), _this.divide(x2, 1)
    return torch.where(x2 == 0, torch.zeros_like(x1), x1 / torch.where(x2 == 0, 1, x2))


@keras_op
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Element-wise `|x1 - x2| <= atol + rtol * |x2|`."""
    a, b = tensors(x1, x2)
    a, b = (
        tensor(
            v,
            result_type(
                a.dtype if isinstance(a, torch.Tensor) else type(a),
                b.dtype if isinstance(b, torch.Tensor) else type(b),
            ),
        )
        for v in (a, b)
    )
    return torch.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


@keras_op
def ldexp(x1, x2):
    """`x1 * 2 ** x2`, in float."""
    x1 = to_float(x1)
    return x1 * torch.pow(2.0, tensor(x2, like=x1)).to(x1.dtype)


@keras_op
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN -> `nan`, infinities -> `posinf`/`neginf` (default: the dtype's largest values)."""
    x = tensor(x)
    if not x.is_floating_point():
        return x
    return torch.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


@keras_op
def average(x, axis=None, weights=None):
    """The (weighted) mean along `axis`, in float."""
    x = to_float(x)
    if weights is None:
        return _this.mean(x, axis=axis)
    w = tensor(weights, like=x).to(x.dtype)
    if axis is not None and w.ndim == 1 and x.ndim > 1:
        shape = [1] * x.ndim
        shape[int(axis)] = -1
        w = w.reshape(shape)
    return torch.sum(x * w, dim=axis) / torch.sum(w * torch.ones_like(x), dim=axis)


__all__ += [
    "average",
    "clip",
    "count_nonzero",
    "divide_no_nan",
    "isclose",
    "ldexp",
    "nan_to_num",
    "round",
]
_docs.attach(vars(_this), _docs_elementwise.DOCS)
_docs.attach(vars(_this), _docs_reductions.DOCS)
