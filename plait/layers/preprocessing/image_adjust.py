"""Hue and saturation augmentation: RandomHue, RandomSaturation, RandomColorDegeneration and
RandomColorJitter. Channels-last RGB images `(batch, h, w, 3)` or `(h, w, 3)`; active only
with `training=True`; one random factor per image, as in Keras."""

import torch
from torch import nn

from plait.layers.preprocessing.base import (
    factor_config,
    DIRECT_CALL,
    RandomPreprocessingLayer,
    as_batched,
    to_float_image,
)
from plait.layers.preprocessing.image_color import (
    RandomBrightness,
    RandomContrast,
    _keras_factor,
    _to_range,
    _value_range,
)
from plait.serialization import register_serializable

_EPSILON = 1e-7


def rgb_to_hsv(images):
    """RGB -> HSV on the last axis (hue and saturation in [0, 1], value as the input)."""
    eps = torch.finfo(images.dtype).eps
    images = torch.where(images.abs() < eps, torch.zeros_like(images), images)
    r, g, b = images.unbind(-1)
    value = torch.maximum(torch.maximum(r, g), b)
    range_ = value - torch.minimum(torch.minimum(r, g), b)
    safe_value = torch.where(value > 0, value, torch.ones_like(value))
    safe_range = torch.where(range_ > 0, range_, torch.ones_like(range_))
    saturation = torch.where(value > 0, range_ / safe_value, torch.zeros_like(value))
    norm = 1.0 / (6.0 * safe_range)
    hue = torch.where(value == g, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    hue = torch.where(value == r, norm * (g - b), hue)
    hue = torch.where(range_ > 0, hue, torch.zeros_like(hue)) + (hue < 0.0).to(hue.dtype)
    return torch.stack([hue, saturation, value], dim=-1)


def hsv_to_rgb(images):
    """HSV -> RGB on the last axis (the inverse of `rgb_to_hsv`)."""
    hue, saturation, value = images.unbind(-1)
    dh = torch.remainder(hue, 1.0) * 6.0
    dr = ((dh - 3.0).abs() - 1.0).clamp(0.0, 1.0)
    dg = (2.0 - (dh - 2.0).abs()).clamp(0.0, 1.0)
    db = (2.0 - (dh - 4.0).abs()).clamp(0.0, 1.0)
    one_minus_s = 1.0 - saturation
    return torch.stack(
        [
            value * (one_minus_s + saturation * dr),
            value * (one_minus_s + saturation * dg),
            value * (one_minus_s + saturation * db),
        ],
        dim=-1,
    )


def _check_rgb(layer, images):
    if images.shape[-1] != 3:
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}' takes RGB images (3 channels). "
            f"Received: inputs with shape {tuple(images.shape)}"
        )


