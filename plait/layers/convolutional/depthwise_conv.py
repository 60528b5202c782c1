"""Depthwise convolutions: `DepthwiseConv`, `DepthwiseConv1D`, `DepthwiseConv2D` (each input
channel convolved with its own `depth_multiplier` filters).
"""

from plait import initializers
from plait.layers.arguments import base_arguments, set_weight_arguments
from plait.layers.penalties import weight_penalty_config
from plait.layers.spatial import check_rank
from plait.serialization import register_serializable
from plait.utils.validation import check_positive_int as _check_positive
from plait.layers.convolutional.base_conv import _BaseConv, _CONV

__all__ = ["DepthwiseConv", "DepthwiseConv1D", "DepthwiseConv2D"]


class DepthwiseConv(_BaseConv):
    """N-D depthwise convolution, the base of DepthwiseConv1D/2D: each input channel is
    convolved with its own `depth_multiplier` filters; output channel `c * depth_multiplier
    + m` comes from input channel `c` (TensorFlow's order).

    Args:
        kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
        bias_initializer: as for Conv.
        depth_multiplier: filters per input channel (default 1).
        depthwise_initializer ('glorot_uniform'), depthwise_regularizer,
        depthwise_constraint, bias_regularizer, bias_constraint, activity_regularizer.

    Weights: `depthwise_kernel` `(*kernel_size, in_channels, depth_multiplier)` in Keras's
    layout, stored as `depthwise_weight` `(in_channels, depth_multiplier, *kernel_size)`
    (viewed as PyTorch's grouped `(in_channels * depth_multiplier, 1, *kernel_size)`);
    `bias` `(in_channels * depth_multiplier,)`.
    """

    def __init__(
        self,
        kernel_size,
        strides=1,
        padding="valid",
        depth_multiplier=1,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(**base_arguments(_BaseConv, locals()), **kwargs)
        self.depth_multiplier = _check_positive(depth_multiplier, "depth_multiplier")
        set_weight_arguments(
            self, "depthwise", depthwise_initializer, depthwise_regularizer, depthwise_constraint
        )

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        _add_depthwise_weight(self, channels)
        self._add_bias(channels * self.depth_multiplier)

    def forward_channels_first(self, x):
        x, padding = self._padded(x)
        out = _depthwise(self, x, self.bias, padding)
        return self._finish(out)

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.rank)
        channels = self.depthwise_weight.shape[0]
        self._check_channels(input_shape, channels)
        return self._output_shape(
            input_shape, channels * self.depth_multiplier, self._conv_lengths(input_shape)
        )

    @property
    def depthwise_kernel(self):
        """`(*kernel_size, in_channels, depth_multiplier)`, Keras's layout (a view)."""
        return self.depthwise_weight.permute(*range(2, self.rank + 2), 0, 1)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "depth_multiplier": self.depth_multiplier,
                "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            }
        )
        config.update(weight_penalty_config(self, ("depthwise", "bias")))
        return config


def _add_depthwise_weight(layer, channels):
    r = layer.rank
    layer.add_weight(
        "depthwise_kernel",
        layer.kernel_size + (channels, layer.depth_multiplier),
        layer.depthwise_initializer,
        attr="depthwise_weight",
        layout=(r, r + 1) + tuple(range(r)),
        regularizer=layer.depthwise_regularizer,
        constraint=layer.depthwise_constraint,
    )


def _depthwise(layer, x, bias, padding):
    weight = layer.depthwise_weight
    grouped = weight.reshape((weight.shape[0] * weight.shape[1], 1) + tuple(weight.shape[2:]))
    return _CONV[layer.rank](
        x, grouped, bias, layer.strides, padding, layer.dilation_rate, weight.shape[0]
    )


@register_serializable(package="plait")
class DepthwiseConv1D(DepthwiseConv):
    """Depthwise 1-D convolution over `(batch, steps, channels)` ->
    `(batch, new_steps, channels * depth_multiplier)`.

    Args: as for `DepthwiseConv`.

        >>> from plait.layers import Input
        >>> DepthwiseConv1D(3, depth_multiplier=2)(Input(shape=(10, 4))).shape
        (None, 8, 8)
    """

    rank = 1


@register_serializable(package="plait")
class DepthwiseConv2D(DepthwiseConv):
    """Depthwise 2-D convolution over `(batch, rows, cols, channels)` ->
    `(batch, new_rows, new_cols, channels * depth_multiplier)`.

        >>> from plait.layers import Input
        >>> x = Input(shape=(32, 32, 3))
        >>> DepthwiseConv2D(3, depth_multiplier=2, padding='same')(x).shape
        (None, 32, 32, 6)
    """

    rank = 2
