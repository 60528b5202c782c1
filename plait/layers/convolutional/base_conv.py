"""The convolutions' shared base (`_BaseConv`: arguments, weights, padding) and the plain
convolutions `Conv`, `Conv1D`, `Conv2D`, `Conv3D`.
"""

import torch.nn.functional as F

from plait import activations, initializers
from plait.layers.layer import Layer, LayerCallError
from plait.layers.arguments import base_arguments, set_weight_arguments
from plait.layers.penalties import set_activity_regularizer, weight_penalty_config
from plait.layers.spatial import ChannelsFirstForward, check_rank, tf_same_pads
from plait.serialization import register_serializable
from plait.utils import conv_utils
from plait.utils.validation import check_filters as _check_filters

__all__ = ["Conv", "Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D"]


_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


class _BaseConv(ChannelsFirstForward, Layer):
    """What every convolution shares: kernel geometry, padding, data format, activation,
    bias, regularizers and constraints. Subclasses create the kernels in `build`."""

    rank: int | None = None
    causal = True  # whether a 1-D one takes padding='causal'

    def __init__(
        self,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        bias_initializer="zeros",
        bias_regularizer=None,
        activity_regularizer=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.kernel_size = conv_utils.normalize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = conv_utils.normalize_tuple(strides, self.rank, "strides")
        allowed = (
            ("valid", "same", "causal") if self.rank == 1 and self.causal else ("valid", "same")
        )
        self.padding = conv_utils.normalize_padding(padding, allowed)
        self.data_format = conv_utils.normalize_data_format(data_format)
        self.dilation_rate = conv_utils.normalize_tuple(dilation_rate, self.rank, "dilation_rate")
        if any(s > 1 for s in self.strides) and any(d > 1 for d in self.dilation_rate):
            raise ValueError(
                "strides > 1 and dilation_rate > 1 cannot be combined. Received: "
                f"strides={self.strides}, dilation_rate={self.dilation_rate}"
            )
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        set_weight_arguments(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        set_activity_regularizer(self, activity_regularizer)
        self._act = activations.compute_function(self.activation)
        self._channels_last = self.data_format == "channels_last"
        # Symmetric 'same' padding with stride 1 lets the kernel pad for free.
        self._kernel_same = (
            self.padding == "same"
            and all(s == 1 for s in self.strides)
            and all(((k - 1) * d) % 2 == 0 for k, d in zip(self.kernel_size, self.dilation_rate))
        )

    def _channel_axis(self, input_shape):
        return len(input_shape) - 1 if self._channels_last else 1

    def _input_channels(self, input_shape):
        check_rank(self, input_shape, self.rank)
        channels = input_shape[self._channel_axis(input_shape)]
        if channels is None:
            raise LayerCallError(
                f"The channel dimension of the input to {type(self).__name__} layer "
                f"'{self.name}' must be known. Received: input_shape={tuple(input_shape)}"
            )
        return channels

    def _add_bias(self, size):
        if self.use_bias:
            self.add_weight(
                "bias",
                (size,),
                self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.register_parameter("bias", None)

    def _padded(self, x):
        """`(x, padding)` for a forward convolution of channels-first `x`."""
        if self._kernel_same:
            return x, "same"
        if self.padding == "same":
            return F.pad(
                x, tf_same_pads(x.shape[2:], self.kernel_size, self.strides, self.dilation_rate)
            ), 0
        if self.padding == "causal":
            return F.pad(x, ((self.kernel_size[0] - 1) * self.dilation_rate[0], 0)), 0
        return x, 0

    def _finish(self, out):
        return out if self._act is None else self._act(out)

    def _check_channels(self, input_shape, expected):
        axis = self._channel_axis(input_shape)
        if input_shape[axis] != expected:
            raise ValueError(
                f"its kernel takes {expected} input channels, but the input has {input_shape[axis]}"
            )

    def _output_shape(self, input_shape, out_channels, lengths):
        if self._channels_last:
            return (input_shape[0],) + tuple(lengths) + (out_channels,)
        return (input_shape[0], out_channels) + tuple(lengths)

    def _spatial(self, input_shape):
        return input_shape[1:-1] if self._channels_last else input_shape[2:]

    def _conv_lengths(self, input_shape):
        spatial = self._spatial(input_shape)
        out = tuple(
            conv_utils.output_length(n, k, self.padding, s, d)
            for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        )
        if any(o == 0 for o in out):
            raise ValueError(
                f"the kernel {self.kernel_size} (dilation {self.dilation_rate}) is larger than "
                f"the input's spatial size {tuple(spatial)} with padding='valid'"
            )
        return out

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "kernel_size": list(self.kernel_size),
                "strides": list(self.strides),
                "padding": self.padding,
                "data_format": self.data_format,
                "dilation_rate": list(self.dilation_rate),
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "bias_initializer": initializers.serialize(self.bias_initializer),
            }
        )
        return config


class Conv(_BaseConv):
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
        kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
        bias_constraint: see Dense.

    Weights: `kernel` `(*kernel_size, in_channels // groups, filters)` in Keras's layout,
    stored as PyTorch's `weight` `(filters, in_channels // groups, *kernel_size)`; `bias`.
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        groups=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(**base_arguments(_BaseConv, locals()), **kwargs)
        self.filters = _check_filters(filters)
        if not isinstance(groups, int) or groups <= 0 or filters % groups:
            raise ValueError(
                f"`groups` must be a positive int dividing filters={filters}. "
                f"Received: groups={groups!r}"
            )
        self.groups = groups
        set_weight_arguments(
            self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint
        )

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise LayerCallError(
                f"{type(self).__name__} layer '{self.name}': the input's {channels} channels "
                f"do not divide into groups={self.groups}."
            )
        r = self.rank
        self.add_weight(
            "kernel",
            self.kernel_size + (channels // self.groups, self.filters),
            self.kernel_initializer,
            attr="weight",
            layout=(r + 1, r) + tuple(range(r)),
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self._add_bias(self.filters)

    def forward_channels_first(self, x):
        x, padding = self._padded(x)
        out = _CONV[self.rank](
            x, self.weight, self.bias, self.strides, padding, self.dilation_rate, self.groups
        )
        return self._finish(out)

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.rank)
        self._check_channels(input_shape, self.weight.shape[1] * self.groups)
        return self._output_shape(input_shape, self.filters, self._conv_lengths(input_shape))

    @property
    def kernel(self):
        """The kernel in Keras's layout `(*kernel_size, in_channels, filters)` (a view)."""
        r = self.rank
        return self.weight.permute(*range(2, r + 2), 1, 0)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "groups": self.groups,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
            }
        )
        config.update(weight_penalty_config(self))
        return config


