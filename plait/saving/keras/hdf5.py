"""HDF5 access for Keras files: h5py imported on first use only, damaged files reported by
name, datasets read only after their declared shape and type were checked.

h5py is an optional dependency (`pip install plait[keras]`): plain `.plait` and
`.safetensors` use never imports it.
"""

import contextlib
import io
import os

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
