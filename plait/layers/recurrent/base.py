"""What the recurrent layers over `(batch, timesteps, features)` share (`SimpleRNN`, `GRU`,
`LSTM`, each in its module): arguments, states, masks, dropout, the step loop.

Weights follow Keras in `get_weights`/`set_weights`; the stored parameters are the ones
PyTorch's fused kernels take (`weight_ih` `(gates * units, features)`, `weight_hh`
`(gates * units, units)`), so with the default activations a layer runs `torch.rnn_tanh`,
`torch.gru` or `torch.lstm` on them directly:

- LSTM: Keras's gate order i, f, c, o is PyTorch's; one `bias` `(4 * units,)`.
- GRU: Keras orders the gates z, r, h, PyTorch r, z, n; the parameters are stored in
  PyTorch's order and `get_weights` reorders them. With `reset_after=True` (the default)
  `bias` is `(2, 3 * units)`: row 0 the input bias, row 1 the recurrent one.
- SimpleRNN: `kernel`, `recurrent_kernel`, `bias` `(units,)`.

A step loop computes Keras's formulas where the fused kernels cannot: other activations,
`recurrent_dropout` in training, `GRU(reset_after=False)`, and masked input. As in Keras, a
masked step keeps the previous states, and its output is the previous step's output (zeros
before the first unmasked step), or zeros with `zero_output_for_mask=True` (which
`Bidirectional` sets when returning sequences).

Dropout (`dropout` on the inputs, `recurrent_dropout` on the recurrent state) applies only in
training, with one mask per call shared by all time steps, as in Keras.

Under a compiled train step (`jit_compile=True`), LSTM and GRU (the configurations the fused
kernels run) project the inputs of all steps with one matrix product and run the time loop as
one operator with its own backward (`plait/ops/_recurrent.py`), which torch.compile
differentiates; eager calls keep the fused kernels.
"""

from typing import Any

import torch
import torch.nn.functional as F

from plait.graph.tensor import SymbolicTensor
from plait.layers.layer import LayerCallError
from plait.layers.penalties import set_activity_regularizer
from plait.layers.recurrent.arguments import RecurrentArgs, SequenceArgs, sequence_config
from plait.ops import _recurrent as recurrent_compiled
from plait.utils import nest
from plait.utils.random import device_generator

__all__ = ["RNNLayer", "active", "check_sequence_input", "with_rnn_args_doc"]


def check_sequence_input(layer, input_shape):
    """Raise a LayerCallError unless `input_shape` is `(batch, timesteps, features)`."""
    if not _is_shape(input_shape):
        raise LayerCallError(
            f"{type(layer).__name__} layer '{layer.name}' takes one input tensor (batch, "
            f"timesteps, features); received several: {input_shape}. Pass initial states "
            "as `initial_state=[...]`."
        )
    if len(input_shape) != 3:
        raise LayerCallError(
            f"{type(layer).__name__} layer '{layer.name}' expects a 3-D input (batch, "
            f"timesteps, features); received an input of shape {tuple(input_shape)}. "
            "For a single feature per step, give Input(shape=(timesteps, 1))."
        )
    if input_shape[-1] is None:
        raise LayerCallError(
            f"The feature dimension of the input to {type(layer).__name__} layer "
            f"'{layer.name}' must be known. Received: input_shape={tuple(input_shape)}"
        )


def _is_shape(value):
    return isinstance(value, tuple) and all(d is None or isinstance(d, int) for d in value)


def active(rate):
    """Whether a dropout `rate` drops anything."""
    # Keras drops only for 0 < rate < 1 (rate 1 would zero every input).
    return 0.0 < rate < 1.0


