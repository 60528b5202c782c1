"""Image augmentations that draw a per-image transformation: `RandomErasing` (a random
rectangle replaced by noise or a fill value) and `RandomPerspective` (a random homography
of the image's corners). Channels-last images `(batch, h, w, c)` or `(h, w, c)`; active in
training (and when called directly, as in Keras 3), the identity (as float) at inference.

Each layer's draw is `get_random_transformation(images)` (a dict with Keras's keys) and its
effect `transform_images(images, transformation)`, as in Keras.
"""

import torch

from plait.layers.preprocessing.base import (
    DIRECT_CALL,
    RandomPreprocessingLayer,
    as_batched,
    to_float_image,
)
from plait.layers.preprocessing.image_color import _keras_factor, _value_range
from plait.serialization import register_serializable

__all__ = ["RandomErasing", "RandomPerspective"]


class _TransformLayer(RandomPreprocessingLayer):
    """Draw a transformation for the batch, apply it; identity at inference."""

    def forward(self, inputs, training=DIRECT_CALL):
        images = to_float_image(inputs)
        if not self._is_training(training):
            return images
        batched, squeeze = as_batched(images)
        transformation = self.get_random_transformation(batched)
        out = self.transform_images(batched, transformation)
        return out[0] if squeeze else out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


@register_serializable(package="plait")
class RandomErasing(_TransformLayer):
    """Random Erasing (Zhong et al., 2017): with a probability drawn from `factor`, each
    image gets one rectangle, whose sides are `sqrt(s) * side` for `s` drawn from
    `scale`, filled with `fill_value` or (None) Gaussian noise times the range's top,
    clipped to `value_range`.

    Args:
        factor: the probability of erasing, a number `f` in [0, 1] (drawn from [0, f]) or
            a pair (default 1.0: drawn from [0, 1]).
        scale: the pair (default (0.02, 0.33)) the squared side ratios are drawn from.
        fill_value: None (default: noise), a number, or a list of three numbers (one
            per channel).
        value_range: the images' range (default (0, 255)).
        seed: an int for reproducible draws.
        data_format: 'channels_last' only.

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output shape: the input's.

    Raises:
        ValueError: a factor, scale or fill_value out of Keras's bounds.

    Example:
        >>> import torch
        >>> layer = RandomErasing(factor=(1.0, 1.0), fill_value=0.0, seed=1)
        >>> out = layer(torch.full((2, 8, 8, 3), 100.0))
        >>> bool((out == 0).any()), bool((out == 100).any())
        (True, True)
    """

    def __init__(
        self,
        factor=1.0,
        scale=(0.02, 0.33),
        fill_value=None,
        value_range=(0, 255),
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        _channels_last(data_format)
        self.factor = _keras_factor("factor", factor, (0, 1))
        self.scale = _keras_factor("scale", scale, (0, 1))
        if fill_value is not None and not (
            isinstance(fill_value, (int, float))
            or (isinstance(fill_value, (tuple, list)) and len(fill_value) == 3)
        ):
            raise ValueError(
                "The `fill_value` argument should be a number (or a list of three numbers). "
                f"Received: fill_value={fill_value!r}"
            )
        self.fill_value = fill_value
        self.value_range = _value_range(value_range)
        self.data_format = "channels_last"

    def get_random_transformation(self, images):
        """Keras's draw: `{"apply_erasing": (batch,) bool, "batch_masks": bool of the
        images' shape, "fill_value": the images' shape}`."""
        n, h, w, c = images.shape
        device = images.device
        side = torch.sqrt(self.uniform((n, 2), self.scale[0], self.scale[1], device))
        x0, x1 = self._bounds(n, w, side[:, 0], device)
        y0, y1 = self._bounds(n, h, side[:, 1], device)
        ys = torch.arange(h, device=device, dtype=torch.float32).view(1, h, 1, 1)
        xs = torch.arange(w, device=device, dtype=torch.float32).view(1, 1, w, 1)
        box = (
            (xs >= x0.view(n, 1, 1, 1))
            & (xs < x1.view(n, 1, 1, 1))
            & (ys >= y0.view(n, 1, 1, 1))
            & (ys < y1.view(n, 1, 1, 1))
        )
        probability = self.uniform((n,), self.factor[0], self.factor[1], device)
        apply = self.uniform((n,), 0.0, 1.0, device) < probability
        return {
            "apply_erasing": apply,
            "batch_masks": box.expand(n, h, w, c),
            "fill_value": self._fill(images),
        }

    def _bounds(self, n, length, ratio, device):
        crop = ratio * length
        start = self.uniform((n,), 0.0, 1.0, device) * (length - crop)
        return start, start + crop

    def _fill(self, images):
        low, high = self.value_range
        if self.fill_value is None:
            noise = torch.empty(images.shape, device=images.device)
            noise.normal_(generator=self._generator(images.device))
            fill = noise * high
        else:
            fill = torch.empty(images.shape, device=images.device)
            fill[:] = torch.as_tensor(self.fill_value, dtype=fill.dtype, device=fill.device)
        return fill.clamp(low, high).to(images.dtype)

    def transform_images(self, images, transformation):
        """Erase the rectangles of the images the transformation applies to."""
        erased = torch.where(
            transformation["batch_masks"].to(torch.bool),
            transformation["fill_value"].to(images.dtype),
            images,
        )
        apply = transformation["apply_erasing"].to(torch.bool).view(-1, 1, 1, 1)
        return torch.where(apply, erased, images)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "factor": list(self.factor),
                "scale": list(self.scale),
                "fill_value": self.fill_value,
                "value_range": list(self.value_range),
                "data_format": self.data_format,
            }
        )
        return config


