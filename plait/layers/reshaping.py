"""Reshaping layers: Flatten."""
import math

from plait.layers.layer import Layer
from plait.serialization import register_serializable
from plait.utils import conv_utils


@register_serializable(package="plait")
class Flatten(Layer):
    """Flattens each sample: `(batch, d1, d2, ...)` -> `(batch, d1 * d2 * ...)`.

    Channels-last data flattens in Keras's `(h, w, c)` order, so a Dense after it takes
    weights from a Keras model unchanged. With data_format='channels_first', the input is
    moved to channels-last first, as Keras does.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = conv_utils.normalize_data_format(data_format)

    def forward(self, inputs):
        if self.data_format == "channels_first" and inputs.dim() > 2:
            inputs = inputs.movedim(1, -1)
        return inputs.reshape(inputs.shape[0], -1)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config