class _ColorLayer(RandomPreprocessingLayer):
    bounds = (-1, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _keras_factor("factor", factor, self.bounds)
        self.value_range = _value_range(value_range)
        self.data_format = "channels_last"

    def forward(self, inputs, training=DIRECT_CALL):
        images = to_float_image(inputs)
        if not self._is_training(training):
            return images
        images, squeeze = as_batched(images)
        _check_rgb(self, images)
        out = self._adjust(images)
        return out[0] if squeeze else out

    def get_config(self):
        return {**super().get_config(), **factor_config(self)}


@register_serializable(package="plait")
class RandomHue(_ColorLayer):
    """In training, shifts each image's hue by a random amount: `factor` (in [0, 1]; a
    number `f` draws from [0, f]) times half a turn, in a random direction.

    Input shape: `(batch, h, w, 3)` or `(h, w, 3)`. Output shape: the input's.

        >>> x = torch.full((2, 8, 8, 3), 128.0)
        >>> layer = RandomHue(0.5, seed=1)
        >>> layer(x).shape, layer(x, training=False).equal(x)
        (torch.Size([2, 8, 8, 3]), True)
    """

    bounds = (0, 1)

    def _adjust(self, images):
        n, device = images.shape[0], images.device
        sign = torch.where(self.uniform((n,), 0, 1, device) > 0.5, -1.0, 1.0)
        shift = sign * self.uniform((n,), self.factor[0], self.factor[1], device) * 0.5
        hsv = rgb_to_hsv(_to_range(images, self.value_range, (0, 1)))
        hue = hsv[..., 0] + shift.view(n, 1, 1).to(images.dtype)
        hue = torch.where(hue > 1.0, hue - 1.0, hue)
        hue = torch.where(hue < 0.0, hue + 1.0, hue)
        rgb = hsv_to_rgb(torch.stack([hue, hsv[..., 1], hsv[..., 2]], dim=-1)).clamp(0, 1)
        return _to_range(rgb, (0, 1), self.value_range)


@register_serializable(package="plait")
class RandomSaturation(_ColorLayer):
    """In training, scales each image's saturation by `f / (1 - f)`, `f` drawn from
    `factor` (a number `f` draws from [-f, f], Keras's rule; 0.5 keeps the image).

    Input shape: `(batch, h, w, 3)` or `(h, w, 3)`. Output shape: the input's.

        >>> x = torch.full((2, 8, 8, 3), 128.0)
        >>> layer = RandomSaturation(0.5, seed=1)
        >>> layer(x).shape, layer(x, training=False).equal(x)
        (torch.Size([2, 8, 8, 3]), True)
    """

    def _adjust(self, images):
        n = images.shape[0]
        f = self.uniform((n,), self.factor[0], self.factor[1], images.device)
        f = (f / (1 - f + _EPSILON)).view(n, 1, 1).to(images.dtype)
        hsv = rgb_to_hsv(images)
        saturation = (hsv[..., 1] * f).clamp(self.value_range[0], self.value_range[1])
        return hsv_to_rgb(torch.stack([hsv[..., 0], saturation, hsv[..., 2]], dim=-1))


@register_serializable(package="plait")
class RandomColorDegeneration(_ColorLayer):
    """In training, blends each image toward its grayscale version by a random `factor`
    (a number `f` draws from [-f, f], Keras's rule), clipped to `value_range`.

    Input shape: `(batch, h, w, 3)` or `(h, w, 3)`. Output shape: the input's.

        >>> x = torch.full((2, 8, 8, 3), 128.0)
        >>> layer = RandomColorDegeneration(0.5, seed=1)
        >>> layer(x).shape, layer(x, training=False).equal(x)
        (torch.Size([2, 8, 8, 3]), True)
    """

    def _adjust(self, images):
        f = self.uniform(
            (images.shape[0], 1, 1, 1), self.factor[0], self.factor[1], images.device
        ).to(images.dtype)
        r, g, b = images.unbind(-1)
        gray = (0.2989 * r + 0.587 * g + 0.114 * b).unsqueeze(-1)
        return (images + f * (gray - images)).clamp(self.value_range[0], self.value_range[1])


@register_serializable(package="plait")
class RandomColorJitter(RandomPreprocessingLayer):
    """In training, applies RandomBrightness, RandomContrast, RandomSaturation and RandomHue
    in that order, each whose factor is given.

    Args:
        value_range: the images' range ((0, 255)).
        brightness_factor, contrast_factor, saturation_factor, hue_factor: each layer's
            `factor`, or None to leave it out. seed: an int.

    Input shape: `(batch, h, w, 3)` or `(h, w, 3)`. Output shape: the input's.

        >>> x = torch.full((2, 8, 8, 3), 128.0)
        >>> layer = RandomColorJitter(brightness_factor=0.2, contrast_factor=0.2, seed=1)
        >>> layer(x).shape, layer(x, training=False).equal(x)
        (torch.Size([2, 8, 8, 3]), True)
    """

    def __init__(
        self,
        value_range=(0, 255),
        brightness_factor=None,
        contrast_factor=None,
        saturation_factor=None,
        hue_factor=None,
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.value_range = value_range
        self.brightness_factor, self.contrast_factor = brightness_factor, contrast_factor
        self.saturation_factor, self.hue_factor = saturation_factor, hue_factor
        self.data_format = "channels_last"
        steps = [
            (RandomBrightness, brightness_factor),
            (RandomContrast, contrast_factor),
            (RandomSaturation, saturation_factor),
            (RandomHue, hue_factor),
        ]
        self._jitters = nn.ModuleList(
            [cls(factor=f, value_range=value_range, seed=seed) for cls, f in steps if f is not None]
        )

    def forward(self, inputs, training=DIRECT_CALL):
        images = to_float_image(inputs)
        if not self._is_training(training):
            return images
        for layer in self._jitters:
            images = layer(images, training=True)
        return images

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "value_range": list(self.value_range),
                "brightness_factor": self.brightness_factor,
                "contrast_factor": self.contrast_factor,
                "saturation_factor": self.saturation_factor,
                "hue_factor": self.hue_factor,
                "data_format": self.data_format,
            }
        )
        return config


def _kernel_size(value):
    message = f"kernel_size must be an odd number. Received: kernel_size={value}"
    if isinstance(value, (tuple, list)):
        if len(value) != 2 or value[0] % 2 == 0 or value[1] % 2 == 0:
            raise ValueError(message)
        return int(value[0]), int(value[1])
    if isinstance(value, (int, float)) and value % 2 == 1:
        return int(value), int(value)
    raise ValueError(message)


