"""HDF5 access for Keras files: h5py imported on first use only, damaged files reported by
name, datasets read only after their declared shape and type were checked.

h5py is an optional dependency (`pip install plait[keras]`): plain `.plait` and
`.safetensors` use never imports it.
"""

import contextlib
import io
import mmap
import os
import struct

import numpy as np

__all__ = ["h5py_module", "open_read", "open_write", "in_memory", "read_dataset"]

_FLOAT_KINDS = "fiub"  # float, int, unsigned, bool: the dtypes Keras weights use


def h5py_module():
    """The h5py module, or an ImportError that names the extra to install."""
    try:
        import h5py
    except ImportError:
        raise ImportError(
            "Reading or writing Keras files (.keras, .h5, .hdf5, .weights.h5) needs h5py, "
            "an optional dependency of plait. Install it with `pip install plait[keras]` "
            "(or `pip install h5py`). plait's own .plait and .safetensors files do not need "
            "it."
        ) from None
    return h5py


@contextlib.contextmanager
def open_read(source, label):
    """Open an HDF5 file (a path or a binary file object) for reading; a file that is not
    HDF5, truncated or damaged raises ValueError naming `label`."""
    h5py = h5py_module()
    if isinstance(source, (str, os.PathLike)) and not os.path.isfile(source):
        raise ValueError(f"No file at {label}. Received: filepath={os.fspath(source)!r}")
    check_heap_references(source, label)
    try:
        handle = h5py.File(source, "r")
    except (OSError, ValueError, RuntimeError) as err:
        raise ValueError(
            f"{label} is not a readable HDF5 file: it is truncated, damaged or of another "
            f"format ({err})."
        ) from None
    try:
        yield handle
    finally:
        handle.close()


@contextlib.contextmanager
def open_write(path):
    """A new HDF5 file at `path` (a temporary path the caller renames).

    HDF5's own file lock is off: the temporary is already held by the atomic writer's lock
    (which tells a live writer from a dead one), and a second lock on it would fail."""
    h5py = h5py_module()
    handle = h5py.File(path, "w", locking=False)
    try:
        yield handle
    finally:
        handle.close()


def in_memory(data, label):
    """An HDF5 file held in `data` (bytes), opened for reading."""
    return open_read(io.BytesIO(data), label)


def check_heap_references(source, label):
    """Refuse a file whose variable-length strings declare more bytes than their heap holds.

    HDF5 allocates a variable-length value (`model_config` and the other string attributes
    Keras writes) at the length its 16-byte reference declares, before it reads the heap
    object and finds the two differ: one damaged length field costs up to 4 GiB of memory.
    Each global heap collection (`GCOL`) is found, its objects' sizes read, and every
    reference to it checked, so reading allocates no more than the file holds."""
    if isinstance(source, io.BytesIO):
        _check_heap_buffer(source.getbuffer(), label)
        return
    if not isinstance(source, (str, os.PathLike)) or os.path.getsize(source) == 0:
        return
    with open(source, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        _check_heap_buffer(data, label)


_STRING_ATTRIBUTES = (b"model_config", b"training_config", b"keras_version", b"backend")


def _check_heap_buffer(data, label):
    data = data if isinstance(data, mmap.mmap) else bytes(data)
    near_names = _after_attribute_names(data)
    for address, objects, total in _heap_collections(data, label):
        pattern = struct.pack("<Q", address)
        at = data.find(pattern, 4)
        while at != -1:
            length = struct.unpack_from("<I", data, at - 4)[0]
            index = struct.unpack_from("<I", data, at + 8)[0] if at + 12 <= len(data) else 0
            # a reference names one of the heap's objects, or (its index damaged) stands in
            # the attribute message of a string plait reads; the same eight bytes also stand
            # in HDF5's own records, followed by other numbers, and are no reference there
            if index in objects:
                bound = objects[index]
            elif any(start <= at < start + 160 for start in near_names):
                bound = total
            else:
                bound = None
            if bound is not None and length > bound:
                raise ValueError(
                    f"{label} is not a readable HDF5 file: it is damaged (a string declares "
                    f"{length} bytes in a heap of {total} bytes at offset {address})."
                )
            at = data.find(pattern, at + 1)


def _after_attribute_names(data):
    starts = []
    for name in _STRING_ATTRIBUTES:
        at = data.find(name + b"\x00")
        while at != -1:
            starts.append(at)
            at = data.find(name + b"\x00", at + 1)
    return starts


def _heap_collections(data, label):
    """(offset, {object index: size}, collection size) for each global heap collection."""
    at = data.find(b"GCOL\x01\x00\x00\x00")
    while at != -1:
        if at + 16 > len(data):
            break
        total = struct.unpack_from("<Q", data, at + 8)[0]
        if total > len(data) - at:
            raise ValueError(
                f"{label} is not a readable HDF5 file: it is damaged (a heap at offset {at} "
                f"declares {total} bytes; the file has {len(data) - at} after it)."
            )
        objects, cursor = {}, at + 16
        while cursor + 16 <= at + total:
            index, size = (
                struct.unpack_from("<H", data, cursor)[0],
                struct.unpack_from("<Q", data, cursor + 8)[0],
            )
            if index == 0:
                break  # free space: the collection's last entry
            objects[index] = size
            cursor += 16 + (size + 7) // 8 * 8
        yield at, objects, total
        at = data.find(b"GCOL\x01\x00\x00\x00", at + 1)


def child(group, name):
    """`group[name]` or None when absent or unreadable (a damaged link)."""
    try:
        return group[name] if name in group else None
    except (KeyError, OSError, ValueError, RuntimeError):
        return None


def has_attr(node, name):
    """Whether `node` has attribute `name` (False when its attribute table is damaged)."""
    try:
        return name in node.attrs
    except (KeyError, OSError, ValueError, RuntimeError):
        return False


def is_dataset(node):
    return node is not None and type(node).__name__ == "Dataset"


def is_group(node):
    return node is not None and type(node).__name__ in ("Group", "File")


def read_dataset(dataset, expected_shape, label):
    """The dataset's values as a NumPy array, after checking that its declared shape is
    `expected_shape` and its type numeric, so nothing larger than the model needs is ever
    read; a damaged dataset raises ValueError naming `label`."""
    shape = tuple(dataset.shape) if dataset.shape is not None else None
    if shape != tuple(expected_shape):
        raise ValueError(f"{label} has shape {shape}; the model expects {tuple(expected_shape)}.")
    if dataset.dtype.kind not in _FLOAT_KINDS:
        raise ValueError(f"{label} holds {dataset.dtype} values, not numbers.")
    try:
        return np.asarray(dataset[()])
    except (OSError, ValueError, TypeError, RuntimeError) as err:
        raise ValueError(
            f"{label} cannot be read: the file is truncated or damaged ({err})."
        ) from None


def attr_strings(node, name, label):
    """An attribute holding a list of strings (`layer_names`, `weight_names`) as a list of
    str; a missing or malformed attribute raises ValueError naming `label`."""
    try:
        values = node.attrs[name]
    except (KeyError, OSError, RuntimeError) as err:
        raise ValueError(
            f"{label} has no '{name}' attribute ({err}): it is not a Keras "
            "weights file, or it is damaged."
        ) from None
    values = np.atleast_1d(values).tolist() if np.size(values) else []
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]


def attr_text(node, name):
    """A string attribute (`model_config`, `keras_version`) as str, or None."""
    try:
        value = node.attrs.get(name)
    except (OSError, ValueError, RuntimeError):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value if isinstance(value, str) else None
