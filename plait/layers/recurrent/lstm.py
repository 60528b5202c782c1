"""`LSTM`: the long short-term memory layer over `(batch, timesteps, features)`; Keras's gate
order i, f, c, o is PyTorch's, so `torch.lstm` runs it."""

import torch
import torch.nn.functional as F

from plait import activations
from plait.layers.recurrent.arguments import LSTMArgs, UnitForgetBias
from plait.layers.recurrent.base import RNNLayer, with_rnn_args_doc
from plait.ops import _recurrent as recurrent_compiled
from plait.serialization import register_serializable

__all__ = ["LSTM"]


@register_serializable(package="plait")
@with_rnn_args_doc
class LSTM(LSTMArgs, RNNLayer):
    """Long Short-Term Memory layer (Hochreiter 1997).

    Args:
        units: size of the hidden state.
        activation: default 'tanh'. recurrent_activation: default 'sigmoid'.
        use_bias: default True.
        kernel_initializer ('glorot_uniform'), recurrent_initializer ('orthogonal'),
        bias_initializer ('zeros').
        unit_forget_bias: add 1 to the forget gate's bias at initialization
            (default True).{rnn_args} With return_state: `[output, h, c]`.

    Weights (gate order i, f, c, o): `kernel` `(features, 4 * units)`, `recurrent_kernel`
    `(units, 4 * units)`, `bias` `(4 * units,)`.

        >>> from plait import Input
        >>> x = Input(shape=(10, 8))
        >>> LSTM(4)(x).shape
        (None, 4)
    """

    _num_states = 2
    _state_names = ("h", "c")

    _kernel_fn = torch.lstm
    _scan_kind = "lstm"

    def _fusable(self):
        # PyTorch's kernel computes exactly Keras's cell when the activations are the defaults.
        return (
            self.activation is activations.tanh and self.recurrent_activation is activations.sigmoid
        )

    def _build_weights(self, features):
        units = self.units
        self._add_torch_kernels(features, 4)
        init = self.bias_initializer
        if self.unit_forget_bias:
            init = UnitForgetBias(init, units)
        self._add_bias((4 * units,), init)
        # PyTorch's kernel adds two biases; Keras has one, so the second is zero.
        self.register_buffer(
            "_zero_bias", torch.zeros(4 * units, device=self.weight_ih.device), persistent=False
        )

    def _scan(self, projected, states, keep, recurrent_masks):
        hs, cs = recurrent_compiled.lstm_scan(
            projected, states[0], states[1], self.weight_hh, keep, recurrent_masks
        )
        return hs, [hs[-1], cs[-1]]

    def _cell(self, projected, states, recurrent_masks):
        h, c = states
        if recurrent_masks is not None:
            h = h * recurrent_masks
        i, f, g, o = (projected + F.linear(h, self.weight_hh)).chunk(4, dim=-1)
        c = self.recurrent_activation(f) * c + self.recurrent_activation(i) * self.activation(g)
        h = self.recurrent_activation(o) * self.activation(c)
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["unit_forget_bias"] = self.unit_forget_bias
        config.update(self._rnn_config())
        return config
