"""What every recurrent layer and cell shares: Keras's weight arguments (activation,
initializers, regularizers, constraints), the dropout rates and seed, their config, the
kernel and bias they create, and the signature `help()` shows.

Keras's recurrent classes list the same long arguments; here each is declared once. A class's
`__init__` takes its own leading arguments by position (Keras's order: `units`, `activation`,
... as far as the arguments that differ between classes), and hands the shared rest on to
its bases as keywords. `KerasSignature` puts the whole list together for `inspect.signature`
and `help()`.
"""

import inspect

import torch

from plait import activations, constraints, initializers, regularizers
from plait.layers.layer import Layer
from plait.utils.validation import check_rate, check_seed

__all__ = [
    "GRUArgs",
    "GatedArgs",
    "KerasSignature",
    "LSTMArgs",
    "RecurrentArgs",
    "UnitForgetBias",
]


class KerasSignature:
    """A class's constructor signature: its own `__init__`'s named arguments, then the
    keyword-only ones of the `__init__`s it hands `**kwargs` on to (in the order of its
    MRO), then `**kwargs`. Instances have none (a layer called is not its constructor).

        >>> import inspect
        >>> from plait.layers import LSTM
        >>> list(inspect.signature(LSTM).parameters)[:3]
        ['units', 'activation', 'recurrent_activation']
        >>> inspect.signature(LSTM).parameters['dropout'].default
        0.0
    """

    def __get__(self, instance, owner):
        if instance is not None:
            raise AttributeError("__signature__")
        return _class_signature(owner)


_SIGNATURES: dict = {}


def _class_signature(cls):
    """Follow `cls`'s `__init__`s down its MRO (to `Layer`) while each hands on `*args` or
    `**kwargs`: Keras's positional arguments in the order they are taken, then the
    keyword-only ones, then `**kwargs`."""
    sig = _SIGNATURES.get(cls)
    if sig is not None:
        return sig
    positional, levels, seen, var_keyword = [], [], set(), None
    collecting = True
    for base in cls.__mro__:
        if base is Layer:
            break
        init = base.__dict__.get("__init__")
        if init is None:
            continue
        params = list(inspect.signature(init).parameters.values())[1:]
        kinds = {p.kind for p in params}
        levels.append([])
        for p in params:
            if p.name in seen or p.kind is p.VAR_POSITIONAL:
                continue
            if p.kind is p.VAR_KEYWORD:
                var_keyword = var_keyword or p
                continue
            if p.kind is p.KEYWORD_ONLY:
                levels[-1].append(p)
            elif collecting:
                positional.append(p)
            seen.add(p.name)
        if inspect.Parameter.VAR_POSITIONAL not in kinds:
            collecting = False
        if inspect.Parameter.VAR_KEYWORD not in kinds:
            break
    # Keras's order: a class's own keywords, then the shared ones from the base up.
    keyword = [p for level in levels[:1] + levels[:0:-1] for p in level]
    params = positional + keyword + ([var_keyword] if var_keyword else [])
    sig = _SIGNATURES[cls] = inspect.Signature(params)
    return sig


class UnitForgetBias(initializers.Initializer):
    """Keras's LSTM bias with `unit_forget_bias`: the wrapped initializer, with ones for the
    forget gate (the second of four blocks of `units` along the last axis).

        >>> init = UnitForgetBias(initializers.get("zeros"), 2)
        >>> init((8,)).tolist()
        [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    """

    def __init__(self, base, units):
        self.base, self.units = base, units

    def __call__(self, shape, dtype=None, device=None):
        bias = self.base(shape, dtype=dtype, device=device)
        bias = torch.as_tensor(bias, dtype=dtype, device=device).clone()
        bias[self.units : 2 * self.units] = 1.0
        return bias


