"""Keras's `ops.image`: resizing, padding, cropping, colour conversion, patches and affine
warps, on channels-last batches (or single images) unless `data_format` says otherwise."""

import torch
import torch.nn.functional as F

from plait import config
from plait.ops._base import keras_op, tensor, to_float

__all__ = [
    "affine_transform",
    "crop_images",
    "extract_patches",
    "hsv_to_rgb",
    "pad_images",
    "resize",
    "rgb_to_grayscale",
    "rgb_to_hsv",
]


def _nchw(images, data_format):
    """(images as a 4-D channels-first batch, a function undoing that)."""
    x = tensor(images)
    single = x.ndim == 3
    if single:
        x = x.unsqueeze(0)
    last = (data_format or config.image_data_format()) == "channels_last"
    if last:
        x = x.permute(0, 3, 1, 2)

    def back(y):
        y = y.permute(0, 2, 3, 1) if last else y
        return y[0] if single else y

    return x, back


_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic", "area": "area"}


@keras_op
def resize(
    images,
    size,
    interpolation="bilinear",
    antialias=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    fill_mode="constant",
    fill_value=0.0,
    data_format=None,
):
    """Images resized to `size` with `interpolation`.

    Args:
        images: `(batch, height, width, channels)` or one image `(height, width,
            channels)` (channels-first with `data_format='channels_first'`).
        size: `(new_height, new_width)`.
        interpolation: 'bilinear' (default), 'nearest', 'bicubic' or 'area'.
        antialias: low-pass filter when downsampling (default False).
        crop_to_aspect_ratio: first crop the centre to the target's aspect ratio.
        pad_to_aspect_ratio: first pad to the target's aspect ratio with `fill_value`.
        fill_mode: 'constant' (the only mode).
        fill_value: the padding value (default 0.0).
        data_format: default `config.image_data_format()`.

    Returns:
        `(batch, new_height, new_width, channels)` (or one image); ints stay ints (rounded).

    Raises:
        ValueError: an unknown `interpolation`.

        >>> from plait import ops
        >>> x = ops.reshape(ops.arange(4.0), (1, 2, 2, 1))
        >>> ops.image.resize(x, (4, 4), interpolation="nearest")[0, :, :, 0]
        tensor([[0., 0., 1., 1.],
                [0., 0., 1., 1.],
                [2., 2., 3., 3.],
                [2., 2., 3., 3.]])
    """
    if interpolation not in _MODES:
        raise ValueError(
            f"resize: unknown interpolation. Expected one of {sorted(_MODES)}. "
            f"Received: interpolation={interpolation!r}"
        )
    x, back = _nchw(images, data_format)
    dtype = x.dtype
    x = to_float(x)
    h, w = x.shape[-2:]
    th, tw = size
    if crop_to_aspect_ratio:
        ch, cw = min(h, int(w * th / tw)), min(w, int(h * tw / th))
        top, left = (h - ch) // 2, (w - cw) // 2
        x = x[..., top : top + ch, left : left + cw]
    elif pad_to_aspect_ratio:
        ph, pw = max(h, int(w * th / tw)), max(w, int(h * tw / th))
        top, left = (ph - h) // 2, (pw - w) // 2
        x = F.pad(x, (left, pw - w - left, top, ph - h - top), value=fill_value)
    mode = _MODES[interpolation]
    kwargs = (
        {}
        if mode in ("nearest-exact", "area")
        else {"align_corners": False, "antialias": antialias}
    )
    out = F.interpolate(x, size=(th, tw), mode=mode, **kwargs)
    return back(out if dtype.is_floating_point else out.round().to(dtype))


