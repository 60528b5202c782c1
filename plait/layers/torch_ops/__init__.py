"""PyTorch inside the graph: torch operations on symbolic tensors, and any `nn.Module` as
a layer.

Operations on symbolic tensors (`x + 1`, `x[:, 0]`, `x @ w`, `x > 0`, `x.reshape(-1, 4)`,
`torch.cat([x, y], dim=1)`, `F.gelu(x)`) record one `TorchOp` layer each, named after the
operation (`add_1`, `getitem_1`, `cat_1`), whose output shape is found by running the
operation on shape-only (meta) tensors; no `Lambda` is needed:

    >>> import torch
    >>> import torch.nn.functional as F
    >>> from plait.layers import Input
    >>> x = Input(shape=(4, 8))
    >>> y = torch.cat([x[:, 0], F.gelu(x).mean(dim=1)], dim=-1) * 2
    >>> y.shape
    (None, 16)

A model's generated code runs the operation itself (`add_1 = dense_1 + 1`), at no cost over
hand-written PyTorch. A TorchOp's config names the function (`"torch.cat"`) and its
constant arguments; loading resolves the name only among the functions PyTorch lets tensors
override (`torch.overrides`) and Python's operators, so a config cannot call anything else.

`TorchModule(module)` makes a `torch.nn.Module` a layer: its parameters train, save and
count in the summary.
"""

from plait.layers.torch_ops.recording import (
    _Constant,
    _Input,
    function_name,
    resolve_function,
)
from plait.layers.torch_ops.torch_op import (
    TorchOp,
    record_op,
)
from plait.layers.torch_ops.torch_module import (
    TorchModule,
    TorchModuleWrapper,
)

__all__ = [
    "TorchModule",
    "TorchModuleWrapper",
    "TorchOp",
    "function_name",
    "record_op",
    "resolve_function",
]


def __dir__():  # dir() lists the public API, not the submodules or helpers
    return list(__all__)
