"""SymbolicTensor: the shape and dtype of a value a model will compute, and where it came from.

It holds no data. Layers called on it record a Node and return new SymbolicTensors, so a
model is described before any number is computed and every shape is checked on the way.
"""
import os
import sys

import torch

from plait.utils.dtypes import dtype_name

_PLAIT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_TORCH_DIR = os.path.dirname(os.path.abspath(torch.__file__))


def user_location():
    """'file.py:12' for the innermost frame outside plait and torch: the user's line."""
    frame = sys._getframe(1)
    while frame is not None:
        path = frame.f_code.co_filename
        if not (path.startswith(_PLAIT_DIR) or path.startswith(_TORCH_DIR)):
            return f"{os.path.basename(path)}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


def format_shape(shape):
    """Shapes print as Keras prints them: `(None, 10)`."""
    return str(tuple(shape))


class SymbolicTensor:
    """A placeholder for a tensor of `shape` (None for the batch and unknown dimensions).

    Made by `Input(...)` or by calling a layer on other symbolic tensors. `node` is the
    Node that produced it and `tensor_index` its position among that node's outputs.
    """

    __slots__ = ("shape", "dtype", "name", "node", "tensor_index", "where")

    def __init__(self, shape, dtype=torch.float32, name=None, node=None, tensor_index=0,
                 where=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.name = name
        self.node = node
        self.tensor_index = tensor_index
        self.where = where

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def layer(self):
        """The layer whose call produced this tensor."""
        return self.node.layer if self.node is not None else None

    def __repr__(self):
        made = f", made at {self.where}" if self.where else ""
        return (f"<SymbolicTensor name={self.name!r}, shape={format_shape(self.shape)}, "
                f"dtype={dtype_name(self.dtype)}{made}>")

    def describe(self):
        """`'dense_1' output of shape (None, 10) (made at x.py:7)`, for error messages."""
        made = f" (made at {self.where})" if self.where else ""
        return f"'{self.name}' of shape {format_shape(self.shape)}{made}"

    def _misuse(self, what):
        raise TypeError(
            f"{what} is not possible on a symbolic tensor: {self.describe()} holds no data. "
            "It describes a value the model will compute. Build a Model(inputs, outputs) and "
            "call it (or its predict()) on real data, or use a layer to transform it inside "
            "the graph.")

    def __bool__(self):
        self._misuse("Using it as a bool (if/and/or/not)")

    def __len__(self):
        self._misuse("len()")

    def __iter__(self):
        self._misuse("Iterating over it (or unpacking it)")

    def __array__(self, *args, **kwargs):
        self._misuse("Converting it to a NumPy array")

    def numpy(self):
        self._misuse("numpy()")

    def __float__(self):
        self._misuse("float()")

    def __int__(self):
        self._misuse("int()")

    def __index__(self):
        self._misuse("Using it as an index")

    # Identity, not value, matters for graph bookkeeping: keep objects hashable by id.
    __hash__ = object.__hash__

    def __eq__(self, other):
        return self is other


def is_symbolic(value):
    return isinstance(value, SymbolicTensor)
