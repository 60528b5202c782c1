"""`MultiHeadAttention`, with Keras 3's arguments, weights (`query`, `key`, `value`, `output`
projections) and masking.
"""

import math

import torch
import torch.nn.functional as F

from plait import constraints, initializers, regularizers
from plait.graph.tensor import SymbolicTensor, format_shape
from plait.layers.arguments import add_kernel_and_bias
from plait.layers.layer import Layer, LayerCallError
from plait.layers.masking import implicit_mask
from plait.serialization import register_serializable
from plait.utils.validation import check_rate as _check_rate, check_seed as _check_seed
from plait.layers.attention.masks import (
    _RandomMixin,
    _additive_mask,
    _causal_mask,
    _combine,
    _shape_of,
)

__all__ = ["MultiHeadAttention"]


# ------------------------------------------------------------------ MultiHeadAttention


@register_serializable(package="plait")
class MultiHeadAttention(_RandomMixin, Layer):
    """Multi-head attention ("Attention is all you need"): `query`, `key` and `value` are
    projected to `num_heads` heads, each head computes
    `softmax(q @ k.T / sqrt(key_dim)) @ v`, and the heads are concatenated and projected
    to the output. With `query is value` it is self-attention.

    Args:
        num_heads: number of heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value (default `key_dim`).
        dropout: dropout rate on the attention weights, in training only (default 0.0).
        use_bias: whether the projections have biases (default True).
        output_shape: the output's last dimension(s), an int or a tuple (default the
            query's last dimension).
        attention_axes: None (default) or the sequence axis (1 or -2): attention runs
            over the sequence axis of `(batch, steps, features)` inputs.
        kernel_initializer: default 'glorot_uniform'. bias_initializer: default 'zeros'.
        kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint: for
            every projection's kernel and bias.
        seed: int, for reproducible dropout.

    Call arguments: `mha(query, value, key=None, query_mask=None, value_mask=None,
    key_mask=None, attention_mask=None, return_attention_scores=False, training=None,
    use_causal_mask=False)`. `attention_mask` is a boolean `(batch, T, S)` (or `(T, S)`)
    tensor, True where query step t may attend to value step s. The masks of the inputs
    (from `Embedding(mask_zero=True)`) are used as Keras uses them.

    Input shapes: query `(batch, T, query_dim)`, value `(batch, S, value_dim_in)`, key
    `(batch, S, key_dim_in)`. Output shape: `(batch, T, *output_shape)`, and with
    `return_attention_scores` the weights `(batch, num_heads, T, S)`.

    Weights, in Keras's layout and order: `query/kernel` `(query_dim, num_heads, key_dim)`,
    `query/bias` `(num_heads, key_dim)`, the same for `key` and for `value` (with
    `value_dim`), `attention_output/kernel` `(num_heads, value_dim, *output_shape)` and
    `attention_output/bias` `output_shape`. They are stored head-major so each projection
    is one `F.linear`; without dropout in training and without returned scores the
    attention runs in PyTorch's fused `scaled_dot_product_attention`.

        >>> from plait.layers import Input
        >>> x = Input(shape=(10, 16))
        >>> MultiHeadAttention(num_heads=2, key_dim=8)(x, x).shape
        (None, 10, 16)
    """

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        dropout=0.0,
        use_bias=True,
        output_shape=None,
        attention_axes=None,
        flash_attention=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_heads = _positive_int(num_heads, "num_heads")
        self.key_dim = _positive_int(key_dim, "key_dim")
        self.value_dim = _positive_int(value_dim, "value_dim") if value_dim else self.key_dim
        self.dropout = _check_rate(dropout, "dropout")
        self.use_bias = bool(use_bias)
        self._output_shape = _check_output_shape(output_shape)
        self.attention_axes = _check_attention_axes(attention_axes)
        self.flash_attention = flash_attention  # PyTorch picks the fused kernel itself
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        if activity_regularizer is not None:
            raise ValueError(
                "MultiHeadAttention does not support an activity_regularizer in plait. "
                f"Received: activity_regularizer={activity_regularizer!r}. Leave it None, "
                "or add an ActivityRegularization layer after the attention."
            )
        self.activity_regularizer = None
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = _check_seed(seed)
        self._generators = {}
        self._scale = 1.0 / math.sqrt(self.key_dim)

    def __call__(self, query=None, value=None, key=None, **kwargs):
        if query is None or value is None:
            raise TypeError(
                f"MultiHeadAttention layer '{self.name}' is called as layer(query, value) "
                "(and optionally key=...). Received: "
                f"query={query!r:.100}, value={value!r:.100}"
            )
        if not self.built:
            self.build(_shape_of(query), _shape_of(value), _shape_of(key))
            self.built = True
        if isinstance(query, SymbolicTensor):
            sources = [("query_mask", query), ("value_mask", value)]
            if key is not None and key is not value:
                sources.append(("key_mask", key))
            for name, tensor in sources:
                mask = None if name in kwargs else implicit_mask(tensor)
                if mask is not None:
                    kwargs[name] = mask
        if key is not None:
            kwargs["key"] = key
        return super().__call__(query, value, **kwargs)

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        shapes = dict(query=query_shape, value=value_shape, key=key_shape)
        for name, shape in shapes.items():
            if shape is None or len(shape) != 3:
                raise LayerCallError(
                    f"MultiHeadAttention layer '{self.name}' takes 3-D inputs "
                    f"(batch, steps, features) (attention over the sequence axis); its {name} "
                    f"has shape {format_shape(shape) if shape else shape}. Received: "
                    + ", ".join(
                        f"{n}_shape={format_shape(s) if s else s}" for n, s in shapes.items()
                    )
                )
            if shape[-1] is None:
                raise LayerCallError(
                    f"The last dimension of the {name} of MultiHeadAttention layer "
                    f"'{self.name}' must be known, to size its kernel. Received: "
                    f"{name}_shape={format_shape(shape)}"
                )
        if None not in (value_shape[1], key_shape[1]) and value_shape[1] != key_shape[1]:
            raise LayerCallError(
                f"MultiHeadAttention layer '{self.name}': all dimensions of `value` and `key` "
                "but the last one must be equal. Received: "
                f"value_shape={format_shape(value_shape)}, key_shape={format_shape(key_shape)}"
            )
        heads = self.num_heads
        for name, shape, size in (
            ("query", query_shape, self.key_dim),
            ("key", key_shape, self.key_dim),
            ("value", value_shape, self.value_dim),
        ):
            self._projection(name, (shape[-1], heads, size), (heads, size), (1, 2, 0))
        out = self._output_shape or (query_shape[-1],)
        rank = len(out)
        self._projection(
            "attention_output",
            (heads, self.value_dim) + out,
            out,
            tuple(range(2, 2 + rank)) + (0, 1),
            attr="output",
        )
        self._out_dims = out

    def _projection(self, name, kernel_shape, bias_shape, layout, attr=None):
        attr = attr or name
        add_kernel_and_bias(
            self,
            name,
            (kernel_shape, bias_shape),
            self.kernel_initializer,
            (f"{attr}_weight", f"{attr}_bias"),
            layout,
        )

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
        if key is None:
            key = value
        q = self._heads(query, self.query_weight, self.query_bias)  # (B, N, T, key_dim)
        k = self._heads(key, self.key_weight, self.key_bias)  # (B, N, S, key_dim)
        v = self._heads(value, self.value_weight, self.value_bias)  # (B, N, S, value_dim)
        training = self.training if training is None else training
        drop = bool(training) and self.dropout > 0
        explicit = return_attention_scores or drop
        masks = (query_mask, value_mask, key_mask, attention_mask)
        scores = None
        if not explicit and use_causal_mask and all(m is None for m in masks):
            attended = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=self._scale)
            return self._output(attended, None, return_attention_scores)
        mask = self._mask(query, value, *masks, use_causal_mask)
        bias = None if mask is None else _additive_mask(mask, q.dtype)
        if explicit:
            logits = torch.matmul(q * self._scale, k.transpose(-1, -2))
            scores = torch.softmax(logits if bias is None else logits + bias, dim=-1)
            attended = torch.matmul(self._drop(scores) if drop else scores, v)
        else:
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, scale=self._scale)
        return self._output(attended, scores, return_attention_scores)

    def _output(self, attended, scores, return_attention_scores):
        merged = attended.transpose(1, 2).flatten(2)  # (B, T, N * value_dim)
        weight = self.output_weight.flatten(0, -3).flatten(1)
        bias = None if self.output_bias is None else self.output_bias.flatten()
        out = F.linear(merged, weight, bias)
        if len(self._out_dims) > 1:
            out = out.unflatten(-1, self._out_dims)
        return (out, scores) if return_attention_scores else out

    def _heads(self, inputs, weight, bias):
        """Project `(B, L, dim)` to `(B, N, L, size)` with one matmul."""
        heads, size = weight.shape[0], weight.shape[1]
        projected = F.linear(inputs, weight.flatten(0, 1), None if bias is None else bias.flatten())
        return projected.unflatten(-1, (heads, size)).transpose(1, 2)

    def _mask(
        self, query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
    ):
        """The boolean `(B, 1, T, S)`-broadcastable mask from every source, or None."""
        mask = None
        if query_mask is not None:
            mask = _combine(mask, query_mask.unsqueeze(-1))
        if value_mask is not None:
            mask = _combine(mask, value_mask.unsqueeze(-2))
        if key_mask is not None:
            mask = _combine(mask, key_mask.unsqueeze(-2))
        if attention_mask is not None:
            mask = _combine(mask, attention_mask)
        if use_causal_mask:
            mask = _combine(mask, _causal_mask(query.shape[1], value.shape[1], query.device))
        if mask is None:
            return None
        while mask.dim() < 4:  # add the heads (and batch) dimensions
            mask = mask.unsqueeze(-3)
        return mask

    def compute_mask(self, query, mask=None):
        """The output carries the query's mask (Keras)."""
        return implicit_mask(query)

    @property
    def query_kernel(self):
        """`query/kernel` in Keras's layout `(query_dim, num_heads, key_dim)`."""
        return self.query_weight.permute(2, 0, 1)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "key_dim": self.key_dim,
                "value_dim": self.value_dim,
                "dropout": self.dropout,
                "use_bias": self.use_bias,
                "output_shape": None if self._output_shape is None else list(self._output_shape),
                "attention_axes": None
                if self.attention_axes is None
                else list(self.attention_axes),
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": None,
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "seed": self.seed,
            }
        )
        return config


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    return value


def _check_output_shape(output_shape):
    if output_shape is None:
        return None
    dims = (output_shape,) if isinstance(output_shape, int) else output_shape
    try:
        dims = tuple(dims)
    except TypeError:
        dims = None
    if not dims or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in dims):
        raise ValueError(
            "`output_shape` must be a positive int or a tuple of positive ints (the output's "
            f"last dimensions). Received: output_shape={output_shape!r}"
        )
    return dims


def _check_attention_axes(axes):
    if axes is None:
        return None
    normalized = (axes,) if isinstance(axes, int) else axes
    if not isinstance(normalized, (list, tuple)) or tuple(normalized) not in ((1,), (-2,)):
        raise ValueError(
            "plait's MultiHeadAttention attends over the sequence axis of "
            "(batch, steps, features) inputs only: `attention_axes` must be None (or 1). "
            f"Received: attention_axes={axes!r}. Reshape the inputs to "
            "(batch, steps, features) to attend over other axes."
        )
    return tuple(normalized)
