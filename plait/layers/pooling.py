"""Pooling over channels-last data: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D,
GlobalMaxPooling1D/2D/3D, GlobalAveragePooling1D/2D/3D."""

import torch
import torch.nn.functional as F

from plait.layers.spatial import ChannelsFirstForward, check_rank, tf_same_pads
from plait.layers.layer import Layer
from plait.serialization import register_serializable
from plait.utils import conv_utils

__all__ = [
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "GlobalPooling",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "Pooling",
]

# torch's own ops: F.max_pool*d are Python wrappers (return_indices dispatch) around them.
_MAX = {1: torch.max_pool1d, 2: torch.max_pool2d, 3: torch.max_pool3d}
_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


class Pooling(ChannelsFirstForward, Layer):
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
            self.pool_size if strides is None else strides, self.rank, "strides"
        )
        self.padding = conv_utils.normalize_padding(padding)
        self.data_format = conv_utils.normalize_data_format(data_format)
        self._channels_last = self.data_format == "channels_last"

    def forward_channels_first(self, x):
        if self.padding == "same":
            return self._pool_same(x)
        if self.mode == "max":
            return _MAX[self.rank](x, self.pool_size, self.strides)
        return _AVG[self.rank](x, self.pool_size, self.strides)

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
        out = tuple(
            conv_utils.output_length(n, k, self.padding, s)
            for n, k, s in zip(spatial, self.pool_size, self.strides)
        )
        if any(o == 0 for o in out):
            raise ValueError(
                f"pool_size {self.pool_size} is larger than the input's spatial size "
                f"{tuple(spatial)} with padding='valid'"
            )
        if self._channels_last:
            return (input_shape[0],) + out + (input_shape[-1],)
        return (input_shape[0], input_shape[1]) + out

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "pool_size": list(self.pool_size),
                "strides": list(self.strides),
                "padding": self.padding,
                "data_format": self.data_format,
            }
        )
        return config


_SPATIAL = {1: "steps", 2: "rows, cols", 3: "dim1, dim2, dim3"}
_EXAMPLE_IN = {1: (6, 4), 2: (61, 61, 32), 3: (8, 8, 8, 2)}
_VALUES = {
    "max": "[[[2.0], [6.0], [5.0]]]",
    "avg": "[[[1.5], [4.5], [4.0]]]",
}


