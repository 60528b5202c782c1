"""Image color augmentation: RandomContrast and RandomBrightness. Channels-last images
`(batch, h, w, c)` or `(h, w, c)`; active only with `training=True` (the identity, as
float32, at inference); one random factor per image."""

import torch

from plait.layers.preprocessing.base import (
    factor_config,
    DIRECT_CALL,
    RandomPreprocessingLayer,
    as_batched,
    to_float_image,
    unit_factor_pair,
)
from plait.serialization import register_serializable


def _keras_factor(name, factor, bounds):
    """Keras's factor rule: a number `f` -> (max(-f, lower bound), f); a pair, sorted."""
    message = (
        f"The `{name}` argument should be a number (or a list of two numbers) in the "
        f"range [{bounds[0]}, {bounds[1]}]. Received: {name}={factor}"
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(message)
        return tuple(sorted(float(f) for f in factor))
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        if factor < bounds[0] or factor > bounds[1]:
            raise ValueError(message)
        factor = abs(float(factor))
        return (max(-factor, float(bounds[0])), factor)
    raise ValueError(message)


def _value_range(value_range):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(
            "The `value_range` argument should be a list of two numbers. Received: "
            f"value_range={value_range}"
        )
    return sorted(value_range)


@register_serializable(package="plait")
class RandomContrast(RandomPreprocessingLayer):
    """In training, scales each image's contrast: `(x - mean) * f + mean` per channel
    (mean over height and width), clipped to `value_range`.

    Args:
        factor: a number `f` in [0, 1] draws `f` from [1, 1 + f] (Keras 3's rule); a pair
            `(lo, hi)` from [1 - lo, 1 + hi].
        value_range: the images' range, `(0, 255)` by default.
        seed: an int for reproducible draws.

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output shape: the input's.

        >>> x = torch.full((2, 8, 8, 3), 128.0)
        >>> layer = RandomContrast(0.5, seed=1)
        >>> layer(x).shape, layer(x, training=False).equal(x)
        (torch.Size([2, 8, 8, 3]), True)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _keras_factor("factor", factor, (0, 1))
        self.value_range = value_range

    def forward(self, inputs, training=DIRECT_CALL):
        images = to_float_image(inputs)
        if not self._is_training(training):
            return images
        images, squeeze = as_batched(images)
        lo, hi = self.factor
        f = self.uniform((images.shape[0], 1, 1, 1), 1.0 - lo, 1.0 + hi, images.device)
        mean = images.mean(dim=(1, 2), keepdim=True)
        out = ((images - mean) * f.to(images.dtype) + mean).clamp(
            self.value_range[0], self.value_range[1]
        )
        return out[0] if squeeze else out

    def get_config(self):
        config = super().get_config()
        config.update({"factor": list(self.factor), "value_range": list(self.value_range)})
        return config


@register_serializable(package="plait")
class RandomBrightness(RandomPreprocessingLayer):
    """In training, adds a random brightness shift to each image, clipped to `value_range`.

    Args:
        factor: a number `f` in [-1, 1] draws the shift from [-f, f] of the value range; a
            pair `(lo, hi)` from [lo, hi].
        value_range: the images' range, `(0, 255)` by default.
        seed: an int for reproducible draws.

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output shape: the input's.

        >>> x = torch.full((2, 8, 8, 3), 128.0)
        >>> layer = RandomBrightness(0.2, seed=1)
        >>> layer(x).shape, layer(x, training=False).equal(x)
        (torch.Size([2, 8, 8, 3]), True)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _keras_factor("factor", factor, (-1, 1))
        self.value_range = _value_range(value_range)

    def forward(self, inputs, training=DIRECT_CALL):
        images = to_float_image(inputs)
        if not self._is_training(training):
            return images
        images, squeeze = as_batched(images)
        delta = self.uniform(
            (images.shape[0], 1, 1, 1), self.factor[0], self.factor[1], images.device
        )
        delta = delta * (self.value_range[1] - self.value_range[0])
        out = (images + delta.to(images.dtype)).clamp(self.value_range[0], self.value_range[1])
        return out[0] if squeeze else out

    def get_config(self):
        config = super().get_config()
        config.update({"factor": list(self.factor), "value_range": list(self.value_range)})
        return config


def _to_range(images, source, target):
    """Map values linearly from the `source` range to the `target` range."""
    if tuple(source) == tuple(target):
        return images
    scaled = (images - source[0]) / (source[1] - source[0])
    return scaled * (target[1] - target[0]) + target[0]


def _draw_shape(images):
    return (images.shape[0], 1, 1, 1)


@register_serializable(package="plait")
class RandomGrayscale(RandomPreprocessingLayer):
    """In training, turns each image to grayscale with probability `factor` (the gray value
    `0.2989 r + 0.587 g + 0.114 b` in every channel).

    Args:
        factor: the probability, in [0, 1] (default 0.5). seed: an int.

    Input shape: `(batch, h, w, 3)` or `(h, w, 3)`. Output shape: the input's.

        >>> x = torch.tensor([[[[0.0, 100.0, 255.0], [50.0, 200.0, 10.0]]]])
        >>> print(RandomGrayscale(factor=1.0)(x).numpy().round(2))
        [[[[ 87.77  87.77  87.77]
           [133.48 133.48 133.48]]]]
    """

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not 0 <= factor <= 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        self.factor = factor
        self.data_format = "channels_last"

    def forward(self, inputs, training=DIRECT_CALL):
        images = to_float_image(inputs)
        if not self._is_training(training):
            return images
        images, squeeze = as_batched(images)
        apply = self.uniform(_draw_shape(images), 0, 1, images.device) < self.factor
        if images.shape[-1] == 3:
            r, g, b = images.unbind(-1)
            gray = (0.2989 * r + 0.587 * g + 0.114 * b).unsqueeze(-1)
        else:
            gray = images
        out = torch.where(apply, gray.expand_as(images), images)
        return out[0] if squeeze else out

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "data_format": self.data_format})
        return config


