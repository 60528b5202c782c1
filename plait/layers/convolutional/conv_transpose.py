"""Transposed convolutions: `ConvTranspose`, `Conv1DTranspose`, `Conv2DTranspose`,
`Conv3DTranspose`, with TensorFlow's output shapes and `output_padding`.
"""

from plait import initializers
from plait.layers.arguments import base_arguments, set_weight_arguments
from plait.layers.penalties import weight_penalty_config
from plait.layers.spatial import check_rank
from plait.serialization import register_serializable
from plait.utils.validation import check_filters as _check_filters
from plait.layers.convolutional.base_conv import _BaseConv, _CONV_T

__all__ = [
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "ConvTranspose",
    "Convolution2DTranspose",
    "Convolution3DTranspose",
]


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
        super().__init__(**base_arguments(_BaseConv, locals()), **kwargs)
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
        set_weight_arguments(
            self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint
        )
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

    def forward_channels_first(self, x):
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

    >>> from plait.layers import Input
    >>> x = Input(shape=(10, 4))
    >>> Conv1DTranspose(8, kernel_size=3, strides=2, padding='same')(x).shape
    (None, 20, 8)
    """

    rank = 1


@register_serializable(package="plait")
class Conv2DTranspose(ConvTranspose):
    """Transposed 2-D convolution over `(batch, rows, cols, channels)`.

    >>> from plait.layers import Input
    >>> x = Input(shape=(7, 7, 16))
    >>> Conv2DTranspose(8, kernel_size=3, strides=2)(x).shape
    (None, 15, 15, 8)
    """

    rank = 2


@register_serializable(package="plait")
class Conv3DTranspose(ConvTranspose):
    """Transposed 3-D convolution over `(batch, d1, d2, d3, channels)`.

    Args: as for `ConvTranspose`.

        >>> from plait.layers import Input
        >>> Conv3DTranspose(4, 3, strides=2, padding="same")(Input(shape=(4, 4, 4, 2))).shape
        (None, 8, 8, 8, 4)
    """

    rank = 3


Convolution2DTranspose, Convolution3DTranspose = Conv2DTranspose, Conv3DTranspose


def _normalize_output_padding(value, rank):
    values = (value,) * rank if isinstance(value, int) else tuple(value)
    if len(values) != rank or not all(isinstance(v, int) and v >= 0 for v in values):
        raise ValueError(
            f"`output_padding` must be a non-negative int or a tuple of {rank} of them. "
            f"Received: output_padding={value!r}"
        )
    return values
