"""Image geometry: Resizing, CenterCrop, RandomCrop, RandomFlip, RandomRotation, RandomZoom,
RandomTranslation. Channels-last images `(batch, h, w, c)` or one image `(h, w, c)`;
torch code on the input's device. Random layers act only with `training=True`."""

import math

import torch
import torch.nn.functional as F

from plait.layers.preprocessing.base import (
    DIRECT_CALL,
    PreprocessingLayer,
    RandomPreprocessingLayer,
    as_batched,
    check_factor_pair,
    to_float_image,
    unit_factor_pair,
)
from plait.serialization import register_serializable

_RESIZE_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}
_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_AFFINE_INTERPOLATIONS = ("nearest", "bilinear")


def _check_data_format(data_format):
    if data_format not in (None, "channels_last"):
        raise ValueError(
            f"plait's image layers take channels-last images. Received: data_format={data_format!r}"
        )


def resize_images(
    images,
    size,
    interpolation="bilinear",
    antialias=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    fill_value=0.0,
):
    """Resize channels-last `images` (batched) to `size` as Keras's torch backend does."""
    x = images.permute(0, 3, 1, 2)
    height, width = x.shape[-2], x.shape[-1]
    th, tw = size
    if crop_to_aspect_ratio:
        ch = max(min(height, int(float(width * th) / tw)), 1)
        cw = max(min(width, int(float(height * tw) / th)), 1)
        hs, ws = int(float(height - ch) / 2), int(float(width - cw) / 2)
        x = x[:, :, hs : hs + ch, ws : ws + cw]
    elif pad_to_aspect_ratio:
        ph = max(height, int(float(width * th) / tw))
        pw = max(width, int(float(height * tw) / th))
        hs, ws = int(float(ph - height) / 2), int(float(pw - width) / 2)
        x = F.pad(x, (ws, ws, hs, hs), value=float(fill_value))
    if antialias and interpolation not in ("bilinear", "bicubic"):
        antialias = False
    align = False if interpolation in ("bilinear", "bicubic") else None
    out = F.interpolate(
        x,
        size=tuple(size),
        mode=_RESIZE_MODES[interpolation],
        align_corners=align,
        antialias=antialias,
    )
    return out.permute(0, 2, 3, 1)


@register_serializable(package="plait")
class Resizing(PreprocessingLayer):
    """Resizes images to `(height, width)`.

    Args:
        height, width: the output size.
        interpolation: 'bilinear' (default), 'nearest' or 'bicubic'.
        crop_to_aspect_ratio: crop the largest centered window of the target aspect ratio
            first (no distortion). pad_to_aspect_ratio: pad with `fill_value` instead.
        fill_mode: 'constant'. fill_value: the padding value (0.0).
        antialias: antialias when downsampling (bilinear/bicubic).

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output shape: `(..., height, width, c)`.

        >>> Resizing(2, 2)(torch.ones(1, 4, 4, 3)).shape
        torch.Size([1, 2, 2, 3])
    """

    def __init__(
        self,
        height,
        width,
        interpolation="bilinear",
        crop_to_aspect_ratio=False,
        pad_to_aspect_ratio=False,
        fill_mode="constant",
        fill_value=0.0,
        antialias=False,
        data_format=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        _check_data_format(data_format)
        if interpolation not in _RESIZE_MODES:
            raise ValueError(
                "Resizing: invalid value for argument `interpolation`. Expected one of "
                f"{list(_RESIZE_MODES)}. Received: interpolation={interpolation!r}"
            )
        if fill_mode != "constant":
            raise ValueError(
                "Resizing: invalid value for argument `fill_mode`. Only 'constant' is "
                f"supported. Received: fill_mode={fill_mode!r}"
            )
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(
                "Resizing: only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be "
                "`True`. Received: both True"
            )
        self.height, self.width = int(height), int(width)
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode, self.fill_value = fill_mode, fill_value
        self.antialias = antialias
        self.data_format = "channels_last"

    def forward(self, inputs):
        images, squeeze = as_batched(to_float_image(inputs))
        out = resize_images(
            images,
            (self.height, self.width),
            self.interpolation,
            self.antialias,
            self.crop_to_aspect_ratio,
            self.pad_to_aspect_ratio,
            self.fill_value,
        )
        return out[0] if squeeze else out

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape[-3], shape[-2] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "height": self.height,
                "width": self.width,
                "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
                "fill_mode": self.fill_mode,
                "fill_value": self.fill_value,
                "antialias": self.antialias,
                "data_format": self.data_format,
            }
        )
        return config


