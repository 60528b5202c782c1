"""`ReversibleEmbedding`: an embedding that also maps vectors back to logits over its
vocabulary (`reverse=True`), with the embedding matrix tied or a separate one, as language
models use for their input and output layers.

    embed = plait.layers.ReversibleEmbedding(1000, 64)
    hidden = embed(token_ids)                 # (batch, steps, 64)
    logits = embed(hidden, reverse=True)      # (batch, steps, 1000)
"""

import torch
import torch.nn.functional as F

from plait.layers.arguments import add_embeddings, embedding_config, set_weight_arguments
from plait.layers.layer import Layer
from plait.layers.penalties import set_activity_regularizer
from plait.serialization import register_serializable

__all__ = ["ReversibleEmbedding"]


@register_serializable(package="plait")
class ReversibleEmbedding(Layer):
    """An `Embedding` that can be called in reverse: `layer(ids)` looks up rows of
    `embeddings`; `layer(vectors, reverse=True)` multiplies by the transposed embedding
    matrix (`tie_weights=True`) or by its own `reverse_embeddings` matrix, giving logits.

    Args:
        input_dim: vocabulary size (largest index + 1).
        output_dim: size of each vector.
        tie_weights: default True: the reverse projection is `embeddings.T`; False gives
            it a separate `(output_dim, input_dim)` weight `reverse_embeddings`.
        embeddings_initializer: default 'uniform' (also for `reverse_embeddings`).
        embeddings_regularizer, embeddings_constraint: as Embedding's.
        mask_zero: index 0 is padding (the forward call's mask is `ids != 0`).
        reverse_dtype: None (default: the compute dtype), or a dtype name the reverse
            matmul runs in (e.g. 'float32' for mixed precision logits).
        logit_soft_cap: None (default), or a float `c`: reverse logits become
            `c * tanh(logits / c)`.

    Input shape: `(batch, ...)` integers; with `reverse=True`, `(batch, ..., output_dim)`.
    Output shape: `(batch, ..., output_dim)`; with `reverse=True`, `(batch, ..., input_dim)`.
    Weights: `embeddings` `(input_dim, output_dim)` (PyTorch's `weight`), and without
    tied weights `reverse_embeddings` `(output_dim, input_dim)`.

    Raises:
        ValueError: `input_dim` or `output_dim` not a positive int.

    Example:
        >>> import torch
        >>> layer = ReversibleEmbedding(10, 4)
        >>> hidden = layer(torch.tensor([[1, 2, 3]]))
        >>> layer(hidden, reverse=True).shape
        torch.Size([1, 3, 10])
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        tie_weights=True,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        reverse_dtype=None,
        logit_soft_cap=None,
        activity_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"ReversibleEmbedding's `{name}` must be a positive integer. "
                    f"Received: {name}={value!r}"
                )
        self.input_dim, self.output_dim = input_dim, output_dim
        self.tie_weights = bool(tie_weights)
        set_weight_arguments(
            self,
            "embeddings",
            embeddings_initializer,
            embeddings_regularizer,
            embeddings_constraint,
        )
        set_activity_regularizer(self, activity_regularizer)
        self.mask_zero = bool(mask_zero)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape=None):
        add_embeddings(self)
        if not self.tie_weights:
            self.add_weight(
                "reverse_embeddings", (self.output_dim, self.input_dim), self.embeddings_initializer
            )

    def forward(self, inputs, reverse=False):
        if not reverse:
            if inputs.dtype not in (torch.int32, torch.int64):
                inputs = inputs.long()
            return F.embedding(inputs, self.weight)
        kernel = self.weight.t() if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            dtype = getattr(torch, str(self.reverse_dtype))
            inputs, kernel = inputs.to(dtype), kernel.to(dtype)
        logits = torch.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = torch.tanh(logits / cap) * cap
        return logits

    def compute_mask(self, inputs, mask=None):
        """`inputs != 0` for integer ids with mask_zero, else None (reverse calls)."""
        if not self.mask_zero or inputs.dtype.is_floating_point:
            return None
        return inputs != 0

    @property
    def embeddings(self):
        """The `(input_dim, output_dim)` matrix (the `weight` parameter itself)."""
        return self.weight

    def get_config(self):
        config = {**super().get_config(), **embedding_config(self)}
        config.update(
            {
                "tie_weights": self.tie_weights,
                "reverse_dtype": self.reverse_dtype,
                "logit_soft_cap": self.logit_soft_cap,
            }
        )
        return config
