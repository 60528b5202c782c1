"""The one adapter every op goes through.

`keras_op` turns a function written for torch tensors into a Keras op: called with a plait
SymbolicTensor anywhere among its arguments, the whole op is recorded as one node of the
functional graph (the same TorchOp that `torch.relu(x)` on a symbolic tensor records), so it
shows in `summary()` and `plot_model`, its output shape is found by running it on shape-only
tensors when the graph is built, and the model's generated `forward` calls it inline.
Called with torch tensors, NumPy arrays or Python numbers it computes at once and returns a
torch tensor, as Keras's ops do on its PyTorch backend.
"""

import functools
from typing import Any

import numpy as np
import torch

from plait import config
from plait.graph import tensor as _tensor_module
from plait.graph.tensor import SymbolicTensor
from plait.utils.dtypes import dtype_name

REGISTRY: dict[str, Any] = {}  # op name -> op: the functions a saved TorchOp config may name

_NP_DTYPES = {
    np.dtype(n): getattr(torch, n)
    for n in (
        "float16",
        "float32",
        "float64",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "bool",
        "complex64",
        "complex128",
    )
}
_FLOATS = {"float16", "bfloat16", "float32", "float64"}
_INTS = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}


def _has_symbolic(value):
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, SymbolicTensor):
            return True
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return False


def keras_op(func=None, *, name=None):
    """Decorator: `func` (on torch tensors) becomes the Keras op `name` (default its own),
    recorded as one graph node when any argument is symbolic."""

    def wrap(f):
        op_name = name or f.__name__

        @functools.wraps(f)
        def op(*args, **kwargs):
            if _has_symbolic(args) or _has_symbolic(kwargs):
                return _tensor_module._record(op, args, kwargs)
            return f(*args, **kwargs)

        op.__name__ = op.__qualname__ = op_name
        op.__module__ = "plait.ops"
        op.plait_op_name = f"plait.ops.{op_name}"
        REGISTRY[op_name] = op
        return op

    return wrap(func) if func is not None else wrap


# ------------------------------------------------------------------ dtypes


def standardize_dtype(dtype=None):
    """Keras's dtype name for `dtype`: None (floatx), a name, a torch or NumPy dtype, or a
    Python type (`int` -> 'int32', `float` -> floatx). Raises ValueError for others.

    >>> import torch
    >>> from plait import backend
    >>> backend.standardize_dtype(torch.float16), backend.standardize_dtype(int)
    ('float16', 'int32')
    >>> backend.standardize_dtype(None)
    'float32'
    """
    if dtype is None:
        return config.floatx()
    if dtype is int:
        return "int32"
    if dtype is float:
        return config.floatx()
    if dtype is bool:
        return "bool"
    if isinstance(dtype, torch.dtype):
        return dtype_name(dtype)
    if isinstance(dtype, type) and issubclass(dtype, np.generic):
        return np.dtype(dtype).name
    if hasattr(dtype, "dtype") and not isinstance(dtype, str):  # tensors, arrays
        dtype = dtype.dtype
        return dtype_name(dtype) if isinstance(dtype, torch.dtype) else np.dtype(dtype).name
    if isinstance(dtype, str) and dtype in ("float", "int"):
        return standardize_dtype(float if dtype == "float" else int)
    try:
        name = np.dtype(dtype).name if dtype != "bfloat16" else "bfloat16"
    except TypeError:
        name = None
    if name is None or not hasattr(torch, name):
        raise ValueError(
            f"Invalid dtype: {dtype!r}. Expected a dtype name such as 'float32', "
            f"a torch or NumPy dtype, or a Python type. Received: dtype={dtype!r}"
        )
    return name


def torch_dtype(dtype):
    """The torch dtype of `dtype` (anything `standardize_dtype` takes)."""
    return dtype if isinstance(dtype, torch.dtype) else getattr(torch, standardize_dtype(dtype))


def is_float(dtype):
    return standardize_dtype(dtype) in _FLOATS


def is_int(dtype):
    return standardize_dtype(dtype) in _INTS


def result_type(*dtypes):
    """The dtype Keras gives an op on these dtypes: Python `int`/`float` are weak (they take
    the other operand's kind), otherwise PyTorch's promotion; floats default to floatx.

    >>> from plait import backend
    >>> backend.result_type("uint8", "int8"), backend.result_type("int32", float)
    ('int16', 'float32')
    >>> backend.result_type("bfloat16", "float16")
    'float32'
    """
    strong = [torch_dtype(d) for d in dtypes if d not in (int, float, bool)]
    weak = [d for d in dtypes if d in (int, float, bool)]
    if not strong:
        kind = float if float in weak else int if int in weak else bool
        return standardize_dtype(kind)
    out = strong[0]
    for d in strong[1:]:
        out = torch.promote_types(out, d)
    if float in weak and not (out.is_floating_point or out.is_complex):
        return config.floatx()
    if int in weak and out == torch.bool:
        return "int32"
    return dtype_name(out)


# ------------------------------------------------------------------ conversion


def _default_device(values):
    for v in values:
        if isinstance(v, torch.Tensor):
            return v.device
    return None


def tensor(x, dtype=None, like=None):
    """`x` as a torch tensor: tensors pass through (cast when `dtype` is given), NumPy
    arrays keep their dtype, Python numbers and lists take Keras's (int32, floatx, bool)."""
    device = like.device if isinstance(like, torch.Tensor) else None
    target = None if dtype is None else torch_dtype(dtype)
    if isinstance(x, torch.Tensor):
        out = x
    elif isinstance(x, (np.ndarray, np.generic)):
        arr = np.asarray(x)
        if arr.dtype == np.uint32 or arr.dtype == np.uint16:
            arr = arr.astype(np.int64)
        out = torch.as_tensor(arr, device=device)
    elif isinstance(x, (list, tuple)) and any(isinstance(v, torch.Tensor) for v in x):
        out = torch.stack([tensor(v, like=like) for v in x])
    else:
        if isinstance(x, bool) or (isinstance(x, (list, tuple)) and _all_bool(x)):
            kind = torch.bool
        elif _any_float(x):
            kind = torch_dtype(config.floatx())
        else:
            kind = torch.int32
        out = torch.as_tensor(x, dtype=target or kind, device=device)
    if target is not None and out.dtype != target:
        out = out.to(target)
    if device is not None and out.device != device:
        out = out.to(device)
    return out


def _flat(x):
    stack = [x]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        else:
            yield item


def _all_bool(x):
    return all(isinstance(v, (bool, np.bool_)) for v in _flat(x))


def _any_float(x):
    return any(isinstance(v, (float, np.floating)) for v in _flat(x))


def tensors(*values, dtype=None):
    """Each value as a tensor on the first tensor's device; Python scalars stay Python
    scalars (weak types) unless `dtype` is given."""
    like = _default_device(values)
    like = torch.empty(0, device=like) if like is not None else None
    out = []
    for v in values:
        if dtype is None and isinstance(v, (bool, int, float)) and not isinstance(v, np.generic):
            out.append(v)
        else:
            out.append(tensor(v, dtype, like=like))
    return out


def to_float(x):
    """`x` as a float tensor: floats keep their dtype, ints and bools become floatx."""
    x = tensor(x)
    if x.is_floating_point() or x.is_complex():
        return x
    return x.to(torch_dtype(config.floatx()))


def axes(axis, ndim):
    """Keras's `axis` (None, an int or a sequence) as torch's `dim` (None or a tuple)."""
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    return (int(axis),)
