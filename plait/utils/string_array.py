"""StringArray: a batch of strings that travels through plait's data path like a tensor.

PyTorch has no string tensors. Text data (a NumPy array of `str`/`bytes`/objects, or a list
of strings) given to `fit`/`predict`/a model call for an `Input(dtype="string")` becomes a
`StringArray`: a NumPy object array of Python `str` with the few tensor methods the data
path uses (`shape`, `dim`, `index_select`, slicing, `unsqueeze`, `to`). It stays on the
host; the string preprocessing layers (`StringLookup`, `TextVectorization`, `Hashing`)
read it and return int64 torch tensors on the model's device, where the torch part of the
model starts.

    >>> a = StringArray(["the cat", "a dog"])
    >>> a.shape
    (2,)
"""

import numpy as np
import torch

__all__ = ["StringArray", "is_string_data"]

STRING = "string"  # the dtype of string data (a name: torch has no string dtype)


def _decode(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


class StringArray:
    """A NumPy object array of `str`, answering the tensor methods the data path uses."""

    __slots__ = ("array",)
    dtype = STRING
    device = torch.device("cpu")

    def __init__(self, data):
        if isinstance(data, StringArray):
            data = data.array
        array = np.asarray(data, dtype=object)
        if array.size and any(isinstance(v, bytes) for v in array.flat):
            array = np.vectorize(_decode, otypes=[object])(array)
        self.array = array

    @property
    def shape(self):
        return self.array.shape

    @property
    def ndim(self):
        return self.array.ndim

    def dim(self):
        return self.array.ndim

    def size(self, dim=None):
        return self.array.shape if dim is None else self.array.shape[dim]

    def __len__(self):
        return len(self.array)

    def __getitem__(self, index):
        out = self.array[index]
        return StringArray(out) if isinstance(out, np.ndarray) else out

    def index_select(self, dim, index):
        if isinstance(index, torch.Tensor):
            index = index.detach().cpu().numpy()
        return StringArray(np.take(self.array, index, axis=dim))

    def unsqueeze(self, dim):
        return StringArray(np.expand_dims(self.array, dim))

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return StringArray(self.array.reshape(shape))

    def to(self, *args, **kwargs):
        return self  # strings live on the host

    def is_floating_point(self):
        return False

    def is_complex(self):
        return False

    def numpy(self):
        return self.array

    def tolist(self):
        return self.array.tolist()

    def __array__(self, dtype=None, copy=None):
        return self.array if dtype is None else self.array.astype(dtype)

    def __iter__(self):
        return iter(self[i] for i in range(len(self.array)))

    def __repr__(self):
        return f"StringArray(shape={self.array.shape}, {self.array.tolist()!r:.200})"


def is_string_data(value):
    """True for string data: a StringArray, a NumPy array of str/bytes, an object array or a
    (nested) list whose first element is a str or bytes."""
    if isinstance(value, StringArray):
        return True
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "US":
            return True
        return (
            value.dtype == object
            and value.size > 0
            and isinstance(next(iter(value.flat)), (str, bytes))
        )
    if isinstance(value, (str, bytes)):
        return True
    if isinstance(value, (list, tuple)) and value:
        first = value[0]
        while isinstance(first, (list, tuple)) and first:
            first = first[0]
        return isinstance(first, (str, bytes))
    return False