def _channels_last(data_format):
    if (data_format or "channels_last") != "channels_last":
        raise ValueError(
            "plait's image augmentation layers take channels-last images only. "
            f"Received: data_format={data_format!r}"
        )


def homography(start_points, end_points):
    """The `(batch, 8)` homographies mapping each output pixel (`end_points` frame) to
    the input (`start_points`): `x_in = (a0 x + a1 y + a2) / (a6 x + a7 y + 1)`, `y_in =
    (a3 x + a4 y + a5) / (a6 x + a7 y + 1)`."""
    rows = []
    for i in range(4):
        ex, ey = end_points[:, i, 0], end_points[:, i, 1]
        sx, sy = start_points[:, i, 0], start_points[:, i, 1]
        one, zero = torch.ones_like(ex), torch.zeros_like(ex)
        rows.append(torch.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], -1))
        rows.append(torch.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], -1))
    matrix = torch.stack(rows, 1).float()
    target = start_points.reshape(-1, 8, 1).float()
    return torch.linalg.solve(matrix, target).reshape(-1, 8)


def sample(images, src_x, src_y, interpolation, fill_value, fill_mode="constant"):
    """`images` (batched, channels-last) read at `(src_y, src_x)` (each `(batch, h, w)`),
    bilinear or nearest; a neighbour outside the image reads `fill_value` ('constant') or
    the pixel `fill_mode` maps it to ('nearest', 'wrap', 'mirror', 'reflect')."""
    n, h, w, c = images.shape
    flat = images.reshape(n, h * w, c)
    if interpolation == "nearest":
        nodes_y = [(torch.round(src_y).long(), None)]
        nodes_x = [(torch.round(src_x).long(), None)]
    else:
        y0, x0 = torch.floor(src_y), torch.floor(src_x)
        wy, wx = src_y - y0, src_x - x0
        nodes_y = [(y0.long(), 1 - wy), (y0.long() + 1, wy)]
        nodes_x = [(x0.long(), 1 - wx), (x0.long() + 1, wx)]
    fill = torch.as_tensor(fill_value, dtype=images.dtype, device=images.device)
    out = None
    for iy, wy_ in nodes_y:
        for ix, wx_ in nodes_x:
            index = _fix(iy, h, fill_mode) * w + _fix(ix, w, fill_mode)
            value = torch.gather(flat, 1, index.reshape(n, h * w, 1).expand(-1, -1, c))
            value = value.reshape(n, h, w, c)
            if fill_mode == "constant":
                valid = ((iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)).unsqueeze(-1)
                value = torch.where(valid, value, fill)
            if wy_ is not None:
                value = value * (wy_ * wx_).unsqueeze(-1).to(images.dtype)
            out = value if out is None else out + value
    return out


