"""Random draws with Keras 3's names and seeds: `plait.random` is `keras.random`.

    from plait import random
    random.normal((2, 3), seed=42)                  # the same numbers on every call
    gen = random.SeedGenerator(1337)
    random.uniform((2, 3), seed=gen)                # new numbers each call, a repeatable stream

The functions are stateless: an int seed gives the same values each call; a
`SeedGenerator` advances; `seed=None` draws from a global generator seeded by Python's
`random` (which `plait.utils.set_random_seed` seeds). Each draw seeds a `torch.Generator`
on the default device (`plait.config.device()`, or the input's device) exactly as Keras's
torch backend does, so a seed gives the numbers Keras gives on the same device.
`gamma`, `binomial` and `beta` sample with torch's global generator seeded for the draw
(as Keras does) and restore its state afterwards.
"""

import numpy as np
import torch

from plait import config
from plait.random.seed_generator import SeedGenerator, seed_value, torch_generator
from plait.utils import dtypes

__all__ = [
    "SeedGenerator",
    "beta",
    "binomial",
    "categorical",
    "dropout",
    "gamma",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]

_INTS = ("int8", "int16", "int32", "int64", "uint8")


def __dir__():  # dir() lists the public API, not torch or helpers
    return sorted(__all__)


def _float_dtype(dtype, function):
    name = dtypes.dtype_name(dtypes.to_torch_dtype(dtype)) if dtype else config.floatx()
    if name not in dtypes.FLOATS:
        raise ValueError(
            f"`keras.random.{function}` requires a floating point `dtype`. Received: dtype={dtype} "
        )
    return dtypes.to_torch_dtype(name)


def _int_dtype(dtype, function):
    name = dtypes.dtype_name(dtypes.to_torch_dtype(dtype)) if dtype else "int32"
    if name not in _INTS:
        raise ValueError(
            f"`keras.random.{function}` requires an integer `dtype`. Received: dtype={dtype} "
        )
    return dtypes.to_torch_dtype(name)


def _shape(shape):
    if isinstance(shape, int):
        return (shape,)
    return tuple(int(d) for d in shape)


