"""Image color augmentation: RandomContrast and RandomBrightness. Channels-last images
`(batch, h, w, c)` or `(h, w, c)`; active only with `training=True` (the identity, as
float32, at inference); one random factor per image."""
import torch

from plait.layers.preprocessing.base import RandomPreprocessingLayer, as_batched, to_float_image
from plait.serialization import register_serializable


def _keras_factor(name, factor, bounds):
    """Keras's factor rule: a number `f` -> (max(-f, lower bound), f); a pair, sorted."""
    message = (f"The `{name}` argument should be a number (or a list of two numbers) in the "
               f"range [{bounds[0]}, {bounds[1]}]. Received: {name}={factor}")
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
            f"value_range={value_range}")
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
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _keras_factor("factor", factor, (0, 1))
        self.value_range = value_range

    def forward(self, inputs, training=None):
        images = to_float_image(inputs)
        if not self._is_training(training):
            return images
        images, squeeze = as_batched(images)
        lo, hi = self.factor
        f = self.uniform((images.shape[0], 1, 1, 1), 1.0 - lo, 1.0 + hi, images.device)
        mean = images.mean(dim=(1, 2), keepdim=True)
        out = ((images - mean) * f.to(images.dtype) + mean).clamp(
            self.value_range[0], self.value_range[1])
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
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _keras_factor("factor", factor, (-1, 1))
        self.value_range = _value_range(value_range)

    def forward(self, inputs, training=None):
        images = to_float_image(inputs)
        if not self._is_training(training):
            return images
        images, squeeze = as_batched(images)
        delta = self.uniform((images.shape[0], 1, 1, 1), self.factor[0], self.factor[1],
                             images.device)
        delta = delta * (self.value_range[1] - self.value_range[0])
        out = (images + delta.to(images.dtype)).clamp(self.value_range[0], self.value_range[1])
        return out[0] if squeeze else out

    def get_config(self):
        config = super().get_config()
        config.update({"factor": list(self.factor), "value_range": list(self.value_range)})
        return config
