"""What the dataset loaders share: Keras's download folder, a safe `.npz` reader (object
arrays of lists, as imdb/reuters store them, are unpickled by an unpickler that builds
only numpy arrays, lists and plain values: a crafted file cannot run code), and the
word-sequence filtering of imdb and reuters."""

import contextlib
import io
import os
import pickle
import struct
import zipfile
import zlib

import numpy as np

from plait.utils.file_utils import get_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

_ALLOWED = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }
)


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays, dicts, lists, bytes and numbers; refuses every other class."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Refusing to load `{module}.{name}` while reading a dataset file: only numpy "
            "arrays and plain values are allowed. The file may be corrupted or malicious."
        )


def _read_member(raw):
    buffer = io.BytesIO(raw)
    try:
        return np.lib.format.read_array(buffer, allow_pickle=False)
    except ValueError:  # an object array: its payload is a pickle
        buffer.seek(0)
        major, _ = np.lib.format.read_magic(buffer)
        if major == 1:
            np.lib.format.read_array_header_1_0(buffer)
        else:
            np.lib.format.read_array_header_2_0(buffer)
        return RestrictedUnpickler(buffer).load()


@contextlib.contextmanager
def reading(path):
    """Whatever a damaged dataset file makes its parser raise (zip, gzip, pickle, numpy or
    JSON errors, a missing key, an array of the wrong shape) becomes one ValueError that
    names the file and says how to get a good copy back."""
    try:
        yield
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, EOFError) as err:
        raise _damaged(path, err) from None
    except (OSError, MemoryError, OverflowError, RuntimeError) as err:
        raise _damaged(path, err) from None
    except (pickle.UnpicklingError, zipfile.BadZipFile, zlib.error, struct.error) as err:
        raise _damaged(path, err) from None


def _damaged(path, err):
    return ValueError(
        f"The dataset file {os.fspath(path)!r} cannot be read: it is truncated, damaged or "
        f"not the file Keras publishes ({type(err).__name__}: {err}). Delete it, and it is "
        "downloaded again on the next call."
    )


def load_npz(path):
    """The arrays of an `.npz` file as a dict, safely (see the module docstring); a damaged
    file raises ValueError naming it."""
    with reading(path), zipfile.ZipFile(path) as archive:
        return {
            name[:-4]: _read_member(archive.read(name))
            for name in archive.namelist()
            if name.endswith(".npy")
        }


def word_sequences(arrays, path, names):
    """`arrays[name]` for each of `names`, checked to be a 1-D array of int sequences (what
    imdb and reuters store), so later indexing cannot fail deep inside on a damaged file."""
    out = []
    with reading(path):
        for name in names:
            values = arrays[name]
            if not isinstance(values, np.ndarray) or values.ndim != 1:
                raise TypeError(f"'{name}' is not a 1-D array")
            if name.startswith("x") and not all(
                isinstance(seq, (list, np.ndarray)) and all(type(w) is int for w in seq)
                for seq in values
            ):
                raise TypeError(f"'{name}' holds something other than lists of ints")
            out.append(values)
    return out


def word_index(mapping):
    """A word index read from JSON, checked to map words to integer indices."""
    if not isinstance(mapping, dict) or not all(type(i) is int for i in mapping.values()):
        raise TypeError("the word index is not a JSON object of words to integers")
    return mapping


def housing_arrays(path, file_name, file_hash, test_split):
    """The `x` and `y` arrays of a housing dataset, fetched into the cache as `path`, once
    `test_split` is checked."""
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Invalid `test_split` argument: {test_split}. It must be between 0 "
            "and 1 (exclusive of 1)."
        )
    path = get_file(path, origin=ORIGIN + file_name, file_hash=file_hash)
    with reading(path), np.load(path, allow_pickle=False) as f:
        return f["x"], f["y"]


def shuffle_and_split(x, y, test_split, seed):
    """Keras's housing split: shuffle with RandomState(seed), the first
    `int(n * (1 - test_split))` samples for training."""
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Invalid `test_split` argument: {test_split}. It must be between 0 "
            "and 1 (exclusive of 1)."
        )
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


def index_words(sequences, start_char, index_from):
    """Prefix `start_char` and shift every index by `index_from`, as Keras does."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in seq] for seq in sequences]
    if index_from:
        return [[w + index_from for w in seq] for seq in sequences]
    return [list(seq) for seq in sequences]


def drop_long(maxlen, sequences, labels):
    """Keep the sequences shorter than `maxlen` (and their labels)."""
    kept = [(s, label) for s, label in zip(sequences, labels) if len(s) < maxlen]
    return [s for s, _ in kept], [label for _, label in kept]


def limit_words(sequences, num_words, skip_top, oov_char):
    """Words outside `[skip_top, num_words)` become `oov_char` (or are dropped)."""
    if not num_words:
        num_words = max(max(seq) for seq in sequences if len(seq)) if sequences else 0
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in seq] for seq in sequences]
    return [[w for w in seq if skip_top <= w < num_words] for seq in sequences]


def object_array(sequences):
    """A 1-D object array of lists (what Keras returns for imdb/reuters)."""
    out = np.empty(len(sequences), dtype="object")
    out[:] = sequences
    return out
