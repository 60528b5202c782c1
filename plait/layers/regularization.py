"""Regularization layers: Dropout, SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout,
ActivityRegularization.

The noise layers take `forward(inputs, training=None)`: they are the identity unless
training (`training=None` follows the module's mode, eval by default; `fit` trains).
"""

import math

import torch
import torch.nn.functional as F

from plait import regularizers
from plait.layers.layer import Layer, LayerCallError
from plait.layers.masking import PassesMask
from plait.layers.penalties import set_activity_regularizer
from plait.serialization import register_serializable
from plait.utils import conv_utils
from plait.utils.random import device_generator
from plait.utils.validation import check_rate as _check_rate, check_seed as _check_seed

__all__ = [
    "ActivityRegularization",
    "Dropout",
    "GaussianDropout",
    "GaussianNoise",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
]


class _RandomLayer(PassesMask, Layer):
    """A layer drawing noise: with a `seed`, its own generator (per device), so two layers
    built with the same seed draw the same noise; without, PyTorch's global one."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = _check_seed(seed)
        self._generators = {}

    def _generator(self, device):
        return device_generator(self._generators, self.seed, device)

    def _is_training(self, training):
        return self.training if training is None else bool(training)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


@register_serializable(package="plait")
class Dropout(_RandomLayer):
    """Sets inputs to 0 with probability `rate` during training and scales the others by
    `1 / (1 - rate)`, so the expected sum is unchanged. Identity in inference.

    Args:
        rate: float in [0, 1], the fraction of inputs dropped.
        noise_shape: None, or a tuple the dropout mask has (broadcast over the input);
            `None` entries take the input's size, e.g. `(None, 1, None)` drops the same
            features at every time step.
        seed: int for reproducible masks.

    Input shape: any. Output shape: the input's.

    Raises:
        ValueError: for a `rate` outside [0, 1].

        >>> import torch
        >>> Dropout(0.5)(torch.ones(4)).tolist()
        [1.0, 1.0, 1.0, 1.0]
        >>> y = Dropout(0.5, seed=1)(torch.ones(100), training=True)
        >>> sorted(set(y.tolist()))
        [0.0, 2.0]
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate(rate)
        if noise_shape is not None:
            noise_shape = tuple(noise_shape)
            if not all(d is None or (isinstance(d, int) and d > 0) for d in noise_shape):
                raise ValueError(
                    "`noise_shape` must be a tuple of positive ints or None. "
                    f"Received: noise_shape={noise_shape}"
                )
        self.noise_shape = noise_shape

    def build(self, input_shape):
        if self.noise_shape is not None and len(self.noise_shape) != len(input_shape):
            raise LayerCallError(
                f"Dropout layer '{self.name}' has noise_shape={self.noise_shape}, of rank "
                f"{len(self.noise_shape)}, but its input has shape {tuple(input_shape)}. Give "
                "noise_shape the input's rank (None for the sizes to keep)."
            )

    def forward(self, inputs, training=None):
        if not self._is_training(training) or self.rate == 0:
            return inputs
        if self.noise_shape is None and self.seed is None:
            return F.dropout(inputs, self.rate, True)
        shape = inputs.shape if self.noise_shape is None else self._mask_shape(inputs)
        return _drop(inputs, shape, self.rate, self._generator(inputs.device))

    def _mask_shape(self, inputs):
        return tuple(n if d is None else d for d, n in zip(self.noise_shape, inputs.shape))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "rate": self.rate,
                "seed": self.seed,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape),
            }
        )
        return config


def _drop(inputs, mask_shape, rate, generator):
    if rate >= 1:
        return inputs * 0
    keep = torch.empty(mask_shape, dtype=inputs.dtype, device=inputs.device)
    keep.bernoulli_(1 - rate, generator=generator)
    return inputs * keep.div_(1 - rate)


class _SpatialDropout(_RandomLayer):
    rank: int | None = None

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate(rate)
        self.data_format = conv_utils.normalize_data_format(data_format)

    def build(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise LayerCallError(
                f"{type(self).__name__} layer '{self.name}' expects a {self.rank + 2}-D input "
                f"(batch, *spatial, channels); received an input of shape "
                f"{tuple(input_shape)}."
            )

    def forward(self, inputs, training=None):
        if not self._is_training(training) or self.rate == 0:
            return inputs
        shape = [1] * inputs.dim()
        shape[0] = inputs.shape[0]
        channel = -1 if self.data_format == "channels_last" else 1
        shape[channel] = inputs.shape[channel]
        return _drop(inputs, shape, self.rate, self._generator(inputs.device))

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


@register_serializable(package="plait")
class SpatialDropout1D(_SpatialDropout):
    """Dropout of whole feature channels of `(batch, steps, channels)`: a dropped channel
    is 0 at every step (Tompson et al., 2015).

    Args:
        rate: float in [0, 1], the fraction of channels dropped.
        seed: int for reproducible masks.

    Input shape: `(batch, steps, channels)`. Output shape: the input's.

        >>> import torch
        >>> y = SpatialDropout1D(0.5, seed=1)(torch.ones(1, 4, 8), training=True)
        >>> bool((y == y[:, :1]).all())  # each channel kept or dropped at every step
        True
    """

    rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)