class _Crop:
    """What CenterCrop and RandomCrop share: the `(height, width)` they output, their
    output shape and config."""

    height: int
    width: int

    def _set_size(self, height, width, data_format):
        _check_data_format(data_format)
        self.height, self.width = int(height), int(width)
        self.data_format = "channels_last"

    compute_output_shape = Resizing.compute_output_shape

    def get_config(self):
        config = super().get_config()  # type: ignore[misc]
        config.update({"height": self.height, "width": self.width, "data_format": self.data_format})
        return config


@register_serializable(package="plait")
class CenterCrop(_Crop, PreprocessingLayer):
    """Crops the central `(height, width)` window; smaller images are resized (cropped to
    the aspect ratio, then resized) instead, as Keras does.

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output: `(..., height, width, c)`.

        >>> CenterCrop(2, 2)(torch.ones(1, 4, 4, 3)).shape
        torch.Size([1, 2, 2, 3])
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._set_size(height, width, data_format)

    def forward(self, inputs):
        images, squeeze = as_batched(to_float_image(inputs))
        h, w = images.shape[1], images.shape[2]
        if h >= self.height and w >= self.width:
            hs, ws = (h - self.height) // 2, (w - self.width) // 2
            out = images[:, hs : hs + self.height, ws : ws + self.width, :]
        else:
            out = resize_images(images, (self.height, self.width), crop_to_aspect_ratio=True)
        return out[0] if squeeze else out


@register_serializable(package="plait")
class RandomCrop(_Crop, RandomPreprocessingLayer):
    """In training, crops a random `(height, width)` window (images not larger than it are
    cropped to the aspect ratio and resized); at inference, crops the central window of the
    target aspect ratio and resizes it.

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output: `(..., height, width, c)`.

        >>> RandomCrop(4, 4, seed=1)(torch.full((2, 8, 8, 3), 128.0)).shape
        torch.Size([2, 4, 4, 3])
    """

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self._set_size(height, width, data_format)

    def forward(self, inputs, training=DIRECT_CALL):
        images, squeeze = as_batched(to_float_image(inputs))
        h, w = images.shape[1], images.shape[2]
        if self._is_training(training) and h > self.height and w > self.width:
            gen = self._generator(images.device)
            hs = int(torch.randint(0, h - self.height + 1, (), generator=gen, device=images.device))
            ws = int(torch.randint(0, w - self.width + 1, (), generator=gen, device=images.device))
            out = images[:, hs : hs + self.height, ws : ws + self.width, :]
        elif h == self.height and w == self.width:
            out = images
        else:
            out = resize_images(images, (self.height, self.width), crop_to_aspect_ratio=True)
        return out[0] if squeeze else out


@register_serializable(package="plait")
class RandomFlip(RandomPreprocessingLayer):
    """In training, flips each image left-right and/or up-down with probability 1/2.

    Args:
        mode: 'horizontal', 'vertical' or 'horizontal_and_vertical' (default).
        seed: an int for reproducible flips.

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output shape: the input's.

        >>> x = torch.full((2, 8, 8, 3), 128.0)
        >>> layer = RandomFlip(seed=1)
        >>> layer(x).shape, layer(x, training=False).equal(x)
        (torch.Size([2, 8, 8, 3]), True)
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _check_data_format(data_format)
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ValueError(
                "RandomFlip layer {name} received an unknown mode argument {mode}. Expected "
                "one of 'horizontal', 'vertical' or 'horizontal_and_vertical'. Received: "
                f"mode={mode!r}".replace("{name}", self.name).replace("{mode}", str(mode))
            )
        self.mode = mode
        self.data_format = "channels_last"

    def forward(self, inputs, training=DIRECT_CALL):
        images = to_float_image(inputs)
        if not self._is_training(training):
            return images
        images, squeeze = as_batched(images)
        n = images.shape[0]
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            flip = self.uniform((n, 1, 1, 1), 0, 1, images.device) <= 0.5
            images = torch.where(flip, images.flip(2), images)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            flip = self.uniform((n, 1, 1, 1), 0, 1, images.device) <= 0.5
            images = torch.where(flip, images.flip(1), images)
        return images[0] if squeeze else images

    def get_config(self):
        config = super().get_config()
        config.update({"mode": self.mode, "data_format": self.data_format})
        return config


