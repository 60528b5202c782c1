"""Convolutional LSTMs (Shi et al., 2015): `ConvLSTM1D`, `ConvLSTM2D`, `ConvLSTM3D` over
`(batch, time, *spatial, channels)`; the gates are convolutions instead of matrix products.

The weights and most arguments are LSTM's (`recurrent/arguments.py`); the kernels are
`(*kernel_size, channels, 4 * filters)` in Keras's layout.
"""

import torch
import torch.nn.functional as F

from plait import activations
from plait.layers.recurrent.arguments import (
    RecurrentArgs,
    SequenceArgs,
    UnitForgetBias,
    sequence_config,
)
from plait.serialization import register_serializable
from plait.utils.random import device_generator

__all__ = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def _tuple(value, rank, name):
    if isinstance(value, int):
        return (value,) * rank
    value = tuple(value)
    if len(value) != rank:
        raise ValueError(
            f"The `{name}` argument must be a tuple of {rank} integers. Received: {name}={value}"
        )
    return value


def _out_size(size, kernel, stride, dilation, padding):
    if size is None:
        return None
    span = dilation * (kernel - 1) + 1
    if padding == "same":
        return -(-size // stride)
    return (size - span) // stride + 1


class _ConvLSTM(SequenceArgs, RecurrentArgs):
    """What ConvLSTM1D, 2D and 3D share: all but their rank. Keras's positional arguments
    run to `bias_initializer`; `unit_forget_bias` (default True) and the rest are keywords."""

    _rank = 2

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation="tanh",
        recurrent_activation="sigmoid",
        *args,
        unit_forget_bias=True,
        activity_regularizer=None,
        **kwargs,
    ):
        super().__init__(activation, *args, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        rank = self._rank
        if activity_regularizer is not None:
            raise ValueError(
                f"{type(self).__name__} in plait takes no activity_regularizer. "
                f"Received: activity_regularizer={activity_regularizer!r}"
            )
        if (data_format or "channels_last") != "channels_last":
            raise ValueError(
                f"{type(self).__name__} in plait supports "
                f"data_format='channels_last' only. Received: "
                f"data_format={data_format!r}"
            )
        padding = padding.lower()
        if padding not in ("valid", "same"):
            raise ValueError(
                f"The `padding` argument must be 'valid' or 'same'. Received: padding={padding!r}"
            )
        self.filters = filters
        self.kernel_size = _tuple(kernel_size, rank, "kernel_size")
        self.strides = _tuple(strides, rank, "strides")
        self.dilation_rate = _tuple(dilation_rate, rank, "dilation_rate")
        if padding == "same" and max(self.strides) > 1:
            raise ValueError(
                "padding='same' with strides > 1 is not supported by plait's "
                f"ConvLSTM. Received: strides={self.strides}"
            )
        self.padding = padding
        self.data_format = "channels_last"

    @staticmethod
    def _check_rate(value, name):
        # Keras clips the rates into [0, 1]; a rate applies only strictly between 0 and 1
        return min(1.0, max(0.0, float(value)))

    def build(self, input_shape):
        rank = self._rank
        if len(input_shape) != rank + 3:
            raise ValueError(
                f"{type(self).__name__} expects a {rank + 3}-D input (batch, "
                f"time, {rank} spatial dims, channels). Received: "
                f"input_shape={tuple(input_shape)}"
            )
        channels, f = input_shape[-1], self.filters
        move = (rank + 1, rank) + tuple(range(rank))  # Keras (*k, in, out) -> (out, in, *k)
        k = self.kernel_size
        self._add_kernels((*k, channels, 4 * f), (*k, f, 4 * f), layout=move)
        base = self.bias_initializer
        self._add_bias((4 * f,), UnitForgetBias(base, f) if self.unit_forget_bias else base)

    def _state_shape(self, input_shape):
        sizes = [
            _out_size(s, k, st, d, self.padding)
            for s, k, st, d in zip(
                input_shape[2:-1], self.kernel_size, self.strides, self.dilation_rate
            )
        ]
        return (input_shape[0], *sizes, self.filters)

    def dropout_masks(self, like, rate):
        """Keras's four dropout masks (one per gate: input, forget, cell, output), each of
        `like`'s shape: kept units are `1 / (1 - rate)`, dropped ones 0. They hold for
        every time step of a batch."""
        gen = device_generator(self._generators, self.seed, like.device)
        keep = torch.empty((4, *like.shape), dtype=like.dtype, device=like.device)
        keep.bernoulli_(1.0 - rate, generator=gen)
        return list(keep.div_(1.0 - rate))

    def forward(self, inputs, initial_state=None, training=None):
        training = self.training if training is None else bool(training)
        conv = _CONV[self._rank]
        x = inputs.flip(1) if self.go_backwards else inputs
        batch, steps = x.shape[0], x.shape[1]
        if training and 0.0 < self.dropout < 1.0:
            # one mask per gate: the four gates' convolutions as one grouped convolution
            masks = self.dropout_masks(x[:, 0], self.dropout)
            x = torch.cat([x * m.unsqueeze(1) for m in masks], dim=-1)
            groups = 4
        else:
            groups = 1
        x = x.movedim(-1, 2)  # (batch, time, channels, *spatial)
        kernel = self.kernel
        projected = conv(
            x.flatten(0, 1),
            kernel,
            self.bias,
            self.strides,
            self.padding,
            self.dilation_rate,
            groups,
        )
        projected = projected.unflatten(0, (batch, steps))
        if initial_state is None:
            h = projected.new_zeros((batch, self.filters, *projected.shape[3:]))
            c = torch.zeros_like(h)
        else:
            h, c = (s.movedim(-1, 1) for s in initial_state)
        recurrent_masks = None
        if training and 0.0 < self.recurrent_dropout < 1.0:
            recurrent_masks = [
                m.movedim(-1, 1)
                for m in self.dropout_masks(h.movedim(1, -1), self.recurrent_dropout)
            ]
        act, rec = self.activation, self.recurrent_activation
        outputs = []
        for t in range(steps):
            if recurrent_masks is None:
                z_h = conv(h, self.recurrent_kernel, None, 1, "same")
            else:
                stacked = torch.cat([h * m for m in recurrent_masks], dim=1)
                z_h = conv(stacked, self.recurrent_kernel, None, 1, "same", 1, 4)
            z = projected[:, t] + z_h
            z_i, z_f, z_c, z_o = z.chunk(4, dim=1)
            c = rec(z_f) * c + rec(z_i) * act(z_c)
            h = rec(z_o) * act(c)
            if self.return_sequences:
                outputs.append(h)
        last = [h.movedim(1, -1), c.movedim(1, -1)]
        output = torch.stack(outputs, 1).movedim(2, -1) if self.return_sequences else last[0]
        return [output] + last if self.return_state else output

    def compute_output_shape(self, input_shape):
        state = self._state_shape(input_shape)
        out = (state[0], input_shape[1], *state[1:]) if self.return_sequences else state
        return [out, state, state] if self.return_state else out

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
            }
        )
        config.update(self._head_config())
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["unit_forget_bias"] = self.unit_forget_bias
        config.update(self._penalty_config(activity=True))
        config.update(self._dropout_config())
        config.update(sequence_config(self))
        return config