@register_serializable(package="plait")
class Conv1D(Conv):
    """1-D convolution over `(batch, steps, channels)` -> `(batch, new_steps, filters)`.

    Args: as for `Conv` (padding may also be 'causal': only past steps are seen).

        >>> from plait.layers import Input
        >>> Conv1D(16, 3)(Input(shape=(10, 4))).shape
        (None, 8, 16)
        >>> Conv1D(16, 3, padding="causal")(Input(shape=(10, 4))).shape
        (None, 10, 16)
    """

    rank = 1


@register_serializable(package="plait")
class Conv2D(Conv):
    """2-D convolution over `(batch, rows, cols, channels)` -> `(batch, new_rows, new_cols,
    filters)`.

    Args: as for `Conv`.

        >>> from plait.layers import Input
        >>> x = Input(shape=(64, 64, 1))
        >>> Conv2D(32, kernel_size=4, activation='relu')(x).shape
        (None, 61, 61, 32)
    """

    rank = 2


@register_serializable(package="plait")
class Conv3D(Conv):
    """3-D convolution over `(batch, d1, d2, d3, channels)` ->
    `(batch, new_d1, new_d2, new_d3, filters)`.

    Args: as for `Conv`.

        >>> from plait.layers import Input
        >>> Conv3D(8, 3, strides=2, padding="same")(Input(shape=(16, 16, 16, 1))).shape
        (None, 8, 8, 8, 8)
    """

    rank = 3


Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
