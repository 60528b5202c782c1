"""SymbolicTensor: the shape and dtype of a value a model will compute, and where it came from.

It holds no data. Layers called on it record a Node and return new SymbolicTensors, so a
model is described before any number is computed and every shape is checked on the way.

Python operators (`x + y`, `x[:, 0]`, `x @ w`, `x > 0`), tensor methods (`x.reshape(...)`)
and torch functions (`torch.cat([x, y])`, through `__torch_function__`) on symbolic tensors
are recorded as graph nodes too. How is decided by the handler `set_op_handler` installs:
plait.layers installs one on import, since the graph knows no layer.
"""

import operator
import os
import sys

import torch

from plait.utils.dtypes import dtype_name

__all__ = ["SymbolicTensor", "format_shape", "is_symbolic", "set_op_handler", "user_location"]

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


_op_handler = None


def set_op_handler(handler):
    """Install `handler(func, args, kwargs)`, which records `func(*args, **kwargs)` on
    symbolic tensors as a graph node and returns its symbolic result(s)."""
    global _op_handler
    _op_handler = handler


def _record(func, args, kwargs=None):
    if _op_handler is None:
        raise TypeError(
            "Operations on symbolic tensors are recorded by plait.layers, which is not "
            "imported yet: `import plait` (or plait.layers) first."
        )
    return _op_handler(func, tuple(args), dict(kwargs or {}))


def _binary(op):
    def method(self, other):
        return _record(op, (self, other))

    def reflected(self, other):
        return _record(op, (other, self))

    return method, reflected


def _unary(op):
    def method(self):
        return _record(op, (self,))

    return method


def format_shape(shape):
    """Shapes print as Keras prints them: `(None, 10)`."""
    return str(tuple(shape))


class SymbolicTensor:
    """A placeholder for a tensor of `shape` (None for the batch and unknown dimensions).

    Keras's `KerasTensor` (`plait.KerasTensor` is this class). Made by `Input(...)` or by
    calling a layer on other symbolic tensors. `node` is the Node that produced it and
    `tensor_index` its position among that node's outputs.

    Args:
        shape: a tuple of ints and None.
        dtype: a torch dtype (default float32).
        name: an optional name.
        node, tensor_index, where: set by the graph when a layer is called.

    Example:
        >>> from plait import KerasTensor
        >>> from plait.layers import Dense, Input
        >>> x = Input(shape=(3,))
        >>> y = Dense(4)(x)
        >>> isinstance(y, KerasTensor), y.shape, y.ndim
        (True, (None, 4), 2)
    """

    __slots__ = ("shape", "dtype", "name", "node", "tensor_index", "where")

    def __init__(
        self, shape, dtype=torch.float32, name=None, node=None, tensor_index=0, where=None
    ):
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
        return (
            f"<SymbolicTensor name={self.name!r}, shape={format_shape(self.shape)}, "
            f"dtype={dtype_name(self.dtype)}{made}>"
        )

    def describe(self):
        """`'dense_1' output of shape (None, 10) (made at x.py:7)`, for error messages."""
        made = f" (made at {self.where})" if self.where else ""
        return f"'{self.name}' of shape {format_shape(self.shape)}{made}"

    def _misuse(self, what):
        raise TypeError(
            f"{what} is not possible on a symbolic tensor: {self.describe()} holds no data. "
            "It describes a value the model will compute. Build a Model(inputs, outputs) and "
            "call it (or its predict()) on real data, or use a layer to transform it inside "
            "the graph."
        )

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

    def item(self):
        self._misuse("item()")

    def tolist(self):
        self._misuse("tolist()")

    def __float__(self):
        self._misuse("float()")

    def __int__(self):
        self._misuse("int()")

    def __index__(self):
        self._misuse("Using it as an index")

    # Identity, not value, matters for graph bookkeeping: hashable by id. `==` records an op
    # (as Keras's symbolic tensors do), so bookkeeping compares with `is` and `id()`.
    __hash__ = object.__hash__

    # NumPy must leave `array + x` to our reflected operators.
    __array_ufunc__ = None

    __add__, __radd__ = _binary(operator.add)
    __sub__, __rsub__ = _binary(operator.sub)
    __mul__, __rmul__ = _binary(operator.mul)
    __truediv__, __rtruediv__ = _binary(operator.truediv)
    __floordiv__, __rfloordiv__ = _binary(operator.floordiv)
    __mod__, __rmod__ = _binary(operator.mod)
    __pow__, __rpow__ = _binary(operator.pow)
    __matmul__, __rmatmul__ = _binary(operator.matmul)
    __and__, __rand__ = _binary(operator.and_)
    __or__, __ror__ = _binary(operator.or_)
    __xor__, __rxor__ = _binary(operator.xor)
    __lshift__, __rlshift__ = _binary(operator.lshift)
    __rshift__, __rrshift__ = _binary(operator.rshift)
    __lt__ = _binary(operator.lt)[0]
    __le__ = _binary(operator.le)[0]
    __gt__ = _binary(operator.gt)[0]
    __ge__ = _binary(operator.ge)[0]
    __eq__ = _binary(operator.eq)[0]
    __ne__ = _binary(operator.ne)[0]
    __neg__ = _unary(operator.neg)
    __pos__ = _unary(operator.pos)
    __abs__ = _unary(operator.abs)
    __invert__ = _unary(operator.invert)

    def __getitem__(self, index):
        return _record(operator.getitem, (self, index))

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return _record(func, args, kwargs)

    def __getattr__(self, name):
        # Only reached for names SymbolicTensor lacks: torch.Tensor's methods and
        # properties (x.reshape(2, -1), x.sum(dim=1), x.T) record ops.
        if name.startswith("_") or not hasattr(torch.Tensor, name):
            raise AttributeError(f"'SymbolicTensor' object has no attribute '{name}'")
        attr = getattr(torch.Tensor, name)
        if callable(attr):
            return lambda *args, **kwargs: _record(attr, (self,) + args, kwargs)
        return _record(getattr, (self, name))


def is_symbolic(value):
    return isinstance(value, SymbolicTensor)
