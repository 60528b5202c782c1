"""Attention layers: MultiHeadAttention, Attention (dot-product, Luong-style) and
AdditiveAttention (Bahdanau-style), with Keras 3's arguments, weights and masking.

Masks are booleans, True where a position holds data (may be attended to). A masked
position gets `-1e9` added to its score before the softmax, as in Keras, so a row whose
keys are all masked attends uniformly rather than producing NaN.
"""

from plait.layers.attention.multi_head_attention import (
    MultiHeadAttention,
)
from plait.layers.attention.attention import (
    AdditiveAttention,
    Attention,
)

__all__ = [
    "AdditiveAttention",
    "Attention",
    "MultiHeadAttention",
]


def __dir__():  # dir() lists the public API, not the submodules or helpers
    return list(__all__)
