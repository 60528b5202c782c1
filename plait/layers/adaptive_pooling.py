"""Adaptive pooling: average or max pooling to a fixed output size, whatever the input's
spatial size (PyTorch's `adaptive_avg_pool*d` / `adaptive_max_pool*d` bins).

    y = plait.layers.AdaptiveAveragePooling2D((7, 7))(x)     # (batch, 7, 7, channels)
"""

import torch.nn.functional as F

from plait.layers.layer import Layer
from plait.serialization import register_serializable

__all__ = [
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
]

_FUNCTIONS = {
    ("average", 1): F.adaptive_avg_pool1d,
    ("average", 2): F.adaptive_avg_pool2d,
    ("average", 3): F.adaptive_avg_pool3d,
    ("max", 1): F.adaptive_max_pool1d,
    ("max", 2): F.adaptive_max_pool2d,
    ("max", 3): F.adaptive_max_pool3d,
}
_SHAPES = {1: "length", 2: "(height, width)", 3: "(depth, height, width)"}


class _AdaptivePooling(Layer):
    """Pool `rank` spatial dimensions to `output_size` bins.

    Args:
        output_size: an int (every spatial dimension) or a tuple of `rank` ints.
        data_format: "channels_last" (default) or "channels_first".

    Raises:
        TypeError: for an `output_size` that is neither an int nor a tuple of `rank`.
        ValueError: for an unknown `data_format`.
    """

    _rank = 2
    _mode = "average"

    def __init__(self, output_size, data_format=None, **kwargs):
        rank = self._rank
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            size = (output_size,) * rank
        elif isinstance(output_size, (tuple, list)) and len(output_size) == rank:
            size = tuple(output_size)
        else:
            raise TypeError(
                f"`output_size` must be an integer or {_SHAPES[rank]} tuple. "
                f"Received: {output_size} of type {type(output_size)}"
            )
        super().__init__(**kwargs)
        data_format = data_format or "channels_last"
        if data_format not in ("channels_first", "channels_last"):
            raise ValueError(
                f"Invalid data_format: {data_format}. Expected 'channels_first' or 'channels_last'."
            )
        self.output_size = size
        self.data_format = data_format
        self._pool = _FUNCTIONS[(self._mode, rank)]

    def build(self, input_shape):
        if len(input_shape) != self._rank + 2:
            raise ValueError(
                f"{type(self).__name__} expects a {self._rank + 2}-D input (batch, "
                f"spatial..., channels). Received: input_shape={tuple(input_shape)}"
            )

    def forward(self, inputs):
        if self.data_format == "channels_first":
            return self._pool(inputs, self.output_size)
        return self._pool(inputs.movedim(-1, 1), self.output_size).movedim(1, -1)

    def compute_output_shape(self, input_shape):
        self.build(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self):
        return {
            **super().get_config(),
            "output_size": self.output_size,
            "data_format": self.data_format,
        }


_EXAMPLE_IN = {1: "(32, 3)", 2: "(32, 32, 3)", 3: "(16, 16, 16, 3)"}


def _pooling_class(name, mode, rank):
    doc = (
        f"Adaptive {mode} pooling over {rank} spatial dimension(s) to `output_size` "
        f"bins.\n\n    Args:\n        output_size: an int or a {_SHAPES[rank]} tuple.\n"
        '        data_format: "channels_last" (default) or "channels_first".\n\n'
        "    Input shape: `(batch, *spatial, channels)` (channels last).\n"
        "    Output shape: `(batch, *output_size, channels)`.\n\n    Raises:\n"
        "        TypeError: for a bad `output_size`.\n"
        "        ValueError: for an unknown `data_format` or an input of the wrong "
        f"rank.\n\n    Example:\n        >>> from plait.layers import Input\n"
        f"        >>> {name}(4)(Input({_EXAMPLE_IN[rank]})).shape\n"
        f"        (None, {'4, ' * rank}3)\n"
    )
    cls = type(
        name,
        (_AdaptivePooling,),
        {"_rank": rank, "_mode": mode, "__doc__": doc, "__module__": __name__},
    )
    return register_serializable(package="plait")(cls)


AdaptiveAveragePooling1D = _pooling_class("AdaptiveAveragePooling1D", "average", 1)
AdaptiveAveragePooling2D = _pooling_class("AdaptiveAveragePooling2D", "average", 2)
AdaptiveAveragePooling3D = _pooling_class("AdaptiveAveragePooling3D", "average", 3)
AdaptiveMaxPooling1D = _pooling_class("AdaptiveMaxPooling1D", "max", 1)
AdaptiveMaxPooling2D = _pooling_class("AdaptiveMaxPooling2D", "max", 2)
AdaptiveMaxPooling3D = _pooling_class("AdaptiveMaxPooling3D", "max", 3)
