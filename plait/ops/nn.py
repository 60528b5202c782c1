"""Keras's `ops.nn`: activations (`_activations.py`), convolution and pooling on
channels-last data (`_conv.py`), and here encodings, normalizations, the crossentropies and
attention, each a thin layer over `torch.nn.functional`."""

import math

import torch
import torch.nn.functional as F

from plait import config
from plait.ops import _activations, _conv
from plait.ops._activations import *  # noqa: F403
from plait.ops._base import keras_op, tensor, to_float, torch_dtype
from plait.ops._conv import *  # noqa: F403

__all__ = sorted(  # noqa: PLE0605
    set(_activations.__all__)
    | set(_conv.__all__)
    | {
        "batch_normalization",
        "binary_crossentropy",
        "categorical_crossentropy",
        "ctc_loss",
        "dot_product_attention",
        "layer_normalization",
        "moments",
        "multi_hot",
        "normalize",
        "one_hot",
        "polar",
        "psnr",
        "rms_normalization",
        "sparse_categorical_crossentropy",
    }
)

# ------------------------------------------------------------------ encodings, statistics


@keras_op
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Integer labels as one-hot vectors along `axis`; negative labels give all zeros.

    Args:
        x: integer labels, any shape.
        num_classes: the length of each one-hot vector.
        axis: where the new axis goes (default -1, last).
        dtype: default floatx.
        sparse: accepted for Keras's signature; the result is dense.

    Returns:
        A tensor of `x`'s shape with a new axis of `num_classes` at `axis`.

        >>> from plait import ops
        >>> ops.one_hot([0, 2, -1], 3)
        tensor([[1., 0., 0.],
                [0., 0., 1.],
                [0., 0., 0.]])
    """
    x = tensor(x).long()
    out = F.one_hot(torch.clamp(x, min=0), num_classes) * (x >= 0).unsqueeze(-1)
    out = out.to(torch_dtype(dtype))
    return torch.movedim(out, -1, axis) if axis != -1 else out


@keras_op
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False):
    """Label sets (along the last axis of `inputs`) as multi-hot vectors.

    Args:
        inputs: integer labels, `(labels,)` or `(batch, labels)`.
        num_classes: the length of each multi-hot vector.
        axis: where the class axis goes (default -1).
        dtype: default floatx.
        sparse: accepted for Keras's signature; the result is dense.

    Returns:
        `(num_classes,)` or `(batch, num_classes)`: 1 where a class occurs.

        >>> from plait import ops
        >>> ops.multi_hot([[0, 2], [1, 1]], 3)
        tensor([[1., 0., 1.],
                [0., 1., 0.]])
    """
    x = tensor(inputs)
    squeeze = x.ndim == 1
    if squeeze:
        x = x.unsqueeze(0)
    out = one_hot(x, num_classes, dtype=dtype).amax(dim=-2)
    out = out.squeeze(0) if squeeze else out
    return torch.movedim(out, -1, axis) if axis != -1 else out


@keras_op
def moments(x, axes, keepdims=False, synchronized=False):
    """The mean and (biased) variance of `x` over `axes`.

    Args:
        x: input tensor (ints are computed in floatx).
        axes: a list of axes to reduce.
        keepdims: keep the reduced axes with size 1 (default False).
        synchronized: accepted for Keras's signature (one process: no effect).

    Returns:
        `(mean, variance)`, each `x`'s shape without `axes`.

        >>> from plait import ops
        >>> ops.moments([[1.0, 2.0], [3.0, 6.0]], axes=[0])
        (tensor([2., 4.]), tensor([1., 4.]))
    """
    x = to_float(x)
    mean = torch.mean(x, dim=tuple(axes), keepdim=True)
    var = torch.mean(torch.square(x - mean), dim=tuple(axes), keepdim=keepdims)
    return (mean if keepdims else mean.squeeze(tuple(axes))), var


@keras_op
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """`(x - mean) / sqrt(variance + epsilon) * scale + offset`, with given statistics.

    Args:
        x: input tensor.
        mean, variance: vectors along `axis`.
        axis: the axis the statistics run along (the channels).
        offset, scale: None, or vectors along `axis`.
        epsilon: added to the variance (default 1e-3).

    Returns:
        A tensor of `x`'s shape.

        >>> from plait import ops
        >>> x = [[1.0, 10.0], [3.0, 30.0]]
        >>> ops.batch_normalization(x, [2.0, 20.0], [1.0, 100.0], axis=-1, epsilon=0.0)
        tensor([[-1., -1.],
                [ 1.,  1.]])
    """
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
    """`x` divided by its `order`-norm along `axis`.

    Args:
        x: input tensor.
        axis: default -1.
        order: the norm's order (default 2).
        epsilon: the smallest norm divided by (default `config.epsilon()`).

    Returns:
        A tensor of `x`'s shape.

        >>> from plait import ops
        >>> ops.normalize([[3.0, 4.0]])
        tensor([[0.6000, 0.8000]])
    """
    x = to_float(x)
    eps = config.epsilon() if epsilon is None else epsilon
    norm = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
    return x / torch.clamp(norm, min=eps)


@keras_op
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """`x` normalized over `axis` to zero mean and unit variance, then `* gamma + beta`.

    Args:
        x: input tensor.
        gamma, beta: None, or tensors broadcasting against `x`.
        axis: an int or a tuple of axes (default -1).
        epsilon: added to the variance (default `config.epsilon()`).

    Returns:
        A tensor of `x`'s shape.

        >>> from plait import ops
        >>> x = ops.convert_to_tensor([[1.0, 3.0]])
        >>> ops.layer_normalization(x, epsilon=0.0)
        tensor([[-1.,  1.]])
    """
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
    """`x / sqrt(mean(x ** 2, axis) + epsilon) * scale`.

    Args:
        x: input tensor.
        scale: a number or a tensor broadcasting against `x` (default 1).
        axis: default -1.
        epsilon: default `config.epsilon()`.

    Returns:
        A tensor of `x`'s shape.

        >>> from plait import ops
        >>> x = ops.convert_to_tensor([[3.0, 4.0, 0.0, 0.0]])
        >>> ops.rms_normalization(x, epsilon=0.0)
        tensor([[1.2000, 1.6000, 0.0000, 0.0000]])
    """
    x = to_float(x)
    eps = config.epsilon() if epsilon is None else epsilon
    out = x * torch.rsqrt(x.square().mean(dim=axis, keepdim=True) + eps)
    return out * (scale if isinstance(scale, (int, float)) else tensor(scale, x.dtype, like=x))


@keras_op
def psnr(x1, x2, max_val):
    """The peak signal-to-noise ratio between two images, in dB:
    `20 log10(max_val) - 10 log10(mean((x1 - x2) ** 2))`.

    Args:
        x1, x2: images of one shape.
        max_val: the largest possible pixel value (e.g. 1.0 or 255).

    Returns:
        A scalar tensor.

        >>> from plait import ops
        >>> x1 = ops.convert_to_tensor([0.0, 0.5, 1.0])
        >>> x2 = ops.convert_to_tensor([0.0, 0.4, 1.0])
        >>> ops.psnr(x1, x2, max_val=1.0)
        tensor(24.7712)
    """
    a, b = to_float(x1), to_float(x2)
    mse = torch.mean(torch.square(a - b))
    return 20 * math.log10(max_val) - 10 * torch.log10(mse)


@keras_op
def polar(abs_, angle):
    """A complex tensor from magnitudes and angles: `abs_ * (cos(angle) + 1j sin(angle))`.

    Args:
        abs_: the magnitudes.
        angle: the angles in radians, of `abs_`'s shape.

    Returns:
        A complex tensor of that shape.

        >>> from plait import ops
        >>> ops.polar([2.0], [0.0])
        tensor([2.+0.j])
    """
    return torch.polar(to_float(abs_), to_float(angle))


# ------------------------------------------------------------------ losses


def _clip_probs(x):
    eps = config.epsilon()
    return torch.clamp(x, eps, 1.0 - eps)


@keras_op
def binary_crossentropy(target, output, from_logits=False):
    """Element-wise binary crossentropy (no reduction).

    Args:
        target: labels in [0, 1].
        output: probabilities (clipped to [epsilon, 1 - epsilon]), or logits.
        from_logits: whether `output` holds logits (default False).

    Returns:
        A tensor of `output`'s shape.

        >>> from plait import ops
        >>> ops.binary_crossentropy([1.0, 0.0], [0.9, 0.2])
        tensor([0.1054, 0.2231])
    """
    output = to_float(output)
    target = tensor(target, output.dtype, like=output)
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    p = _clip_probs(output)
    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p))


@keras_op
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Crossentropy of one-hot (or soft) `target` rows against `output`, reducing `axis`.

    Args:
        target: one-hot or soft labels, of `output`'s shape.
        output: probabilities (normalized to sum 1 along `axis`, then clipped), or logits.
        from_logits: whether `output` holds logits (default False).
        axis: the class axis (default -1).

    Returns:
        `output`'s shape without `axis`.

    Raises:
        ValueError: `target` and `output` differ in shape.

        >>> from plait import ops
        >>> ops.categorical_crossentropy([[0.0, 1.0]], [[0.2, 0.8]])
        tensor([0.2231])
    """
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
    """Crossentropy of integer `target` labels against `output` along `axis`.

    Args:
        target: integer labels, `output`'s shape without `axis` (or with a last axis of 1).
        output: probabilities, or logits.
        from_logits: whether `output` holds logits (default False).
        axis: the class axis (default -1).

    Returns:
        `output`'s shape without `axis`.

        >>> from plait import ops
        >>> ops.sparse_categorical_crossentropy([1], [[0.2, 0.8]])
        tensor([0.2231])
    """
    output = to_float(output)
    labels = tensor(target, like=output).long()
    if labels.ndim == output.ndim and labels.shape[-1] == 1:
        labels = labels.squeeze(-1)
    onehot = F.one_hot(labels, output.shape[axis]).to(output.dtype)
    return categorical_crossentropy(torch.movedim(onehot, -1, axis), output, from_logits, axis)


