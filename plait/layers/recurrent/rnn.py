"""Keras's generic recurrent layer: `RNN(cell)` over `(batch, timesteps, features)` with
`SimpleRNNCell`, `LSTMCell`, `GRUCell` (see `cells.py`), `StackedRNNCells` or a user cell.

A cell has `state_size` (an int, or a list), an optional `output_size`, and
`call(inputs, states)` on one step `(batch, features)` returning `(output, new_states)`.
`RNN(LSTMCell)` with default activations, no mask and no dropout runs `torch.lstm`.
"""

import inspect

import torch

from plait import serialization
from plait.layers.layer import Layer, LayerCallError
from plait.layers.recurrent.cells import LSTMCell, _Cell
from plait.layers.recurrent.arguments import sequence_config, set_sequence_args
from plait.serialization import register_serializable
from plait.utils import nest

__all__ = ["RNN", "StackedRNNCells"]


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
        >>> import plait
        >>> cells = StackedRNNCells([LSTMCell(8), LSTMCell(4)])
        >>> cells.state_size
        [[8, 8], [4, 4]]
        >>> RNN(cells)(plait.Input((10, 3))).shape
        (None, 4)
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
        >>> import plait
        >>> x = plait.Input((10, 8))
        >>> plait.layers.RNN(plait.layers.LSTMCell(16))(x).shape
        (None, 16)
        >>> y, h, c = RNN(LSTMCell(4), return_sequences=True, return_state=True)(x)
        >>> y.shape, h.shape
        ((None, 10, 4), (None, 4))
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
        set_sequence_args(
            self, return_sequences, return_state, go_backwards, stateful, unroll,
            zero_output_for_mask,
        )  # fmt: skip
        self.cell = cell
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
        config.update(sequence_config(self))
        config["cell"] = serialization.serialize(self.cell)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["cell"] = serialization.deserialize(config["cell"], custom_objects, kind="layer")
        return cls(**config)
