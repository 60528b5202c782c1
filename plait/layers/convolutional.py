"""Convolutions over channels-last data: Conv1D/2D/3D, Conv1D/2D/3DTranspose,
SeparableConv1D/2D, DepthwiseConv1D/2D.

Inputs are `(batch, *spatial, channels)` as in Keras. Inside, the tensor is viewed as
PyTorch's `(batch, channels, *spatial)` by a permute, not a copy: a contiguous channels-last
tensor seen that way is PyTorch's channels_last memory format, which its kernels take as it is.
Weights are stored in PyTorch's layout; `get_weights` gives Keras's (see each class).
"""

import torch.nn.functional as F

from plait import activations, constraints, initializers, regularizers
from plait.layers.layer import Layer, LayerCallError
from plait.layers.penalties import set_activity_regularizer, weight_penalty_config
from plait.layers.spatial import check_rank, tf_same_pads, to_channels_first, to_channels_last
from plait.serialization import register_serializable
from plait.utils import conv_utils
from plait.utils.validation import check_filters as _check_filters
from plait.utils.validation import check_positive_int as _check_positive

__all__ = [
    "Conv",
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "ConvTranspose",
    "Convolution1D",
    "Convolution2D",
    "Convolution2DTranspose",
    "Convolution3D",
    "Convolution3DTranspose",
    "DepthwiseConv",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "SeparableConv",
    "SeparableConv1D",
    "SeparableConv2D",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
    "check_rank",
    "tf_same_pads",
    "to_channels_first",
    "to_channels_last",
]

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


class _BaseConv(Layer):
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
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
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
        if self._act is not None:
            out = self._act(out)
        return to_channels_last(out, self.rank) if self._channels_last else out

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
        super().__init__(
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            bias_initializer,
            bias_regularizer,
            activity_regularizer,
            bias_constraint,
            **kwargs,
        )
        self.filters = _check_filters(filters)
        if not isinstance(groups, int) or groups <= 0 or filters % groups:
            raise ValueError(
                f"`groups` must be a positive int dividing filters={filters}. "
                f"Received: groups={groups!r}"
            )
        self.groups = groups
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

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

    def forward(self, inputs):
        x = to_channels_first(inputs, self.rank) if self._channels_last else inputs
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


class ConvTranspose(_BaseConv):
    """N-D transposed convolution ("deconvolution"), the base of Conv1D/2D/3DTranspose:
    the gradient of a convolution with respect to its input, as TensorFlow computes it.

    Args:
        filters, kernel_size, strides, padding ('valid' or 'same'), data_format,
        dilation_rate, activation, use_bias, initializers, regularizers and constraints:
            as for Conv.
        output_padding: None (default) or an int or tuple: extra rows/columns added to the
            output's end, each smaller than its stride.

    Output length per axis (Keras's formula, `k` the dilated kernel size):
    'valid': `(n - 1) * stride + k + output_padding` with output_padding default
    `max(k, stride) - k`; 'same': `n * stride`, or `(n - 1) * stride + k % 2 +
    output_padding` when output_padding is given.

    Weights: `kernel` `(*kernel_size, filters, in_channels)` in Keras's layout, stored as
    PyTorch's `weight` `(in_channels, filters, *kernel_size)`; `bias` `(filters,)`.
    """

    causal = False

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=1,
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
        super().__init__(
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            bias_initializer,
            bias_regularizer,
            activity_regularizer,
            bias_constraint,
            **kwargs,
        )
        self.filters = _check_filters(filters)
        self.output_padding = (
            None if output_padding is None else _normalize_output_padding(output_padding, self.rank)
        )
        if self.output_padding is not None and any(
            p >= s for p, s in zip(self.output_padding, self.strides)
        ):
            raise ValueError(
                "Each output_padding must be smaller than its stride. Received: "
                f"strides={self.strides}, output_padding={self.output_padding}"
            )
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self._crops = [self._axis_crops(i) for i in range(self.rank)]
        self._torch_args = self._torch_padding()

    def _torch_padding(self):
        """PyTorch crops `padding` cells from both ends and adds `output_padding` (smaller
        than the stride) at the end; whatever more the end needs is sliced off afterwards
        (a view). Returns `(padding, output_padding, end_trims)`."""
        pads, extras, trims = [], [], []
        for (left, right), s in zip(self._crops, self.strides):
            # With output_padding < stride (checked), the end never grows by a stride or more.
            assert left - right < max(s, 1), (left, right, s)
            pads.append(left)
            extras.append(max(left - right, 0))
            trims.append(max(right - left, 0))
        return tuple(pads), tuple(extras), tuple(trims)

    def _axis_crops(self, i):
        """(cells cropped at the start, at the end; negative: added) of the full transposed
        convolution along spatial axis `i`: TensorFlow's (and JAX's) placement."""
        k = (self.kernel_size[i] - 1) * self.dilation_rate[i] + 1
        s = self.strides[i]
        out_pad = None if self.output_padding is None else self.output_padding[i]
        if self.padding == "valid":
            extra = max(k, s) - k if out_pad is None else out_pad
            left, right = k - 1, k - 1 + extra
        else:
            total = s + k - 2 if out_pad is None else k + k % 2 - 2 + out_pad
            left = min(total // 2 + total % 2, k - 1)
            right = total - left
        return k - 1 - left, k - 1 - right

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        r = self.rank
        self.add_weight(
            "kernel",
            self.kernel_size + (self.filters, channels),
            self.kernel_initializer,
            attr="weight",
            layout=(r + 1, r) + tuple(range(r)),
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self._add_bias(self.filters)

    def forward(self, inputs):
        x = to_channels_first(inputs, self.rank) if self._channels_last else inputs
        pads, extras, trims = self._torch_args
        out = _CONV_T[self.rank](
            x, self.weight, self.bias, self.strides, pads, extras, 1, self.dilation_rate
        )
        if any(trims):
            out = out[(Ellipsis,) + tuple(slice(0, n - t) for n, t in zip(out.shape[2:], trims))]
        return self._finish(out)

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.rank)
        self._check_channels(input_shape, self.weight.shape[0])
        lengths = []
        for n, k, s, d, (left, right) in zip(
            self._spatial(input_shape),
            self.kernel_size,
            self.strides,
            self.dilation_rate,
            self._crops,
        ):
            full = None if n is None else (n - 1) * s + (k - 1) * d + 1
            lengths.append(None if full is None else full - left - right)
        if any(n is not None and n < 1 for n in lengths):
            raise ValueError(
                f"its output would be empty (spatial size {tuple(lengths)}): with "
                f"padding='same' and output_padding={self.output_padding}, an input of "
                f"spatial size {tuple(self._spatial(input_shape))} leaves nothing. Use a "
                "larger output_padding or input"
            )
        return self._output_shape(input_shape, self.filters, lengths)

    @property
    def kernel(self):
        """The kernel in Keras's layout `(*kernel_size, filters, in_channels)` (a view)."""
        r = self.rank
        return self.weight.permute(*range(2, r + 2), 1, 0)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "output_padding": None
                if self.output_padding is None
                else list(self.output_padding),
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
            }
        )
        config.update(weight_penalty_config(self))
        return config


