"""`AlphaDropout`: the dropout of self-normalizing networks (Klambauer et al., 2017), which
keeps the mean and variance of SELU activations.

    y = plait.layers.AlphaDropout(0.1)(x)
"""

import torch

from plait.layers.layer import Layer, LayerCallError
from plait.layers.masking import PassesMask
from plait.serialization import register_serializable
from plait.utils.random import device_generator
from plait.utils.validation import check_rate, check_seed

__all__ = ["AlphaDropout"]

# SELU's constants; dropped units take SELU's negative saturation value -alpha * scale
_ALPHA = 1.6732632423543772848170429916717
_SCALE = 1.0507009873554804934193349852946
_ALPHA_P = -_ALPHA * _SCALE


@register_serializable(package="plait")
class AlphaDropout(PassesMask, Layer):
    """Alpha Dropout: in training, each input is kept with probability `1 - rate` or set to
    SELU's negative saturation value `-alpha * scale`, then the result is moved by the
    affine map `a * x + b` that restores the input's mean and variance (for standard
    normal inputs). The identity at inference.

    Args:
        rate: float in [0, 1], the fraction of inputs dropped. The multiplicative noise has
            standard deviation `sqrt(rate / (1 - rate))`.
        noise_shape: None (default: the input's shape), or a tuple for the mask, which is
            broadcast over the input; `None` entries take the input's size, e.g.
            `(None, 1, None)` drops the same features at every time step.
        seed: int for reproducible masks (default None: PyTorch's global generator).

    Input shape: any. Output shape: the input's.

    Raises:
        ValueError: `rate` outside [0, 1]; a `noise_shape` whose rank is not the input's.
        TypeError: `seed` is not an int.

    Example:
        >>> import torch
        >>> layer = AlphaDropout(0.2, seed=1)
        >>> x = torch.randn(4, 8)
        >>> bool((layer(x, training=False) == x).all())
        True
        >>> layer(x, training=True).shape
        torch.Size([4, 8])
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate(rate)
        if noise_shape is not None:
            noise_shape = tuple(noise_shape)
            if not all(d is None or (isinstance(d, int) and d > 0) for d in noise_shape):
                raise ValueError(
                    "AlphaDropout's `noise_shape` must be a tuple of positive ints or None. "
                    f"Received: noise_shape={noise_shape}"
                )
        self.noise_shape = noise_shape
        self.seed = check_seed(seed)
        self._generators = {}

    def build(self, input_shape):
        if self.noise_shape is not None and len(self.noise_shape) != len(input_shape):
            raise LayerCallError(
                f"AlphaDropout layer '{self.name}' has noise_shape={self.noise_shape}, of rank "
                f"{len(self.noise_shape)}, but its input has shape {tuple(input_shape)}. Give "
                "noise_shape the input's rank (None for the sizes to keep)."
            )

    def forward(self, inputs, training=None):
        training = self.training if training is None else bool(training)
        if not training or self.rate == 0:
            return inputs
        if self.rate >= 1:
            raise ValueError(
                f"AlphaDropout layer '{self.name}' cannot train with rate=1: its affine "
                "correction divides by 1 - rate. Use a rate below 1. Received: rate=1.0"
            )
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(n if d is None else d for d, n in zip(self.noise_shape, inputs.shape))
        draws = torch.empty(shape, device=inputs.device)
        draws.uniform_(generator=device_generator(self._generators, self.seed, inputs.device))
        kept = (draws >= self.rate).to(inputs.dtype)
        a = ((1 - self.rate) * (1 + self.rate * _ALPHA_P**2)) ** -0.5
        b = -a * _ALPHA_P * self.rate
        return a * (inputs * kept + _ALPHA_P * (1 - kept)) + b

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

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
