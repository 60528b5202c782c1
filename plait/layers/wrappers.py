"""Wrappers: layers that apply another layer. TimeDistributed."""
from plait import serialization
from plait.layers.layer import Layer, LayerCallError
from plait.serialization import register_serializable


@register_serializable(package="plait")
class TimeDistributed(Layer):
    """Applies `layer` to every time step: `(batch, steps, ...)` -> `(batch, steps, ...')`.

    The steps are folded into the batch, so the wrapped layer runs once on
    `(batch * steps, ...)`; its weights are shared across steps.

        >>> x = Input(shape=(100, 10))
        >>> TimeDistributed(Dense(1))(x).shape
        (None, 100, 1)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise TypeError(
                "TimeDistributed wraps a plait layer. "
                f"Received: layer={layer!r:.200} (type {type(layer).__name__})")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise LayerCallError(
                f"TimeDistributed layer '{self.name}' expects an input of rank >= 3 "
                f"(batch, timesteps, ...); received shape {tuple(input_shape)}.")
        self.layer._ensure_built((input_shape[0],) + tuple(input_shape[2:]))

    def forward(self, inputs):
        batch, steps = inputs.shape[0], inputs.shape[1]
        out = self.layer(inputs.reshape((batch * steps,) + tuple(inputs.shape[2:])))
        return out.reshape((batch, steps) + tuple(out.shape[1:]))

    def get_config(self):
        config = super().get_config()
        config["layer"] = serialization.serialize(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = serialization.deserialize(config["layer"], custom_objects, kind="layer")
        return cls(**config)
