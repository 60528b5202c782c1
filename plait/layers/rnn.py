"""Keras's generic recurrent layer and its cells: `RNN(cell)` over `(batch, timesteps,
features)` with `SimpleRNNCell`, `LSTMCell`, `GRUCell`, `StackedRNNCells` or a user cell.

A cell has `state_size` (an int, or a list), an optional `output_size`, and
`call(inputs, states)` on one step `(batch, features)` returning `(output, new_states)`.
Cells keep Keras's weight layout and names (`kernel`, `recurrent_kernel`, `bias`);
`RNN(LSTMCell)` with default activations, no mask and no dropout runs `torch.lstm`.

    cell = plait.layers.LSTMCell(32)
    y = plait.layers.RNN(cell, return_sequences=True)(x)      # (batch, steps, 32)
"""

import inspect

import torch

from plait import activations, constraints, initializers, regularizers, serialization
from plait.layers.layer import Layer, LayerCallError
from plait.serialization import register_serializable
from plait.utils import nest
from plait.utils.random import device_generator

__all__ = ["GRUCell", "LSTMCell", "RNN", "SimpleRNNCell", "StackedRNNCells"]


def _as_list(size):
    return list(size) if isinstance(size, (list, tuple)) else [size]


def _flat_sizes(state_size):
    return list(nest.flatten(state_size)) if isinstance(state_size, (list, tuple)) else [state_size]


def _output_size(cell):
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    state_size = cell.state_size
    return _flat_sizes(state_size)[0]


def _rate(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"`{name}` must be a float between 0 and 1. Received: {name}={value!r}")
    return float(value)


class _Cell(Layer):
    """What the built-in cells share: arguments, weights in Keras's layout, dropout masks
    made once per `RNN` call (`reset_dropout_mask`)."""

    _gates = 1

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        kwargs.pop("implementation", None)
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                "Received an invalid value for argument `units`, expected a "
                f"positive integer. Received: units={units!r}"
            )
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = _rate(dropout, "dropout")
        self.recurrent_dropout = _rate(recurrent_dropout, "recurrent_dropout")
        self.seed = seed
        self._generators = {}
        self.reset_dropout_mask()

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def _add_kernels(self, features):
        width = self._gates * self.units
        self.add_weight(
            "kernel",
            (features, width),
            self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.add_weight(
            "recurrent_kernel",
            (self.units, width),
            self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )

    def _add_bias(self, shape, initializer):
        if self.use_bias:
            self.add_weight(
                "bias",
                shape,
                initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.register_parameter("bias", None)

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
        config.update(
            {
                "units": self.units,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed,
            }
        )
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
        + "\n    Example:\n        >>> rnn = RNN(SimpleRNNCell(4))\n"
    )

    def build(self, input_shape):
        self._add_kernels(input_shape[-1])
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
class LSTMCell(_Cell):
    __doc__ = (
        "One step of a long short-term memory layer (Hochreiter, 1997), Keras's gate "
        "order i, f, c, o: states `[h, c]`, output `h`.\n"
        + _CELL_ARGS.format(
            extra='\n        recurrent_activation: default "sigmoid".'
            "\n        unit_forget_bias: start the forget gate's "
            "bias at 1. Default True."
        )
        + "\n    Example:\n        >>> y = RNN(LSTMCell(8), return_sequences=True)(x)\n"
    )
    _gates = 4

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        **kwargs,
    ):
        super().__init__(
            units,
            activation,
            use_bias,
            kernel_initializer,
            recurrent_initializer,
            bias_initializer,
            **kwargs,
        )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self):
        return [self.units, self.units]

    def build(self, input_shape):
        self._add_kernels(input_shape[-1])
        units, base = self.units, self.bias_initializer

        def with_forget_ones(shape, dtype=None, device=None):
            bias = base(shape, dtype=dtype, device=device)
            bias = torch.as_tensor(bias, dtype=dtype, device=device).clone()
            bias[units : 2 * units] = 1.0
            return bias

        self._add_bias((4 * units,), with_forget_ones if self.unit_forget_bias else base)

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
class GRUCell(_Cell):
    __doc__ = (
        "One step of a gated recurrent unit (Cho et al., 2014), Keras's gate order "
        "z, r, h.\n"
        + _CELL_ARGS.format(
            extra='\n        recurrent_activation: default "sigmoid".'
            "\n        reset_after: apply the reset gate after the "
            "recurrent matrix product (default True; `bias` is then "
            "`(2, 3 * units)`, input and recurrent rows)."
        )
        + "\n    Example:\n        >>> y = RNN(GRUCell(8))(x)\n"
    )
    _gates = 3

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        reset_after=True,
        seed=None,
        **kwargs,
    ):
        super().__init__(
            units,
            activation,
            use_bias,
            kernel_initializer,
            recurrent_initializer,
            bias_initializer,
            kernel_regularizer,
            recurrent_regularizer,
            bias_regularizer,
            kernel_constraint,
            recurrent_constraint,
            bias_constraint,
            dropout,
            recurrent_dropout,
            seed,
            **kwargs,
        )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def build(self, input_shape):
        self._add_kernels(input_shape[-1])
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


