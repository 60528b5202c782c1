"""The safetensors format, read and written by plait itself, tensor by tensor.

A safetensors file is an 8-byte little-endian header length N, N bytes of JSON
(`{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...,
"__metadata__": {"key": "text"}}`) and the tensors' raw little-endian bytes, back to back.
plait writes and reads it here rather than through the `safetensors` package because it
streams: a save writes one tensor at a time into the `.plait` zip, a load copies one tensor at
a time into the model's own parameters, so neither holds a second copy of the model. The
files are ordinary safetensors files (tests check them against the `safetensors` package).

Reading validates everything before a byte of tensor data is used: the header's size, its
JSON, every dtype, shape and offset, and that the tensors tile the data exactly. A damaged
file raises `ValueError`.
"""

import json
import math
import struct
import sys

import torch

__all__ = [
    "Entry",
    "dtype_code",
    "load",
    "read_header",
    "read_tensors",
    "skip_bytes",
    "total_size",
    "write",
]

# The header of a real model is a few kilobytes; the reference implementation caps it at
# 100 MB, and so do we (a damaged length field must not make us allocate gigabytes).
MAX_HEADER_BYTES = 100 * 1024 * 1024

_DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
for _code, _attr in (
    ("F8_E4M3", "float8_e4m3fn"),
    ("F8_E5M2", "float8_e5m2"),
    ("U16", "uint16"),
    ("U32", "uint32"),
    ("U64", "uint64"),
):
    if hasattr(torch, _attr):
        _DTYPES[_code] = getattr(torch, _attr)
_CODES = {dtype: code for code, dtype in _DTYPES.items()}


class Entry:
    """One tensor of a safetensors header: name, dtype, shape and byte range in the data."""

    __slots__ = ("name", "dtype", "shape", "begin", "end")

    def __init__(self, name, dtype, shape, begin, end):
        self.name, self.dtype, self.shape, self.begin, self.end = name, dtype, shape, begin, end


def dtype_code(dtype):
    code = _CODES.get(dtype)
    if code is None:
        raise TypeError(
            f"safetensors cannot store tensors of dtype {dtype}. Supported dtypes: "
            f"{sorted(str(d) for d in _CODES)}"
        )
    return code


def _check_byteorder():
    if sys.byteorder != "little":
        raise NotImplementedError(
            "plait reads and writes safetensors on little-endian machines only."
        )


def _header(tensors, metadata):
    """The padded header bytes for `tensors` and the size of their data."""
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, tensor in tensors.items():
        size = tensor.numel() * tensor.element_size()
        header[name] = {
            "dtype": dtype_code(tensor.dtype),
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + size],
        }
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    return text + b" " * (-len(text) % 8), offset  # data then starts 8-byte aligned


def total_size(tensors, metadata=None):
    """The number of bytes `write` produces for these arguments."""
    text, data_size = _header(tensors, metadata)
    return 8 + len(text) + data_size


def write(f, tensors, metadata=None):
    """Write `tensors` (a dict name -> tensor, kept in its order) as safetensors to the binary
    file `f`, one tensor at a time. `metadata` is a dict of str -> str. Returns bytes written."""
    _check_byteorder()
    text, data_size = _header(tensors, metadata)
    f.write(struct.pack("<Q", len(text)))
    f.write(text)
    for tensor in tensors.values():
        if tensor.numel():
            flat = tensor.detach().to("cpu").contiguous().reshape(-1).view(torch.uint8)
            f.write(memoryview(flat.numpy()))
    return 8 + len(text) + data_size


