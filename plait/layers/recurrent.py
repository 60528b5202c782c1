"""Recurrent layers over `(batch, timesteps, features)`: SimpleRNN, GRU, LSTM.

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

import torch
import torch.nn.functional as F

from plait import activations, constraints, initializers, regularizers
from plait.graph.tensor import SymbolicTensor
from plait.layers.layer import Layer, LayerCallError, WeightSpec
from plait.ops import _recurrent as recurrent_compiled
from plait.layers.penalties import set_activity_regularizer, weight_penalty_config
from plait.serialization import register_serializable
from plait.utils import nest
from plait.utils.random import device_generator
from plait.utils.validation import check_rate as _check_rate

__all__ = ["GRU", "LSTM", "SimpleRNN", "check_sequence_input"]


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


def _active(rate):
    # Keras drops only for 0 < rate < 1 (rate 1 would zero every input).
    return 0.0 < rate < 1.0


class _UnitForgetBias(initializers.Initializer):
    """Keras's LSTM bias with unit_forget_bias: the wrapped initializer, ones for f."""

    def __init__(self, base, units):
        self.base, self.units = base, units

    def __call__(self, shape, dtype=None, device=None):
        bias = self.base(shape, dtype=dtype, device=device)
        bias[self.units : 2 * self.units] = 1.0
        return bias


class _GateSpec(WeightSpec):
    """A GRU weight: Keras orders its gate blocks z, r, h, the stored tensor r, z, n (along
    the stored tensor's `axis`). Swapping the first two blocks is its own inverse."""

    __slots__ = ("units", "axis")

    def __init__(self, spec, units, axis):
        super().__init__(spec.keras_name, spec.attr, spec.perm, spec.regularizer, spec.constraint)
        self.units, self.axis = units, axis

    def _swap(self, tensor):
        first, second, third = tensor.split(self.units, dim=self.axis)
        return torch.cat([second, first, third], dim=self.axis)

    def to_keras(self, tensor):
        return super().to_keras(self._swap(tensor))

    def from_keras(self, tensor):
        return self._swap(super().from_keras(tensor))


def _store_in_torch_gate_order(layer, attr, units, axis):
    """Make weight `attr` (as `add_weight` created it) a GRU weight in PyTorch's gate order."""
    index = next(i for i, spec in enumerate(layer._weight_specs) if spec.attr == attr)
    spec = layer._weight_specs[index]
    gate_spec = _GateSpec(spec, units, axis)
    tensor = getattr(layer, attr)
    with torch.no_grad():
        tensor.copy_(gate_spec.from_keras(spec.to_keras(tensor)))
    layer._weight_specs[index] = gate_spec


