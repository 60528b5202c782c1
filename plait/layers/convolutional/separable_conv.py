"""Depthwise-separable convolutions: `SeparableConv`, `SeparableConv1D`, `SeparableConv2D`
(a depthwise convolution, then a 1x1 pointwise one).
"""

from plait import initializers
from plait.layers.arguments import base_arguments, set_weight_arguments
from plait.layers.penalties import weight_penalty_config
from plait.layers.spatial import check_rank
from plait.serialization import register_serializable
from plait.utils.validation import check_filters as _check_filters
from plait.utils.validation import check_positive_int as _check_positive
from plait.layers.convolutional.base_conv import _BaseConv, _CONV
from plait.layers.convolutional.depthwise_conv import _add_depthwise_weight, _depthwise

__all__ = [
    "SeparableConv",
    "SeparableConv1D",
    "SeparableConv2D",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
]


class SeparableConv(_BaseConv):
    """N-D depthwise-separable convolution, the base of SeparableConv1D/2D: a depthwise
    convolution (see DepthwiseConv2D) followed by a 1x1 pointwise convolution to `filters`
    channels, then the bias and activation.

    Args:
        filters, kernel_size, strides, padding, data_format, dilation_rate,
        depth_multiplier, activation, use_bias: as for Conv and DepthwiseConv.
        depthwise_initializer, pointwise_initializer ('glorot_uniform'), bias_initializer;
        depthwise/pointwise/bias_regularizer, activity_regularizer,
        depthwise/pointwise/bias_constraint.

    Weights, in Keras's order and layout: `depthwise_kernel` `(*kernel_size, in_channels,
    depth_multiplier)`, `pointwise_kernel` `(1, ..., 1, in_channels * depth_multiplier,
    filters)`, `bias` `(filters,)`; stored as `depthwise_weight` `(in_channels,
    depth_multiplier, *kernel_size)` and `pointwise_weight` `(filters, in_channels *
    depth_multiplier, 1, ..., 1)`.
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        depth_multiplier=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(**base_arguments(_BaseConv, locals()), **kwargs)
        self.filters = _check_filters(filters)
        self.depth_multiplier = _check_positive(depth_multiplier, "depth_multiplier")
        set_weight_arguments(
            self, "depthwise", depthwise_initializer, depthwise_regularizer, depthwise_constraint
        )
        set_weight_arguments(
            self, "pointwise", pointwise_initializer, pointwise_regularizer, pointwise_constraint
        )

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        _add_depthwise_weight(self, channels)
        r = self.rank
        self.add_weight(
            "pointwise_kernel",
            (1,) * r + (channels * self.depth_multiplier, self.filters),
            self.pointwise_initializer,
            attr="pointwise_weight",
            layout=(r + 1, r) + tuple(range(r)),
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
        )
        self._add_bias(self.filters)

    def forward_channels_first(self, x):
        x, padding = self._padded(x)
        out = _depthwise(self, x, None, padding)
        out = _CONV[self.rank](out, self.pointwise_weight, self.bias)
        return self._finish(out)

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.rank)
        self._check_channels(input_shape, self.depthwise_weight.shape[0])
        return self._output_shape(input_shape, self.filters, self._conv_lengths(input_shape))

    @property
    def depthwise_kernel(self):
        """`(*kernel_size, in_channels, depth_multiplier)`, Keras's layout (a view)."""
        return self.depthwise_weight.permute(*range(2, self.rank + 2), 0, 1)

    @property
    def pointwise_kernel(self):
        """`(1, ..., 1, in_channels * depth_multiplier, filters)`, Keras's layout (a view)."""
        return self.pointwise_weight.permute(*range(2, self.rank + 2), 1, 0)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "depth_multiplier": self.depth_multiplier,
                "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            }
        )
        config.update(weight_penalty_config(self, ("depthwise", "pointwise", "bias")))
        return config


@register_serializable(package="plait")
class SeparableConv1D(SeparableConv):
    """Depthwise-separable 1-D convolution over `(batch, steps, channels)` ->
    `(batch, new_steps, filters)`.

    Args: as for `SeparableConv`.

        >>> from plait.layers import Input
        >>> SeparableConv1D(16, 3, padding="same")(Input(shape=(10, 4))).shape
        (None, 10, 16)
    """

    rank = 1


@register_serializable(package="plait")
class SeparableConv2D(SeparableConv):
    """Depthwise-separable 2-D convolution over `(batch, rows, cols, channels)`.

    >>> from plait.layers import Input
    >>> x = Input(shape=(32, 32, 3))
    >>> SeparableConv2D(16, 3, padding='same')(x).shape
    (None, 32, 32, 16)
    """

    rank = 2


SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
