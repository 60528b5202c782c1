"""Keras masks in the graph: which time steps of a sequence hold data.

Keras tracks a mask beside each tensor at run time. plait records it in the graph instead,
where it is needed: when a layer that takes a mask (the recurrent layers, Bidirectional,
the attention layers) is called on a tensor whose producer defines `compute_mask` (an
`Embedding(mask_zero=True)`, a recurrent layer passing its input's mask on), the call gets
`mask=<that mask>` as an argument of its node. The mask is computed from the producer's own
inputs by `compute_mask`, whose torch operations on symbolic tensors (`inputs != 0`) record
themselves as graph nodes; so the model's generated code computes it once per step, in
straight-line code, and its config rebuilds it like any other node.

Masks follow the producer directly. As in Keras, the layers that keep the time axis and
compute per step (Dense, Activation, Dropout and the other noise layers, the normalization
and activation layers, TimeDistributed; their `supports_masking` in Keras) pass their
input's mask on (`PassesMask`); element-wise merges pass on the logical AND of their
inputs' masks, and Concatenate joins them (time axis) or ORs them (features). Any other
layer (a convolution, a pooling, Flatten, Reshape, ...) ends the mask, unless it is passed
explicitly (`LSTM(8)(x, mask=m)`).
"""

import weakref

from plait.graph.tensor import SymbolicTensor

__all__ = ["PassesMask", "implicit_mask", "with_implicit_mask"]

# Node -> its output's mask (or None): one mask node per producer, however many consumers.
_masks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def implicit_mask(tensor):
    """The mask `tensor` carries as a symbolic bool tensor `(batch, timesteps)`, or None."""
    if not isinstance(tensor, SymbolicTensor) or tensor.node is None or tensor.node.is_input:
        return None
    node = tensor.node
    if node not in _masks:
        _masks[node] = _compute(node)
    masks = _masks[node]
    if isinstance(masks, list):
        return masks[tensor.tensor_index] if tensor.tensor_index < len(masks) else None
    return masks if tensor.tensor_index == 0 and len(node.outputs) == 1 else None


def _compute(node):
    compute = getattr(node.layer, "compute_mask", None)
    if compute is None or not node.call_args:
        return None
    mask = compute(node.call_args[0], mask=node.call_kwargs.get("mask"))
    if isinstance(mask, (list, tuple)):
        return [m if isinstance(m, SymbolicTensor) else None for m in mask]
    return mask if isinstance(mask, SymbolicTensor) else None


def with_implicit_mask(kwargs, tensor, key="mask"):
    """`kwargs` plus `key=<mask of tensor>` when the caller gave none and `tensor` has one."""
    if key in kwargs:
        return kwargs
    mask = implicit_mask(tensor)
    return kwargs if mask is None else dict(kwargs, **{key: mask})


class PassesMask:
    """Mixin for layers that pass their input's mask on unchanged (Keras's
    `supports_masking = True`): Dense, Dropout, BatchNormalization, ReLU, ..."""

    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return implicit_mask(inputs) if mask is None else mask
