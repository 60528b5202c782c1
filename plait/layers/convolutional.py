"""Convolutions over channels-last data: Conv1D, Conv2D, Conv3D.

Inputs are `(batch, *spatial, channels)` as in Keras. Inside, the tensor is viewed as
PyTorch's `(batch, channels, *spatial)` by a permute, not a copy: a contiguous channels-last
tensor seen that way is PyTorch's channels_last memory format, which its kernels take as it is.
"""
import torch.nn.functional as F

from plait import activations, initializers
from plait.layers.layer import Layer, LayerCallError
from plait.serialization import register_serializable
from plait.utils import conv_utils

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def to_channels_first(x, rank):
    return x.permute(0, rank + 1, *range(1, rank + 1))


def to_channels_last(x, rank):
    return x.permute(0, *range(2, rank + 2), 1)


def tf_same_pads(spatial, kernel, strides, dilation):
    """F.pad's argument (last axis first) for TensorFlow's 'same' padding."""
    pads = []
    for length, k, s, d in reversed(list(zip(spatial, kernel, strides, dilation))):
        pads.extend(conv_utils.same_padding(length, k, s, d))
    return pads


def check_rank(layer, input_shape, rank, what="(batch, *spatial, channels)"):
    if len(input_shape) != rank + 2:
        raise LayerCallError(
            f"{type(layer).__name__} layer '{layer.name}' expects a {rank + 2}-D input "
            f"{what}; received an input of shape {tuple(input_shape)}.")


class Conv(Layer):
    """N-D convolution, the base of Conv1D/2D/3D.

    Args:
        filters: number of output channels.
        kernel_size: int or tuple of `rank` ints.
        strides: int or tuple, default 1.
        padding: 'valid' (default) or 'same' (TensorFlow's, with any extra row or column on
            the bottom/right); Conv1D also takes 'causal'.
        data_format: 'channels_last' (default) or 'channels_first'.
        dilation_rate: int or tuple, default 1.
        groups: channel groups; filters and input channels must divide by it.
        activation, use_bias, kernel_initializer ('glorot_uniform'), bias_initializer ('zeros').

    Weights: `kernel` `(*kernel_size, in_channels // groups, filters)` in Keras's layout,
    stored as PyTorch's `weight` `(filters, in_channels // groups, *kernel_size)`; `bias`.
    """

    rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"`filters` must be a positive integer. Received: filters={filters!r}")
        self.filters = filters
        self.kernel_size = conv_utils.normalize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = conv_utils.normalize_tuple(strides, self.rank, "strides")
        allowed = ("valid", "same", "causal") if self.rank == 1 else ("valid", "same")
        self.padding = conv_utils.normalize_padding(padding, allowed)
        self.data_format = conv_utils.normalize_data_format(data_format)
        self.dilation_rate = conv_utils.normalize_tuple(dilation_rate, self.rank, "dilation_rate")
        if not isinstance(groups, int) or groups <= 0 or filters % groups:
            raise ValueError(
                f"`groups` must be a positive int dividing filters={filters}. "
                f"Received: groups={groups!r}")
        if any(s > 1 for s in self.strides) and any(d > 1 for d in self.dilation_rate):
            raise ValueError(
                "strides > 1 and dilation_rate > 1 cannot be combined. Received: "
                f"strides={self.strides}, dilation_rate={self.dilation_rate}")
        self.groups = groups
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self._act = None if self.activation is activations.linear else self.activation
        self._channels_last = self.data_format == "channels_last"
        # Symmetric 'same' padding with stride 1 lets the kernel pad for free.
        self._kernel_same = self.padding == "same" and all(s == 1 for s in self.strides) and all(
            ((k - 1) * d) % 2 == 0 for k, d in zip(self.kernel_size, self.dilation_rate))

    def _channel_axis(self, input_shape):
        return len(input_shape) - 1 if self._channels_last else 1

    def build(self, input_shape):
        check_rank(self, input_shape, self.rank)
        channels = input_shape[self._channel_axis(input_shape)]
        if channels is None:
            raise LayerCallError(
                f"The channel dimension of the input to {type(self).__name__} layer "
                f"'{self.name}' must be known. Received: input_shape={tuple(input_shape)}")
        if channels % self.groups:
            raise LayerCallError(
                f"{type(self).__name__} layer '{self.name}': the input's {channels} channels "
                f"do not divide into groups={self.groups}.")
        r = self.rank
        self.add_weight("kernel", self.kernel_size + (channels // self.groups, self.filters),
                        self.kernel_initializer, attr="weight",
                        layout=(r + 1, r) + tuple(range(r)))
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer)
        else:
            self.register_parameter("bias", None)

    def forward(self, inputs):
        x = to_channels_first(inputs, self.rank) if self._channels_last else inputs
        padding = 0
        if self._kernel_same:
            padding = "same"
        elif self.padding == "same":
            x = F.pad(x, tf_same_pads(x.shape[2:], self.kernel_size, self.strides,
                                      self.dilation_rate))
        elif self.padding == "causal":
            x = F.pad(x, ((self.kernel_size[0] - 1) * self.dilation_rate[0], 0))
        out = _CONV[self.rank](x, self.weight, self.bias, self.strides, padding,
                               self.dilation_rate, self.groups)
        if self._act is not None:
            out = self._act(out)
        return to_channels_last(out, self.rank) if self._channels_last else out

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.rank)
        axis = self._channel_axis(input_shape)
        if input_shape[axis] != self.weight.shape[1] * self.groups:
            raise ValueError(
                f"its kernel takes {self.weight.shape[1] * self.groups} input channels, but "
                f"the input has {input_shape[axis]}")
        spatial = input_shape[1:-1] if self._channels_last else input_shape[2:]
        out = tuple(conv_utils.output_length(n, k, self.padding, s, d) for n, k, s, d in zip(
            spatial, self.kernel_size, self.strides, self.dilation_rate))
        if any(o == 0 for o in out):
            raise ValueError(
                f"the kernel {self.kernel_size} (dilation {self.dilation_rate}) is larger than "
                f"the input's spatial size {tuple(spatial)} with padding='valid'")
        if self._channels_last:
            return (input_shape[0],) + out + (self.filters,)
        return (input_shape[0], self.filters) + out

    @property
    def kernel(self):
        """The kernel in Keras's layout `(*kernel_size, in_channels, filters)` (a view)."""
        r = self.rank
        return self.weight.permute(*range(2, r + 2), 1, 0)

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters, "kernel_size": list(self.kernel_size),
            "strides": list(self.strides), "padding": self.padding,
            "data_format": self.data_format, "dilation_rate": list(self.dilation_rate),
            "groups": self.groups, "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        })
        return config


@register_serializable(package="plait")
class Conv1D(Conv):
    """1-D convolution over `(batch, steps, channels)` -> `(batch, new_steps, filters)`."""
    rank = 1


@register_serializable(package="plait")
class Conv2D(Conv):
    """2-D convolution over `(batch, rows, cols, channels)` -> `(batch, new_rows, new_cols,
    filters)`.

        >>> x = Input(shape=(64, 64, 1))
        >>> Conv2D(32, kernel_size=4, activation='relu')(x).shape
        (None, 61, 61, 32)
    """
    rank = 2


@register_serializable(package="plait")
class Conv3D(Conv):
    """3-D convolution over `(batch, d1, d2, d3, channels)`."""
    rank = 3


Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