def _conv_lstm_class(rank):
    name = f"ConvLSTM{rank}D"
    doc = (
        f"A convolutional LSTM over {rank} spatial dimension(s).\n\n    Args:\n"
        "        filters: the number of output channels (and of state channels).\n"
        f"        kernel_size, strides, dilation_rate: ints or tuples of {rank}.\n"
        '        padding: "valid" (default) or "same" (of the input convolution; the '
        'recurrent one is always "same").\n'
        '        data_format: "channels_last" only.\n'
        '        activation ("tanh"), recurrent_activation ("sigmoid"), use_bias '
        "(True), initializers, unit_forget_bias (True), regularizers, constraints: as "
        "LSTM.\n        dropout, recurrent_dropout: fractions (default 0) of the input and of "
        "the state dropped in training, with one mask per gate held over the time steps, "
        "as Keras does; seed: for the masks.\n"
        "        return_sequences, return_state, go_backwards: as LSTM.\n\n"
        f"    Input shape: `(batch, time, *{rank} spatial, channels)`.\n"
        "    Output shape: `(batch, *out_spatial, filters)`, with `return_sequences` "
        "`(batch, time, *out_spatial, filters)`; `return_state` adds `[h, c]`.\n\n"
        "    Raises:\n        ValueError: for stateful=True, channels_first, a "
        "bad padding or kernel size.\n\n"
        "    Example:\n        >>> from plait import Input\n"
        f"        >>> x = Input(shape=(5, {', '.join(['6'] * rank)}, 2))\n"
        f'        >>> {name}(8, 3, padding="same")(x).shape\n'
        f"        (None, {', '.join(['6'] * rank)}, 8)\n"
    )

    def __init__(self, filters, kernel_size, *args, **kwargs):
        _ConvLSTM.__init__(self, filters, kernel_size, *args, **kwargs)

    cls = type(
        name,
        (_ConvLSTM,),
        {"_rank": rank, "__doc__": doc, "__init__": __init__, "__module__": __name__},
    )
    return register_serializable(package="plait")(cls)


ConvLSTM1D = _conv_lstm_class(1)
ConvLSTM2D = _conv_lstm_class(2)
ConvLSTM3D = _conv_lstm_class(3)
