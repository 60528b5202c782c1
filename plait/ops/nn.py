"""Keras's `ops.nn`: activations, convolution and pooling on channels-last data, attention,
normalizations and the crossentropies, each a thin layer over `torch.nn.functional`."""

import math

import torch
import torch.nn.functional as F

from plait import config
from plait.ops._base import keras_op, tensor, to_float, torch_dtype

__all__ = [  # noqa: F822 - the activations are defined from the table below
    "adaptive_average_pool",
    "adaptive_max_pool",
    "average_pool",
    "batch_normalization",
    "binary_crossentropy",
    "categorical_crossentropy",
    "celu",
    "conv",
    "conv_transpose",
    "ctc_loss",
    "depth_to_space",
    "depthwise_conv",
    "dot_product_attention",
    "elu",
    "gelu",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "layer_normalization",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "max_pool",
    "moments",
    "multi_hot",
    "normalize",
    "one_hot",
    "polar",
    "psnr",
    "relu",
    "relu6",
    "rms_normalization",
    "selu",
    "separable_conv",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "space_to_depth",
    "sparse_categorical_crossentropy",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh_shrink",
    "threshold",
]

# ------------------------------------------------------------------ activations

# Keras name -> function of a float tensor; extra keyword arguments pass through.
_ACTIVATIONS = {
    "relu": F.relu,
    "relu6": F.relu6,
    "sigmoid": torch.sigmoid,
    "softplus": F.softplus,
    "softsign": F.softsign,
    "silu": F.silu,
    "swish": F.silu,
    "log_sigmoid": F.logsigmoid,
    "hard_sigmoid": F.hardsigmoid,
    "hard_silu": F.hardswish,
    "hard_swish": F.hardswish,
    "selu": F.selu,
    "tanh_shrink": F.tanhshrink,
    "hard_tanh": F.hardtanh,
    "leaky_relu": lambda x, negative_slope=0.2: F.leaky_relu(x, negative_slope),
    "elu": lambda x, alpha=1.0: F.elu(x, alpha),
    "celu": lambda x, alpha=1.0: F.celu(x, alpha),
    "gelu": lambda x, approximate=True: F.gelu(x, approximate="tanh" if approximate else "none"),
    "glu": lambda x, axis=-1: F.glu(x, axis),
    "hard_shrink": lambda x, threshold=0.5: F.hardshrink(x, threshold),
    "soft_shrink": lambda x, threshold=0.5: F.softshrink(x, threshold),
    "threshold": lambda x, threshold, default_value: F.threshold(x, threshold, default_value),
    "squareplus": lambda x, b=4: (x + torch.sqrt(x * x + b)) / 2,
    "sparse_plus": lambda x: torch.where(
        x <= -1, torch.zeros_like(x), torch.where(x >= 1, x, (x + 1) ** 2 / 4)
    ),
    "sparse_sigmoid": lambda x: torch.clamp((x + 1) / 2, 0, 1),
}


_INT_OK = (F.relu, F.relu6, F.hardtanh)  # these keep an int input's dtype, as in Keras


def _activation(fn):
    def op(x, *args, **kwargs):
        x = tensor(x)
        return fn(x if fn in _INT_OK and x.dtype != torch.bool else to_float(x), *args, **kwargs)

    return op


for _name, _fn in _ACTIVATIONS.items():
    globals()[_name] = keras_op(_activation(_fn), name=_name)


def _over_axes(fn, x, axis):
    """`fn(x, dim)` over one axis or several (flattened together)."""
    if isinstance(axis, int):
        return fn(x, axis)
    axes = [a % x.ndim for a in (range(x.ndim) if axis is None else axis)]
    rest = [d for d in range(x.ndim) if d not in axes]
    moved = x.permute(*rest, *axes)
    out = fn(moved.reshape(*moved.shape[: len(rest)], -1), -1).reshape(moved.shape)
    return out.permute(*torch.argsort(torch.tensor(rest + axes)).tolist())