class RNNLayer(SequenceArgs, RecurrentArgs):
    """What SimpleRNN, GRU and LSTM share: arguments, states, masks, dropout, the step loop.

    Subclasses set `_num_states` and `_kernel_fn` (PyTorch's fused kernel), say in
    `_fusable()` whether that kernel computes them (`build` keeps the answer in `_fused`),
    create their weights in `_build_weights(features)`, and define
    `_cell(projected_t, states, recurrent_masks)`; those with a compiled path set
    `_scan_kind` and define `_scan(projected, states, keep, recurrent_masks)` (time-major,
    see `_run_scan`).
    """

    _num_states = 1
    _fused = False  # set by build
    _kernel_fn: Any = None
    _state_names: tuple[str, ...] = ("h",)

    # Which layers run their time loop as one custom op when a train step is compiled
    # (plait/ops/_recurrent.py): "lstm", "gru" or None.
    _scan_kind: str | None = None

    @property
    def jit_trainable(self):
        """Whether torch.compile can differentiate this layer. PyTorch's fused kernel it
        cannot (torch 2.13: its decomposition fails under autograd), so under a compiled
        train step LSTM and GRU run their time loop as plait's own operator with its own
        backward (`plait/ops/_recurrent.py`); where that is unavailable (no C compiler, not
        float32 on the CPU, GRU's recurrent dropout) this is False and the compiled train
        step of `jit_compile=True` runs eagerly. The step loop traced by torch.compile
        trained the tutorial's LSTM model slower than eager after minutes of compiling
        (bench/ANALYSIS.md)."""
        if not self._fused:
            return True
        return self._scan_supported() and recurrent_compiled.available(self)

    def _scan_supported(self):
        return self._scan_kind is not None

    def _scan_wanted(self, recurrent_masks):
        """Whether this call runs the compiled path's operator: while torch.compile traces
        a differentiated (train) step, for a layer `jit_trainable` cleared."""
        return (
            self._fused
            and self._scan_kind is not None
            and torch.compiler.is_compiling()
            and torch.is_grad_enabled()
            and recurrent_compiled.ready(self.weight_hh)
            and (recurrent_masks is None or self._scan_kind == "lstm")
        )

    def __init__(self, units, *args, activity_regularizer=None, use_cudnn="auto", **kwargs):
        # use_cudnn: Keras 3's switch; PyTorch decides
        super().__init__(*args, **kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"`units` must be a positive integer. Received: units={units!r}")
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                f"`use_cudnn` must be one of 'auto', True, False. Received: use_cudnn={use_cudnn!r}"
            )
        self.units = units
        set_activity_regularizer(self, activity_regularizer)

    def build(self, input_shape):
        check_sequence_input(self, input_shape)
        self._fused = self._fusable()
        self._build_weights(input_shape[-1])

    def _fusable(self):
        """Whether PyTorch's fused kernel computes this layer (its arguments, set)."""
        return False

    def _build_weights(self, features):
        raise NotImplementedError

    def _torch_biases(self):
        """PyTorch's two biases: Keras has one, so the second is zero (GRU has two)."""
        return [self.bias, self._zero_bias]

    def _run_fused(self, x, states):
        """PyTorch's fused kernel `_kernel_fn` over the whole sequence."""
        params = [self.weight_ih, self.weight_hh]
        if self.bias is not None:
            params += self._torch_biases()
        hx = states[0].unsqueeze(0) if len(states) == 1 else tuple(s.unsqueeze(0) for s in states)
        # train=True whenever gradients flow: cuDNN keeps what its backward needs only then.
        outputs, *last = self._kernel_fn(
            x,
            hx,
            params,
            self.bias is not None,
            1,
            0.0,
            torch.is_grad_enabled(),
            False,
            True,
        )
        return outputs, [s[0] for s in last]

    # ----------------------------------------------------------------- weights
    def _add_torch_kernels(self, features, gates):
        """`kernel` and `recurrent_kernel`, stored as PyTorch's `weight_ih` and `weight_hh`."""
        width = gates * self.units
        self._add_kernels(
            (features, width), (self.units, width), ("weight_ih", "weight_hh"), layout=(1, 0)
        )

    def _keras_view(self, attr):
        for spec in self._weight_specs:
            if spec.attr == attr:
                return spec.to_keras(getattr(self, attr))
        raise ValueError(
            f"Layer '{self.name}' has no weight '{attr}' yet: it is built on its first call."
        )

    @property
    def kernel(self):
        """The kernel in Keras's layout `(features, gates * units)`."""
        return self._keras_view("weight_ih")

    @property
    def recurrent_kernel(self):
        """The recurrent kernel in Keras's layout `(units, gates * units)`."""
        return self._keras_view("weight_hh")

    # ----------------------------------------------------------------- calling
    def forward(self, inputs, initial_state=None, mask=None, training=None):
        training = self.training if training is None else bool(training)
        x = inputs
        if mask is not None:
            mask = mask.to(torch.bool)
        if self.go_backwards:
            x = x.flip(1)
            mask = None if mask is None else mask.flip(1)
        states = self._start_states(x, initial_state)
        input_masks = self._input_dropout_masks(x, training)
        recurrent_masks = self._recurrent_dropout_masks(x, training)
        if self._scan_wanted(recurrent_masks):
            sequence, last, states = self._run_scan(x, states, mask, input_masks, recurrent_masks)
        elif mask is None and recurrent_masks is None and self._fused:
            if input_masks is not None:
                x = x * input_masks
            sequence, states = self._run_fused(x, states)
            last = states[0]
        else:
            sequence, last, states = self._run_loop(x, states, mask, input_masks, recurrent_masks)
        output = sequence if self.return_sequences else last
        if self.return_state:
            return [output] + list(states)
        return output

    def _start_states(self, x, initial_state):
        if initial_state is None:
            zeros = x.new_zeros(x.shape[0], self.units)
            return [zeros] * self._num_states
        states = (
            list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        )
        if len(states) != self._num_states:
            raise ValueError(self._state_count_message(states))
        return [s.to(x.dtype) for s in states]

    def _input_dropout_masks(self, x, training, count=1):
        """None, or `count` masks `(batch, 1, features)` (stacked when count > 1)."""
        if not (training and active(self.dropout)):
            return None
        shape = (count, x.shape[0], 1, x.shape[2]) if count > 1 else (x.shape[0], 1, x.shape[2])
        return self._dropout_mask(shape, self.dropout, x)

    def _recurrent_dropout_masks(self, x, training, count=1):
        """None, or `count` masks `(batch, units)` (stacked when count > 1)."""
        if not (training and active(self.recurrent_dropout)):
            return None
        shape = (count, x.shape[0], self.units) if count > 1 else (x.shape[0], self.units)
        return self._dropout_mask(shape, self.recurrent_dropout, x)

    def _dropout_mask(self, shape, rate, x):
        keep = torch.empty(shape, dtype=x.dtype, device=x.device)
        keep.bernoulli_(1 - rate, generator=self._generator(x.device))
        return keep.div_(1 - rate)

    def _generator(self, device):
        return device_generator(self._generators, self.seed, device)

    def _project_inputs(self, x, input_masks):
        """`x @ kernel + input bias` for every step at once: `(batch, steps, gates*units)`."""
        if input_masks is not None:
            x = x * input_masks
        return F.linear(x, self.weight_ih, self._input_bias())

    def _input_bias(self):
        return self.bias

    def _run_loop(self, x, states, mask, input_masks, recurrent_masks):
        projected = self._project_inputs(x, input_masks)
        outputs, output = [], None
        zeros = x.new_zeros(x.shape[0], self.units) if mask is not None else None
        if mask is not None:
            output = zeros
        for t in range(x.shape[1]):
            out, new_states = self._cell(projected[:, t], states, recurrent_masks)
            if mask is not None:
                keep = mask[:, t].unsqueeze(-1)
                new_states = [torch.where(keep, n, s) for n, s in zip(new_states, states)]
                out = torch.where(keep, out, zeros if self.zero_output_for_mask else output)
            states, output = new_states, out
            if self.return_sequences:
                outputs.append(out)
        sequence = torch.stack(outputs, dim=1) if self.return_sequences else None
        return sequence, output, states

    def _run_scan(self, x, states, mask, input_masks, recurrent_masks):
        """The time loop as one operator (`plait/ops/_recurrent.py`), time-major inside. A
        masked step keeps the states; its output is the previous output (zeros before the
        first unmasked step), or zeros with zero_output_for_mask, as in `_run_loop`."""
        dtype = self.weight_hh.dtype
        projected = self._project_inputs(x, input_masks).transpose(0, 1).to(dtype)
        keep = None if mask is None else mask.transpose(0, 1)
        hs, states = self._scan(projected, [s.to(dtype) for s in states], keep, recurrent_masks)
        if mask is not None:
            shown = mask if self.zero_output_for_mask else mask.cumsum(1) > 0
            hs = hs * shown.transpose(0, 1).unsqueeze(-1).to(dtype)
        sequence = hs.transpose(0, 1) if self.return_sequences else None
        return sequence, hs[-1], states

    # ------------------------------------------------------------------ shapes
    def _output_specs(self, args, kwargs, input_shapes, where):
        if _is_shape(input_shapes):
            check_sequence_input(self, input_shapes)
            state = kwargs.get("initial_state", args[1] if len(args) > 1 else None)
            if state is not None:
                self.check_initial_state(state, input_shapes)
            mask = kwargs.get("mask")
            if isinstance(mask, SymbolicTensor) and len(mask.shape) != 2:
                raise LayerCallError(
                    f"The mask of {type(self).__name__} layer '{self.name}' must be "
                    f"(batch, timesteps) for an input of shape {tuple(input_shapes)}. "
                    f"Received: mask of shape {mask.shape}"
                )
        return super()._output_specs(args, kwargs, input_shapes, where)

    def check_initial_state(self, initial_state, input_shape):
        """Raise a LayerCallError unless `initial_state` holds this layer's states, each
        `(batch, units)`."""
        states = (
            list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        )
        if len(states) != self._num_states:
            raise LayerCallError(self._state_count_message(states))
        for name, state in zip(self._state_names, states):
            shape = (
                tuple(state.shape) if isinstance(state, (SymbolicTensor, torch.Tensor)) else None
            )
            batch = input_shape[0]
            if (
                shape is None
                or len(shape) != 2
                or shape[1] != self.units
                or (None not in (shape[0], batch) and shape[0] != batch)
            ):
                raise LayerCallError(
                    f"Initial state '{name}' of {type(self).__name__} layer '{self.name}' "
                    f"must have shape (batch, {self.units}) for an input of shape "
                    f"{tuple(input_shape)}. Received: initial_state entry of shape {shape}"
                )

    def _state_count_message(self, states):
        names = ", ".join(self._state_names)
        return (
            f"{type(self).__name__} layer '{self.name}' takes {self._num_states} initial "
            f"state tensor(s) [{names}], each (batch, {self.units}); received "
            f"{len(states)}. Received: initial_state="
            f"{[_shape_of(s) for s in states]}"
        )

    def compute_output_shape(self, input_shape):
        check_sequence_input(self, input_shape)
        if input_shape[-1] != self.weight_ih.shape[1]:
            raise ValueError(
                f"its kernel takes {self.weight_ih.shape[1]} features per step, but the input "
                f"has {input_shape[-1]}"
            )
        batch = input_shape[0]
        out = (batch, input_shape[1], self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [out] + [(batch, self.units)] * self._num_states
        return out

    def compute_mask(self, inputs, mask=None):
        """The input's mask for the output sequence (None for a last output or a state)."""
        mask = nest.flatten(mask)[0] if isinstance(mask, (list, tuple)) else mask
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * self._num_states
        return output_mask

    # ------------------------------------------------------------------ config
    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        config.update(self._head_config())
        return config

    def _rnn_config(self):
        """The regularizers, constraints, dropout and sequence arguments, in Keras's order
        (after the arguments of each layer's own)."""
        config = self._penalty_config(activity=True)
        config.update(self._dropout_config())
        config.update(sequence_config(self))
        return config


def _shape_of(value):
    return tuple(value.shape) if hasattr(value, "shape") else type(value).__name__


_RNN_ARGS_DOC = """
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint: as for Dense (default None).
        dropout: fraction of the inputs dropped in training (default 0).
        recurrent_dropout: fraction of the recurrent state dropped in training (default 0);
            it runs the step loop instead of the fused kernel while training.
        seed: int for reproducible dropout masks.
        return_sequences: return the whole output sequence, not only the last output.
        return_state: also return the last state(s): `[output, *states]`.
        go_backwards: process the sequence backwards (the outputs stay in that order).
        stateful: only False (plait keeps no state between batches).
        unroll: accepted for Keras compatibility; ignored.
        zero_output_for_mask: masked steps output zeros instead of the previous output.

    Call arguments: `inputs` `(batch, timesteps, features)`; `initial_state`: a list of
    `(batch, units)` tensors; `mask`: `(batch, timesteps)` booleans, True where a step holds
    data (given automatically after `Embedding(mask_zero=True)`); `training`.

    Input shape: `(batch, timesteps, features)`. Output shape: `(batch, units)`, or
    `(batch, timesteps, units)` with return_sequences."""


def with_rnn_args_doc(cls):
    """Fill in the arguments every recurrent layer shares in `cls`'s docstring."""
    cls.__doc__ = cls.__doc__.replace("{rnn_args}", _RNN_ARGS_DOC)
    return cls
