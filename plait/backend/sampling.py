"""Keras 2's `K.random_*` and `K.dropout`: seeded draws on torch generators, on `config.device()`."""

import torch

from plait import config, ops
from plait.config import floatx
from plait.ops._base import torch_dtype

__all__ = [
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "random_bernoulli",
    "dropout",
    "random_binomial",
]


def _generator(seed):
    return None if seed is None else torch.Generator().manual_seed(int(seed))


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples of N(mean, stddev**2) of `shape`."""
    out = torch.randn(
        tuple(shape), generator=_generator(seed), dtype=torch_dtype(dtype or floatx())
    )
    return out.mul_(stddev).add_(mean).to(config.device())


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples of U[minval, maxval) of `shape`."""
    out = torch.rand(tuple(shape), generator=_generator(seed), dtype=torch_dtype(dtype or floatx()))
    return out.mul_(maxval - minval).add_(minval).to(config.device())


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples redrawn until within two standard deviations of the mean."""
    out = torch.empty(tuple(shape), dtype=torch_dtype(dtype or floatx()))
    torch.nn.init.trunc_normal_(
        out, mean, stddev, mean - 2 * stddev, mean + 2 * stddev, generator=_generator(seed)
    )
    return out.to(config.device())


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    """0/1 samples that are 1 with probability `p`."""
    return (random_uniform(shape, dtype=dtype, seed=seed) < p).to(torch_dtype(dtype or floatx()))


def dropout(x, level, noise_shape=None, seed=None):
    """`x` with a fraction `level` of its values zeroed and the rest scaled by
    1 / (1 - level)."""
    x = ops.convert_to_tensor(x)
    keep = random_uniform(noise_shape or tuple(x.shape), seed=seed).to(x.device) >= level
    return x * keep / (1.0 - level)


random_binomial = random_bernoulli
