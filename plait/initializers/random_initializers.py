"""Initializers that draw random values: uniform, normal and truncated normal, the
variance-scaling family (Glorot, He, LeCun) and `Orthogonal`. A `seed` gives Keras's
values for the same seed where Keras's torch backend draws the same way.
"""

import math

import torch

from plait.initializers.constant_initializers import Initializer, compute_fans
from plait.serialization import register_serializable

__all__ = [
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "LecunNormal",
    "LecunUniform",
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
]


@register_serializable(package="plait")
class RandomUniform(Initializer):
    """Samples uniformly from `[minval, maxval)`.

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Args:
        minval: default -0.05. maxval: default 0.05.
        seed: an int for reproducible values (Keras's values for the same seed), or None.

    Example:
        >>> from plait import initializers
        >>> initializers.RandomUniform(seed=1)((2, 2))
        tensor([[ 0.0258, -0.0221],
                [-0.0097,  0.0235]])
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=None, device=None):
        out = torch.empty(shape, dtype=dtype, device=device)
        return out.uniform_(self.minval, self.maxval, generator=self._generator(device))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


@register_serializable(package="plait")
class RandomNormal(Initializer):
    """Samples from a normal distribution N(mean, stddev**2).

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Args:
        mean: default 0.0. stddev: default 0.05.
        seed: an int for reproducible values (Keras's values for the same seed), or None.

    Example:
        >>> from plait import initializers
        >>> initializers.RandomNormal(seed=1)((2, 2))
        tensor([[0.0331, 0.0133],
                [0.0031, 0.0311]])
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None, device=None):
        out = torch.empty(shape, dtype=dtype, device=device)
        return out.normal_(self.mean, self.stddev, generator=self._generator(device))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


@register_serializable(package="plait")
class TruncatedNormal(RandomNormal):
    """Samples like `RandomNormal` (same arguments and defaults), then redraws the values
    that lie beyond two standard deviations from the mean.

    Example:
        >>> from plait import initializers
        >>> w = initializers.TruncatedNormal(seed=1)((1000,))
        >>> w.shape, bool(w.abs().max() <= 2 * 0.05)
        (torch.Size([1000]), True)
    """

    def __call__(self, shape, dtype=None, device=None):
        out = torch.empty(shape, dtype=dtype, device=device)
        return torch.nn.init.trunc_normal_(
            out,
            self.mean,
            self.stddev,
            self.mean - 2 * self.stddev,
            self.mean + 2 * self.stddev,
            generator=self._generator(device),
        )


