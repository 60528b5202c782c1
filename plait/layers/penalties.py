"""Weight and activity penalties, shared by every layer family: Keras's
`activity_regularizer` (the penalty of a layer's outputs after each call, collected by
`Layer.regularization_losses()`) and the config entries of a layer's regularizers and
constraints.
"""

import torch

from plait import constraints, regularizers
from plait.utils import nest

__all__ = ["set_activity_regularizer", "weight_penalty_config"]


def set_activity_regularizer(layer, regularizer):
    """Give `layer` Keras's `activity_regularizer`: after each call, the penalty of its
    outputs divided by the batch size is kept for `regularization_losses()`."""
    layer.activity_regularizer = regularizers.get(regularizer)
    if layer.activity_regularizer is not None:
        layer._activity_penalty = _LastPenalty()
        layer.register_forward_hook(_record_activity)


class _LastPenalty:
    """The penalty of a layer's last call. Copies of the layer start empty: the tensor
    carries its autograd graph, which deepcopy and pickle refuse."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = None

    def __deepcopy__(self, memo):
        return _LastPenalty()

    def __reduce__(self):
        return _LastPenalty, ()


def weight_penalty_config(layer, weights=("kernel", "bias")):
    """The config entries of a layer's regularizers and constraints (Keras's keys)."""
    config = {}
    for weight in weights:
        config[f"{weight}_regularizer"] = regularizers.serialize(
            getattr(layer, f"{weight}_regularizer")
        )
    config["activity_regularizer"] = regularizers.serialize(layer.activity_regularizer)
    for weight in weights:
        config[f"{weight}_constraint"] = constraints.serialize(
            getattr(layer, f"{weight}_constraint")
        )
    return config


def _record_activity(layer, args, output):
    if layer.activity_regularizer is None:
        return
    penalty = None
    for out in nest.flatten(output):
        if not isinstance(out, torch.Tensor) or out.is_meta:  # meta: shape inference only
            continue
        value = layer.activity_regularizer(out)
        if out.dim() > 0:
            value = value / out.shape[0]
        penalty = value if penalty is None else penalty + value
    if penalty is not None:
        layer._activity_penalty.value = penalty