@register_serializable(package="plait")
class RandomInvert(RandomPreprocessingLayer):
    """In training, inverts images (`value_range[1] - x`) with a random probability drawn
    from `factor` (Keras's rule: a number `f` means [0, f]; `(1, 1)` always inverts).

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output shape: the input's.

        >>> x = torch.tensor([[[[0.0, 100.0, 255.0], [50.0, 200.0, 10.0]]]])
        >>> RandomInvert(factor=(1.0, 1.0))(x).tolist()  # always inverts
        [[[[255.0, 155.0, 0.0], [205.0, 55.0, 245.0]]]]
    """

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _keras_factor("factor", factor, (0, 1))
        self.value_range = value_range
        self.data_format = "channels_last"

    def forward(self, inputs, training=DIRECT_CALL):
        images = to_float_image(inputs)
        if not self._is_training(training):
            return images
        images, squeeze = as_batched(images)
        probability = self.uniform(
            _draw_shape(images), self.factor[0], self.factor[1], images.device
        )
        apply = self.uniform(_draw_shape(images), 0, 1, images.device) < probability
        out = torch.where(apply, self.value_range[1] - images, images)
        return out[0] if squeeze else out

    def get_config(self):
        return {**super().get_config(), **factor_config(self)}


@register_serializable(package="plait")
class Solarization(RandomPreprocessingLayer):
    """In training, adds a random value to the image (on a 0-255 scale), then inverts the
    pixels above a random threshold (`255 - x`), as Keras does.

    Args:
        addition_factor, threshold_factor: numbers or pairs in [0, 1]; Keras draws from
            `[lower, upper * 255]`. value_range: the images' range ((0, 255)). seed.

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output shape: the input's.

        >>> x = torch.full((2, 8, 8, 3), 128.0)
        >>> layer = Solarization(addition_factor=0.2, seed=1)
        >>> layer(x).shape, layer(x, training=False).equal(x)
        (torch.Size([2, 8, 8, 3]), True)
    """

    def __init__(
        self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, **kwargs
    ):
        super().__init__(seed=seed, **kwargs)
        self.addition_factor = unit_factor_pair("addition_factor", addition_factor, symmetric=False)
        self.threshold_factor = unit_factor_pair(
            "threshold_factor", threshold_factor, symmetric=False
        )
        self.value_range = _value_range(value_range)

    def forward(self, inputs, training=DIRECT_CALL):
        images = to_float_image(inputs)
        if not self._is_training(training):
            return images
        images, squeeze = as_batched(images)
        shape, device = _draw_shape(images), images.device
        additions = self.uniform(
            shape, self.addition_factor[0], self.addition_factor[1] * 255, device
        )
        thresholds = self.uniform(
            shape, self.threshold_factor[0], self.threshold_factor[1] * 255, device
        )
        x = _to_range(images, self.value_range, (0, 255))
        x = (x + additions).clamp(0, 255)
        x = torch.where(x < thresholds, x, 255 - x)
        out = _to_range(x, (0, 255), self.value_range)
        return out[0] if squeeze else out

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "addition_factor": list(self.addition_factor),
                "threshold_factor": list(self.threshold_factor),
                "value_range": list(self.value_range),
            }
        )
        return config