def _fix_index(index, size, fill_mode):
    if fill_mode in ("constant", "nearest"):
        return index.clamp(0, size - 1)
    if fill_mode == "wrap":
        return torch.remainder(index, size)
    # reflect (half-sample symmetric): d c b a | a b c d | d c b a
    period = 2 * size
    index = torch.remainder(index, period)
    return torch.where(index >= size, period - 1 - index, index)


def affine_transform(images, matrix, interpolation, fill_mode, fill_value):
    """Sample `images` (batched, channels-last) at `x' = a0 x + a1 y + a2`,
    `y' = b0 x + b1 y + b2` per output pixel; `matrix` is `(batch, 6+)` (Keras's layout).
    Out-of-image samples follow `fill_mode` ('constant' uses `fill_value`)."""
    n, h, w, c = images.shape
    dtype = images.dtype
    ys = torch.arange(h, device=images.device, dtype=matrix.dtype).view(1, h, 1)
    xs = torch.arange(w, device=images.device, dtype=matrix.dtype).view(1, 1, w)
    m = matrix.view(n, -1, 1, 1)
    src_x = m[:, 0] * xs + m[:, 1] * ys + m[:, 2]
    src_y = m[:, 3] * xs + m[:, 4] * ys + m[:, 5]
    flat = images.reshape(n, h * w, c)
    if interpolation == "nearest":
        nodes_y = [(torch.round(src_y).long(), None)]
        nodes_x = [(torch.round(src_x).long(), None)]
    else:
        y0, x0 = torch.floor(src_y), torch.floor(src_x)
        wy, wx = src_y - y0, src_x - x0
        nodes_y = [(y0.long(), 1 - wy), (y0.long() + 1, wy)]
        nodes_x = [(x0.long(), 1 - wx), (x0.long() + 1, wx)]
    out = None
    for iy, wy_ in nodes_y:
        for ix, wx_ in nodes_x:
            fy, fx = _fix_index(iy, h, fill_mode), _fix_index(ix, w, fill_mode)
            gathered = torch.gather(flat, 1, (fy * w + fx).reshape(n, h * w, 1).expand(-1, -1, c))
            value = gathered.reshape(n, h, w, c)
            if fill_mode == "constant":
                valid = ((iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)).unsqueeze(-1)
                value = torch.where(
                    valid, value, torch.as_tensor(fill_value, dtype=dtype, device=value.device)
                )
            if wy_ is not None:
                value = value * (wy_ * wx_).unsqueeze(-1).to(dtype)
            out = value if out is None else out + value
    return out


