"""`Attention` (dot-product, Luong-style) and `AdditiveAttention` (Bahdanau-style) over
`[query, value]` or `[query, value, key]`.
"""

import torch
import torch.nn.functional as F

from plait.graph.tensor import SymbolicTensor, format_shape
from plait.layers.layer import Layer, LayerCallError
from plait.layers.masking import implicit_mask
from plait.serialization import register_serializable
from plait.utils.validation import check_rate as _check_rate, check_seed as _check_seed
from plait.layers.attention.masks import _RandomMixin, _additive_mask, _causal_mask

__all__ = ["AdditiveAttention", "Attention"]


# ------------------------------------------------------------------ Attention


class _BaseAttention(_RandomMixin, Layer):
    """Shared by Attention and AdditiveAttention: called on `[query, value]` or
    `[query, value, key]`, scores `(B, Tq, Tv)` from query and key, softmax, weighted sum of
    value."""

    def __init__(self, use_scale, dropout, seed, **kwargs):
        super().__init__(**kwargs)
        self.use_scale = bool(use_scale)
        self.dropout = _check_rate(dropout, "dropout")
        self.seed = _check_seed(seed)
        self._generators = {}

    def __call__(self, inputs=None, *args, **kwargs):
        _check_inputs(self, inputs)
        if "mask" not in kwargs and any(isinstance(t, SymbolicTensor) for t in inputs):
            masks = [implicit_mask(t) for t in inputs]
            if any(m is not None for m in masks):
                kwargs["mask"] = masks
        return super().__call__(inputs, *args, **kwargs)

    def build(self, input_shape):
        query, value = input_shape[0], input_shape[1]
        key = input_shape[2] if len(input_shape) > 2 else value
        shapes = ", ".join(format_shape(s) for s in input_shape)
        for name, shape in (("query", query), ("value", value), ("key", key)):
            if len(shape) < 3:
                raise LayerCallError(
                    f"{type(self).__name__} layer '{self.name}' takes inputs of shape "
                    f"(batch, steps, features); its {name} has shape {format_shape(shape)}. "
                    f"Received: input shapes {shapes}"
                )
        if None not in (value[-2], key[-2]) and value[-2] != key[-2]:
            raise LayerCallError(
                f"{type(self).__name__} layer '{self.name}': value and key must have the same "
                f"number of steps. Received: value_shape={format_shape(value)}, "
                f"key_shape={format_shape(key)}"
            )
        if None not in (query[-1], key[-1]) and query[-1] != key[-1]:
            raise LayerCallError(
                f"{type(self).__name__} layer '{self.name}' scores query against key, so their "
                f"last dimensions must be equal. Received: query_shape={format_shape(query)}, "
                f"key_shape={format_shape(key)}"
            )
        self._build_scores(query)

    def forward(
        self, inputs, mask=None, training=None, return_attention_scores=False, use_causal_mask=False
    ):
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = value_mask = None
        if mask is not None:
            _check_mask(self, mask)
            query_mask, value_mask = mask[0], mask[1]
        score_mask = None if value_mask is None else value_mask.to(torch.bool).unsqueeze(-2)
        if use_causal_mask:
            causal = _causal_mask(query.shape[-2], value.shape[-2], query.device)
            score_mask = causal if score_mask is None else score_mask & causal
        training = self.training if training is None else training
        drop = bool(training) and self.dropout > 0
        fused = self._fused_query(query)
        if fused is not None and not (return_attention_scores or drop):
            bias = None if score_mask is None else _additive_mask(score_mask, query.dtype)
            out, weights = (
                F.scaled_dot_product_attention(fused, key, value, attn_mask=bias, scale=1.0),
                None,
            )
        else:
            scores = self._scores(query, key)
            if score_mask is not None:
                scores = scores + _additive_mask(score_mask, scores.dtype)
            weights = torch.softmax(scores, dim=-1)
            if drop:
                weights = self._drop(weights)
            out = torch.matmul(weights, value)
        if query_mask is not None:
            out = out * query_mask.unsqueeze(-1).to(out.dtype)
        return (out, weights) if return_attention_scores else out

    def _fused_query(self, query):
        """The query scaled for a fused `softmax(q @ k.T) @ v`, or None when the scores
        are not a dot product."""
        return None

    def compute_mask(self, inputs, mask=None):
        """The output carries the query's mask (Keras)."""
        if mask is None:
            return None
        return mask[0]

    def get_config(self):
        config = super().get_config()
        config.update({"use_scale": self.use_scale, "dropout": self.dropout, "seed": self.seed})
        return config