def _check_cell(cell, who):
    if not hasattr(cell, "state_size"):  # Keras raises a ValueError here
        raise ValueError(
            f"{who}: every cell must have a `state_size` attribute. "
            f"Received a cell without one: cell={cell!r}"
        )
    if not callable(cell):
        raise ValueError(
            f"{who}: every cell must have a `call` method. Received: "  # noqa: TRY004
            f"cell={cell!r}"
        )


@register_serializable(package="plait")
class StackedRNNCells(Layer):
    """Cells run one after another within each step: cell k's output is cell k+1's input.

    Args:
        cells: a list of cells.

    `state_size` is the list of the cells' state sizes; the states a step takes and
    returns are nested the same way. The output is the last cell's.

    Example:
        >>> y = RNN(StackedRNNCells([LSTMCell(8), LSTMCell(4)]))(x)     # (batch, 4)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            _check_cell(cell, "StackedRNNCells")
        self.cells = torch.nn.ModuleList(cells)

    def _sublayers(self):
        return [c for c in self.cells if isinstance(c, Layer)]

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        return _output_size(self.cells[-1])

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer):
                cell._ensure_built(tuple(input_shape))
            input_shape = (input_shape[0], _output_size(cell))

    def forward(self, inputs, states, training=None):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            nested = isinstance(cell_states, (list, tuple))
            cell_states = list(cell_states) if nested else [cell_states]
            inputs, cell_states = _call_cell(cell, inputs, cell_states, training)
            cell_states = (
                list(cell_states) if isinstance(cell_states, (list, tuple)) else [cell_states]
            )
            new_states.append(cell_states if nested or len(cell_states) != 1 else cell_states[0])
        return inputs, new_states

    def reset_dropout_mask(self):
        for cell in self.cells:
            reset = getattr(cell, "reset_dropout_mask", None)
            if reset is not None:
                reset()

    def get_config(self):
        config = super().get_config()
        config["cells"] = [serialization.serialize(c) for c in self.cells]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [
            serialization.deserialize(c, custom_objects, kind="layer") for c in config.pop("cells")
        ]
        return cls(cells, **config)


def _takes_training(cell):
    if isinstance(cell, (_Cell, StackedRNNCells)):
        return True
    call = cell.forward if isinstance(cell, Layer) else getattr(cell, "call", cell)
    try:
        return "training" in inspect.signature(call).parameters
    except (TypeError, ValueError):
        return False


def _call_cell(cell, inputs, states, training):
    if _takes_training(cell):
        return cell(inputs, states, training=training)
    return cell(inputs, states)


@register_serializable(package="plait")
class RNN(Layer):
    """Run a recurrent cell over the time axis of `(batch, timesteps, features)`.

    Args:
        cell: a cell (a layer with `state_size` and `call(inputs, states)`: `LSTMCell`,
            `GRUCell`, `SimpleRNNCell`, `StackedRNNCells` or a user cell), or a list of
            cells (stacked).
        return_sequences: return every step's output `(batch, timesteps, output_size)`
            instead of the last `(batch, output_size)`. Default False.
        return_state: also return the last states, after the output. Default False.
        go_backwards: run the sequence backwards (the returned sequence is reversed).
            Default False.
        stateful: only False; plait does not carry states across batches.
        unroll: accepted for Keras compatibility; the step loop is the same.
        zero_output_for_mask: masked steps output zeros instead of the previous output.
            Default False.

    Call: `rnn(inputs, initial_state=None, mask=None, training=None)`.

    Input shape: `(batch, timesteps, features)`.
    Output shape: `(batch, output_size)` or, with `return_sequences`,
    `(batch, timesteps, output_size)`; with `return_state`, a list: the output, then
    each state `(batch, size)`.

    Raises:
        ValueError: for `stateful=True`, a cell without `state_size` or `call`, or (when
            built) a cell whose `call` returns states that do not match its `state_size`.

    Example:
        >>> x = plait.Input((10, 8))
        >>> y = plait.layers.RNN(plait.layers.LSTMCell(16))(x)          # (None, 16)
    """

    def __init__(
        self,
        cell,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(list(cell))
        _check_cell(cell, f"RNN '{self.name}'")
        if stateful:
            raise ValueError(
                "RNN does not support stateful=True in plait: states are not carried from "
                "one batch to the next. Pass them explicitly (return_state=True, then "
                "initial_state=[...]). Received: stateful=True"
            )
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self._training_arg = _takes_training(cell)

    @property
    def state_size(self):
        return self.cell.state_size

    def _state_shapes(self):
        return _as_list(self.cell.state_size)

    def build(self, input_shape):
        if not isinstance(input_shape, tuple) or len(input_shape) != 3:
            raise LayerCallError(
                f"RNN layer '{self.name}' expects a 3-D input (batch, timesteps, features). "
                f"Received: input_shape={input_shape}"
            )
        step_shape = (input_shape[0], input_shape[2])
        if isinstance(self.cell, Layer):
            self.cell._ensure_built(step_shape)
        self._check_state_size(input_shape[2])

    def _zero_states(self, batch, like):
        def zeros(size):
            if isinstance(size, (list, tuple)):
                return [zeros(s) for s in size]
            return like.new_zeros(batch, size)

        get_initial = getattr(self.cell, "get_initial_state", None)
        if get_initial is not None and not isinstance(self.cell, StackedRNNCells):
            return _as_list(get_initial(batch_size=batch))
        return zeros(self._state_shapes())

    def _check_state_size(self, features):
        """Call the cell once on zeros; its states must match `state_size`."""
        param = (
            next(self.cell.parameters(), None) if isinstance(self.cell, torch.nn.Module) else None
        )
        like = torch.zeros(
            (),
            dtype=param.dtype if param is not None else torch.float32,
            device=param.device if param is not None else None,
        )
        states = self._zero_states(2, like)
        try:
            with torch.no_grad():
                _, new_states = _call_cell(self.cell, like.new_zeros(2, features), states, False)
        except (RuntimeError, ValueError, TypeError, IndexError) as err:
            raise ValueError(
                f"RNN layer '{self.name}': its cell {type(self.cell).__name__} fails on one "
                f"step with states of its state_size={self.cell.state_size}: {err}"
            ) from err
        expected = _flat_sizes(self.cell.state_size)
        got = [tuple(t.shape) for t in nest.flatten(new_states) if isinstance(t, torch.Tensor)]
        if [s[-1] for s in got] != expected:
            raise ValueError(
                f"RNN layer '{self.name}': the cell {type(self.cell).__name__} declares "
                f"state_size={self.cell.state_size}, but its call returns states of shapes "
                f"{got}. Make `state_size` list one size per state its `call` returns."
            )
        self._reset_masks()

    def _reset_masks(self):
        reset = getattr(self.cell, "reset_dropout_mask", None)
        if reset is not None:
            reset()

    def forward(self, inputs, initial_state=None, mask=None, training=None):
        training = self.training if training is None else bool(training)
        states = (
            _as_list(initial_state)
            if initial_state is not None
            else self._zero_states(inputs.shape[0], inputs)
        )
        self._reset_masks()
        x = inputs.flip(1) if self.go_backwards else inputs
        if mask is not None:
            mask = mask.to(torch.bool)
            mask = mask.flip(1) if self.go_backwards else mask
        fused = mask is None and self._fused_lstm(x, states)
        if fused is not None and fused is not False:
            sequence, last, states = fused
        else:
            sequence, last, states = self._loop(x, states, mask, training)
        output = sequence if self.return_sequences else last
        if self.return_state:
            return [output] + list(states)
        return output

    def _fused_lstm(self, x, states):
        cell = self.cell
        if not (isinstance(cell, LSTMCell) and cell.fusable() and len(states) == 2):
            return None
        h0, c0 = states
        weights = [cell.kernel.T, cell.recurrent_kernel.T]
        if cell.bias is not None:
            weights += [cell.bias, torch.zeros_like(cell.bias)]
        sequence, h, c = torch.lstm(
            x,
            (h0.unsqueeze(0), c0.unsqueeze(0)),
            weights,
            cell.bias is not None,
            1,
            0.0,
            False,
            False,
            True,
        )
        return sequence, sequence[:, -1], [h[0], c[0]]

    def _loop(self, x, states, mask, training):
        outputs, output = [], None
        for t in range(x.shape[1]):
            out, new_states = (
                self.cell(x[:, t], states, training=training)
                if self._training_arg
                else self.cell(x[:, t], states)
            )
            new_states = _as_list(new_states)
            if mask is not None:
                keep = mask[:, t].unsqueeze(-1)
                if output is None:
                    output = torch.zeros_like(out)
                new_states = nest.pack_like(
                    new_states,
                    [
                        torch.where(keep, n, s)
                        for n, s in zip(nest.flatten(new_states), nest.flatten(states))
                    ],
                )
                out = torch.where(
                    keep, out, torch.zeros_like(out) if self.zero_output_for_mask else output
                )
            states, output = new_states, out
            if self.return_sequences:
                outputs.append(out)
        sequence = torch.stack(outputs, dim=1) if self.return_sequences else None
        return sequence, output, states

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, tuple) or len(input_shape) != 3:
            raise LayerCallError(
                f"RNN layer '{self.name}' expects a 3-D input (batch, timesteps, features). "
                f"Received: input_shape={input_shape}"
            )
        batch = input_shape[0]
        size = _output_size(self.cell)
        out = (batch, input_shape[1], size) if self.return_sequences else (batch, size)
        if not self.return_state:
            return out

        def shapes(state_size):
            if isinstance(state_size, (list, tuple)):
                return [shapes(s) for s in state_size]
            return (batch, state_size)

        return [out] + shapes(self._state_shapes())

    def compute_mask(self, inputs, mask=None):
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self._state_shapes())
        return output_mask

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "return_sequences": self.return_sequences,
                "return_state": self.return_state,
                "go_backwards": self.go_backwards,
                "stateful": self.stateful,
                "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask,
                "cell": serialization.serialize(self.cell),
            }
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["cell"] = serialization.deserialize(config["cell"], custom_objects, kind="layer")
        return cls(**config)
