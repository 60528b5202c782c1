"""Recording torch operations on symbolic tensors: the handler the graph calls
argument templates, and naming and resolving functions (`function_name`,
`resolve_function`: only functions PyTorch lets tensors override, and Python's operators).
"""

import functools
import operator

import numpy as np
import torch

from plait import ops
from plait.graph.tensor import SymbolicTensor

__all__ = ["function_name", "resolve_function"]


# The Python operators symbolic tensors record; a config may name only these.
_OPERATORS = {
    fn.__name__.rstrip("_"): fn
    for fn in (
        operator.add,
        operator.sub,
        operator.mul,
        operator.truediv,
        operator.floordiv,
        operator.mod,
        operator.pow,
        operator.matmul,
        operator.and_,
        operator.or_,
        operator.xor,
        operator.lshift,
        operator.rshift,
        operator.lt,
        operator.le,
        operator.gt,
        operator.ge,
        operator.eq,
        operator.ne,
        operator.neg,
        operator.pos,
        operator.abs,
        operator.invert,
        operator.getitem,
    )
}


class _Input:
    """Placeholder for the i-th symbolic tensor among an op's arguments."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


class _Constant:
    """Placeholder for the i-th tensor constant (held as a buffer, so it follows `.to()`)."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


def _template(value, tensors, constants):
    """`value` with symbolic tensors replaced by `_Input`s (each distinct tensor once) and
    tensor constants by `_Constant`s."""
    if isinstance(value, SymbolicTensor):
        for i, t in enumerate(tensors):
            if t is value:
                return _Input(i)
        tensors.append(value)
        return _Input(len(tensors) - 1)
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    if isinstance(value, torch.Tensor):
        constants.append(value.detach())
        return _Constant(len(constants) - 1)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, slice):
        parts = [_template(v, tensors, constants) for v in (value.start, value.stop, value.step)]
        if any(isinstance(p, (_Input, _Constant)) for p in parts):
            raise TypeError(
                "Slice bounds must be Python ints (or None) when slicing a symbolic tensor. "
                f"Received: {value!r:.200}. Use torch.narrow or a gather for tensor bounds."
            )
        return value
    if isinstance(value, dict):
        return {k: _template(v, tensors, constants) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_template(v, tensors, constants) for v in value)
    if isinstance(value, list):
        return [_template(v, tensors, constants) for v in value]
    return value


def _fill(value, tensors, constants):
    """The inverse of `_template`: placeholders replaced by real values."""
    kind = type(value)
    if kind is _Input:
        return tensors[value.index]
    if kind is _Constant:
        return constants[value.index]
    if kind is list:
        return [_fill(v, tensors, constants) for v in value]
    if kind is tuple:
        return tuple(_fill(v, tensors, constants) for v in value)
    if kind is dict:
        return {k: _fill(v, tensors, constants) for k, v in value.items()}
    return value


def function_name(func):
    """A stable, importable name: `operator.add`, `torch.cat`, `torch.Tensor.reshape`,
    `torch.nn.functional.gelu`, or `getattr` (a tensor property such as `x.T`)."""
    if func is getattr:
        return "getattr"
    if ops.lookup(getattr(func, "plait_op_name", None)) is func:
        return func.plait_op_name
    for name, fn in _OPERATORS.items():
        if func is fn:
            return f"operator.{name}"
    name = torch.overrides.resolve_name(func)
    if name is None:
        qualified = getattr(func, "__qualname__", repr(func))
        raise TypeError(
            f"{qualified} cannot be recorded on a symbolic tensor: it is not a torch "
            "function PyTorch lets tensors override. Use a Lambda layer for it."
        )
    return name


def _name_prefix(name):
    last = name.rsplit(".", 1)[-1].strip("_").lower()
    return last or "torch_op"


@functools.lru_cache(maxsize=1)
def _overridable_by_name():
    table = {}
    for functions in torch.overrides.get_overridable_functions().values():
        for fn in functions:
            name = torch.overrides.resolve_name(fn)
            if name is not None:
                table.setdefault(name, fn)
    return table


# Overridable tensor methods a config may not name: they take callables, register hooks,
# run autograd, rebuild or share state, or leave the tensor world. No op needs them.
_REFUSED = frozenset(
    (
        "apply_",
        "map_",
        "map2_",
        "register_hook",
        "register_post_accumulate_grad_hook",
        "backward",
        "retain_grad",
        "requires_grad_",
        "__setstate__",
        "__reduce__",
        "__reduce_ex__",
        "__deepcopy__",
        "__setitem__",
        "__delitem__",
        "share_memory_",
        "storage",
        "untyped_storage",
        "data_ptr",
        "numpy",
        "tolist",
        "item",
        "pin_memory",
        "record_stream",
        "__array__",
        "__array_wrap__",
        "__dlpack__",
        "__format__",
    )
)


def resolve_function(name):
    """The function `function_name` named, looked up only among Python's operators and
    the torch functions tensors may override; anything else raises ValueError."""
    if not isinstance(name, str):
        raise ValueError(
            f"A TorchOp config names its function by a string. Received: function={name!r:.100}"
        )
    if name == "getattr":
        return getattr
    if name.startswith("operator."):
        fn = _OPERATORS.get(name[len("operator.") :])
    elif name.startswith("plait.ops."):
        fn = ops.lookup(name)
    elif name.rsplit(".", 1)[-1] in _REFUSED:
        fn = None
    else:
        fn = _overridable_by_name().get(name)
    if fn is None:
        raise ValueError(
            f"Unknown torch operation {name!r} in a TorchOp config. A TorchOp may call only "
            "Python operators and torch functions that tensors can override "
            "(torch.overrides.get_overridable_functions())."
        )
    return fn