def _check_inputs(layer, inputs):
    name = type(layer).__name__
    if not isinstance(inputs, (list, tuple)):
        raise ValueError(
            f"{name} layer '{layer.name}' must be called on a list of inputs, namely "
            f"[query, value] or [query, value, key]. Received: inputs={inputs!r:.200}"
        )
    if len(inputs) not in (2, 3):
        raise ValueError(
            f"{name} layer '{layer.name}' takes a list of 2 or 3 inputs, namely "
            f"[query, value] or [query, value, key]. Received: a list of {len(inputs)}"
        )


def _check_mask(layer, mask):
    if not isinstance(mask, (list, tuple)) or len(mask) not in (2, 3):
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}' takes `mask` as a list of 2 or 3 "
            f"masks, [query_mask, value_mask(, key_mask)] (None for no mask). Received: "
            f"mask={mask!r:.200}"
        )


@register_serializable(package="plait")
class Attention(_BaseAttention):
    """Dot-product attention (Luong-style): `softmax(query @ key.T) @ value`.

    Args:
        use_scale: if True, a learned scalar `scale` multiplies the scores (default False).
        score_mode: 'dot' (default) for `query @ key.T`, or 'concat' for
            `concat_score_weight * sum(tanh(scale * (query + key)), -1)`.
        dropout: dropout rate on the attention weights, in training only (default 0.0).
        seed: int, for reproducible dropout.

    Call arguments: `inputs` `[query, value]` or `[query, value, key]` (key defaults to
    value); `mask=[query_mask, value_mask]` booleans `(batch, Tq)` and `(batch, Tv)`;
    `return_attention_scores`; `training`; `use_causal_mask`.

    Input shapes: query `(batch, Tq, dim)`, value `(batch, Tv, value_dim)`, key
    `(batch, Tv, dim)`. Output shape: `(batch, Tq, value_dim)`, and with
    `return_attention_scores` the weights `(batch, Tq, Tv)`.

    Weights: `scale` `()` with use_scale; `concat_score_weight` `()` with 'concat'.

        >>> from plait.layers import Input
        >>> q, v = Input(shape=(4, 8)), Input(shape=(6, 8))
        >>> Attention()([q, v]).shape
        (None, 4, 8)
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(use_scale, dropout, seed, **kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                "Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. "
                f"Received: score_mode={score_mode!r}"
            )
        self.score_mode = score_mode

    def _build_scores(self, query_shape):
        if self.use_scale:
            self.add_weight("scale", (), "ones")
        if self.score_mode == "concat":
            self.add_weight("concat_score_weight", (), "ones")

    def _scores(self, query, key):
        if self.score_mode == "dot":
            scores = torch.matmul(query, key.transpose(-1, -2))
            return scores * self.scale if self.use_scale else scores
        pairs = query.unsqueeze(-2) + key.unsqueeze(-3)  # (B, Tq, Tv, dim)
        if self.use_scale:
            pairs = self.scale * pairs
        return self.concat_score_weight * torch.tanh(pairs).sum(-1)

    def _fused_query(self, query):
        if self.score_mode != "dot":
            return None
        return query * self.scale if self.use_scale else query

    def get_config(self):
        config = super().get_config()
        config["score_mode"] = self.score_mode
        return config


@register_serializable(package="plait")
class AdditiveAttention(_BaseAttention):
    """Additive attention (Bahdanau-style): scores
    `sum(scale * tanh(query[:, :, None] + key[:, None]), -1)`, softmax over the value
    steps, weighted sum of value.

    Args:
        use_scale: if True (default), a learned `scale` vector `(dim,)` weighs the
            features of the scores.
        dropout: dropout rate on the attention weights, in training only (default 0.0).
        seed: int, for reproducible dropout.

    Call arguments, input and output shapes: as `Attention`.
    Weights: `scale` `(dim,)` (glorot_uniform) with use_scale.

        >>> from plait.layers import Input
        >>> q, v = Input(shape=(4, 8)), Input(shape=(6, 8))
        >>> AdditiveAttention()([q, v]).shape
        (None, 4, 8)
    """

    def __init__(self, use_scale=True, dropout=0.0, seed=None, **kwargs):
        super().__init__(use_scale, dropout, seed, **kwargs)

    def _build_scores(self, query_shape):
        if self.use_scale:
            if query_shape[-1] is None:
                raise LayerCallError(
                    f"The last dimension of the query of AdditiveAttention layer "
                    f"'{self.name}' must be known, to size its scale. Received: "
                    f"query_shape={format_shape(query_shape)}"
                )
            self.add_weight("scale", (query_shape[-1],), "glorot_uniform")

    def _scores(self, query, key):
        pairs = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))  # (B, Tq, Tv, dim)
        if self.use_scale:
            pairs = pairs * self.scale
        return pairs.sum(-1)