class _AffineLayer(RandomPreprocessingLayer):
    """A random affine augmentation: draws per-image parameters, builds Keras's matrix and
    samples with `affine_transform`."""

    def __init__(
        self,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        _check_data_format(data_format)
        if fill_mode not in _FILL_MODES:
            raise NotImplementedError(
                f"Unknown `fill_mode` {fill_mode}. Expected of one {_FILL_MODES}. Received: "
                f"fill_mode={fill_mode!r}"
            )
        if interpolation not in _AFFINE_INTERPOLATIONS:
            raise NotImplementedError(
                f"Unknown `interpolation` {interpolation}. Expected of one "
                f"{_AFFINE_INTERPOLATIONS}. Received: interpolation={interpolation!r}"
            )
        self.fill_mode, self.interpolation = fill_mode, interpolation
        self.fill_value = fill_value
        self.data_format = "channels_last"

    def forward(self, inputs, training=DIRECT_CALL):
        images = to_float_image(inputs)
        if not self._is_training(training):
            return images
        images, squeeze = as_batched(images)
        matrix = self._matrix(images.shape[0], images.shape[1], images.shape[2], images.device)
        out = affine_transform(images, matrix, self.interpolation, self.fill_mode, self.fill_value)
        return out[0] if squeeze else out

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "fill_mode": self.fill_mode,
                "interpolation": self.interpolation,
                "fill_value": self.fill_value,
                "data_format": self.data_format,
            }
        )
        return config


