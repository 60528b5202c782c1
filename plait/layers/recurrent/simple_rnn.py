"""`SimpleRNN`: a fully connected recurrent layer over `(batch, timesteps, features)`;
with activation "tanh" or "relu" it runs `torch.rnn_tanh` / `torch.rnn_relu`."""

import torch
import torch.nn.functional as F

from plait import activations
from plait.layers.recurrent.base import RNNLayer, with_rnn_args_doc
from plait.serialization import register_serializable

__all__ = ["SimpleRNN"]

_KERNELS = {activations.tanh: torch.rnn_tanh, activations.relu: torch.rnn_relu}


@register_serializable(package="plait")
@with_rnn_args_doc
class SimpleRNN(RNNLayer):
    """Fully-connected RNN: `h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel +
    bias)`; the output is `h`.

    Args:
        units: size of the hidden state.
        activation: default 'tanh' ('tanh' and 'relu' run PyTorch's fused kernel).
        use_bias: default True.
        kernel_initializer ('glorot_uniform'), recurrent_initializer ('orthogonal'),
        bias_initializer ('zeros').{rnn_args}

    Weights: `kernel` `(features, units)`, `recurrent_kernel` `(units, units)`, `bias`
    `(units,)`.

        >>> from plait import Input
        >>> x = Input(shape=(10, 8))
        >>> SimpleRNN(4)(x).shape
        (None, 4)
    """

    def _fusable(self):
        self._kernel_fn = _KERNELS.get(self.activation)
        return self._kernel_fn is not None

    def _build_weights(self, features):
        self._add_torch_kernels(features, 1)
        self._add_bias((self.units,), self.bias_initializer)
        # PyTorch's kernel adds two biases; Keras has one, so the second is zero.
        self.register_buffer(
            "_zero_bias", torch.zeros(self.units, device=self.weight_ih.device), persistent=False
        )

    def _cell(self, projected, states, recurrent_masks):
        h = states[0]
        if recurrent_masks is not None:
            h = h * recurrent_masks
        h = self.activation(projected + F.linear(h, self.weight_hh))
        return h, [h]

    def get_config(self):
        config = super().get_config()
        config.update(self._rnn_config())
        return config