def read_header(f, size, source="the file"):
    """Parse and validate the header of a safetensors stream of `size` bytes.

    Returns `(entries, metadata)`: the entries sorted by their place in the data, and the
    `__metadata__` dict (empty when absent). Raises ValueError naming `source` when the header
    is damaged or does not describe exactly the bytes that follow it.
    """
    _check_byteorder()
    if size < 8:
        raise ValueError(
            f"{source} is not a safetensors file: it has {size} bytes, fewer "
            "than its 8-byte header length."
        )
    (length,) = struct.unpack("<Q", _read_exactly(f, 8, source))
    if length < 2 or length > min(size - 8, MAX_HEADER_BYTES):
        raise ValueError(
            f"{source} is damaged: its header claims {length} bytes, but the file has "
            f"{size - 8} bytes after the length field (and headers are at most "
            f"{MAX_HEADER_BYTES} bytes)."
        )
    raw = _read_exactly(f, length, source)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ValueError(f"{source} is damaged: its header is not valid JSON ({err}).") from None
    if not isinstance(header, dict):
        raise ValueError(f"{source} is damaged: its header is not a JSON object.")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise ValueError(f"{source} is damaged: its __metadata__ is not a dict of strings.")
    entries = [_entry(name, info, source) for name, info in header.items()]
    entries.sort(key=lambda e: (e.begin, e.end))
    position = 0
    for entry in entries:
        if entry.begin != position:
            raise ValueError(
                f"{source} is damaged: tensor '{entry.name}' starts at byte {entry.begin} of "
                f"the data, but the previous tensor ends at byte {position}."
            )
        position = entry.end
    if position != size - 8 - length:
        raise ValueError(
            f"{source} is damaged or truncated: its header describes {position} bytes of "
            f"tensor data, but {size - 8 - length} bytes follow the header."
        )
    return entries, metadata


def _entry(name, info, source):
    def bad(what):
        return ValueError(
            f"{source} is damaged: the header entry of tensor '{name:.100}' "
            f"{what}. Received: {json.dumps(info)[:200]}"
        )

    if not isinstance(info, dict):
        raise bad("is not a JSON object")
    code = info.get("dtype")
    dtype = _DTYPES.get(code) if isinstance(code, str) else None
    if dtype is None:
        raise bad(f"has an unknown dtype (known: {sorted(_DTYPES)})")
    shape = info.get("shape")
    if (
        not isinstance(shape, list)
        or not all(type(d) is int and d >= 0 for d in shape)
        or len(shape) > 64
    ):
        raise bad("has no valid shape (a list of non-negative ints)")
    offsets = info.get("data_offsets")
    if not (
        isinstance(offsets, list)
        and len(offsets) == 2
        and all(type(o) is int and o >= 0 for o in offsets)
        and offsets[0] <= offsets[1]
    ):
        raise bad("has no valid data_offsets ([begin, end])")
    nbytes = math.prod(shape) * torch.empty((), dtype=dtype).element_size()
    if offsets[1] - offsets[0] != nbytes:
        raise bad(
            f"says its data spans {offsets[1] - offsets[0]} bytes, but shape {shape} "
            f"of {dtype} needs {nbytes}"
        )
    return Entry(name, dtype, tuple(shape), offsets[0], offsets[1])


def read_tensors(f, entries, source="the file"):
    """Yield `(entry, tensor)` for `entries` (from `read_header`, in order) from the stream
    `f` positioned right after the header; each tensor is a fresh CPU tensor."""
    for entry in entries:
        nbytes = entry.end - entry.begin
        if nbytes == 0:
            yield entry, torch.empty(entry.shape, dtype=entry.dtype)
            continue
        buffer = bytearray(_read_exactly(f, nbytes, source))
        flat = torch.frombuffer(buffer, dtype=torch.uint8)
        yield entry, flat.view(entry.dtype).reshape(entry.shape)


def skip_bytes(f, count, source="the file"):
    """Advance the stream `f` by `count` bytes (reading when it cannot seek)."""
    chunk = 1 << 20
    while count > 0:
        data = f.read(min(chunk, count))
        if not data:
            raise ValueError(f"{source} is truncated: it ends before its tensor data does.")
        count -= len(data)


def _read_exactly(f, count, source):
    data = f.read(count)
    if len(data) != count:
        raise ValueError(f"{source} is truncated: expected {count} more bytes, found {len(data)}.")
    return data


def load(f, size, source="the file"):
    """All tensors of a safetensors stream as a dict name -> CPU tensor, plus the metadata."""
    entries, metadata = read_header(f, size, source)
    return {entry.name: tensor for entry, tensor in read_tensors(f, entries, source)}, metadata