def _json_ready(config):
    """Tuples as lists, so a config equals itself after a JSON round trip."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()}


def _rotation_matrix(angle_deg, height, width):
    theta = angle_deg * (math.pi / 180.0)
    cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
    cos, sin = torch.cos(theta), torch.sin(theta)
    a0, a1, b0, b1 = cos, -sin, sin, cos
    a2 = cx - cx * a0 - cy * a1
    b2 = cy - cx * b0 - cy * b1
    return torch.stack([a0, a1, a2, b0, b1, b2], dim=1)


@register_serializable(package="plait")
class RandomRotation(_AffineLayer):
    """In training, rotates each image by a random angle about its center.

    Args:
        factor: a fraction of a full turn: `f` draws from [-f, f] * 360 degrees, a pair
            `(lo, hi)` from [lo, hi] * 360 (positive: counter-clockwise).
        fill_mode: 'reflect' (default), 'wrap', 'constant' or 'nearest'.
        interpolation: 'bilinear' (default) or 'nearest'.
        seed, fill_value (for 'constant', default 0.0).

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output shape: the input's.

        >>> x = torch.full((2, 8, 8, 3), 128.0)
        >>> layer = RandomRotation(0.1, seed=1)
        >>> layer(x).shape, layer(x, training=False).equal(x)
        (torch.Size([2, 8, 8, 3]), True)
    """

    def __init__(
        self,
        factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self._factor = check_factor_pair("factor", factor)
        self.factor = factor

    def _matrix(self, n, height, width, device):
        lo, hi = self._factor
        angle = self.uniform((n,), lo * 360.0, hi * 360.0, device)
        return _rotation_matrix(angle, height, width)

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return _json_ready(config)


@register_serializable(package="plait")
class RandomZoom(_AffineLayer):
    """In training, zooms each image by a random factor (about its center).

    Args:
        height_factor: `f` draws the vertical zoom from [1 - f, 1 + f] of the size of the
            sampled window (negative: zoom in), a pair `(lo, hi)` from [1 + lo, 1 + hi].
        width_factor: the same for the horizontal zoom; None keeps the aspect ratio.
        fill_mode, interpolation, seed, fill_value: as RandomRotation.

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output shape: the input's.

        >>> x = torch.full((2, 8, 8, 3), 128.0)
        >>> layer = RandomZoom(0.2, seed=1)
        >>> layer(x).shape, layer(x, training=False).equal(x)
        (torch.Size([2, 8, 8, 3]), True)
    """

    def __init__(
        self,
        height_factor,
        width_factor=None,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self._height = check_factor_pair("height_factor", height_factor, low=-1)
        self._width = (
            None
            if width_factor is None
            else check_factor_pair("width_factor", width_factor, low=-1)
        )
        self.height_factor, self.width_factor = height_factor, width_factor

    def _matrix(self, n, height, width, device):
        zy = 1.0 + self.uniform((n,), self._height[0], self._height[1], device)
        zx = (
            zy
            if self._width is None
            else 1.0 + self.uniform((n,), self._width[0], self._width[1], device)
        )
        x_off = ((width - 1.0) / 2.0) * (1.0 - zx)
        y_off = ((height - 1.0) / 2.0) * (1.0 - zy)
        zero = torch.zeros_like(zx)
        return torch.stack([zx, zero, x_off, zero, zy, y_off], dim=1)

    def get_config(self):
        config = super().get_config()
        config.update({"height_factor": self.height_factor, "width_factor": self.width_factor})
        return _json_ready(config)


@register_serializable(package="plait")
class RandomTranslation(_AffineLayer):
    """In training, shifts each image by a random fraction of its height and width.

    Args:
        height_factor, width_factor: `f` draws the shift from [-f, f] of the size, a pair
            `(lo, hi)` from [lo, hi] (positive: down / right).
        fill_mode, interpolation, seed, fill_value: as RandomRotation.

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output shape: the input's.

        >>> x = torch.full((2, 8, 8, 3), 128.0)
        >>> layer = RandomTranslation(0.1, 0.1, seed=1)
        >>> layer(x).shape, layer(x, training=False).equal(x)
        (torch.Size([2, 8, 8, 3]), True)
    """

    def __init__(
        self,
        height_factor,
        width_factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self._height = check_factor_pair("height_factor", height_factor, low=-1, high=1)
        self._width = check_factor_pair("width_factor", width_factor, low=-1, high=1)
        self.height_factor, self.width_factor = height_factor, width_factor

    def _matrix(self, n, height, width, device):
        dy = self.uniform((n,), self._height[0], self._height[1], device) * height
        dx = self.uniform((n,), self._width[0], self._width[1], device) * width
        one, zero = torch.ones_like(dx), torch.zeros_like(dx)
        return torch.stack([one, zero, -dx, zero, one, -dy], dim=1)

    def get_config(self):
        config = super().get_config()
        config.update({"height_factor": self.height_factor, "width_factor": self.width_factor})
        return _json_ready(config)


@register_serializable(package="plait")
class RandomShear(_AffineLayer):
    """In training, shears each image: `x' = x + sx * y`, `y' = sy * x + y` (sampling
    coordinates), with `sx`, `sy` drawn from `x_factor`, `y_factor` and one random sign per
    image, as Keras does.

    Args:
        x_factor, y_factor: numbers `f` in [0, 1] (draws from [-f, f]) or pairs.
        interpolation, fill_mode, fill_value, seed: as RandomRotation.

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output shape: the input's.

        >>> x = torch.full((2, 8, 8, 3), 128.0)
        >>> layer = RandomShear(0.2, seed=1)
        >>> layer(x).shape, layer(x, training=False).equal(x)
        (torch.Size([2, 8, 8, 3]), True)
    """

    def __init__(
        self,
        x_factor=0.0,
        y_factor=0.0,
        interpolation="bilinear",
        fill_mode="reflect",
        fill_value=0.0,
        data_format=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.x_factor = unit_factor_pair("x_factor", x_factor, symmetric=True)
        self.y_factor = unit_factor_pair("y_factor", y_factor, symmetric=True)
        self._given = (x_factor, y_factor)  # Keras's pair [-f, f] would not pass its check

    def _matrix(self, n, height, width, device):
        sign = torch.where(self.uniform((n,), 0, 1, device) > 0.5, -1.0, 1.0)
        sy = self.uniform((n,), self.y_factor[0], self.y_factor[1], device) * sign
        sx = self.uniform((n,), self.x_factor[0], self.x_factor[1], device) * sign
        one, zero = torch.ones_like(sx), torch.zeros_like(sx)
        return torch.stack([one, sx, zero, sy, one, zero], dim=1)

    def get_config(self):
        config = super().get_config()
        config.update({"x_factor": self._given[0], "y_factor": self._given[1]})
        return _json_ready(config)