@keras_op
def pad_images(
    images,
    top_padding=None,
    left_padding=None,
    bottom_padding=None,
    right_padding=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    """Images padded with zeros, by the paddings or to `target_height` x `target_width`.

    Args:
        images: `(batch, height, width, channels)` or one image (or channels-first).
        top_padding, left_padding, bottom_padding, right_padding: rows and columns added.
        target_height, target_width: the size wanted; with one padding of a pair given,
            the other is the rest.
        data_format: default `config.image_data_format()`.

    Returns:
        The padded images.

    Raises:
        ValueError: the target is smaller than the image.

        >>> from plait import ops
        >>> x = ops.ones((2, 2, 1))
        >>> ops.image.pad_images(x, 1, 0, target_height=4, target_width=3)[:, :, 0]
        tensor([[0., 0., 0.],
                [1., 1., 0.],
                [1., 1., 0.],
                [0., 0., 0.]])
    """
    x, back = _nchw(images, data_format)
    h, w = x.shape[-2:]
    top, left = top_padding or 0, left_padding or 0
    bottom = (
        bottom_padding
        if bottom_padding is not None
        else (target_height - h - top if target_height is not None else 0)
    )
    right = (
        right_padding
        if right_padding is not None
        else (target_width - w - left if target_width is not None else 0)
    )
    if target_height is not None and top_padding is None and bottom_padding is not None:
        top = target_height - h - bottom
    if target_width is not None and left_padding is None and right_padding is not None:
        left = target_width - w - right
    if min(top, bottom, left, right) < 0:
        raise ValueError(
            "pad_images: the target size is smaller than the image. Received: "
            f"image size {(h, w)}, target=({target_height}, {target_width})"
        )
    return back(F.pad(x, (left, right, top, bottom)))


@keras_op
def crop_images(
    images,
    top_cropping=None,
    left_cropping=None,
    bottom_cropping=None,
    right_cropping=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    """Images cropped, by the croppings or to `target_height` x `target_width`.

    Args:
        images: `(batch, height, width, channels)` or one image (or channels-first).
        top_cropping, left_cropping, bottom_cropping, right_cropping: rows and columns
            removed.
        target_height, target_width: the size wanted; with one cropping of a pair given,
            the other is the rest.
        data_format: default `config.image_data_format()`.

    Returns:
        The cropped images.

        >>> from plait import ops
        >>> x = ops.reshape(ops.arange(16), (4, 4, 1))
        >>> ops.image.crop_images(x, 1, 1, target_height=2, target_width=2)[:, :, 0]
        tensor([[ 5,  6],
                [ 9, 10]], dtype=torch.int32)
    """
    x, back = _nchw(images, data_format)
    h, w = x.shape[-2:]
    top, left = top_cropping or 0, left_cropping or 0
    th = target_height if target_height is not None else h - top - (bottom_cropping or 0)
    tw = target_width if target_width is not None else w - left - (right_cropping or 0)
    if target_height is not None and top_cropping is None and bottom_cropping is not None:
        top = h - bottom_cropping - th
    if target_width is not None and left_cropping is None and right_cropping is not None:
        left = w - right_cropping - tw
    return back(x[..., top : top + th, left : left + tw])


@keras_op
def rgb_to_grayscale(images, data_format=None):
    """RGB images to grayscale: luma `0.2989 R + 0.587 G + 0.114 B` as one channel.

    Args:
        images: `(batch, height, width, 3)` or one image (or channels-first).
        data_format: default `config.image_data_format()`.

    Returns:
        `(batch, height, width, 1)` (or one image, or channels-first).

        >>> from plait import ops
        >>> x = ops.convert_to_tensor([[[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]]])
        >>> ops.image.rgb_to_grayscale(x)
        tensor([[[0.9999],
                 [0.2989]]])
    """
    x, back = _nchw(images, data_format)
    weights = torch.tensor([0.2989, 0.587, 0.114], dtype=to_float(x).dtype, device=x.device)
    gray = (to_float(x) * weights.reshape(1, 3, 1, 1)).sum(1, keepdim=True)
    return back(gray.to(x.dtype) if x.is_floating_point() else gray)


@keras_op
def rgb_to_hsv(images, data_format=None):
    """RGB images in [0, 1] to HSV in [0, 1] (hue as a fraction of a turn).

    Args:
        images: `(batch, height, width, 3)` or one image (or channels-first).
        data_format: default `config.image_data_format()`.

    Returns:
        The images in HSV, of the same shape.

        >>> from plait import ops
        >>> x = ops.convert_to_tensor([[[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]]])
        >>> ops.image.rgb_to_hsv(x)
        tensor([[[0.0000, 1.0000, 1.0000],
                 [0.5000, 1.0000, 0.5000]]])
    """
    x, back = _nchw(images, data_format)
    x = to_float(x)
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    value, _ = x.max(1)
    minimum, _ = x.min(1)
    delta = value - minimum
    sat = torch.where(value > 0, delta / torch.where(value > 0, value, 1), 0.0)
    safe = torch.where(delta > 0, delta, 1)
    hue = (
        torch.where(
            value == r,
            (g - b) / safe,
            torch.where(value == g, 2 + (b - r) / safe, 4 + (r - g) / safe),
        )
        / 6
    )
    hue = torch.where(delta > 0, torch.remainder(hue, 1.0), 0.0)
    return back(torch.stack([hue, sat, value], 1))


@keras_op
def hsv_to_rgb(images, data_format=None):
    """HSV images in [0, 1] (hue as a fraction of a turn) to RGB in [0, 1].

    Args:
        images: HSV, `(batch, height, width, 3)` or one image (or channels-first).
        data_format: default `config.image_data_format()`.

    Returns:
        RGB images of `images`' shape.

        >>> from plait import ops
        >>> x = ops.convert_to_tensor([[[0.0, 1.0, 1.0], [0.5, 1.0, 0.5]]])
        >>> ops.image.hsv_to_rgb(x)
        tensor([[[1.0000, 0.0000, 0.0000],
                 [0.0000, 0.5000, 0.5000]]])
    """
    x, back = _nchw(images, data_format)
    x = to_float(x)
    h, s, v = x[:, 0], x[:, 1], x[:, 2]
    k = lambda n: torch.remainder(n + h * 6, 6)
    f = lambda n: v - v * s * torch.clamp(torch.minimum(k(n), 4 - k(n)), 0, 1)
    return back(torch.stack([f(5), f(3), f(1)], 1))


@keras_op
def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Patches of `size` as channels, in (row, column, channel) order.

    Args:
        images: `(batch, height, width, channels)` or one image (or channels-first).
        size: an int or `(patch_height, patch_width)`.
        strides: default `size` (patches do not overlap).
        dilation_rate: an int or a pair (default 1).
        padding: 'valid' (default) or 'same'.
        data_format: default `config.image_data_format()`.

    Returns:
        `(batch, rows, cols, patch_height * patch_width * channels)` (or one image).

        >>> from plait import ops
        >>> x = ops.reshape(ops.arange(16.0), (1, 4, 4, 1))
        >>> ops.image.extract_patches(x, 2)[0, 0]
        tensor([[0., 1., 4., 5.],
                [2., 3., 6., 7.]])
    """
    x, _ = _nchw(images, data_format)
    kh, kw = (size, size) if isinstance(size, int) else size
    strides = (
        (kh, kw)
        if strides is None
        else ((strides,) * 2 if isinstance(strides, int) else tuple(strides))
    )
    dil = (dilation_rate,) * 2 if isinstance(dilation_rate, int) else tuple(dilation_rate)
    if padding == "same":
        h, w = x.shape[-2:]
        ph = max((-(-h // strides[0]) - 1) * strides[0] + (kh - 1) * dil[0] + 1 - h, 0)
        pw = max((-(-w // strides[1]) - 1) * strides[1] + (kw - 1) * dil[1] + 1 - w, 0)
        x = F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))
    n, c, h, w = x.shape
    cols = F.unfold(x.to(to_float(x).dtype), (kh, kw), dilation=dil, stride=strides)
    rows = (h - (kh - 1) * dil[0] - 1) // strides[0] + 1
    out = (
        cols.reshape(n, c, kh * kw, rows, -1)
        .permute(0, 2, 1, 3, 4)
        .reshape(n, -1, rows, cols.shape[-1] // rows)
    )
    # channels-last order of the patch vector is (kh, kw, c): move c last within each pixel
    out = (
        out.reshape(n, kh * kw, c, rows, -1)
        .permute(0, 3, 4, 1, 2)
        .reshape(n, rows, -1, kh * kw * c)
    )
    last = (data_format or config.image_data_format()) == "channels_last"
    result = out if last else out.permute(0, 3, 1, 2)
    return result[0] if tensor(images).ndim == 3 else result


@keras_op
def affine_transform(
    images,
    transform,
    interpolation="bilinear",
    fill_mode="constant",
    fill_value=0,
    data_format=None,
):
    """Images warped by projective transforms.

    A transform `[a0, a1, a2, b0, b1, b2, c0, c1]` maps each output pixel (x, y) to the
    input point ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1.

    Args:
        images: `(batch, height, width, channels)` or one image (or channels-first).
        transform: `(8,)` or `(batch, 8)`.
        interpolation: 'bilinear' (default) or 'nearest'.
        fill_mode: 'constant': pixels from outside the image are `fill_value`.
        fill_value: default 0.
        data_format: default `config.image_data_format()`.

    Returns:
        The warped images, of the same shape.

        >>> from plait import ops
        >>> x = ops.reshape(ops.arange(9.0), (3, 3, 1))
        >>> shift = ops.convert_to_tensor([1.0, 0, 1, 0, 1, 0, 0, 0])  # x + 1: one left
        >>> ops.image.affine_transform(x, shift, interpolation="nearest")[:, :, 0]
        tensor([[1., 2., 0.],
                [4., 5., 0.],
                [7., 8., 0.]])
    """
    x, back = _nchw(images, data_format)
    x = to_float(x)
    t = tensor(transform, x.dtype, like=x).reshape(-1, 8).expand(x.shape[0], 8)
    h, w = x.shape[-2:]
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=x.dtype), torch.arange(w, dtype=x.dtype), indexing="ij"
    )
    a = t[:, :, None, None]
    k = a[:, 6] * xs + a[:, 7] * ys + 1
    src_x = (a[:, 0] * xs + a[:, 1] * ys + a[:, 2]) / k
    src_y = (a[:, 3] * xs + a[:, 4] * ys + a[:, 5]) / k
    grid = torch.stack([(2 * src_x + 1) / w - 1, (2 * src_y + 1) / h - 1], -1)
    mode = "nearest" if interpolation == "nearest" else "bilinear"
    out = (
        F.grid_sample(x - fill_value, grid, mode=mode, padding_mode="zeros", align_corners=False)
        + fill_value
    )
    return back(out)


# The ops' names in `plait.ops` are not this module's, so the doctest collector finds their
# examples here.
__test__ = {name: globals()[name] for name in __all__}