def _fix(index, size, fill_mode):
    """Keras's index fixers of `map_coordinates` for out-of-image neighbours."""
    if fill_mode in ("constant", "nearest"):
        return index.clamp(0, size - 1)
    if fill_mode == "wrap":
        return torch.remainder(index, size)
    if fill_mode == "mirror":  # d c b | a b c d | c b a
        half = size - 1
        return torch.abs(torch.remainder(index + half, 2 * half) - half) if half else index * 0
    # reflect: d c b a | a b c d | d c b a
    mirrored = _fix(2 * index + 1, 2 * size + 1, "mirror")
    return torch.div(mirrored - 1, 2, rounding_mode="floor")


@register_serializable(package="plait")
class RandomPerspective(_TransformLayer):
    """With a probability drawn from `factor`, moves each image's four corners by random
    fractions (up to `scale / 2`) of their coordinates and warps the image with the
    perspective transform between them; pixels from outside the image read `fill_value`.

    Args:
        factor: the probability of warping, a number `f` in [0, 1] (drawn from [0, f]) or
            a pair (default 1.0).
        scale: the distortion's magnitude in [0, 1] (default 1.0).
        interpolation: 'bilinear' (default) or 'nearest'.
        fill_value: the value outside the image (default 0.0).
        seed: an int for reproducible draws.
        data_format: 'channels_last' only.

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output shape: the input's.

    Raises:
        ValueError: `scale` outside [0, 1]; a bad factor.
        NotImplementedError: an unknown interpolation (Keras's error).

    Example:
        >>> import torch
        >>> layer = RandomPerspective(scale=0.3, seed=2)
        >>> layer(torch.rand(2, 8, 8, 3)).shape
        torch.Size([2, 8, 8, 3])
    """

    def __init__(
        self,
        factor=1.0,
        scale=1.0,
        interpolation="bilinear",
        fill_value=0.0,
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        _channels_last(data_format)
        self.factor = _keras_factor("factor", factor, (0, 1))
        if not 0.0 <= scale <= 1.0:
            raise ValueError(
                f"The `scale` argument should be a number in the range [0,1]. Received: "
                f"scale={scale}"
            )
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(
                f"Unknown `interpolation` {interpolation}. Expected of one "
                f"('nearest', 'bilinear'). Received: interpolation={interpolation!r}"
            )
        self.scale = scale
        self.interpolation = interpolation
        self.fill_value = fill_value
        self.data_format = "channels_last"

    def get_random_transformation(self, images):
        """Keras's draw: `{"apply_perspective": (batch,) bool, "start_points",
        "end_points": (batch, 4, 2) corner (x, y) coordinates}`."""
        n, h, w, _ = images.shape
        device = images.device
        probability = self.uniform((n,), self.factor[0], self.factor[1], device)
        apply = self.uniform((n,), 0.0, 1.0, device) < probability
        moves = self.uniform((n, 4, 2), -0.5 * self.scale, 0.5 * self.scale, device)
        corners = [[0.0, 0.0], [w - 1.0, 0.0], [0.0, h - 1.0], [w - 1.0, h - 1.0]]
        start = torch.tensor([corners], device=device).expand(n, 4, 2)
        return {
            "apply_perspective": apply,
            "start_points": start,
            "end_points": start + start * moves,
        }

    def transform_images(self, images, transformation):
        """Warp the images the transformation applies to."""
        n, h, w, _ = images.shape
        start = transformation["start_points"].to(images.device)
        end = transformation["end_points"].to(images.device)
        a = homography(start, end).to(images.dtype).view(n, 8, 1, 1)
        ys = torch.arange(h, device=images.device, dtype=images.dtype).view(1, h, 1)
        xs = torch.arange(w, device=images.device, dtype=images.dtype).view(1, 1, w)
        denom = a[:, 6] * xs + a[:, 7] * ys + 1.0
        src_x = (a[:, 0] * xs + a[:, 1] * ys + a[:, 2]) / denom
        src_y = (a[:, 3] * xs + a[:, 4] * ys + a[:, 5]) / denom
        warped = sample(images, src_x, src_y, self.interpolation, self.fill_value)
        apply = transformation["apply_perspective"].to(torch.bool).view(-1, 1, 1, 1)
        return torch.where(apply.to(images.device), warped, images)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "factor": list(self.factor),
                "scale": self.scale,
                "interpolation": self.interpolation,
                "fill_value": self.fill_value,
                "data_format": self.data_format,
            }
        )
        return config