class RecurrentArgs(Layer):
    """Base of the recurrent layers and cells: the arguments they share, set and checked
    once, and their kernel, recurrent kernel and bias.

    Args:
        activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer:
            Keras's (the subclass gives their defaults).
        kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
            recurrent_constraint, bias_constraint: Keras's (default None).
        dropout, recurrent_dropout: fractions of the inputs and of the recurrent state
            dropped in training (default 0).
        seed: int seed of the dropout masks, or None.

    Raises:
        ValueError: a rate outside [0, 1]. TypeError: a seed that is not an int.

        >>> from plait.layers import SimpleRNNCell
        >>> SimpleRNNCell(3, kernel_regularizer="l2").kernel_regularizer is not None
        True
    """

    def __init__(
        self,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        *,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        kwargs.pop("implementation", None)  # Keras's choice of kernel split; one here
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        for weight, initializer in (
            ("kernel", kernel_initializer),
            ("recurrent", recurrent_initializer),
            ("bias", bias_initializer),
        ):
            setattr(self, f"{weight}_initializer", initializers.get(initializer))
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = self._check_rate(dropout, "dropout")
        self.recurrent_dropout = self._check_rate(recurrent_dropout, "recurrent_dropout")
        self.seed = check_seed(seed)
        self._generators = {}

    __signature__ = KerasSignature()

    @staticmethod
    def _check_rate(value, name):
        return check_rate(value, name)

    # ----------------------------------------------------------------- weights
    def _add_kernels(self, kernel_shape, recurrent_shape, attrs=(None, None), layout=None):
        """The input kernel and the recurrent kernel, Keras's shapes and names."""
        for name, shape, attr, weight in (
            ("kernel", kernel_shape, attrs[0], "kernel"),
            ("recurrent_kernel", recurrent_shape, attrs[1], "recurrent"),
        ):
            self.add_weight(
                name,
                shape,
                getattr(self, f"{weight}_initializer"),
                attr=attr,
                layout=layout,
                regularizer=getattr(self, f"{weight}_regularizer"),
                constraint=getattr(self, f"{weight}_constraint"),
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

    # ------------------------------------------------------------------ config
    def _head_config(self):
        """activation, use_bias and the initializers, as Keras's config lists them."""
        config = {"activation": activations.serialize(self.activation), "use_bias": self.use_bias}
        for weight in ("kernel", "recurrent", "bias"):
            key = f"{weight}_initializer"
            config[key] = initializers.serialize(getattr(self, key))
        return config

    def _penalty_config(self, activity=False):
        """The regularizers (with `activity_regularizer` when `activity`), constraints."""
        config = {}
        for weight in ("kernel", "recurrent", "bias"):
            key = f"{weight}_regularizer"
            config[key] = regularizers.serialize(getattr(self, key))
        if activity:
            config["activity_regularizer"] = regularizers.serialize(
                getattr(self, "activity_regularizer", None)
            )
        for weight in ("kernel", "recurrent", "bias"):
            key = f"{weight}_constraint"
            config[key] = constraints.serialize(getattr(self, key))
        return config

    def _dropout_config(self):
        return {
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class GatedArgs(RecurrentArgs):
    """GRU's and LSTM's leading arguments: `recurrent_activation` (default "sigmoid") stands
    third in Keras's order, after `units` and `activation`."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", *args, **kwargs):
        super().__init__(units, activation, *args, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)


class GRUArgs(GatedArgs):
    """GRU's and GRUCell's `reset_after` (default True): the reset gate applies after the
    recurrent matrix product."""

    def __init__(self, *args, reset_after=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.reset_after = bool(reset_after)


class LSTMArgs(GatedArgs):
    """LSTM's and LSTMCell's `unit_forget_bias` (default True): the forget gate's bias
    starts at 1."""

    def __init__(self, *args, unit_forget_bias=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)


def set_sequence_args(
    layer, return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask
):
    """Set Keras's sequence arguments of a recurrent layer (`RNN`, `LSTM`, `ConvLSTM2D`...).

    Raises:
        ValueError: for `stateful=True`: plait carries no state from one batch to the next.
    """
    if stateful:
        raise ValueError(
            f"{type(layer).__name__} does not support stateful=True in plait: states are "
            "not carried from one batch to the next. Pass the last states explicitly "
            "(return_state=True, then initial_state=[...] on the next call). "
            f"Received: stateful={stateful!r}"
        )
    layer.return_sequences = bool(return_sequences)
    layer.return_state = bool(return_state)
    layer.go_backwards = bool(go_backwards)
    layer.stateful = False
    layer.unroll = bool(unroll)  # accepted for Keras compatibility; the loop is the same
    layer.zero_output_for_mask = bool(zero_output_for_mask)


def sequence_config(layer):
    """The config entries `set_sequence_args` reads back."""
    keys = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll")
    config = {key: getattr(layer, key) for key in keys}
    config["zero_output_for_mask"] = layer.zero_output_for_mask
    return config


class SequenceArgs(Layer):
    """The keyword arguments of the recurrent layers that run over a sequence
    (`return_sequences`, `return_state`, `go_backwards`, `stateful`, `unroll`,
    `zero_output_for_mask`, all default False), set by `set_sequence_args`."""

    def __init__(
        self,
        *args,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        set_sequence_args(
            self, return_sequences, return_state, go_backwards, stateful, unroll,
            zero_output_for_mask,
        )  # fmt: skip
