"""`Wrapper`: the base class of layers that wrap another layer (Keras's
`keras.layers.Wrapper`). A subclass computes in `call`/`forward` with `self.layer`.

    class Scaled(plait.layers.Wrapper):
        def call(self, x):
            return 2.0 * self.layer(x)
"""

from plait import serialization
from plait.layers.layer import Layer
from plait.serialization import register_serializable

__all__ = ["Wrapper"]


@register_serializable(package="plait")
class Wrapper(Layer):
    """A layer holding another layer, `self.layer`: building the wrapper builds the wrapped
    layer for the same input shape, its weights are the wrapper's, and the config stores
    it (`get_config()["layer"]`) so `from_config` rebuilds both. Subclasses define the
    computation.

    Args:
        layer: the plait Layer to wrap.
        **kwargs: the base Layer's (name, trainable, dtype).

    Raises:
        ValueError: `layer` is not a plait Layer (Keras's error).

    Example:
        >>> import torch
        >>> from plait.layers import Dense
        >>> class Scaled(Wrapper):
        ...     def call(self, inputs):
        ...         return 2.0 * self.layer(inputs)
        >>> wrapped = Scaled(Dense(3))
        >>> wrapped(torch.ones(2, 4)).shape
        torch.Size([2, 3])
        >>> len(wrapped.weights)
        2
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Layer {layer} supplied to Wrapper isn't a supported layer type. Please "
                f"ensure wrapped layer is a valid plait layer. Received: layer of type "
                f"{type(layer).__name__}"
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        self.layer._ensure_built(input_shape)

    def get_config(self):
        config = super().get_config()
        config["layer"] = serialization.serialize(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = serialization.deserialize(config["layer"], custom_objects, kind="layer")
        return cls(**config)