def _pooling_doc(name, rank, mode):
    """The docstring of one pooling class: its Args, shapes and an example."""
    what = "Max" if mode == "max" else "Average"
    spatial = _SPATIAL[rank]
    shape = _EXAMPLE_IN[rank]
    pooled = tuple(n // 2 for n in shape[:-1]) + shape[-1:]
    doc = f"""{what} pooling over `(batch, {spatial}, channels)`.

    Args:
        pool_size: int or tuple of {rank} int(s) (default 2).
        strides: int, tuple or None (default: pool_size).
        padding: 'valid' (default) or 'same' (TensorFlow's: padded cells never win a max and
            are not counted in an average).
        data_format: 'channels_last' (default) or 'channels_first'.

    Input shape: `(batch, {spatial}, channels)`.
    Output shape: `(batch, {", ".join("pooled_" + a for a in spatial.split(", "))}, channels)`.

    Raises:
        ValueError: for a bad argument, or an input of the wrong rank or too small.

        >>> from plait.layers import Input
        >>> {name}()(Input(shape={shape})).shape
        (None, {", ".join(map(str, pooled))})
"""
    if rank == 1:
        doc += f"""        >>> import torch
        >>> x = torch.tensor([[[1.0], [2.0], [6.0], [3.0], [5.0], [3.0]]])
        >>> {name}()(x).tolist()
        {_VALUES[mode]}
"""
    return doc


def _pooling(name, rank, mode):
    doc = _pooling_doc(name, rank, mode)
    cls = type(
        name, (Pooling,), {"rank": rank, "mode": mode, "__doc__": doc, "__module__": __name__}
    )
    return register_serializable(package="plait")(cls)


MaxPooling1D = _pooling("MaxPooling1D", 1, "max")
MaxPooling2D = _pooling("MaxPooling2D", 2, "max")
MaxPooling3D = _pooling("MaxPooling3D", 3, "max")
AveragePooling1D = _pooling("AveragePooling1D", 1, "avg")
AveragePooling2D = _pooling("AveragePooling2D", 2, "avg")
AveragePooling3D = _pooling("AveragePooling3D", 3, "avg")
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D


class GlobalPooling(Layer):
    """Base of the global pooling layers: the max or mean over all spatial axes.

    Args:
        data_format: 'channels_last' (default) or 'channels_first'.
        keepdims: keep the spatial axes with size 1 (default False).

    Input shape: `(batch, *spatial, channels)`. Output shape: `(batch, channels)`, or
    `(batch, 1, ..., 1, channels)` with keepdims.
    """

    rank = None
    mode = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = conv_utils.normalize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self._channels_last = self.data_format == "channels_last"
        first = 1 if self._channels_last else 2
        self._dims = tuple(range(first, first + self.rank))

    def build(self, input_shape):
        check_rank(self, input_shape, self.rank)

    def forward(self, inputs, mask=None):
        if self.mode == "max":
            return inputs.amax(dim=self._dims, keepdim=self.keepdims)
        if mask is None:
            return inputs.mean(dim=self._dims, keepdim=self.keepdims)
        # Keras: the average over the unmasked steps only (1-D inputs from an Embedding).
        weights = mask.to(inputs.dtype).unsqueeze(-1 if self._channels_last else 1)
        total = (inputs * weights).sum(dim=self._dims, keepdim=self.keepdims)
        return total / weights.sum(dim=self._dims, keepdim=self.keepdims)

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.rank)
        if self.keepdims:
            return tuple(1 if i in self._dims else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in self._dims)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


def _global(name, rank, mode):
    what = "Maximum" if mode == "max" else "Average"
    doc = (
        f"{what} over the spatial axes of a {rank + 2}-D input: `(batch, *spatial, "
        "channels)` -> `(batch, channels)` (keepdims=True keeps them with size 1)."
    )
    if mode == "avg" and rank == 1:
        doc += " Call with `mask=` (batch, steps) to average over the unmasked steps only."
    shape = _EXAMPLE_IN[rank]
    doc += f"""

    Args:
        data_format: 'channels_last' (default) or 'channels_first'.
        keepdims: keep the spatial axes with size 1 (default False).

    Raises:
        ValueError: for an input of the wrong rank.

        >>> from plait.layers import Input
        >>> {name}()(Input(shape={shape})).shape
        (None, {shape[-1]})
        >>> {name}(keepdims=True)(Input(shape={shape})).shape
        (None, {"1, " * rank}{shape[-1]})
"""
    if rank == 1:
        value = "[[3.0, 6.0]]" if mode == "max" else "[[2.0, 4.0]]"
        doc += f"""        >>> import torch
        >>> {name}()(torch.tensor([[[1.0, 2.0], [3.0, 4.0], [2.0, 6.0]]])).tolist()
        {value}
"""
    cls = type(
        name, (GlobalPooling,), {"rank": rank, "mode": mode, "__doc__": doc, "__module__": __name__}
    )
    return register_serializable(package="plait")(cls)


GlobalMaxPooling1D = _global("GlobalMaxPooling1D", 1, "max")
GlobalMaxPooling2D = _global("GlobalMaxPooling2D", 2, "max")
GlobalMaxPooling3D = _global("GlobalMaxPooling3D", 3, "max")
GlobalAveragePooling1D = _global("GlobalAveragePooling1D", 1, "avg")
GlobalAveragePooling2D = _global("GlobalAveragePooling2D", 2, "avg")
GlobalAveragePooling3D = _global("GlobalAveragePooling3D", 3, "avg")
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
)
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
)