@register_serializable(package="plait")
class VarianceScaling(Initializer):
    """Samples with a variance scaled to the weight's fan: `scale / fan`.

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Args:
        scale: a positive float (default 1.0).
        mode: 'fan_in' (default), 'fan_out' or 'fan_avg': which fan divides `scale`;
            fans come from the Keras-layout shape (a Conv kernel's receptive field counts).
        distribution: 'truncated_normal' (default; stddev corrected for the truncation at
            two stddevs), 'untruncated_normal' or 'uniform' (limit `sqrt(3 * scale / fan)`).
        seed: an int for reproducible values, or None.

    Raises:
        ValueError: a non-positive `scale`, an unknown `mode` or `distribution`.

    Example:
        >>> from plait import initializers
        >>> initializers.VarianceScaling(2.0, distribution='uniform', seed=1)((2, 2))
        tensor([[ 0.8925, -0.7645],
                [-0.3358,  0.8130]])
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if scale <= 0.0:
            raise ValueError(f"`scale` must be positive. Received: scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(
                f"`mode` must be 'fan_in', 'fan_out' or 'fan_avg'. Received: mode={mode!r}"
            )
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(
                "`distribution` must be 'truncated_normal', 'untruncated_normal' or 'uniform'. "
                f"Received: distribution={distribution!r}"
            )
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape, dtype=None, device=None):
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        scale = self.scale / max(1.0, fan)
        out = torch.empty(shape, dtype=dtype, device=device)
        gen = self._generator(device)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * scale)
            return out.uniform_(-limit, limit, generator=gen)
        if self.distribution == "untruncated_normal":
            return out.normal_(0.0, math.sqrt(scale), generator=gen)
        # Keras's constant: the stddev of a unit normal truncated at two stddevs.
        stddev = math.sqrt(scale) / 0.87962566103423978
        return torch.nn.init.trunc_normal_(out, 0.0, stddev, -2 * stddev, 2 * stddev, generator=gen)

    def get_config(self):
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "seed": self.seed,
        }


# The variance-scaling presets: name -> (scale, mode, distribution, the limit or
# truncation bound in terms of fan_in and fan_out).
_PRESETS = {
    "GlorotUniform": (1.0, "fan_avg", "uniform", "sqrt(6 / (fan_in + fan_out))"),
    "GlorotNormal": (1.0, "fan_avg", "truncated_normal", "sqrt(2 / (fan_in + fan_out))"),
    "HeUniform": (2.0, "fan_in", "uniform", "sqrt(6 / fan_in)"),
    "HeNormal": (2.0, "fan_in", "truncated_normal", "sqrt(2 / fan_in)"),
    "LecunUniform": (1.0, "fan_in", "uniform", "sqrt(3 / fan_in)"),
    "LecunNormal": (1.0, "fan_in", "truncated_normal", "sqrt(1 / fan_in)"),
}
_AUTHORS = {"Glorot": "Glorot (Xavier)", "He": "He", "Lecun": "LeCun"}


def _preset_doc(name, scale, mode, distribution, formula):
    """The docstring of a preset, with an example that checks its bound."""
    author = _AUTHORS[name.replace("Uniform", "").replace("Normal", "")]
    fan_in, fan_out = 3 * 3 * 16, 3 * 3 * 32  # the example's Conv2D kernel (3, 3, 16, 32)
    fan = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2}[mode]
    if distribution == "uniform":
        what, bound = f"U(-limit, limit) with `limit = {formula}`", (3 * scale / fan) ** 0.5
    else:
        what = f"a normal with `stddev = {formula}` truncated at two stddevs"
        bound = 2 * (scale / fan) ** 0.5 / 0.87962566103423978
    return f"""{author} {distribution.split("_")[-1]} initializer: {what}.

    `VarianceScaling(scale={scale}, mode="{mode}", distribution="{distribution}")`. Called
    with a shape in Keras's layout, returns a tensor of that shape.

    Args:
        seed: an int for reproducible values, or None.

    Example:
        >>> from plait import initializers
        >>> w = initializers.{name}(seed=1)((3, 3, 16, 32))
        >>> w.shape, bool(w.abs().max() <= {math.ceil(bound * 1e4) / 1e4})
        (torch.Size([3, 3, 16, 32]), True)
    """


def _variance_scaling(name):
    """The `VarianceScaling` preset `name` of `_PRESETS`: its only argument is `seed`."""
    scale, mode, distribution, formula = _PRESETS[name]

    class Preset(VarianceScaling):
        def __init__(self, seed=None):
            super().__init__(scale, mode, distribution, seed)

        def get_config(self):
            return {"seed": self.seed}

    Preset.__name__ = Preset.__qualname__ = name
    Preset.__doc__ = _preset_doc(name, scale, mode, distribution, formula)
    return register_serializable(package="plait")(Preset)


GlorotUniform = _variance_scaling("GlorotUniform")
GlorotNormal = _variance_scaling("GlorotNormal")
HeUniform = _variance_scaling("HeUniform")
HeNormal = _variance_scaling("HeNormal")
LecunUniform = _variance_scaling("LecunUniform")
LecunNormal = _variance_scaling("LecunNormal")


@register_serializable(package="plait")
class Orthogonal(Initializer):
    """An orthogonal matrix (times `gain`), from the QR decomposition of a normal matrix.

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Args:
        gain: a multiplicative factor (default 1.0).
        seed: an int for reproducible values (Keras's matrix for the same seed), or None.

    Raises:
        ValueError: (when called) a shape of rank < 2.

    Example:
        >>> from plait import initializers
        >>> initializers.Orthogonal(seed=1)((2, 2))
        tensor([[ 0.9957, -0.0929],
                [ 0.0929,  0.9957]])
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def __call__(self, shape, dtype=None, device=None):
        if len(shape) < 2:
            raise ValueError(
                f"The Orthogonal initializer needs a shape of rank >= 2. Received: shape={shape}"
            )
        # Keras's construction (so a seed gives Keras's matrix): QR of a normal matrix of
        # shape (max, min), signs fixed by R's diagonal, transposed when wide.
        rows, cols = math.prod(shape[:-1]), shape[-1]
        flat = torch.empty(max(rows, cols), min(rows, cols), dtype=torch.float32, device=device)
        flat.normal_(0.0, 1.0, generator=self._generator(device))
        q, r = torch.linalg.qr(flat)
        q = q * torch.sign(torch.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).to(dtype or torch.float32)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}
