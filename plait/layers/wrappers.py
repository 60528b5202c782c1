"""Wrappers: layers that apply another layer. TimeDistributed, Bidirectional."""

import torch

from plait import serialization
from plait.layers.layer import (
    Layer,
    LayerCallError,
    accepts_mask,
    accepts_training,
    call_inner,
)
from plait.layers.masking import PassesMask
from plait.serialization import register_serializable

__all__ = ["Bidirectional", "TimeDistributed"]


@register_serializable(package="plait")
class TimeDistributed(PassesMask, Layer):
    """Applies `layer` to every time step: `(batch, steps, ...)` -> `(batch, steps, ...')`.

    The steps are folded into the batch, so the wrapped layer runs once on
    `(batch * steps, ...)`; its weights are shared across steps. `training=` reaches the
    wrapped layer (a Dropout inside drops only in training). The input's `(batch, steps)`
    mask passes on to the output; a mask with more axes `(batch, steps, ...)` is folded like
    the input for a wrapped layer that takes one (an LSTM over each step's words), and the
    output's mask marks the steps with any data.

        >>> from plait.layers import Dense, Input
        >>> x = Input(shape=(100, 10))
        >>> TimeDistributed(Dense(1))(x).shape
        (None, 100, 1)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise TypeError(
                "TimeDistributed wraps a plait layer. "
                f"Received: layer={layer!r:.200} (type {type(layer).__name__})"
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise LayerCallError(
                f"TimeDistributed layer '{self.name}' expects an input of rank >= 3 "
                f"(batch, timesteps, ...); received shape {tuple(input_shape)}."
            )
        self.layer._ensure_built((input_shape[0],) + tuple(input_shape[2:]))

    def forward(self, inputs, training=None, mask=None):
        maps_last_axis = getattr(self.layer, "maps_last_axis", None)
        if maps_last_axis is not None and maps_last_axis():
            # Dense on (batch, steps, features) is Dense on every step: no reshapes
            return call_inner(self.layer, inputs)
        batch, steps = inputs.shape[0], inputs.shape[1]
        kwargs = {}
        if training is not None and accepts_training(type(self.layer)):
            kwargs["training"] = training
        if mask is not None and mask.dim() > 2 and accepts_mask(type(self.layer)):
            kwargs["mask"] = mask.reshape((batch * steps,) + tuple(mask.shape[2:]))
        out = call_inner(self.layer, inputs.reshape((batch * steps, *inputs.shape[2:])), **kwargs)
        return out.reshape((batch, steps, *out.shape[1:]))

    def compute_mask(self, inputs, mask=None):
        """The input's `(batch, steps)` mask; a mask with more axes is reduced to one: a
        step holds data when any of its entries does."""
        mask = super().compute_mask(inputs, mask)
        if mask is None or len(mask.shape) <= 2:
            return mask
        return mask.flatten(2).any(dim=-1)

    def get_config(self):
        config = super().get_config()
        config["layer"] = serialization.serialize(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = serialization.deserialize(config["layer"], custom_objects, kind="layer")
        return cls(**config)


_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


@register_serializable(package="plait")
class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges the outputs.

    Args:
        layer: a recurrent layer (`LSTM`, `GRU`, `SimpleRNN`). It is not used itself: as in
            Keras, `forward_layer` and `backward_layer` are fresh layers built from its
            config, named `forward_<name>` and `backward_<name>` (fresh weights).
        merge_mode: 'concat' (default), 'sum', 'mul', 'ave', or None to return the two
            outputs as a list `[forward, backward]`.
        weights: optional initial weights: the forward layer's, then the backward layer's
            (`get_weights` order).
        backward_layer: optional layer for the backward direction, with `go_backwards`
            opposite to `layer`'s and the same `return_sequences` and `return_state`.

    Call arguments: `inputs`; `initial_state`: the forward layer's states, then the
    backward layer's; `mask` `(batch, timesteps)`; `training`. With `return_sequences`, the
    backward outputs are put back in time order, and masked steps output zeros.

    Output shape: the wrapped layer's, with the last dimension doubled for 'concat'. With
    return_state: `[output, *forward_states, *backward_states]` (None: two outputs first).

        >>> from plait.layers import LSTM, Input
        >>> x = Input(shape=(10, 8))
        >>> Bidirectional(LSTM(4, return_sequences=True))(x).shape
        (None, 10, 8)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        _check_recurrent(layer, "layer")
        if backward_layer is not None:
            _check_recurrent(backward_layer, "backward_layer")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Invalid merge_mode. Expected one of {list(_MERGE_MODES)}. "
                f"Received: merge_mode={merge_mode!r}"
            )
        super().__init__(**kwargs)
        self.forward_layer = _copy_layer(layer, "forward_", {})
        if backward_layer is None:
            backward_layer = _copy_layer(
                layer, "backward_", {"go_backwards": not layer.go_backwards}
            )
        self.backward_layer = backward_layer
        self._check_pair()
        for direction in (self.forward_layer, self.backward_layer):
            if hasattr(direction, "zero_output_for_mask"):
                direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        self.stateful = False
        self._initial_weights = None if weights is None else list(weights)

    def _check_pair(self):
        fwd, bwd = self.forward_layer, self.backward_layer
        if fwd.go_backwards == bwd.go_backwards:
            raise ValueError(
                "The forward and backward layers of a Bidirectional need different "
                "`go_backwards` values. Received: forward_layer.go_backwards="
                f"{fwd.go_backwards}, backward_layer.go_backwards={bwd.go_backwards}"
            )
        for attr in ("return_sequences", "return_state"):
            if getattr(fwd, attr) != getattr(bwd, attr):
                raise ValueError(
                    f"The forward and backward layers of a Bidirectional need the same "
                    f"`{attr}`. Received: {attr}={getattr(fwd, attr)} (forward) and "
                    f"{getattr(bwd, attr)} (backward)"
                )

    def build(self, input_shape):
        self.forward_layer._ensure_built(input_shape)
        self.backward_layer._ensure_built(input_shape)
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def forward(self, inputs, initial_state=None, mask=None, training=None):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(inputs, initial_state=forward_state, mask=mask, training=training)
        y_rev = self.backward_layer(
            inputs, initial_state=backward_state, mask=mask, training=training
        )
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev.flip(1)
        output = self._merge(y, y_rev)
        if self.return_state:
            return (output if self.merge_mode is None else [output]) + states
        return output

    def _merge(self, y, y_rev):
        if self.merge_mode == "concat":
            return torch.cat([y, y_rev], dim=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) / 2
        if self.merge_mode == "mul":
            return y * y_rev
        return [y, y_rev]

    def _output_specs(self, args, kwargs, input_shapes, where):
        state = kwargs.get("initial_state", args[1] if len(args) > 1 else None)
        if state is not None:
            state = list(state) if isinstance(state, (list, tuple)) else [state]
            half = len(state) // 2
            for layer, part in (
                (self.forward_layer, state[:half]),
                (self.backward_layer, state[half:]),
            ):
                check = getattr(layer, "check_initial_state", None)
                if check is not None:
                    check(part, input_shapes)
        return super()._output_specs(args, kwargs, input_shapes, where)

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        state_shapes = []
        if self.return_state:
            shape, state_shapes = shape[0], list(shape[1:])
        if self.merge_mode == "concat":
            shape = tuple(shape[:-1]) + (None if shape[-1] is None else 2 * shape[-1],)
        outputs = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state:
            return outputs + state_shapes + state_shapes
        return outputs if self.merge_mode is None else shape

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            states = getattr(self.forward_layer, "_num_states", 1)
            return masks + [None] * (2 * states)
        return masks if self.merge_mode is None else output_mask

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "merge_mode": self.merge_mode,
                "layer": serialization.serialize(self.forward_layer),
                "backward_layer": serialization.serialize(self.backward_layer),
            }
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = serialization.deserialize(config["layer"], custom_objects, kind="layer")
        if config.get("backward_layer") is not None:
            config["backward_layer"] = serialization.deserialize(
                config["backward_layer"], custom_objects, kind="layer"
            )
        return cls(**config)


def _check_recurrent(layer, name):
    if not isinstance(layer, Layer):
        raise TypeError(
            f"Bidirectional wraps a plait recurrent layer (LSTM, GRU, SimpleRNN). "
            f"Received: {name}={layer!r:.200} (type {type(layer).__name__})"
        )
    missing = [
        a for a in ("go_backwards", "return_sequences", "return_state") if not hasattr(layer, a)
    ]
    if missing:
        raise TypeError(
            f"Bidirectional wraps a recurrent layer (LSTM, GRU, SimpleRNN): one with "
            f"`go_backwards`, `return_sequences` and `return_state`. {type(layer).__name__} "
            f"has no {missing}. Received: {name}={layer.name!r}"
        )


def _copy_layer(layer, prefix, changes):
    """A fresh layer from `layer`'s config, named `<prefix><name>` (Keras's naming)."""
    config = serialization.serialize(layer)
    inner = dict(config["config"], **changes)
    name = layer.name[len(prefix) :] if layer.name.startswith(prefix) else layer.name
    inner["name"] = prefix + name
    return serialization.deserialize(dict(config, config=inner), kind="layer")
