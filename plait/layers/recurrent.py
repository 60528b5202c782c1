"""Recurrent layers over `(batch, timesteps, features)`: LSTM.

Weights follow Keras: `kernel` `(features, 4 * units)`, `recurrent_kernel` `(units,
4 * units)` and one `bias` `(4 * units,)`, gates in Keras's order i, f, c, o — which is also
PyTorch's order, so with the default activations the layer runs PyTorch's fused LSTM kernel
on the stored `weight_ih` / `weight_hh` directly.
"""
import torch

from plait import activations, initializers
from plait.layers.layer import Layer, LayerCallError
from plait.serialization import register_serializable


def check_sequence_input(layer, input_shape):
    if len(input_shape) != 3:
        raise LayerCallError(
            f"{type(layer).__name__} layer '{layer.name}' expects a 3-D input (batch, "
            f"timesteps, features); received an input of shape {tuple(input_shape)}. "
            "For a single feature per step, give Input(shape=(timesteps, 1)).")
    if input_shape[-1] is None:
        raise LayerCallError(
            f"The feature dimension of the input to {type(layer).__name__} layer "
            f"'{layer.name}' must be known. Received: input_shape={tuple(input_shape)}")


class _UnitForgetBias(initializers.Initializer):
    """Keras's LSTM bias with unit_forget_bias: the wrapped initializer, ones for f."""

    def __init__(self, base, units):
        self.base, self.units = base, units

    def __call__(self, shape, dtype=None, device=None):
        bias = self.base(shape, dtype=dtype, device=device)
        bias[self.units:2 * self.units] = 1.0
        return bias


@register_serializable(package="plait")
class LSTM(Layer):
    """Long Short-Term Memory layer (Hochreiter 1997).

    Args:
        units: size of the hidden state.
        activation: default 'tanh'. recurrent_activation: default 'sigmoid'.
        use_bias: default True.
        kernel_initializer ('glorot_uniform'), recurrent_initializer ('orthogonal'),
        bias_initializer ('zeros').
        unit_forget_bias: add 1 to the forget gate's bias at initialization (default True).
        return_sequences: return the whole output sequence, not only the last step.
        return_state: also return the last hidden and cell states: `[output, h, c]`.
        go_backwards: process the sequence backwards (the outputs stay in that order).

    Input shape: `(batch, timesteps, features)`. Output shape: `(batch, units)`, or
    `(batch, timesteps, units)` with return_sequences. Call with `initial_state=[h, c]` to
    start from given states.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, return_sequences=False,
                 return_state=False, go_backwards=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or units <= 0:
            raise ValueError(f"`units` must be a positive integer. Received: units={units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        # PyTorch's kernel computes exactly Keras's cell when the activations are the defaults.
        self._fused = (self.activation is activations.tanh
                       and self.recurrent_activation is activations.sigmoid)

    def build(self, input_shape):
        check_sequence_input(self, input_shape)
        features, units = input_shape[-1], self.units
        self.add_weight("kernel", (features, 4 * units), self.kernel_initializer,
                        attr="weight_ih", layout=(1, 0))
        self.add_weight("recurrent_kernel", (units, 4 * units), self.recurrent_initializer,
                        attr="weight_hh", layout=(1, 0))
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:
                init = _UnitForgetBias(init, units)
            self.add_weight("bias", (4 * units,), init)
        else:
            self.register_parameter("bias", None)
        # PyTorch's kernel adds two biases; Keras has one, so the second is zero.
        self.register_buffer("_zero_bias", torch.zeros(4 * units, device=self.weight_ih.device),
                             persistent=False)

    def forward(self, inputs, initial_state=None):
        x = inputs.flip(1) if self.go_backwards else inputs
        batch = x.shape[0]
        if initial_state is None:
            h0 = x.new_zeros(batch, self.units)
            c0 = h0
        else:
            h0, c0 = initial_state
        if self._fused:
            outputs, h, c = self._run_fused(x, h0, c0)
        else:
            outputs, h, c = self._run_loop(x, h0, c0)
        output = outputs if self.return_sequences else h
        if self.return_state:
            return [output, h, c]
        return output

    def _run_fused(self, x, h0, c0):
        params = [self.weight_ih, self.weight_hh]
        if self.bias is not None:
            params += [self.bias, self._zero_bias]
        outputs, h, c = torch.lstm(x, (h0.unsqueeze(0), c0.unsqueeze(0)), params,
                                   self.bias is not None, 1, 0.0, self.training, False, True)
        return outputs, h[0], c[0]

    def _run_loop(self, x, h, c):
        projected = torch.nn.functional.linear(x, self.weight_ih, self.bias)
        recurrent_t = self.weight_hh.t()
        outputs = []
        for t in range(x.shape[1]):
            z = projected[:, t] + h @ recurrent_t
            i, f, g, o = z.chunk(4, dim=-1)
            i = self.recurrent_activation(i)
            f = self.recurrent_activation(f)
            o = self.recurrent_activation(o)
            c = f * c + i * self.activation(g)
            h = o * self.activation(c)
            outputs.append(h)
        return torch.stack(outputs, dim=1), h, c

    def compute_output_shape(self, input_shape):
        check_sequence_input(self, input_shape)
        if input_shape[-1] != self.weight_ih.shape[1]:
            raise ValueError(
                f"its kernel takes {self.weight_ih.shape[1]} features per step, but the input "
                f"has {input_shape[-1]}")
        batch = input_shape[0]
        out = (batch, input_shape[1], self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [out, (batch, self.units), (batch, self.units)]
        return out

    @property
    def kernel(self):
        return self.weight_ih.T

    @property
    def recurrent_kernel(self):
        return self.weight_hh.T

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
        })
        return config
