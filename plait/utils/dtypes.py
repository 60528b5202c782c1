"""Keras dtype names <-> torch dtypes: the one table plait keeps (losses, metrics, dtype
policies and layers read it)."""

import torch

__all__ = ["dtype_name", "to_torch_dtype"]

_BY_NAME = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "uint8": torch.uint8,
    "bool": torch.bool,
    "complex64": torch.complex64,
    "complex128": torch.complex128,
}
_NAMES = {v: k for k, v in _BY_NAME.items()}
# The float dtypes, in the order error messages list them.
FLOATS = {name: _BY_NAME[name] for name in ("float32", "float64", "float16", "bfloat16")}


def to_torch_dtype(dtype, argument="dtype"):
    """'float32' / torch.float32 / None (float32) -> torch.float32."""
    if dtype is None:
        return torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype in ("string", "str"):  # host-side text (plait.utils.string_array)
        return "string"
    if isinstance(dtype, str) and dtype in _BY_NAME:
        return _BY_NAME[dtype]
    raise ValueError(
        f"Unknown dtype. Expected one of {sorted(_BY_NAME)} or a torch.dtype. "
        f"Received: {argument}={dtype!r}"
    )


def dtype_name(dtype):
    """torch.float32 -> 'float32'."""
    return _NAMES.get(dtype, str(dtype).replace("torch.", ""))
