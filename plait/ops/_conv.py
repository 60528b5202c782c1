"""Keras's convolution and pooling ops on channels-last data (`ops.conv`, `ops.max_pool`,
...), re-exported by `ops.nn`: kernels in Keras's layout, TensorFlow's 'same' padding."""

import math

import torch
import torch.nn.functional as F

from plait import config
from plait.ops._base import keras_op, tensor, to_float

__all__ = [
    "adaptive_average_pool",
    "adaptive_max_pool",
    "average_pool",
    "conv",
    "conv_transpose",
    "depth_to_space",
    "depthwise_conv",
    "max_pool",
    "separable_conv",
    "space_to_depth",
]


def _tuple(value, n):
    return (value,) * n if isinstance(value, int) else tuple(value)


def _channels_first(x, data_format):
    fmt = data_format or config.image_data_format()
    return x if fmt == "channels_first" else torch.movedim(x, -1, 1)


def _channels_back(x, data_format):
    fmt = data_format or config.image_data_format()
    return x if fmt == "channels_first" else torch.movedim(x, 1, -1)


def _same_pad(x, kernel, strides, dilation, value=0.0):
    """x (N, C, *spatial) padded as TensorFlow's 'same' does (the extra pixel after)."""
    pads = []
    for size, k, s, d in zip(x.shape[2:], kernel, strides, dilation):
        total = max((math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0)
        pads.append((total // 2, total - total // 2))
    flat = [p for pair in reversed(pads) for p in pair]
    return F.pad(x, flat, value=value), pads


_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _conv(x, kernel, strides, padding, data_format, dilation_rate, groups=1):
    x = _channels_first(to_float(x), data_format)
    n = x.ndim - 2
    kernel = tensor(kernel, x.dtype, like=x)
    weight = kernel.permute(n + 1, n, *range(n))  # (spatial, in, out) -> (out, in, spatial)
    strides, dilation = _tuple(strides, n), _tuple(dilation_rate, n)
    if padding.lower() == "same":
        x, _ = _same_pad(x, weight.shape[2:], strides, dilation)
    elif padding.lower() != "valid":
        raise ValueError(f"conv: padding must be 'valid' or 'same'. Received: padding={padding!r}")
    return _channels_back(_CONV[n](x, weight, None, strides, 0, dilation, groups), data_format)


@keras_op
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution (1-D, 2-D or 3-D, by the rank of `inputs`).

    Args:
        inputs: `(batch, *spatial, channels)` (channels-last) or `(batch, channels,
            *spatial)`.
        kernel: Keras's layout, `(*kernel_size, in_channels, out_channels)`; fewer input
            channels than `inputs` has make a grouped convolution.
        strides, dilation_rate: ints or tuples (default 1).
        padding: 'valid' (default) or 'same' (TensorFlow's: the extra pixel after).
        data_format: 'channels_last' or 'channels_first' (default: `image_data_format()`).

    Returns:
        `(batch, *new_spatial, out_channels)` (or channels-first).

    Raises:
        ValueError: `padding` is neither 'valid' nor 'same'.

        >>> from plait import ops
        >>> x = ops.reshape(ops.arange(16.0), (1, 4, 4, 1))
        >>> y = ops.conv(x, ops.ones((3, 3, 1, 1)))
        >>> y.shape
        torch.Size([1, 2, 2, 1])
        >>> y[0, :, :, 0]
        tensor([[45., 54.],
                [81., 90.]])
    """
    channels = tensor(inputs).shape[
        -1 if (data_format or config.image_data_format()) == "channels_last" else 1
    ]
    groups = channels // tensor(kernel).shape[-2]
    return _conv(inputs, kernel, strides, padding, data_format, dilation_rate, groups)


@keras_op
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Depthwise convolution: each input channel convolved with its own filters.

    Args:
        inputs: `(batch, *spatial, channels)` (or channels-first).
        kernel: `(*kernel_size, channels, multiplier)`.
        strides, padding, data_format, dilation_rate: as in `conv`.

    Returns:
        `(batch, *new_spatial, channels * multiplier)` (or channels-first).

        >>> from plait import ops
        >>> x = ops.ones((1, 3, 3, 2))
        >>> y = ops.depthwise_conv(x, ops.ones((2, 2, 2, 1)), padding="same")
        >>> y.shape
        torch.Size([1, 3, 3, 2])
        >>> y[0, :, :, 0]
        tensor([[4., 4., 2.],
                [4., 4., 2.],
                [2., 2., 1.]])
    """
    kernel = tensor(kernel)
    *space, c, m = kernel.shape
    return _conv(
        inputs,
        kernel.reshape(*space, 1, c * m),
        strides,
        padding,
        data_format,
        dilation_rate,
        groups=c,
    )


@keras_op
def separable_conv(
    inputs,
    depthwise_kernel,
    pointwise_kernel,
    strides=1,
    padding="valid",
    data_format=None,
    dilation_rate=1,
):
    """A depthwise convolution followed by a pointwise (1x1) one.

    Args:
        inputs: `(batch, *spatial, channels)` (or channels-first).
        depthwise_kernel: `(*kernel_size, channels, multiplier)`.
        pointwise_kernel: `(*ones, channels * multiplier, out_channels)`.
        strides, padding, data_format, dilation_rate: as in `conv` (for the depthwise step).

    Returns:
        `(batch, *new_spatial, out_channels)` (or channels-first).

        >>> from plait import ops
        >>> x = ops.ones((1, 3, 3, 2))
        >>> y = ops.separable_conv(x, ops.ones((2, 2, 2, 1)), ops.ones((1, 1, 2, 4)))
        >>> y.shape
        torch.Size([1, 2, 2, 4])
        >>> y[0, 0, 0]
        tensor([8., 8., 8., 8.])
    """
    out = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(out, pointwise_kernel, 1, "valid", data_format)


def _transpose_padding(weight, strides, dilation, padding, output_padding, n):
    """torch's (padding, output_padding) per spatial axis for Keras's `padding`."""
    pads, outs = [], []
    for i in range(n):
        k = (weight.shape[2 + i] - 1) * dilation[i] + 1
        extra = None if output_padding is None else _tuple(output_padding, n)[i]
        same = padding.lower() == "same"
        if extra is not None:
            pad, out_pad = (k // 2 if same else 0), extra
        elif not same:
            pad, out_pad = 0, max(strides[i] - k, 0)
        elif k >= strides[i]:  # TF's 'same': crop (k - s) // 2 before, the rest after
            pad, out_pad = (k - strides[i]) // 2, 0
        else:
            pad, out_pad = 0, strides[i] - k
        pads.append(pad)
        outs.append(out_pad)
    return pads, outs


@keras_op
def conv_transpose(
    inputs,
    kernel,
    strides=1,
    padding="valid",
    output_padding=None,
    data_format=None,
    dilation_rate=1,
):
    """Transposed convolution (the gradient of `conv`, an upsampling convolution).

    Args:
        inputs: `(batch, *spatial, in_channels)` (or channels-first).
        kernel: `(*kernel_size, out_channels, in_channels)`.
        strides, dilation_rate: ints or tuples (default 1).
        padding: 'valid' (default) or 'same' (then the output is `spatial * strides`).
        output_padding: None, or the extra size added after along each spatial axis.
        data_format: as in `conv`.

    Returns:
        `(batch, *new_spatial, out_channels)` (or channels-first).

        >>> from plait import ops
        >>> y = ops.conv_transpose(ops.ones((1, 2, 2, 1)), ops.ones((2, 2, 1, 1)), strides=2)
        >>> y.shape
        torch.Size([1, 4, 4, 1])
        >>> y[0, :, :, 0]
        tensor([[1., 1., 1., 1.],
                [1., 1., 1., 1.],
                [1., 1., 1., 1.],
                [1., 1., 1., 1.]])
    """
    x = _channels_first(to_float(inputs), data_format)
    n = x.ndim - 2
    kernel = tensor(kernel, x.dtype, like=x)
    weight = kernel.permute(n + 1, n, *range(n))  # -> (in, out, spatial)
    strides, dilation = _tuple(strides, n), _tuple(dilation_rate, n)
    pads, outs = _transpose_padding(weight, strides, dilation, padding, output_padding, n)
    out = _CONV_T[n](x, weight, None, strides, pads, outs, 1, dilation)
    if padding.lower() == "same" and output_padding is None:
        out = out[
            (slice(None), slice(None))
            + tuple(slice(0, x.shape[2 + i] * strides[i]) for i in range(n))
        ]
    return _channels_back(out, data_format)


_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


def _pool(kind, inputs, pool_size, strides, padding, data_format):
    x = _channels_first(to_float(inputs), data_format)
    n = x.ndim - 2
    pool_size = _tuple(pool_size, n)
    strides = pool_size if strides is None else _tuple(strides, n)
    if padding.lower() == "same":
        fill = float("-inf") if kind == "max" else 0.0
        padded, _ = _same_pad(x, pool_size, strides, (1,) * n, value=fill)
        if kind == "max":
            out = _MAX_POOL[n](padded, pool_size, strides)
        else:  # averages over the real pixels only, as TensorFlow's 'same' does
            ones, _ = _same_pad(torch.ones_like(x[:, :1]), pool_size, strides, (1,) * n)
            out = _AVG_POOL[n](padded, pool_size, strides) / _AVG_POOL[n](ones, pool_size, strides)
    else:
        fn = _MAX_POOL[n] if kind == "max" else _AVG_POOL[n]
        out = fn(x, pool_size, strides)
    return _channels_back(out, data_format)


_POOL_DOC = """{summary}

    Args:
        inputs: `(batch, *spatial, channels)` (or channels-first), 1 to 3 spatial axes.
        pool_size: an int or a tuple.
        strides: default the pool size.
        padding: 'valid' (default) or 'same'.
        data_format: as in `conv`.

    Returns:
        `(batch, *pooled_spatial, channels)` (or channels-first).

        >>> from plait import ops
        >>> x = ops.reshape(ops.arange(16.0), (1, 4, 4, 1))
        >>> ops.{name}(x, 2)[0, :, :, 0].tolist()
        {result}
    """


@keras_op
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool("max", inputs, pool_size, strides, padding, data_format)


@keras_op
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool("avg", inputs, pool_size, strides, padding, data_format)


max_pool.__doc__ = _POOL_DOC.format(
    summary="Max pooling over windows of `pool_size`.",
    name="max_pool",
    result="[[5.0, 7.0], [13.0, 15.0]]",
)
average_pool.__doc__ = _POOL_DOC.format(
    summary="""Average pooling over windows of `pool_size`.

    With 'same' padding a border window averages its real pixels only (TensorFlow's rule;
    Keras 3.15 on PyTorch agrees where the padding is even and repeats edge pixels where it
    is not).""",
    name="average_pool",
    result="[[2.5, 4.5], [10.5, 12.5]]",
)


def _adaptive(fns, name, kind, result):
    def op(inputs, output_size, data_format=None):
        x = _channels_first(to_float(inputs), data_format)
        n = x.ndim - 2
        return _channels_back(fns[n](x, _tuple(output_size, n)), data_format)

    op.__doc__ = f"""Adaptive {kind} pooling: windows sized so the output is `output_size`.

    Args:
        inputs: `(batch, *spatial, channels)` (or channels-first), 1 to 3 spatial axes.
        output_size: an int or a tuple, the pooled spatial size.
        data_format: as in `conv`.

    Returns:
        `(batch, *output_size, channels)` (or channels-first).

        >>> from plait import ops
        >>> x = ops.reshape(ops.arange(16.0), (1, 4, 4, 1))
        >>> ops.{name}(x, 2)[0, :, :, 0].tolist()
        {result}
    """
    return keras_op(op, name=name)


adaptive_average_pool = _adaptive(
    {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d},
    "adaptive_average_pool",
    "average",
    "[[2.5, 4.5], [10.5, 12.5]]",
)
adaptive_max_pool = _adaptive(
    {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d},
    "adaptive_max_pool",
    "max",
    "[[5.0, 7.0], [13.0, 15.0]]",
)


def _blocks_last(x, data_format):
    """`x` channels-last, and a function putting a result back in `data_format`."""
    first = data_format == "channels_first"
    x = tensor(x)
    return (x.permute(0, 2, 3, 1) if first else x), (
        lambda y: y.permute(0, 3, 1, 2) if first else y
    )


@keras_op
def depth_to_space(x, block_size, data_format="channels_last"):
    """Moves channel blocks into `block_size` x `block_size` spatial blocks (pixel shuffle).

    Args:
        x: `(batch, height, width, channels)` (or channels-first), `channels` divisible by
            `block_size ** 2`.
        block_size: the side of each block.
        data_format: 'channels_last' (default) or 'channels_first'.

    Returns:
        `(batch, height * block_size, width * block_size, channels / block_size ** 2)`.

        >>> from plait import ops
        >>> x = ops.reshape(ops.arange(4), (1, 1, 1, 4))
        >>> ops.depth_to_space(x, 2)[0, :, :, 0]
        tensor([[0, 1],
                [2, 3]], dtype=torch.int32)
    """
    x, back = _blocks_last(x, data_format)
    b, h, w, c = x.shape
    bs = block_size
    out = x.reshape(b, h, w, bs, bs, c // (bs * bs)).permute(0, 1, 3, 2, 4, 5)
    return back(out.reshape(b, h * bs, w * bs, c // (bs * bs)))


@keras_op
def space_to_depth(x, block_size, data_format="channels_last"):
    """Moves `block_size` x `block_size` spatial blocks into channels (the inverse of
    `depth_to_space`).

    Args:
        x: `(batch, height, width, channels)` (or channels-first), `height` and `width`
            divisible by `block_size`.
        block_size: the side of each block.
        data_format: 'channels_last' (default) or 'channels_first'.

    Returns:
        `(batch, height / block_size, width / block_size, channels * block_size ** 2)`.

        >>> from plait import ops
        >>> x = ops.reshape(ops.arange(4), (1, 2, 2, 1))
        >>> ops.space_to_depth(x, 2)
        tensor([[[[0, 1, 2, 3]]]], dtype=torch.int32)
    """
    x, back = _blocks_last(x, data_format)
    b, h, w, c = x.shape
    bs = block_size
    out = x.reshape(b, h // bs, bs, w // bs, bs, c).permute(0, 1, 3, 2, 4, 5)
    return back(out.reshape(b, h // bs, w // bs, bs * bs * c))
