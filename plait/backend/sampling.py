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
    """Samples of N(mean, stddev**2) of `shape`, on `config.device()`.

    Args:
        shape: a tuple of ints.
        mean: default 0.0. stddev: default 1.0.
        dtype: a float dtype name (default `floatx()`).
        seed: an int for reproducible samples, or None.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> x = K.random_normal((2, 3), seed=1)
        >>> x.shape, x.dtype, torch.equal(x, K.random_normal((2, 3), seed=1))
        (torch.Size([2, 3]), torch.float32, True)
    """
    out = torch.randn(
        tuple(shape), generator=_generator(seed), dtype=torch_dtype(dtype or floatx())
    )
    return out.mul_(stddev).add_(mean).to(config.device())


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples of U[minval, maxval) of `shape`, on `config.device()`.

    Args:
        shape: a tuple of ints.
        minval: default 0.0. maxval: default 1.0.
        dtype: a float dtype name (default `floatx()`).
        seed: an int for reproducible samples, or None.

    Example:
        >>> from plait import backend as K
        >>> x = K.random_uniform((1000,), minval=2.0, maxval=3.0, seed=1)
        >>> bool(x.min() >= 2.0), bool(x.max() < 3.0)
        (True, True)
    """
    out = torch.rand(tuple(shape), generator=_generator(seed), dtype=torch_dtype(dtype or floatx()))
    return out.mul_(maxval - minval).add_(minval).to(config.device())


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples redrawn until within two standard deviations of the mean.

    Args:
        shape: a tuple of ints.
        mean: default 0.0. stddev: default 1.0.
        dtype: a float dtype name (default `floatx()`).
        seed: an int for reproducible samples, or None.

    Example:
        >>> from plait import backend as K
        >>> x = K.truncated_normal((1000,), stddev=0.5, seed=1)
        >>> bool(x.abs().max() <= 1.0)
        True
    """
    out = torch.empty(tuple(shape), dtype=torch_dtype(dtype or floatx()))
    torch.nn.init.trunc_normal_(
        out, mean, stddev, mean - 2 * stddev, mean + 2 * stddev, generator=_generator(seed)
    )
    return out.to(config.device())


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    """0/1 samples of `shape` that are 1 with probability `p` (`random_binomial` too).

    Args:
        shape: a tuple of ints.
        p: the probability of a 1 (default 0.0).
        dtype: the result's dtype name (default `floatx()`).
        seed: an int for reproducible samples, or None.

    Example:
        >>> from plait import backend as K
        >>> K.random_bernoulli((2, 3), p=1.0, seed=1)
        tensor([[1., 1., 1.],
                [1., 1., 1.]])
        >>> sorted(K.random_bernoulli((100,), p=0.5, seed=1).unique().tolist())
        [0.0, 1.0]
    """
    return (random_uniform(shape, dtype=dtype, seed=seed) < p).to(torch_dtype(dtype or floatx()))


def dropout(x, level, noise_shape=None, seed=None):
    """`x` with a fraction `level` of its values zeroed and the rest scaled by `1 / (1 - level)`.

    Args:
        x: a tensor.
        level: the fraction to drop, in [0, 1).
        noise_shape: the shape of the keep mask (broadcast to `x`), or None for `x`'s.
        seed: an int for a reproducible mask, or None.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> y = K.dropout(torch.ones(1000), 0.5, seed=1)
        >>> sorted(y.unique().tolist())
        [0.0, 2.0]
    """
    x = ops.convert_to_tensor(x)
    keep = random_uniform(noise_shape or tuple(x.shape), seed=seed).to(x.device) >= level
    return x * keep / (1.0 - level)


random_binomial = random_bernoulli