@register_serializable(package="plait")
class SpatialDropout2D(_SpatialDropout):
    """Dropout of whole feature maps of `(batch, rows, cols, channels)`.

    Args:
        rate: float in [0, 1], the fraction of channels dropped.
        data_format: 'channels_last' (default) or 'channels_first'.
        seed: int for reproducible masks.

    Input shape: `(batch, rows, cols, channels)`. Output shape: the input's.

        >>> import torch
        >>> y = SpatialDropout2D(0.5, seed=1)(torch.ones(1, 3, 3, 8), training=True)
        >>> bool((y == y[:, :1, :1]).all())
        True
    """

    rank = 2


@register_serializable(package="plait")
class SpatialDropout3D(_SpatialDropout):
    """Dropout of whole feature volumes of `(batch, d1, d2, d3, channels)`.

    Args:
        rate: float in [0, 1], the fraction of channels dropped.
        data_format: 'channels_last' (default) or 'channels_first'.
        seed: int for reproducible masks.

    Input shape: `(batch, d1, d2, d3, channels)`. Output shape: the input's.

        >>> import torch
        >>> y = SpatialDropout3D(0.5, seed=1)(torch.ones(1, 2, 2, 2, 8), training=True)
        >>> bool((y == y[:, :1, :1, :1]).all())
        True
    """

    rank = 3


@register_serializable(package="plait")
class GaussianNoise(_RandomLayer):
    """Adds zero-mean Gaussian noise of standard deviation `stddev` during training.

    Args:
        stddev: float >= 0, the noise's standard deviation.
        seed: int for reproducible noise.

    Input shape: any. Output shape: the input's.

        >>> import torch
        >>> GaussianNoise(0.1)(torch.ones(2)).tolist()  # inference: unchanged
        [1.0, 1.0]
        >>> GaussianNoise(0.1, seed=1)(torch.ones(2, 3), training=True).shape
        torch.Size([2, 3])
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, (int, float)) or stddev < 0:
            raise ValueError(f"`stddev` must be a non-negative float. Received: stddev={stddev!r}")
        self.stddev = float(stddev)

    def forward(self, inputs, training=None):
        if not self._is_training(training) or self.stddev == 0:
            return inputs
        noise = torch.empty_like(inputs).normal_(
            0.0, self.stddev, generator=self._generator(inputs.device)
        )
        return inputs + noise

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config


@register_serializable(package="plait")
class GaussianDropout(_RandomLayer):
    """Multiplies the inputs by Gaussian noise of mean 1 and standard deviation
    `sqrt(rate / (1 - rate))` during training.

    Args:
        rate: float in [0, 1), the drop probability the noise stands for.
        seed: int for reproducible noise.

    Input shape: any. Output shape: the input's.

        >>> import torch
        >>> GaussianDropout(0.2)(torch.ones(2)).tolist()  # inference: unchanged
        [1.0, 1.0]
        >>> GaussianDropout(0.2, seed=1)(torch.ones(2, 3), training=True).shape
        torch.Size([2, 3])
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate(rate)
        if self.rate == 1:
            raise ValueError(
                "GaussianDropout's `rate` must be below 1 (its noise has standard deviation "
                "sqrt(rate / (1 - rate))). Received: rate=1"
            )

    def forward(self, inputs, training=None):
        if not self._is_training(training) or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = torch.empty_like(inputs).normal_(
            1.0, stddev, generator=self._generator(inputs.device)
        )
        return inputs * noise

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config


@register_serializable(package="plait")
class ActivityRegularization(PassesMask, Layer):
    """Returns its input unchanged and records the penalty
    `(l1 * sum(|x|) + l2 * sum(x ** 2)) / batch_size` for `regularization_losses()`.

    Args:
        l1: the L1 factor, a non-negative float (default 0.0).
        l2: the L2 factor, a non-negative float (default 0.0).

    Input shape: any. Output shape: the input's.

        >>> import torch
        >>> layer = ActivityRegularization(l1=0.1)
        >>> layer(torch.tensor([[1.0, -2.0]])).tolist()
        [[1.0, -2.0]]
        >>> [round(float(p), 3) for p in layer.losses]
        [0.3]
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.l1, self.l2 = l1, l2
        set_activity_regularizer(self, regularizers.L1L2(l1=l1, l2=l2))

    def forward(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"l1": self.l1, "l2": self.l2})
        return config