@register_serializable(package="plait")
class AutoContrast(RandomPreprocessingLayer):
    """Stretches each image's channels to the full `value_range` (min -> low, max -> high).
    Deterministic; applied in training and inference, as in Keras.

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output shape: the input's.

        >>> x = torch.tensor([[[[0.0, 100.0, 255.0], [50.0, 200.0, 10.0]]]])
        >>> AutoContrast()(x).tolist()
        [[[[0.0, 0.0, 255.0], [255.0, 255.0, 0.0]]]]
    """

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = _value_range(value_range)

    def forward(self, inputs, training=DIRECT_CALL):
        original = to_float_image(inputs)
        images, squeeze = as_batched(original)
        x = _to_range(images, self.value_range, (0, 255))
        low = x.amin(dim=(1, 2), keepdim=True)
        high = x.amax(dim=(1, 2), keepdim=True)
        scale = 255.0 / (high - low)
        out = (x * scale - low * scale).clamp(0.0, 255.0)
        out = _to_range(out, (0, 255), self.value_range)
        out = torch.where(torch.isnan(out), images, out)
        return out[0] if squeeze else out

    def get_config(self):
        config = super().get_config()
        config.pop("seed", None)
        config["value_range"] = list(self.value_range)
        return config


@register_serializable(package="plait")
class RandomPosterization(RandomPreprocessingLayer):
    """In training, keeps only the top `b` bits of each 8-bit value, `b` drawn per image
    from `factor` (in [1, 8]; a number `f` means [1, f)).

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output shape: the input's.

        >>> x = torch.tensor([[[[0.0, 100.0, 255.0], [50.0, 200.0, 10.0]]]])
        >>> RandomPosterization(factor=(1, 1))(x).tolist()
        [[[[0.0, 0.0, 128.0], [0.0, 128.0, 0.0]]]]
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _keras_factor("factor", factor, (1, 8))
        self.value_range = _value_range(value_range)
        self.data_format = "channels_last"

    def forward(self, inputs, training=DIRECT_CALL):
        images = to_float_image(inputs)
        if not self._is_training(training):
            return images
        images, squeeze = as_batched(images)
        n, device = images.shape[0], images.device
        lo, hi = int(self.factor[0]), int(self.factor[1])
        if lo != hi:
            bits = torch.randint(lo, hi, (n,), generator=self._generator(device), device=device)
        else:
            bits = torch.full((n,), lo, device=device)
        shift = (8 - bits).view(n, 1, 1, 1).to(torch.uint8)
        x = _to_range(images, self.value_range, (0, 255)).to(torch.uint8)
        x = torch.bitwise_left_shift(torch.bitwise_right_shift(x, shift), shift)
        out = _to_range(x.to(images.dtype), (0, 255), self.value_range)
        return out[0] if squeeze else out

    def get_config(self):
        return {**super().get_config(), **factor_config(self)}
