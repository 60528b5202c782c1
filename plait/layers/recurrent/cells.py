"""Keras's recurrent cells, one time step each: `SimpleRNNCell`, `LSTMCell`, `GRUCell`.

A cell has `state_size` (an int, or a list), `output_size`, and `call(inputs, states)` on one
step `(batch, features)` returning `(output, new_states)`; `RNN(cell)` runs it over time.
Cells keep Keras's weight layout and names (`kernel`, `recurrent_kernel`, `bias`).
"""

import torch

from plait import activations
from plait.layers.recurrent.arguments import GRUArgs, LSTMArgs, RecurrentArgs, UnitForgetBias
from plait.serialization import register_serializable
from plait.utils.random import device_generator

__all__ = ["GRUCell", "LSTMCell", "SimpleRNNCell"]


class _Cell(RecurrentArgs):
    """What the built-in cells share: `units`, weights in Keras's layout, dropout masks
    made once per `RNN` call (`reset_dropout_mask`)."""

    _gates = 1

    def __init__(self, units, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                "Received an invalid value for argument `units`, expected a "
                f"positive integer. Received: units={units!r}"
            )
        self.units = units
        self.reset_dropout_mask()

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def build(self, input_shape):
        width = self._gates * self.units
        self._add_kernels((input_shape[-1], width), (self.units, width))

    def reset_dropout_mask(self):
        """Forget the dropout masks: the next step in training draws new ones (`RNN` calls
        this at the start of every call, so one sequence shares one mask, as in Keras)."""
        self._masks = {}

    def _mask(self, kind, like, rate):
        mask = self._masks.get(kind)
        if mask is None or mask.shape != like.shape:
            keep = torch.empty_like(like).bernoulli_(
                1 - rate, generator=device_generator(self._generators, self.seed, like.device)
            )
            mask = self._masks[kind] = keep.div_(1 - rate)
        return mask

    def _dropped(self, inputs, h, training):
        if training and 0.0 < self.dropout < 1.0:
            inputs = inputs * self._mask("input", inputs, self.dropout)
        if training and 0.0 < self.recurrent_dropout < 1.0:
            h = h * self._mask("recurrent", h, self.recurrent_dropout)
        return inputs, h

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        config.update(self._head_config())
        config.update(self._penalty_config())
        config.update(self._dropout_config())
        return config


_CELL_ARGS = """
    Args:
        units: the size of the state and output, a positive int.
        activation: default "tanh".{extra}
        use_bias (True), kernel_initializer ("glorot_uniform"), recurrent_initializer
            ("orthogonal"), bias_initializer ("zeros"), regularizers, constraints: Keras's.
        dropout, recurrent_dropout: fractions of the inputs / state dropped in training.
        seed: seed of the dropout masks.

    Call: `cell(inputs, states, training=None)` with `inputs` `(batch, features)`;
    returns `(output, new_states)`.

    Raises:
        ValueError: for `units` that is not a positive int, a rate outside [0, 1].
"""


@register_serializable(package="plait")
class SimpleRNNCell(_Cell):
    __doc__ = (
        "One step of a fully connected RNN: `h = activation(x @ kernel + h_prev @ "
        "recurrent_kernel + bias)`; its output is `h`.\n"
        + _CELL_ARGS.format(extra="")
        + """
    Example:
        >>> import torch
        >>> cell = SimpleRNNCell(4)
        >>> out, states = cell(torch.ones(2, 3), [torch.zeros(2, 4)])
        >>> out.shape, len(states)
        (torch.Size([2, 4]), 1)
"""
    )

    def build(self, input_shape):
        super().build(input_shape)
        self._add_bias((self.units,), self.bias_initializer)

    def forward(self, inputs, states, training=None):
        training = self.training if training is None else bool(training)
        h = states[0] if isinstance(states, (list, tuple)) else states
        inputs, h_dropped = self._dropped(inputs, h, training)
        z = inputs @ self.kernel
        if self.bias is not None:
            z = z + self.bias
        out = self.activation(z + h_dropped @ self.recurrent_kernel)
        return out, [out]


