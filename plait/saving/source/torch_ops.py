"""Source writers (`to_source`) of the torch_ops (TorchOp: an operation written on symbolic
tensors).
"""

import torch

from plait.layers import torch_ops
from plait.layers.torch_ops import TorchOp
from plait.saving.source.writer import SourceError, writes

__all__ = []


_BINARY = {
    "add": "+",
    "sub": "-",
    "mul": "*",
    "truediv": "/",
    "floordiv": "//",
    "mod": "%",
    "pow": "**",
    "matmul": "@",
    "and": "&",
    "or": "|",
    "xor": "^",
    "lshift": "<<",
    "rshift": ">>",
    "lt": "<",
    "le": "<=",
    "gt": ">",
    "ge": ">=",
    "eq": "==",
    "ne": "!=",
}
_UNARY = {"neg": "-{}", "pos": "+{}", "abs": "abs({})", "invert": "~{}"}


@writes(TorchOp)
def _torch_op(ctx, layer, attr, x, shape, kwargs):
    """An operation written on symbolic tensors (`x + 1`, `torch.cat`, `x.sum(1)`) is
    written back as that operation."""
    inputs = [x] if layer._num_inputs == 1 else list(x)
    constants = []
    for i in range(layer._num_constants):
        tensor = getattr(layer, f"constant_{i}")
        buffer = f"{attr}_constant_{i}"
        ctx.add_buffer(buffer, tensor)
        constants.append(f"self.{buffer}")
    render = _OpRenderer(inputs, constants)
    args = [render(a) for a in layer.arguments]
    options = [f"{k}={render(v)}" for k, v in layer.keyword_arguments.items()]
    name = layer.function_name
    short = name.rpartition(".")[2]
    if name.startswith("operator.") and short in _BINARY and len(args) == 2 and not options:
        return f"{args[0]} {_BINARY[short]} {args[1]}"
    if name.startswith("operator.") and short in _UNARY and len(args) == 1 and not options:
        return _UNARY[short].format(args[0])
    if name == "operator.getitem" and len(args) == 2 and not options:
        return f"{args[0]}[{render.index(layer.arguments[1])}]"
    if name == "getattr" and len(args) == 2:
        return f"{args[0]}.{layer.arguments[1]}"
    if (
        name.startswith("torch.Tensor.")
        and args
        and isinstance(layer.arguments[0], torch_ops._Input)
    ):
        return f"{args[0]}.{short}({', '.join(args[1:] + options)})"
    if name.startswith("torch.nn.functional."):
        name = "F." + short
    if not name.startswith(("torch.", "F.")):
        raise SourceError(f"to_source cannot write operation {name} of layer '{layer.name}'.")
    return f"{name}({', '.join(args + options)})"


class _OpRenderer:
    """Source text for a TorchOp argument template."""

    def __init__(self, inputs, constants):
        self.inputs, self.constants = inputs, constants

    def __call__(self, value):
        if isinstance(value, torch_ops._Input):
            return self.inputs[value.index]
        if isinstance(value, torch_ops._Constant):
            return self.constants[value.index]
        if isinstance(value, torch.dtype):
            return str(value)
        if value is Ellipsis:
            return "..."
        if isinstance(value, slice):
            return f"slice({value.start!r}, {value.stop!r}, {value.step!r})"
        if isinstance(value, tuple):
            items = [self(v) for v in value]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if isinstance(value, list):
            return "[" + ", ".join(self(v) for v in value) + "]"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k!r}: {self(v)}" for k, v in value.items()) + "}"
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            return f"float({str(value)!r})"
        if value is None or isinstance(value, (bool, int, float, str)):
            return repr(value)
        raise SourceError(f"to_source cannot write the argument {value!r:.100}.")

    def index(self, value):
        """A subscript: slices as `a:b:c`, tuples without parentheses."""
        if isinstance(value, tuple):
            return ", ".join(self.index(v) for v in value) if value else "()"
        if isinstance(value, slice):
            parts = ["" if p is None else self(p) for p in (value.start, value.stop)]
            text = ":".join(parts)
            return text + (f":{self(value.step)}" if value.step is not None else "")
        return self(value)