class _RNN(Layer):
    """What SimpleRNN, GRU and LSTM share: arguments, states, masks, dropout, the step loop.

    Subclasses set `_num_states`, `_gates` and `_fused`, create their weights in `build`, and
    define `_run_fused(x, states)` and `_cell(projected_t, states, recurrent_masks)`; those
    with a compiled path set `_scan_kind` and define `_scan(projected, states, keep,
    recurrent_masks)` (time-major, see `_run_scan`).
    """

    _num_states = 1
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

    def __init__(
        self,
        units,
        activation,
        use_bias,
        kernel_initializer,
        recurrent_initializer,
        bias_initializer,
        kernel_regularizer,
        recurrent_regularizer,
        bias_regularizer,
        activity_regularizer,
        kernel_constraint,
        recurrent_constraint,
        bias_constraint,
        dropout,
        recurrent_dropout,
        seed,
        return_sequences,
        return_state,
        go_backwards,
        stateful,
        unroll,
        zero_output_for_mask,
        **kwargs,
    ):
        kwargs.pop("implementation", None)  # Keras's choice of kernel split; one here
        use_cudnn = kwargs.pop("use_cudnn", "auto")  # Keras 3's switch; PyTorch decides
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"`units` must be a positive integer. Received: units={units!r}")
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                f"`use_cudnn` must be one of 'auto', True, False. Received: use_cudnn={use_cudnn!r}"
            )
        if stateful:
            raise ValueError(
                f"{type(self).__name__} does not support stateful=True in plait: states are "
                "not carried from one batch to the next. Pass the last states explicitly "
                "(return_state=True, then initial_state=[...] on the next call). "
                f"Received: stateful={stateful!r}"
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"`seed` must be an int or None. Received: seed={seed!r}")
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
        set_activity_regularizer(self, activity_regularizer)
        self.dropout = _check_rate(dropout, "dropout")
        self.recurrent_dropout = _check_rate(recurrent_dropout, "recurrent_dropout")
        self.seed = seed
        self._generators = {}
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)  # accepted for Keras compatibility; the loop is the same
        self.zero_output_for_mask = bool(zero_output_for_mask)

    # ----------------------------------------------------------------- weights
    def _add_kernels(self, features, gates):
        units = self.units
        self.add_weight(
            "kernel",
            (features, gates * units),
            self.kernel_initializer,
            attr="weight_ih",
            layout=(1, 0),
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.add_weight(
            "recurrent_kernel",
            (units, gates * units),
            self.recurrent_initializer,
            attr="weight_hh",
            layout=(1, 0),
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
        if not (training and _active(self.dropout)):
            return None
        shape = (count, x.shape[0], 1, x.shape[2]) if count > 1 else (x.shape[0], 1, x.shape[2])
        return self._dropout_mask(shape, self.dropout, x)

    def _recurrent_dropout_masks(self, x, training, count=1):
        """None, or `count` masks `(batch, units)` (stacked when count > 1)."""
        if not (training and _active(self.recurrent_dropout)):
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
    def _base_config(self):
        return {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }

    def _rnn_config(self):
        config = weight_penalty_config(self, ("kernel", "recurrent", "bias"))
        config.update(
            {
                "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed,
                "return_sequences": self.return_sequences,
                "return_state": self.return_state,
                "go_backwards": self.go_backwards,
                "stateful": self.stateful,
                "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask,
            }
        )
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


def _with_rnn_args_doc(cls):
    cls.__doc__ = cls.__doc__.replace("{rnn_args}", _RNN_ARGS_DOC)
    return cls


@register_serializable(package="plait")
@_with_rnn_args_doc
class SimpleRNN(_RNN):
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

        >>> x = Input(shape=(10, 8))
        >>> SimpleRNN(4)(x).shape
        (None, 4)
    """

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
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
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
            activity_regularizer,
            kernel_constraint,
            recurrent_constraint,
            bias_constraint,
            dropout,
            recurrent_dropout,
            seed,
            return_sequences,
            return_state,
            go_backwards,
            stateful,
            unroll,
            zero_output_for_mask,
            **kwargs,
        )
        self._kernel_fn = {activations.tanh: torch.rnn_tanh, activations.relu: torch.rnn_relu}.get(
            self.activation
        )
        self._fused = self._kernel_fn is not None

    def build(self, input_shape):
        check_sequence_input(self, input_shape)
        self._add_kernels(input_shape[-1], 1)
        self._add_bias((self.units,), self.bias_initializer)
        # PyTorch's kernel adds two biases; Keras has one, so the second is zero.
        self.register_buffer(
            "_zero_bias", torch.zeros(self.units, device=self.weight_ih.device), persistent=False
        )

    def _run_fused(self, x, states):
        params = [self.weight_ih, self.weight_hh]
        if self.bias is not None:
            params += [self.bias, self._zero_bias]
        outputs, h = self._kernel_fn(
            x,
            states[0].unsqueeze(0),
            params,
            self.bias is not None,
            1,
            0.0,
            torch.is_grad_enabled(),
            False,
            True,
        )
        return outputs, [h[0]]

    def _cell(self, projected, states, recurrent_masks):
        h = states[0]
        if recurrent_masks is not None:
            h = h * recurrent_masks
        h = self.activation(projected + F.linear(h, self.weight_hh))
        return h, [h]

    def get_config(self):
        config = super().get_config()
        config.update(self._base_config())
        config.update(self._rnn_config())
        return config


@register_serializable(package="plait")
@_with_rnn_args_doc
class GRU(_RNN):
    """Gated Recurrent Unit (Cho et al. 2014), Keras's formulas:
    `z = σ(x W_z + h U_z + b_z)`, `r = σ(x W_r + h U_r + b_r)`,
    `h~ = tanh(x W_h + r * (h U_h + b'_h) + b_h)` (reset_after=True; with False,
    `tanh(x W_h + (r * h) U_h + b_h)`), `h_t = z * h + (1 - z) * h~`.

    Args:
        units: size of the hidden state.
        activation: default 'tanh'. recurrent_activation: default 'sigmoid'.
        use_bias: default True.
        kernel_initializer ('glorot_uniform'), recurrent_initializer ('orthogonal'),
        bias_initializer ('zeros').
        reset_after: apply the reset gate after the recurrent matrix product (default True,
            cuDNN's and PyTorch's convention, run by the fused kernel).{rnn_args}

    Weights (Keras's gate order z, r, h): `kernel` `(features, 3 * units)`,
    `recurrent_kernel` `(units, 3 * units)`, `bias` `(2, 3 * units)` (input and recurrent
    biases) with reset_after, else `(3 * units,)`. They are stored in PyTorch's order r, z, n;
    `kernel` and `recurrent_kernel` are Keras-layout copies.

        >>> x = Input(shape=(10, 8))
        >>> GRU(4, return_sequences=True)(x).shape
        (None, 10, 4)
    """

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
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        reset_after=True,
        zero_output_for_mask=False,
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
            activity_regularizer,
            kernel_constraint,
            recurrent_constraint,
            bias_constraint,
            dropout,
            recurrent_dropout,
            seed,
            return_sequences,
            return_state,
            go_backwards,
            stateful,
            unroll,
            zero_output_for_mask,
            **kwargs,
        )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)
        # PyTorch's kernel computes exactly Keras's cell for these settings.
        self._fused = (
            self.activation is activations.tanh
            and self.recurrent_activation is activations.sigmoid
            and self.reset_after
        )

    def build(self, input_shape):
        check_sequence_input(self, input_shape)
        units = self.units
        self._add_kernels(input_shape[-1], 3)
        _store_in_torch_gate_order(self, "weight_ih", units, axis=0)
        _store_in_torch_gate_order(self, "weight_hh", units, axis=0)
        shape = (2, 3 * units) if self.reset_after else (3 * units,)
        self._add_bias(shape, self.bias_initializer)
        if self.use_bias:
            _store_in_torch_gate_order(self, "bias", units, axis=len(shape) - 1)

    _scan_kind = "gru"

    def _scan_supported(self):
        # Keras's GRU drops the recurrent state with one mask per gate: the step loop.
        return not _active(self.recurrent_dropout)

    def _scan(self, projected, states, keep, recurrent_masks):
        bias = self.bias[1] if self.bias is not None else projected.new_zeros(3 * self.units)
        hs = recurrent_compiled.gru_scan(projected, states[0], self.weight_hh, bias, keep)
        return hs, [hs[-1]]

    def _input_bias(self):
        if self.bias is None:
            return None
        return self.bias[0] if self.reset_after else self.bias

    def _run_fused(self, x, states):
        params = [self.weight_ih, self.weight_hh]
        if self.bias is not None:
            params += [self.bias[0], self.bias[1]]
        outputs, h = torch.gru(
            x,
            states[0].unsqueeze(0),
            params,
            self.bias is not None,
            1,
            0.0,
            torch.is_grad_enabled(),
            False,
            True,
        )
        return outputs, [h[0]]

    def _input_dropout_masks(self, x, training, count=1):
        # Keras splits the kernel per gate, with a mask each, when recurrent_dropout is set.
        count = 3 if _active(self.recurrent_dropout) else 1
        return super()._input_dropout_masks(x, training, count)

    def _recurrent_dropout_masks(self, x, training, count=1):
        return super()._recurrent_dropout_masks(x, training, 3)

    def _project_inputs(self, x, input_masks):
        if input_masks is None or input_masks.dim() == 3:
            return super()._project_inputs(x, input_masks)
        bias = self._input_bias()
        return torch.cat(
            [
                F.linear(
                    x * input_masks[g],
                    self.weight_ih[g * self.units : (g + 1) * self.units],
                    None if bias is None else bias[g * self.units : (g + 1) * self.units],
                )
                for g in range(3)
            ],
            dim=-1,
        )

    def _cell(self, projected, states, recurrent_masks):
        units, h = self.units, states[0]
        x_r, x_z, x_n = projected.split(units, dim=-1)
        w_r, w_z, w_n = self.weight_hh.split(units, dim=0)
        if self.bias is not None and self.reset_after:
            b_r, b_z, b_n = self.bias[1].split(units)
        else:
            b_r = b_z = b_n = None
        if recurrent_masks is None:
            h_r = h_z = h_n = h
        else:
            h_r, h_z, h_n = h * recurrent_masks[0], h * recurrent_masks[1], h * recurrent_masks[2]
        r = self.recurrent_activation(x_r + F.linear(h_r, w_r, b_r))
        z = self.recurrent_activation(x_z + F.linear(h_z, w_z, b_z))
        if self.reset_after:
            candidate = self.activation(x_n + r * F.linear(h_n, w_n, b_n))
        else:
            candidate = self.activation(x_n + F.linear(r * h_n, w_n))
        h = z * h + (1 - z) * candidate
        return h, [h]

    def get_config(self):
        config = super().get_config()
        config.update(self._base_config())
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config.update(self._rnn_config())
        config["reset_after"] = self.reset_after
        return config


@register_serializable(package="plait")
@_with_rnn_args_doc
class LSTM(_RNN):
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

        >>> x = Input(shape=(10, 8))
        >>> LSTM(4)(x).shape
        (None, 4)
    """

    _num_states = 2
    _state_names = ("h", "c")

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
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
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
            activity_regularizer,
            kernel_constraint,
            recurrent_constraint,
            bias_constraint,
            dropout,
            recurrent_dropout,
            seed,
            return_sequences,
            return_state,
            go_backwards,
            stateful,
            unroll,
            zero_output_for_mask,
            **kwargs,
        )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        # PyTorch's kernel computes exactly Keras's cell when the activations are the defaults.
        self._fused = (
            self.activation is activations.tanh and self.recurrent_activation is activations.sigmoid
        )

    def build(self, input_shape):
        check_sequence_input(self, input_shape)
        units = self.units
        self._add_kernels(input_shape[-1], 4)
        init = self.bias_initializer
        if self.unit_forget_bias:
            init = _UnitForgetBias(init, units)
        self._add_bias((4 * units,), init)
        # PyTorch's kernel adds two biases; Keras has one, so the second is zero.
        self.register_buffer(
            "_zero_bias", torch.zeros(4 * units, device=self.weight_ih.device), persistent=False
        )

    def _run_fused(self, x, states):
        h0, c0 = states
        params = [self.weight_ih, self.weight_hh]
        if self.bias is not None:
            params += [self.bias, self._zero_bias]
        # train=True whenever gradients flow: cuDNN keeps what its backward needs only then.
        outputs, h, c = torch.lstm(
            x,
            (h0.unsqueeze(0), c0.unsqueeze(0)),
            params,
            self.bias is not None,
            1,
            0.0,
            torch.is_grad_enabled(),
            False,
            True,
        )
        return outputs, [h[0], c[0]]

    _scan_kind = "lstm"

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
        config.update(self._base_config())
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["unit_forget_bias"] = self.unit_forget_bias
        config.update(self._rnn_config())
        return config


# Keras 2 kept these in `keras.layers.recurrent`; old programs import them from here. They are
# looked up in plait.layers when asked for (a family module imports no other family).
_KERAS2_NAMES = ("RNN", "SimpleRNNCell", "GRUCell", "LSTMCell", "StackedRNNCells")


def __getattr__(name):
    if name in _KERAS2_NAMES:
        import plait.layers

        return getattr(plait.layers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