def gaussian_blur(images, kernel_size, sigma):
    """Blur channels-last `images` with a Gaussian of `sigma` (x, y), zero-padded, as
    Keras's torch backend does."""

    def kernel1d(size, s):
        x = torch.arange(size, dtype=images.dtype, device=images.device) - (size - 1) / 2
        k = torch.exp(-0.5 * (x / s) ** 2)
        return k / k.sum()

    kernel = torch.outer(kernel1d(kernel_size[1], sigma[1]), kernel1d(kernel_size[0], sigma[0]))
    channels = images.shape[-1]
    kernel = kernel.view(1, 1, kernel_size[0], kernel_size[1]).expand(channels, 1, -1, -1)
    out = torch.nn.functional.conv2d(
        images.permute(0, 3, 1, 2), kernel, padding=kernel_size[0] // 2, groups=channels
    )
    return out.permute(0, 2, 3, 1)


@register_serializable(package="plait")
class RandomGaussianBlur(RandomPreprocessingLayer):
    """In training, blurs each image with probability drawn from `factor`, with a Gaussian
    kernel of `kernel_size` and a random `sigma` (Keras's rule: a number `s` draws from
    [0, s]), clipped to `value_range`.

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output shape: the input's.

        >>> x = torch.full((2, 8, 8, 3), 128.0)
        >>> layer = RandomGaussianBlur(seed=1)
        >>> layer(x).shape, layer(x, training=False).equal(x)
        (torch.Size([2, 8, 8, 3]), True)
    """

    def __init__(
        self,
        factor=1.0,
        kernel_size=3,
        sigma=1.0,
        value_range=(0, 255),
        data_format=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.factor = _keras_factor("factor", factor, (0, 1))
        self.kernel_size = _kernel_size(kernel_size)
        self.sigma = _keras_factor("sigma", sigma, (0, 1))
        self.value_range = _value_range(value_range)
        self.data_format = "channels_last"

    def forward(self, inputs, training=DIRECT_CALL):
        images = to_float_image(inputs)
        if not self._is_training(training):
            return images
        images, squeeze = as_batched(images)
        n, device = images.shape[0], images.device
        probability = self.uniform((n,), self.factor[0], self.factor[1], device)
        apply = self.uniform((n,), 0, 1, device) < probability
        sigma = self.uniform((2,), self.sigma[0], self.sigma[1], device) + 1e-6
        blurred = gaussian_blur(images, self.kernel_size, sigma.to(images.dtype))
        out = torch.where(apply.view(n, 1, 1, 1), blurred, images)
        out = out.clamp(self.value_range[0], self.value_range[1])
        return out[0] if squeeze else out

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "factor": list(self.factor),
                "kernel_size": list(self.kernel_size),
                "sigma": list(self.sigma),
                "value_range": list(self.value_range),
                "data_format": self.data_format,
            }
        )
        return config


@register_serializable(package="plait")
class RandomSharpness(_ColorLayer):
    """In training, sharpens or softens each image: `x + (1 - 2 f) (smooth(x) - x)`, with
    `smooth` a 3x3 blur (weights 1/13, center 5/13, zero-padded) and `f` drawn from
    `factor` (in [0, 1]; a number `f` draws from [0, f]; 0.5 keeps the image), clipped to
    `value_range`.

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output shape: the input's.

        >>> x = torch.full((2, 8, 8, 3), 128.0)
        >>> layer = RandomSharpness(0.5, seed=1)
        >>> layer(x).shape, layer(x, training=False).equal(x)
        (torch.Size([2, 8, 8, 3]), True)
    """

    bounds = (0, 1)

    def forward(self, inputs, training=DIRECT_CALL):
        images = to_float_image(inputs)
        if not self._is_training(training):
            return images
        images, squeeze = as_batched(images)
        n, channels = images.shape[0], images.shape[-1]
        f = self.uniform((n,), self.factor[0], self.factor[1], images.device) * 2
        kernel = torch.full((3, 3), 1.0 / 13.0, dtype=images.dtype, device=images.device)
        kernel[1, 1] = 5.0 / 13.0
        kernel = kernel.view(1, 1, 3, 3).expand(channels, 1, 3, 3)
        smooth = torch.nn.functional.conv2d(
            images.permute(0, 3, 1, 2), kernel, padding=1, groups=channels
        ).permute(0, 2, 3, 1)
        out = images + (1.0 - f.view(n, 1, 1, 1).to(images.dtype)) * (smooth - images)
        out = out.clamp(self.value_range[0], self.value_range[1])
        return out[0] if squeeze else out
