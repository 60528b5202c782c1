"""`Embedding`: integer indices to dense vectors."""

import torch
import torch.nn.functional as F

from plait.layers.arguments import add_embeddings, embedding_config, set_weight_arguments
from plait.layers.layer import Layer
from plait.layers.penalties import set_activity_regularizer
from plait.serialization import register_serializable

__all__ = ["Embedding"]


@register_serializable(package="plait")
class Embedding(Layer):
    """Turns integer indices into dense vectors: row `i` of `embeddings` for index `i`.

    Args:
        input_dim: vocabulary size (largest index + 1).
        output_dim: size of each vector.
        embeddings_initializer: default 'uniform' (RandomUniform(-0.05, 0.05), as Keras).
        embeddings_regularizer, activity_regularizer, embeddings_constraint: see Dense.
        mask_zero: index 0 is padding; `compute_mask(inputs)` returns `inputs != 0` and
            recurrent layers skip those steps. Index 0 then cannot be a word
            (input_dim = vocabulary + 1).
        weights: optional initial `(input_dim, output_dim)` matrix (or a list holding it).

    Input shape: `(batch, ...)` of integers (floats are truncated). Output shape:
    `(batch, ..., output_dim)`. Weights: `embeddings` `(input_dim, output_dim)`, stored as
    PyTorch's `weight` (the layout of `nn.Embedding`).

        >>> from plait.layers import Input
        >>> x = Input(shape=(10,), dtype='int64')
        >>> Embedding(1000, 64)(x).shape
        (None, 10, 64)
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        activity_regularizer=None,
        **kwargs,
    ):
        input_length = kwargs.pop("input_length", None)
        if (
            input_length is not None
            and kwargs.get("input_shape") is None
            and kwargs.get("batch_input_shape") is None
        ):
            # Keras 2: the sequence length, which makes the layer a model's first layer
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        if input_length is not None:
            self._input_length = input_length
        for name, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
        self.input_dim, self.output_dim = input_dim, output_dim
        set_weight_arguments(
            self,
            "embeddings",
            embeddings_initializer,
            embeddings_regularizer,
            embeddings_constraint,
        )
        set_activity_regularizer(self, activity_regularizer)
        self.mask_zero = bool(mask_zero)
        if weights is not None:
            self._ensure_built(None)
            is_list = isinstance(weights, list) and len(weights) == 1
            self.set_weights(weights if is_list else [weights])

    def build(self, input_shape):
        add_embeddings(self)

    def forward(self, inputs):
        if inputs.dtype not in (torch.int32, torch.int64):
            inputs = inputs.long()
        return F.embedding(inputs, self.weight)

    def compute_mask(self, inputs, mask=None):
        """`inputs != 0` with mask_zero (True where a step holds data), else None."""
        if not self.mask_zero:
            return None
        return inputs != 0

    @property
    def embeddings(self):
        """The `(input_dim, output_dim)` matrix (the `weight` parameter itself)."""
        return self.weight

    def get_config(self):
        return {**super().get_config(), **embedding_config(self)}