@keras_op
def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis` (an int or a tuple of axes)."""
    return _over_axes(lambda t, d: torch.softmax(t, d), to_float(x), axis)


@keras_op
def log_softmax(x, axis=-1):
    """log(softmax(x)) along `axis`, computed stably."""
    return _over_axes(lambda t, d: torch.log_softmax(t, d), to_float(x), axis)


@keras_op
def sparsemax(x, axis=-1):
    """The Euclidean projection of `x` onto the probability simplex along `axis`."""
    x = torch.movedim(to_float(x), axis, -1)
    z, _ = torch.sort(x, dim=-1, descending=True)
    k = torch.arange(1, x.shape[-1] + 1, dtype=x.dtype, device=x.device)
    cum = torch.cumsum(z, -1)
    support = (1 + k * z) > cum
    k_max = support.sum(-1, keepdim=True)
    tau = (torch.gather(cum, -1, k_max - 1) - 1) / k_max.to(x.dtype)
    return torch.movedim(torch.clamp(x - tau, min=0), -1, axis)


# ------------------------------------------------------------------ encodings, statistics


@keras_op
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Integer labels as one-hot vectors along `axis`; negative labels give all zeros."""
    x = tensor(x).long()
    out = F.one_hot(torch.clamp(x, min=0), num_classes) * (x >= 0).unsqueeze(-1)
    out = out.to(torch_dtype(dtype))
    return torch.movedim(out, -1, axis) if axis != -1 else out


@keras_op
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False):
    """Label sets (the last axis of `inputs`) as multi-hot vectors."""
    x = tensor(inputs)
    squeeze = x.ndim == 1
    if squeeze:
        x = x.unsqueeze(0)
    out = one_hot(x, num_classes, dtype=dtype).amax(dim=-2)
    out = out.squeeze(0) if squeeze else out
    return torch.movedim(out, -1, axis) if axis != -1 else out


@keras_op
def moments(x, axes, keepdims=False, synchronized=False):
    """The mean and variance of `x` over `axes`."""
    x = to_float(x)
    mean = torch.mean(x, dim=tuple(axes), keepdim=True)
    var = torch.mean(torch.square(x - mean), dim=tuple(axes), keepdim=keepdims)
    return (mean if keepdims else mean.squeeze(tuple(axes))), var


@keras_op
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """`(x - mean) / sqrt(variance + epsilon) * scale + offset`; the statistics are vectors
    along `axis`."""
    x = to_float(x)
    shape = [1] * x.ndim
    shape[axis] = -1

    def along(v):
        return tensor(v, x.dtype, like=x).reshape(shape)

    out = (x - along(mean)) * torch.rsqrt(along(variance) + epsilon)
    if scale is not None:
        out = out * along(scale)
    if offset is not None:
        out = out + along(offset)
    return out


@keras_op
def normalize(x, axis=-1, order=2, epsilon=None):
    """`x` divided by its `order`-norm along `axis`."""
    x = to_float(x)
    eps = config.epsilon() if epsilon is None else epsilon
    norm = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
    return x / torch.clamp(norm, min=eps)


@keras_op
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """Normalizes `x` over `axis` to zero mean and unit variance, then `* gamma + beta`."""
    x = to_float(x)
    eps = config.epsilon() if epsilon is None else epsilon
    dims = (axis,) if isinstance(axis, int) else tuple(axis)
    mean = x.mean(dim=dims, keepdim=True)
    var = (x - mean).square().mean(dim=dims, keepdim=True)
    out = (x - mean) * torch.rsqrt(var + eps)
    if gamma is not None:
        out = out * tensor(gamma, x.dtype, like=x)
    if beta is not None:
        out = out + tensor(beta, x.dtype, like=x)
    return out


@keras_op
def rms_normalization(x, scale=1, axis=-1, epsilon=None):
    """`x / sqrt(mean(x**2, axis) + epsilon) * scale`."""
    x = to_float(x)
    eps = config.epsilon() if epsilon is None else epsilon
    out = x * torch.rsqrt(x.square().mean(dim=axis, keepdim=True) + eps)
    return out * (scale if isinstance(scale, (int, float)) else tensor(scale, x.dtype, like=x))


@keras_op
def psnr(x1, x2, max_val):
    """The peak signal-to-noise ratio between two images, in dB."""
    a, b = to_float(x1), to_float(x2)
    mse = torch.mean(torch.square(a - b))
    return 20 * math.log10(max_val) - 10 * torch.log10(mse)


@keras_op
def polar(abs_, angle):
    """A complex tensor from magnitudes and angles."""
    return torch.polar(to_float(abs_), to_float(angle))


# ------------------------------------------------------------------ losses


def _clip_probs(x):
    eps = config.epsilon()
    return torch.clamp(x, eps, 1.0 - eps)


@keras_op
def binary_crossentropy(target, output, from_logits=False):
    """Element-wise binary crossentropy (no reduction)."""
    output = to_float(output)
    target = tensor(target, output.dtype, like=output)
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    p = _clip_probs(output)
    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p))


@keras_op
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Crossentropy of one-hot (or soft) `target` rows, reducing `axis`."""
    output = to_float(output)
    target = tensor(target, output.dtype, like=output)
    if target.shape != output.shape:
        raise ValueError(
            "categorical_crossentropy: target and output must have the same "
            f"shape. Received: target.shape={tuple(target.shape)}, "
            f"output.shape={tuple(output.shape)}"
        )
    if from_logits:
        return -(target * torch.log_softmax(output, axis)).sum(axis)
    output = output / output.sum(axis, keepdim=True)
    return -(target * torch.log(_clip_probs(output))).sum(axis)


@keras_op
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Crossentropy of integer `target` labels against `output` along `axis`."""
    output = to_float(output)
    labels = tensor(target, like=output).long()
    if labels.ndim == output.ndim and labels.shape[-1] == 1:
        labels = labels.squeeze(-1)
    onehot = F.one_hot(labels, output.shape[axis]).to(output.dtype)
    return categorical_crossentropy(torch.movedim(onehot, -1, axis), output, from_logits, axis)


@keras_op
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """The CTC loss per sample; `output` (batch, steps, classes) holds logits."""
    output = to_float(output)
    log_probs = torch.log_softmax(output, -1).transpose(0, 1)
    return F.ctc_loss(
        log_probs,
        tensor(target).long(),
        tensor(output_length).long(),
        tensor(target_length).long(),
        blank=mask_index,
        reduction="none",
        zero_infinity=False,
    )


# ------------------------------------------------------------------ convolution, pooling


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
    """N-D convolution; `kernel` in Keras layout (*kernel_size, in_channels, out_channels)."""
    channels = tensor(inputs).shape[
        -1 if (data_format or config.image_data_format()) == "channels_last" else 1
    ]
    groups = channels // tensor(kernel).shape[-2]
    return _conv(inputs, kernel, strides, padding, data_format, dilation_rate, groups)


@keras_op
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Depthwise convolution; `kernel` (*kernel_size, in_channels, multiplier)."""
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
    """A depthwise convolution followed by a pointwise (1x1) one."""
    out = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(out, pointwise_kernel, 1, "valid", data_format)


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
    """Transposed convolution; `kernel` (*kernel_size, out_channels, in_channels)."""
    x = _channels_first(to_float(inputs), data_format)
    n = x.ndim - 2
    kernel = tensor(kernel, x.dtype, like=x)
    weight = kernel.permute(n + 1, n, *range(n))  # -> (in, out, spatial)
    strides, dilation = _tuple(strides, n), _tuple(dilation_rate, n)
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


@keras_op
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling over windows of `pool_size` (strides default to the pool size)."""
    return _pool("max", inputs, pool_size, strides, padding, data_format)


@keras_op
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling; with 'same' padding a border window averages its real pixels only
    (TensorFlow's rule; Keras 3.15 on PyTorch agrees where the padding is even and repeats
    edge pixels where it is not)."""
    return _pool("avg", inputs, pool_size, strides, padding, data_format)


def _adaptive(fns):
    def op(inputs, output_size, data_format=None):
        x = _channels_first(to_float(inputs), data_format)
        n = x.ndim - 2
        return _channels_back(fns[n](x, _tuple(output_size, n)), data_format)

    return op


adaptive_average_pool = keras_op(
    _adaptive({1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}),
    name="adaptive_average_pool",
)
adaptive_max_pool = keras_op(
    _adaptive({1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}),
    name="adaptive_max_pool",
)


@keras_op
def depth_to_space(x, block_size, data_format="channels_last"):
    """Moves channel blocks into `block_size` x `block_size` spatial blocks."""
    x = tensor(x)
    first = data_format == "channels_first"
    x = x.permute(0, 2, 3, 1) if first else x
    b, h, w, c = x.shape
    bs = block_size
    out = x.reshape(b, h, w, bs, bs, c // (bs * bs)).permute(0, 1, 3, 2, 4, 5)
    out = out.reshape(b, h * bs, w * bs, c // (bs * bs))
    return out.permute(0, 3, 1, 2) if first else out


@keras_op
def space_to_depth(x, block_size, data_format="channels_last"):
    """Moves `block_size` x `block_size` spatial blocks into channels."""
    x = tensor(x)
    first = data_format == "channels_first"
    x = x.permute(0, 2, 3, 1) if first else x
    b, h, w, c = x.shape
    bs = block_size
    out = x.reshape(b, h // bs, bs, w // bs, bs, c).permute(0, 1, 3, 2, 4, 5)
    out = out.reshape(b, h // bs, w // bs, bs * bs * c)
    return out.permute(0, 3, 1, 2) if first else out


@keras_op
def dot_product_attention(
    query,
    key,
    value,
    bias=None,
    mask=None,
    scale=None,
    is_causal=False,
    flash_attention=None,
    attn_logits_soft_cap=None,
):
    """softmax(q k^T * scale + bias) v over (batch, steps, heads, head_dim) tensors."""
    q, k, v = (to_float(t) for t in (query, key, value))
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    logits = torch.einsum("btnh,bsnh->bnts", q, k) * scale
    if attn_logits_soft_cap is not None:
        logits = torch.tanh(logits / attn_logits_soft_cap) * attn_logits_soft_cap
    if bias is not None:
        logits = logits + tensor(bias, q.dtype, like=q)
    if is_causal:
        causal = torch.ones(logits.shape[-2:], dtype=torch.bool, device=q.device).tril()
        logits = logits.masked_fill(~causal, torch.finfo(q.dtype).min)
    if mask is not None:
        logits = logits.masked_fill(~tensor(mask, like=q).to(torch.bool), torch.finfo(q.dtype).min)
    return torch.einsum("bnts,bsnh->btnh", torch.softmax(logits, -1), v)
