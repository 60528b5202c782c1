"""`RandomElasticTransform`: elastic distortion (Simard et al., 2003) -- each pixel moves
by a random displacement field smoothed with a Gaussian -- with Keras's parameters."""

import torch
import torch.nn.functional as F

from plait.layers.preprocessing.image_color import _keras_factor, _value_range
from plait.layers.preprocessing.image_erase import _channels_last, _TransformLayer, sample
from plait.serialization import register_serializable

__all__ = ["RandomElasticTransform"]

_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def gaussian_kernel(size, sigma, dtype, device):
    """The `(size, size)` normalized Gaussian Keras's `gaussian_blur` convolves with."""
    x = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    k = k / k.sum()
    return torch.outer(k, k)


def blur(field, sigma, size):
    """`field` `(batch, h, w)` blurred with zero padding, as Keras's `gaussian_blur`."""
    kernel = gaussian_kernel(size, sigma, field.dtype, field.device).view(1, 1, size, size)
    return F.conv2d(field.unsqueeze(1), kernel, padding=size // 2).squeeze(1)


@register_serializable(package="plait")
class RandomElasticTransform(_TransformLayer):
    """With a probability drawn from `factor`, distorts each image elastically: a random
    displacement field (standard normal noise times `sigma`, blurred by a Gaussian of
    width `sigma`) scaled by `alpha` moves every pixel, where `alpha = 0.1 * d * max(h,
    w)`, `sigma = 0.05 * d * min(h, w)` for a distortion `d` drawn from `scale` (one per
    batch, as Keras draws it). The result is clipped to `value_range`.

    Args:
        factor: the probability of distorting, a number `f` in [0, 1] (drawn from [0,
            f]) or a pair (default 1.0).
        scale: the distortion `d`'s range, a number or pair in [0, 1] (default 1.0).
        interpolation: 'bilinear' (default) or 'nearest'.
        fill_mode: how pixels from outside the image read: 'reflect' (default),
            'constant' (`fill_value`), 'nearest', 'wrap' or 'mirror'.
        fill_value: the value outside the image with 'constant' (default 0.0).
        value_range: the images' range, the output is clipped to it (default (0, 255)).
        seed: an int for reproducible draws.
        data_format: 'channels_last' only.

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output shape: the input's.

    Raises:
        ValueError: a factor or scale outside [0, 1].
        NotImplementedError: an unknown interpolation or fill_mode (Keras's error).

    Example:
        >>> import torch
        >>> layer = RandomElasticTransform(scale=0.5, seed=3)
        >>> layer(torch.rand(2, 16, 16, 3) * 255).shape
        torch.Size([2, 16, 16, 3])
    """

    def __init__(
        self,
        factor=1.0,
        scale=1.0,
        interpolation="bilinear",
        fill_mode="reflect",
        fill_value=0.0,
        value_range=(0, 255),
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        _channels_last(data_format)
        self.factor = _keras_factor("factor", factor, (0, 1))
        self.scale = _keras_factor("scale", scale, (0, 1))
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(
                f"Unknown `interpolation` {interpolation}. Expected of one "
                f"('nearest', 'bilinear'). Received: interpolation={interpolation!r}"
            )
        if fill_mode not in _FILL_MODES:
            raise NotImplementedError(
                f"Unknown `fill_mode` {fill_mode}. Expected of one {set(_FILL_MODES)}. "
                f"Received: fill_mode={fill_mode!r}"
            )
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.value_range = _value_range(value_range)
        self.data_format = "channels_last"

    def get_random_transformation(self, images):
        """`{"apply_transform": (batch,) bool, "distortion_factor": a scalar, "noise":
        the (dx, dy) standard normal fields, each (batch, h, w)}`; None when `scale` or
        `factor` is 0 (no distortion, as in Keras)."""
        if self.scale[1] == 0 or self.factor[1] == 0:
            return None
        n, h, w, _ = images.shape
        device = images.device
        probability = self.uniform((n,), self.factor[0], self.factor[1], device)
        apply = self.uniform((n,), 0.0, 1.0, device) < probability
        distortion = self.uniform((), self.scale[0], self.scale[1], device)
        noise = torch.empty((2, n, h, w), device=device, dtype=images.dtype)
        noise.normal_(generator=self._generator(device))
        return {"apply_transform": apply, "distortion_factor": distortion, "noise": noise}

    def transform_images(self, images, transformation):
        """Distort the images the transformation applies to, then clip to the range."""
        if transformation is None:
            return images
        n, h, w, _ = images.shape
        factor = float(transformation["distortion_factor"])
        alpha = max(h, w) * 0.1 * factor
        sigma = min(h, w) * 0.05 * factor
        size = int(6 * sigma) | 1
        dx, dy = (blur(f.to(images.dtype) * sigma, sigma, size) for f in transformation["noise"])
        ys = torch.arange(h, device=images.device, dtype=images.dtype).view(1, h, 1)
        xs = torch.arange(w, device=images.device, dtype=images.dtype).view(1, 1, w)
        moved = sample(
            images,
            xs + alpha * dx,
            ys + alpha * dy,
            self.interpolation,
            self.fill_value,
            self.fill_mode,
        )
        apply = transformation["apply_transform"].to(torch.bool).view(-1, 1, 1, 1)
        out = torch.where(apply.to(images.device), moved, images)
        return out.clamp(self.value_range[0], self.value_range[1])

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "factor": list(self.factor),
                "scale": list(self.scale),
                "interpolation": self.interpolation,
                "fill_mode": self.fill_mode,
                "fill_value": self.fill_value,
                "value_range": list(self.value_range),
                "data_format": self.data_format,
            }
        )
        return config