@register_serializable(package="plait")
class Conv1DTranspose(ConvTranspose):
    """Transposed 1-D convolution over `(batch, steps, channels)`.

    >>> x = Input(shape=(10, 4))
    >>> Conv1DTranspose(8, kernel_size=3, strides=2, padding='same')(x).shape
    (None, 20, 8)
    """

    rank = 1


@register_serializable(package="plait")
class Conv2DTranspose(ConvTranspose):
    """Transposed 2-D convolution over `(batch, rows, cols, channels)`.

    >>> x = Input(shape=(7, 7, 16))
    >>> Conv2DTranspose(8, kernel_size=3, strides=2)(x).shape
    (None, 15, 15, 8)
    """

    rank = 2


@register_serializable(package="plait")
class Conv3DTranspose(ConvTranspose):
    """Transposed 3-D convolution over `(batch, d1, d2, d3, channels)`."""

    rank = 3


Convolution2DTranspose, Convolution3DTranspose = Conv2DTranspose, Conv3DTranspose


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
        super().__init__(
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            bias_initializer,
            bias_regularizer,
            activity_regularizer,
            bias_constraint,
            **kwargs,
        )
        self.depth_multiplier = _check_positive(depth_multiplier, "depth_multiplier")
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        _add_depthwise_weight(self, channels)
        self._add_bias(channels * self.depth_multiplier)

    def forward(self, inputs):
        x = to_channels_first(inputs, self.rank) if self._channels_last else inputs
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
    """Depthwise 1-D convolution over `(batch, steps, channels)`."""

    rank = 1


@register_serializable(package="plait")
class DepthwiseConv2D(DepthwiseConv):
    """Depthwise 2-D convolution over `(batch, rows, cols, channels)` ->
    `(batch, new_rows, new_cols, channels * depth_multiplier)`.

        >>> x = Input(shape=(32, 32, 3))
        >>> DepthwiseConv2D(3, depth_multiplier=2, padding='same')(x).shape
        (None, 32, 32, 6)
    """

    rank = 2


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
        super().__init__(
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            bias_initializer,
            bias_regularizer,
            activity_regularizer,
            bias_constraint,
            **kwargs,
        )
        self.filters = _check_filters(filters)
        self.depth_multiplier = _check_positive(depth_multiplier, "depth_multiplier")
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

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

    def forward(self, inputs):
        x = to_channels_first(inputs, self.rank) if self._channels_last else inputs
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
    """Depthwise-separable 1-D convolution over `(batch, steps, channels)`."""

    rank = 1


@register_serializable(package="plait")
class SeparableConv2D(SeparableConv):
    """Depthwise-separable 2-D convolution over `(batch, rows, cols, channels)`.

    >>> x = Input(shape=(32, 32, 3))
    >>> SeparableConv2D(16, 3, padding='same')(x).shape
    (None, 32, 32, 16)
    """

    rank = 2


SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D


def _normalize_output_padding(value, rank):
    values = (value,) * rank if isinstance(value, int) else tuple(value)
    if len(values) != rank or not all(isinstance(v, int) and v >= 0 for v in values):
        raise ValueError(
            f"`output_padding` must be a non-negative int or a tuple of {rank} of them. "
            f"Received: output_padding={value!r}"
        )
    return values


# Keras 2 kept these in `keras.layers.convolutional`; old programs import them from here. They are
# looked up in plait.layers when asked for (a family module imports no other family).
_KERAS2_NAMES = (
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
)


def __getattr__(name):
    if name in _KERAS2_NAMES:
        import plait.layers

        return getattr(plait.layers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
