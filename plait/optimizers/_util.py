"""Helpers of the optimizers: argument checks, gradient clipping, foreach arithmetic that
takes Python numbers (eager steps) or 0-d tensors (the compiled one-graph step) alike."""

import math
import struct

import numpy as np
import torch

from plait.optimizers.schedules import LearningRateSchedule


def check_range(name, value, low, high, high_open=False, low_open=False):
    """`value` a real number in [low, high] (or with open ends), else ValueError/TypeError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"Argument `{name}` must be a float. Received: {name}={value!r}")
    ok_low = low < value if low_open else low <= value
    ok_high = value < high if high_open else value <= high
    if not (ok_low and ok_high):
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise ValueError(
            f"Argument `{name}` must be a float in {lo}{low}, {high}{hi}. "
            f"Received: {name}={value!r}"
        )
    return float(value)


def check_optional_positive(name, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"Argument `{name}` must be a float or None. Received: {name}={value!r}")
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")
    return value


def check_learning_rate(learning_rate):
    """A float, a schedule or a callable with no arguments; else TypeError/ValueError."""
    if isinstance(learning_rate, LearningRateSchedule) or (
        callable(learning_rate) and not isinstance(learning_rate, torch.Tensor)
    ):
        return learning_rate
    if isinstance(learning_rate, torch.Tensor) and learning_rate.numel() == 1:
        learning_rate = float(learning_rate)
    if hasattr(learning_rate, "item") and getattr(learning_rate, "ndim", None) == 0:
        learning_rate = learning_rate.item()  # numpy scalars
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)):
        raise TypeError(
            "Argument `learning_rate` should be a float, a LearningRateSchedule or a "
            "callable taking no arguments that returns the learning rate. "
            f"Received: learning_rate={learning_rate!r}"
        )
    if learning_rate < 0:
        raise ValueError(
            f"Argument `learning_rate` must be >= 0. Received: learning_rate={learning_rate}"
        )
    return float(learning_rate)


def f32(x):
    """`x` rounded to float32, as a Python float (a tensor is returned as it is).

    Keras computes its per-step scalars (bias corrections, momentum schedules) on float32
    tensors; plait computes them on the host, rounding each result as float32 arithmetic
    would, so both give the same bits."""
    if isinstance(x, torch.Tensor):
        return x
    return struct.unpack("f", struct.pack("f", x))[0]


def pow32(base, exponent):
    """`base ** exponent` in float32 (C's powf, as torch's float32 pow), or on tensors."""
    if isinstance(exponent, torch.Tensor) or isinstance(base, torch.Tensor):
        return base**exponent
    return float(np.float32(base) ** np.float32(exponent))


def is_tensor(x):
    return isinstance(x, torch.Tensor)


def sqrt(x):
    """Square root of a Python number (rounded to float32) or a tensor."""
    return x.sqrt() if is_tensor(x) else f32(math.sqrt(x))


def minimum(a, b):
    if is_tensor(a) or is_tensor(b):
        return torch.minimum(torch.as_tensor(a), torch.as_tensor(b))
    return min(a, b)


def add_scaled_(ys, xs, alpha):
    """`ys += alpha * xs` over lists; alpha a number or a 0-d tensor."""
    if is_tensor(alpha):
        torch._foreach_add_(ys, torch._foreach_mul(xs, alpha))
    else:
        torch._foreach_add_(ys, xs, alpha=alpha)


def ema_(avgs, xs, rate):
    """`avgs = rate * avgs + (1 - rate) * xs`, in Keras's order of operations."""
    torch._foreach_mul_(avgs, rate)
    add_scaled_(avgs, xs, 1 - rate)


def square(xs):
    return torch._foreach_mul(xs, xs)


# ---------------------------------------------------------------------------- clipping


def clip_by_value(grads, clipvalue):
    return [g.clamp(-clipvalue, clipvalue) for g in grads]


def clip_by_norm(grads, clipnorm):
    """Each gradient to norm <= clipnorm: `g * clipnorm / max(norm(g), clipnorm)`."""
    norms = torch._foreach_norm(grads)
    return [g * clipnorm / torch.clamp(n, min=clipnorm) for g, n in zip(grads, norms)]


def clip_by_global_norm(grads, clipnorm):
    """All gradients scaled by `clipnorm * min(1 / global_norm, 1 / clipnorm)`; a non-finite
    norm makes every gradient NaN, as in Keras."""
    norms = torch._foreach_norm(grads)
    device = grads[0].device
    total = torch.linalg.vector_norm(torch.stack([n.to(device, torch.float32) for n in norms]))
    scale = clipnorm * torch.clamp(1.0 / total, max=1.0 / clipnorm) + (total - total)
    return torch._foreach_mul(grads, scale)


def group_by_device_and_dtype(params):
    """{(device, dtype): [indices]} in first-seen order: foreach ops and fused kernels
    want one device and dtype per call."""
    groups = {}
    for i, p in enumerate(params):
        groups.setdefault((p.device, p.dtype), []).append(i)
    return groups
