"""Whether a graph model computes each sample on its own in inference, and the bytes per
sample of its largest tensor: what `predict` needs to run a batch in slices on a CPU
(`plait/training/sub_batches.py`). Read once, when the model's graph is made.

A model qualifies when it is plait's own functional or Sequential model (nested ones
included) made of plait's built-in layers: no Lambda, op or wrapped torch layers, whose
code could mix samples (`ops.mean(x, axis=0)`), no class of the user's, no layer called
with `training=True` (BatchNormalization on the batch's statistics), and a free batch axis
on every tensor of the graph (`Input(batch_size=...)` fixes it; so does a reduction over
the batch).
"""

import torch

from plait.graph.tensor import SymbolicTensor
from plait.layers.core.lambda_layer import Lambda
from plait.layers.torch_ops.torch_module import TorchModule
from plait.layers.torch_ops.torch_op import TorchOp

__all__ = ["largest_sample_bytes"]

_MAY_MIX_SAMPLES = (Lambda, TorchOp, TorchModule)


def largest_sample_bytes(model: torch.nn.Module) -> int | None:
    """The bytes per sample of the largest tensor in `model`'s graph and in the graphs of
    the models inside it, or None when the model's outputs may not be per sample (0 when
    no tensor's size is known before the data comes)."""
    largest = 0
    for part in model.modules():
        if not _per_sample_class(part):
            return None
        graph = getattr(part, "_graph", None)
        for node in graph.nodes if graph is not None else ():
            if node.call_kwargs.get("training"):
                return None
            for tensor in node.outputs:
                size = _sample_bytes(tensor)
                if size is None:
                    return None
                largest = max(largest, size)
    return largest


def _per_sample_class(part):
    cls = type(part)
    if cls.__module__.startswith("torch.nn."):
        return True  # held by a plait layer (a user's torch module comes in a TorchModule)
    return cls.__module__.startswith("plait.") and not isinstance(part, _MAY_MIX_SAMPLES)


def _sample_bytes(tensor):
    if not isinstance(tensor, SymbolicTensor):
        return None
    shape = tensor.shape
    if not shape or shape[0] is not None:
        return None  # not a batch of samples
    if any(d is None for d in shape[1:]):
        return 0  # its size is known only at run time
    dtype = getattr(torch, str(tensor.dtype), None)
    size = dtype.itemsize if isinstance(dtype, torch.dtype) else 4
    for d in shape[1:]:
        size *= d
    return size