@register_serializable(package="plait")
class LSTMCell(LSTMArgs, _Cell):
    __doc__ = (
        "One step of a long short-term memory layer (Hochreiter, 1997), Keras's gate "
        "order i, f, c, o: states `[h, c]`, output `h`.\n"
        + _CELL_ARGS.format(
            extra='\n        recurrent_activation: default "sigmoid".'
            "\n        unit_forget_bias: start the forget gate's "
            "bias at 1. Default True (a keyword)."
        )
        + """
    Example:
        >>> import torch
        >>> cell = LSTMCell(4)
        >>> cell.state_size
        [4, 4]
        >>> h, (h, c) = cell(torch.ones(2, 3), [torch.zeros(2, 4), torch.zeros(2, 4)])
        >>> h.shape, c.shape
        (torch.Size([2, 4]), torch.Size([2, 4]))
"""
    )
    _gates = 4

    @property
    def state_size(self):
        return [self.units, self.units]

    def build(self, input_shape):
        super().build(input_shape)
        base = self.bias_initializer
        init = UnitForgetBias(base, self.units) if self.unit_forget_bias else base
        self._add_bias((4 * self.units,), init)

    def forward(self, inputs, states, training=None):
        training = self.training if training is None else bool(training)
        h, c = states[0], states[1]
        inputs, h = self._dropped(inputs, h, training)
        z = inputs @ self.kernel + h @ self.recurrent_kernel
        if self.bias is not None:
            z = z + self.bias
        z_i, z_f, z_c, z_o = z.chunk(4, dim=-1)
        act, rec = self.activation, self.recurrent_activation
        c = rec(z_f) * c + rec(z_i) * act(z_c)
        h = rec(z_o) * act(c)
        return h, [h, c]

    def fusable(self):
        """Whether `torch.lstm` computes this cell: default activations, no dropout."""
        return (
            self.activation is activations.tanh
            and self.recurrent_activation is activations.sigmoid
            and not (0.0 < self.dropout < 1.0 or 0.0 < self.recurrent_dropout < 1.0)
        )

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


@register_serializable(package="plait")
class GRUCell(GRUArgs, _Cell):
    __doc__ = (
        "One step of a gated recurrent unit (Cho et al., 2014), Keras's gate order "
        "z, r, h.\n"
        + _CELL_ARGS.format(
            extra='\n        recurrent_activation: default "sigmoid".'
            "\n        reset_after: apply the reset gate after the "
            "recurrent matrix product (default True; `bias` is then "
            "`(2, 3 * units)`, input and recurrent rows)."
        )
        + """
    Example:
        >>> import torch
        >>> cell = GRUCell(4)
        >>> out, states = cell(torch.ones(2, 3), [torch.zeros(2, 4)])
        >>> out.shape, tuple(cell.bias.shape)
        (torch.Size([2, 4]), (2, 12))
"""
    )
    _gates = 3

    def build(self, input_shape):
        super().build(input_shape)
        shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        self._add_bias(shape, self.bias_initializer)

    def forward(self, inputs, states, training=None):
        training = self.training if training is None else bool(training)
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        inputs, h = self._dropped(inputs, h_prev, training)
        u = self.units
        x = inputs @ self.kernel
        if self.bias is not None:
            x = x + (self.bias[0] if self.reset_after else self.bias)
        x_z, x_r, x_h = x.split(u, dim=-1)
        rec = self.recurrent_activation
        if self.reset_after:
            inner = h @ self.recurrent_kernel
            if self.bias is not None:
                inner = inner + self.bias[1]
            in_z, in_r, in_h = inner.split(u, dim=-1)
            z, r = rec(x_z + in_z), rec(x_r + in_r)
            candidate = self.activation(x_h + r * in_h)
        else:
            inner = h @ self.recurrent_kernel[:, : 2 * u]
            z, r = rec(x_z + inner[..., :u]), rec(x_r + inner[..., u:])
            candidate = self.activation(x_h + (r * h) @ self.recurrent_kernel[:, 2 * u :])
        out = z * h_prev + (1.0 - z) * candidate
        return out, [out]

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["reset_after"] = self.reset_after
        return config
