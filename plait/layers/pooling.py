"""Pooling over channels-last data: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D."""
import torch
import torch.nn.functional as F

from plait.layers.convolutional import check_rank, tf_same_pads, to_channels_first, to_channels_last
from plait.layers.layer import Layer
from plait.serialization import register_serializable
from plait.utils import conv_utils

_MAX = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


class Pooling(Layer):
    """Base of the N-D pooling layers.

    Args:
        pool_size: int or tuple of `rank` ints (default 2).
        strides: int, tuple or None (default: pool_size).
        padding: 'valid' (default) or 'same' (TensorFlow's: padded cells never win a max and
            are not counted in an average).
        data_format: 'channels_last' (default) or 'channels_first'.

    Input shape: `(batch, *spatial, channels)`. Output shape: `(batch, *pooled, channels)`.
    """

    rank = None
    mode = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = conv_utils.normalize_tuple(pool_size, self.rank, "pool_size")
        self.strides = conv_utils.normalize_tuple(
            self.pool_size if strides is None else strides, self.rank, "strides")
        self.padding = conv_utils.normalize_padding(padding)
        self.data_format = conv_utils.normalize_data_format(data_format)
        self._channels_last = self.data_format == "channels_last"

    def forward(self, inputs):
        x = to_channels_first(inputs, self.rank) if self._channels_last else inputs
        if self.padding == "same":
            out = self._pool_same(x)
        elif self.mode == "max":
            out = _MAX[self.rank](x, self.pool_size, self.strides)
        else:
            out = _AVG[self.rank](x, self.pool_size, self.strides)
        return to_channels_last(out, self.rank) if self._channels_last else out

    def _pool_same(self, x):
        pads = tf_same_pads(x.shape[2:], self.pool_size, self.strides, (1,) * self.rank)
        if self.mode == "max":
            padded = F.pad(x, pads, value=float("-inf"))
            return _MAX[self.rank](padded, self.pool_size, self.strides)
        total = _AVG[self.rank](F.pad(x, pads), self.pool_size, self.strides)
        ones = torch.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype, device=x.device)
        count = _AVG[self.rank](F.pad(ones, pads), self.pool_size, self.strides)
        return total / count

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.rank)
        spatial = input_shape[1:-1] if self._channels_last else input_shape[2:]
        out = tuple(conv_utils.output_length(n, k, self.padding, s)
                    for n, k, s in zip(spatial, self.pool_size, self.strides))
        if any(o == 0 for o in out):
            raise ValueError(
                f"pool_size {self.pool_size} is larger than the input's spatial size "
                f"{tuple(spatial)} with padding='valid'")
        if self._channels_last:
            return (input_shape[0],) + out + (input_shape[-1],)
        return (input_shape[0], input_shape[1]) + out

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": list(self.pool_size), "strides": list(self.strides),
                       "padding": self.padding, "data_format": self.data_format})
        return config


def _pooling(name, rank, mode, doc):
    cls = type(name, (Pooling,), {"rank": rank, "mode": mode, "__doc__": doc,
                                  "__module__": __name__})
    return register_serializable(package="plait")(cls)


MaxPooling1D = _pooling("MaxPooling1D", 1, "max", "Max pooling over `(batch, steps, channels)`.")
MaxPooling2D = _pooling("MaxPooling2D", 2, "max", """Max pooling over `(batch, rows, cols, channels)`.

    >>> x = Input(shape=(61, 61, 32))
    >>> MaxPooling2D(pool_size=(2, 2))(x).shape
    (None, 30, 30, 32)
""")
MaxPooling3D = _pooling("MaxPooling3D", 3, "max", "Max pooling over `(batch, d1, d2, d3, channels)`.")
AveragePooling1D = _pooling("AveragePooling1D", 1, "avg", "Average pooling over `(batch, steps, channels)`.")
AveragePooling2D = _pooling("AveragePooling2D", 2, "avg", "Average pooling over `(batch, rows, cols, channels)`.")
AveragePooling3D = _pooling("AveragePooling3D", 3, "avg", "Average pooling over `(batch, d1, d2, d3, channels)`.")
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
