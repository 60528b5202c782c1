"""What the attention layers share: additive and causal masks, the scores' large negative,
and seeded dropout of the attention weights.
"""

import torch
import torch.nn.functional as F

from plait.graph.tensor import SymbolicTensor
from plait.utils.random import device_generator

__all__ = []


def _large_negative(dtype):
    return -3e4 if dtype == torch.float16 else -1e9


def _additive_mask(mask, dtype):
    """A boolean mask (True = attend) as the float to add to the scores."""
    return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill_(
        ~mask, _large_negative(dtype)
    )


def _causal_mask(query_length, value_length, device):
    """`(1, T, S)` booleans: query step i may attend to value steps 0..i."""
    ones = torch.ones((query_length, value_length), dtype=torch.bool, device=device)
    return ones.tril().unsqueeze(0)


def _combine(mask, other):
    if other is None:
        return mask
    other = other.to(torch.bool)
    return other if mask is None else mask & other


def _shape_of(value):
    if isinstance(value, SymbolicTensor):
        return value.shape
    if isinstance(value, torch.Tensor):
        return (None,) + tuple(value.shape[1:])
    return None


def _dropout(weights, rate, generator):
    keep = torch.empty_like(weights).bernoulli_(1 - rate, generator=generator)
    return weights * keep.div_(1 - rate)


class _RandomMixin:
    """A seeded generator per device, as the Dropout layer keeps one."""

    def _generator(self, device):
        return device_generator(self._generators, self.seed, device)

    def _drop(self, weights):
        if self.seed is None:
            return F.dropout(weights, self.dropout, True)
        return _dropout(weights, self.dropout, self._generator(weights.device))