def _tensor(x, device=None):
    """`x` as a tensor, by Keras's rules: Python floats take floatx, ints int32."""
    if isinstance(x, torch.Tensor):
        return x if device is None else x.to(device)
    device = device or config.device()
    if isinstance(x, (np.ndarray, np.generic)):
        return torch.as_tensor(np.asarray(x), device=device)
    flat = np.asarray(x)
    if flat.dtype == np.float64:
        return torch.as_tensor(x, dtype=dtypes.to_torch_dtype(config.floatx()), device=device)
    if flat.dtype == np.int64:
        return torch.as_tensor(x, dtype=torch.int32, device=device)
    return torch.as_tensor(flat, device=device)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples of a normal distribution.

    Args:
        shape: the output's shape (a tuple of ints).
        mean: default 0.0.
        stddev: default 1.0.
        dtype: a float dtype; default `plait.config.floatx()`.
        seed: an int (the same values each call), a `SeedGenerator` (new values each
            call) or None (the global generator).

    Returns:
        A tensor of `shape` on the default device.

    Example:
        >>> import plait, torch
        >>> plait.random.normal((2, 3), seed=1).shape
        torch.Size([2, 3])
    """
    dtype = dtypes.to_torch_dtype(dtype or config.floatx())
    device = config.device()
    generator = torch_generator(seed, device)
    return torch.normal(
        mean, stddev, size=_shape(shape), generator=generator, dtype=dtype, device=device
    )


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples of a uniform distribution over `[minval, maxval)`.

    Args:
        shape: the output's shape.
        minval: default 0.0 (included).
        maxval: default 1.0 (excluded).
        dtype: a float dtype; default `plait.config.floatx()`.
        seed: an int, a `SeedGenerator` or None (see `normal`).

    Raises:
        ValueError: a non-float `dtype`.

    Example:
        >>> import plait, torch
        >>> float(plait.random.uniform((), seed=3)) < 1.0
        True
    """
    dtype = _float_dtype(dtype, "uniform")
    device = config.device()
    requested = _shape(shape)
    draw = requested or (1,)
    generator = torch_generator(seed, device)
    out = (maxval - minval) * torch.rand(draw, generator=generator, dtype=dtype, device=device)
    out = out + minval
    return out[0] if not requested else out


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from `[minval, maxval)`.

    Args:
        shape: the output's shape.
        minval, maxval: the range (maxval excluded).
        dtype: an integer dtype; default "int32".
        seed: an int, a `SeedGenerator` or None (see `normal`).

    Raises:
        ValueError: a non-integer `dtype`.

    Example:
        >>> import plait, torch
        >>> plait.random.randint((4,), 0, 10, seed=0).dtype
        torch.int32
    """
    dtype = _int_dtype(dtype, "randint")
    device = config.device()
    generator = torch_generator(seed, device)
    return torch.randint(
        low=int(minval),
        high=int(maxval),
        size=_shape(shape),
        generator=generator,
        dtype=dtype,
        device=device,
    )


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples, those beyond two standard deviations redrawn (Keras's way: four
    draws per value, the first within two standard deviations kept).

    Args:
        shape: the output's shape.
        mean: default 0.0.
        stddev: default 1.0.
        dtype: a float dtype; default `plait.config.floatx()`.
        seed: an int, a `SeedGenerator` or None (see `normal`).

    Example:
        >>> import plait, torch
        >>> bool(plait.random.truncated_normal((100,), seed=2).abs().max() < 2)
        True
    """
    shape = _shape(shape)
    draws = normal(shape + (4,), mean=0.0, stddev=1.0, dtype=dtype, seed=seed)
    valid = (draws > -2) & (draws < 2)
    first = valid.max(-1, keepdim=True)[1]
    return draws.gather(-1, first).squeeze(-1).mul_(stddev).add_(mean)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Class indices drawn from the categorical distributions `softmax(logits)`.

    Args:
        logits: `(batch_size, num_classes)` unnormalized log-probabilities.
        num_samples: samples per row.
        dtype: default "int32".
        seed: an int, a `SeedGenerator` or None (see `normal`).

    Returns:
        `(batch_size, num_samples)` indices.

    Raises:
        ValueError: `logits` not 2-D.

    Example:
        >>> import plait, torch
        >>> plait.random.categorical([[0.0, 10.0]], 3, seed=1).tolist()
        [[1, 1, 1]]
    """
    logits = _tensor(logits)
    if logits.ndim != 2:
        raise ValueError(
            "`logits` should be a 2-D tensor with shape [batch_size, num_classes]. "
            f"Received: logits={logits}"
        )
    generator = torch_generator(seed, logits.device)
    probs = torch.softmax(logits, dim=-1)
    samples = torch.multinomial(probs, int(num_samples), replacement=True, generator=generator)
    return samples.to(dtypes.to_torch_dtype(dtype))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """`inputs` with a fraction `rate` of its values zeroed and the others scaled by
    `1 / (1 - rate)`.

    Args:
        inputs: a tensor.
        rate: the fraction dropped, in [0, 1].
        noise_shape: the shape of the keep/drop mask, broadcast over `inputs` (None
            entries take the input's size); default: the input's shape.
        seed: an int, a `SeedGenerator` or None. Without a seed (or with an unseeded
            `SeedGenerator`) and without `noise_shape`, torch's own dropout runs on its
            global generator, as in Keras.

    Example:
        >>> import plait, torch
        >>> x = plait.random.dropout(torch.ones(1000), 0.5, seed=1)
        >>> sorted(set(x.tolist()))
        [0.0, 2.0]
    """
    inputs = _tensor(inputs)
    if rate == 1.0:
        return torch.zeros_like(inputs)
    if rate == 0.0:
        return inputs
    seeded = seed is not None and not (
        isinstance(seed, SeedGenerator) and seed._initial_seed is None
    )
    if not seeded and noise_shape is None:
        return torch.nn.functional.dropout(inputs, p=rate, training=True)
    keep = 1.0 - rate
    if noise_shape is None:
        shape = tuple(inputs.shape)
    else:
        shape = tuple(inputs.shape[i] if d is None else d for i, d in enumerate(noise_shape))
    generator = torch_generator(seed, inputs.device)
    mask = torch.bernoulli(torch.full(shape, keep, device=inputs.device), generator=generator)
    mask = torch.broadcast_to(mask.bool(), inputs.shape)
    return torch.where(mask, inputs / keep, torch.zeros_like(inputs))


def shuffle(x, axis=0, seed=None):
    """`x` with its slices along `axis` in a random order (Keras's permutation: random
    keys sorted, one permutation per leading index).

    Args:
        x: a tensor.
        axis: default 0.
        seed: an int, a `SeedGenerator` or None (see `normal`).

    Example:
        >>> import plait, torch
        >>> sorted(plait.random.shuffle(torch.arange(5), seed=3).tolist())
        [0, 1, 2, 3, 4]
    """
    x = _tensor(x)
    axis = axis % x.ndim if x.ndim else 0
    generator = torch_generator(seed, x.device)
    order = torch.rand(x.shape[: axis + 1], generator=generator, device=x.device).argsort(axis)
    order = order.reshape(order.shape + (1,) * (x.ndim - axis - 1)).expand(x.shape)
    return x.gather(axis, order)


def _with_global_seed(seed, sample, devices):
    """`sample()` under torch's global generator seeded as Keras seeds it; the global
    state (CPU and the devices used) is restored afterwards."""
    with torch.random.fork_rng(devices=devices, device_type="cuda"):
        torch.manual_seed(seed_value(seed))
        return sample()


def _cuda_devices():
    # torch.manual_seed seeds every GPU: all their states are restored
    return list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples of the Gamma distribution with concentration `alpha` and rate 1.

    Args:
        shape: the output's shape.
        alpha: the concentration, a float or a tensor broadcast to `shape`.
        dtype: default `plait.config.floatx()`.
        seed: an int, a `SeedGenerator` or None (see `normal`).

    Example:
        >>> import plait, torch
        >>> bool((plait.random.gamma((3,), alpha=2.0, seed=4) > 0).all())
        True
    """
    dtype = dtypes.to_torch_dtype(dtype or config.floatx())
    shape = _shape(shape)
    alpha = torch.broadcast_to(_tensor(alpha), shape)
    rate = torch.ones(shape, device=alpha.device)
    distribution = torch.distributions.Gamma(alpha, rate)
    sample = _with_global_seed(seed, distribution.sample, _cuda_devices())
    return sample.to(dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Samples of the Binomial distribution: successes in `counts` trials of success
    probability `probabilities`.

    Args:
        shape: the output's shape.
        counts: trials, a number or a tensor broadcast to `shape`.
        probabilities: success probability, a float or a tensor broadcast to `shape`.
        dtype: default `plait.config.floatx()`.
        seed: an int, a `SeedGenerator` or None (see `normal`).

    Example:
        >>> import plait, torch
        >>> plait.random.binomial((2,), counts=5, probabilities=1.0, seed=1).tolist()
        [5.0, 5.0]
    """
    dtype = dtypes.to_torch_dtype(dtype or config.floatx())
    shape = _shape(shape)
    counts = torch.broadcast_to(_tensor(counts), shape)
    probabilities = torch.broadcast_to(_tensor(probabilities, counts.device), shape)
    distribution = torch.distributions.Binomial(total_count=counts, probs=probabilities)
    sample = _with_global_seed(seed, distribution.sample, _cuda_devices())
    return sample.to(dtype)


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples of the Beta distribution with concentrations `alpha` and `beta`.

    Args:
        shape: the output's shape.
        alpha, beta: floats or tensors broadcast to `shape`.
        dtype: default `plait.config.floatx()`.
        seed: an int, a `SeedGenerator` or None (see `normal`).

    Example:
        >>> import plait, torch
        >>> x = plait.random.beta((4,), alpha=2.0, beta=3.0, seed=5)
        >>> bool(((x > 0) & (x < 1)).all())
        True
    """
    dtype = dtypes.to_torch_dtype(dtype or config.floatx())
    shape = _shape(shape)
    alpha = torch.broadcast_to(_tensor(alpha), shape)
    beta = torch.broadcast_to(_tensor(beta, alpha.device), shape)
    distribution = torch.distributions.Beta(concentration1=alpha, concentration0=beta)
    sample = _with_global_seed(seed, distribution.sample, _cuda_devices())
    return sample.to(dtype)