@keras_op
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """The connectionist temporal classification loss per sample.

    Args:
        target: `(batch, max_label_length)` integer labels.
        output: `(batch, steps, classes)` logits.
        target_length: `(batch,)` the labels' lengths.
        output_length: `(batch,)` the outputs' lengths.
        mask_index: the blank class (default 0).

    Returns:
        `(batch,)` losses.

        >>> from plait import ops
        >>> logits = ops.zeros((1, 2, 3))
        >>> ops.ctc_loss([[1]], logits, [1], [2])
        tensor([1.0986])
    """
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


# ------------------------------------------------------------------ attention


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
    """Scaled dot-product attention: `softmax(query key^T * scale + bias) value`.

    Args:
        query: `(batch, target_steps, heads, head_dim)`.
        key, value: `(batch, source_steps, heads, head_dim)`.
        bias: None, or logits added, broadcasting to `(batch, heads, target, source)`.
        mask: None, or booleans of that shape: False positions are not attended.
        scale: default `1 / sqrt(head_dim)`.
        is_causal: mask future positions (default False).
        flash_attention: accepted for Keras's signature (no effect).
        attn_logits_soft_cap: None, or the cap `c` of `tanh(logits / c) * c`.

    Returns:
        `(batch, target_steps, heads, head_dim)`.

        >>> from plait import ops
        >>> q = ops.ones((1, 2, 1, 4))
        >>> v = ops.reshape(ops.arange(8.0), (1, 2, 1, 4))
        >>> ops.dot_product_attention(q, q, v, is_causal=True)[0, :, 0]
        tensor([[0., 1., 2., 3.],
                [2., 3., 4., 5.]])
    """
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
