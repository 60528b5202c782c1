"""Grouped-query attention (Ainslie et al., 2023): `num_query_heads` query heads share
`num_key_value_heads` key/value heads, as in Llama and Mistral.

    attention = plait.layers.GroupQueryAttention(head_dim=16, num_query_heads=8,
                                                 num_key_value_heads=2)
    y = attention(query, value)                    # (batch, target_len, query features)
"""

import math

import torch

from plait import constraints, initializers, regularizers
from plait.layers.arguments import add_kernel_and_bias
from plait.layers.layer import Layer
from plait.serialization import register_serializable

__all__ = ["GroupedQueryAttention"]


@register_serializable(package="plait")
class GroupedQueryAttention(Layer):
    """Multi-head attention whose key and value heads are shared by groups of query heads.

    Args:
        head_dim: the size of each head.
        num_query_heads: the number of query heads.
        num_key_value_heads: the number of key/value heads; must divide
            `num_query_heads`.
        dropout: dropout on the attention probabilities in training. Default 0.
        use_bias: biases in the projections. Default True.
        sliding_window: attend only to keys less than this many positions away; default
            None (all).
        flash_attention: accepted for Keras compatibility (PyTorch picks its kernel).
        kernel_initializer: default "glorot_uniform". bias_initializer: default "zeros".
        kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
            bias_constraint: default None.
        use_gate: gate the attention output with `sigmoid(query @ gate)`. Default False.
        seed: seed of the dropout.

    Call: `layer(query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
    attention_mask=None, return_attention_scores=False, training=None,
    use_causal_mask=False)`. `query` `(batch, target_len, features)`, `value` and `key`
    `(batch, source_len, features)`.

    Weights (Keras's order): query/kernel `(features, num_query_heads, head_dim)` and bias,
    key/kernel and bias, gate (with `use_gate`), value/kernel and bias,
    attention_output/kernel `(num_query_heads, head_dim, features)` and bias.

    Output shape: the query's; with `return_attention_scores`, also the scores
    `(batch, num_query_heads, target_len, source_len)`.

    Raises:
        ValueError: when `num_key_value_heads` does not divide `num_query_heads`, or for a
            bad `sliding_window`.

    Example:
        >>> layer = GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
        >>> layer(torch.randn(2, 5, 8), torch.randn(2, 7, 8)).shape
        torch.Size([2, 5, 8])
    """

    def __init__(
        self,
        head_dim,
        num_query_heads,
        num_key_value_heads,
        dropout=0.0,
        use_bias=True,
        sliding_window=None,
        flash_attention=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        use_gate=False,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError(
                "`num_query_heads` must be divisible by `num_key_value_heads`. "
                f"Received: num_query_heads={num_query_heads}, "
                f"num_key_value_heads={num_key_value_heads}"
            )
        if sliding_window is not None and (
            not isinstance(sliding_window, int) or sliding_window <= 0
        ):
            raise ValueError(
                "`sliding_window` must be `None` or a positive integer. "
                f"Received: sliding_window={sliding_window}"
            )
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout = dropout
        self.use_bias = use_bias
        self.use_gate = use_gate
        self.sliding_window = sliding_window
        self.flash_attention = flash_attention
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._scale = 1.0 / math.sqrt(float(head_dim))

    def _projection(self, name, kernel_shape, bias_shape):
        fan_in = (
            kernel_shape[0] if name != "attention_output" else kernel_shape[0] * kernel_shape[1]
        )
        fan_out = math.prod(kernel_shape) // fan_in
        base = self.kernel_initializer

        def fanned(shape, dtype=None, device=None):
            flat = torch.as_tensor(base((fan_in, fan_out), dtype=dtype, device=device))
            return flat.reshape(shape)

        add_kernel_and_bias(
            self, name, (kernel_shape, bias_shape), fanned, (f"{name}_kernel", f"{name}_bias")
        )

    def build(self, input_shape):
        query_shape = input_shape[0] if isinstance(input_shape, list) else input_shape
        features = query_shape[-1]
        q_heads, kv_heads, dim = self.num_query_heads, self.num_key_value_heads, self.head_dim
        self._projection("query", (features, q_heads, dim), (q_heads, dim))
        self._projection("key", (features, kv_heads, dim), (kv_heads, dim))
        if self.use_gate:
            self._projection("gate", (features, q_heads, dim), (q_heads, dim))
        self._projection("value", (features, kv_heads, dim), (kv_heads, dim))
        self._projection("attention_output", (q_heads, dim, features), (features,))

    def _project(self, x, name, equation):
        out = torch.einsum(equation, x, getattr(self, f"{name}_kernel"))
        bias = getattr(self, f"{name}_bias")
        return out if bias is None else out + bias

    def _mask(
        self, query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
    ):
        masks = []
        if query_mask is not None:
            masks.append(query_mask.to(torch.bool).unsqueeze(-1))
        for mask in (value_mask, key_mask):
            if mask is not None:
                masks.append(mask.to(torch.bool).unsqueeze(-2))
        q_len, v_len = query.shape[1], value.shape[1]
        rows = torch.arange(q_len, device=query.device).view(1, q_len, 1)
        cols = torch.arange(v_len, device=query.device).view(1, 1, v_len)
        if use_causal_mask:
            masks.append(rows >= cols)
        if self.sliding_window is not None:
            masks.append((rows - cols).abs() < self.sliding_window)
        if attention_mask is not None:
            masks.append(attention_mask.to(torch.bool))
        if not masks:
            return None
        mask = masks[0]
        for other in masks[1:]:
            mask = mask & other
        return mask

    def forward(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
    ):
        training = self.training if training is None else bool(training)
        key = value if key is None else key
        mask = self._mask(
            query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
        )
        gate = (
            torch.sigmoid(self._project(query, "gate", "bqm,muh->bquh")) if self.use_gate else None
        )
        q = self._project(query, "query", "bqm,muh->bquh") * self._scale
        k = self._project(key, "key", "bkm,mvh->bkvh").repeat_interleave(self.num_repeats, 2)
        v = self._project(value, "value", "bkm,mvh->bkvh").repeat_interleave(self.num_repeats, 2)
        scores = torch.einsum("bquh,bkuh->buqk", q, k)
        if mask is not None:
            while mask.ndim < scores.ndim:
                mask = mask.unsqueeze(-3)
            negative = -3e4 if scores.dtype == torch.float16 else -1e9
            scores = scores + (1.0 - mask.to(scores.dtype)) * negative
        scores = torch.softmax(scores, dim=-1)
        probabilities = scores
        if training and 0.0 < self.dropout < 1.0:
            probabilities = torch.nn.functional.dropout(scores, self.dropout, True)
        output = torch.einsum("buqk,bkuh->bquh", probabilities, v)
        if gate is not None:
            output = output * gate
        output = self._project(output, "attention_output", "bquh,uhm->bqm")
        return (output, scores) if return_attention_scores else output

    def get_config(self):
        return {
            **super().get_config(),
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "sliding_window": self.sliding_window,
            "dropout": self.dropout,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        }


GroupQueryAttention = GroupedQueryAttention
