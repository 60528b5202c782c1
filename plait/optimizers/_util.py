"""Helpers of the optimizers: argument checks, gradient clipping, foreach arithmetic that
takes Python numbers (eager steps) or 0-d tensors (the compiled one-graph step) alike."""

import inspect
import math
import struct
import warnings

import numpy as np
import torch

from plait.optimizers.schedules import LearningRateSchedule

# Keys of configs written by tf.keras 2.11+ that mean nothing here.
LEGACY_CONFIG_KEYS = ("is_legacy_optimizer", "jit_compile")


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


def legacy_arguments(learning_rate, kwargs):
    """Keras 2's `lr` and `decay` and tf.keras's config keys taken out of `kwargs`; any
    other keyword left is an error. Returns the learning rate."""
    if "lr" in kwargs:  # Keras 2 spelling
        learning_rate = kwargs.pop("lr")
    if kwargs.pop("decay", None) not in (None, 0, 0.0):
        warnings.warn("Argument `decay` is no longer supported and will be ignored.", stacklevel=4)
    for key in LEGACY_CONFIG_KEYS:
        kwargs.pop(key, None)
    if kwargs:
        raise ValueError(f"Argument(s) not recognized: {kwargs}")
    return learning_rate


def _check_int_at_least(name, value, low, what):
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"`{name}` must be {what}. Received: {name}={value}")


def check_options(
    weight_decay,
    clipnorm,
    clipvalue,
    global_clipnorm,
    use_ema,
    ema_momentum,
    ema_overwrite_frequency,
    loss_scale_factor,
    gradient_accumulation_steps,
):
    """ValueError (or TypeError) for an option of `Optimizer` out of its range."""
    set_clips = [c for c in (clipnorm, clipvalue, global_clipnorm) if c is not None]
    if len(set_clips) > 1:
        raise ValueError(
            "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
            f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
            f"global_clipnorm={global_clipnorm}"
        )
    for arg, value in (
        ("clipnorm", clipnorm),
        ("clipvalue", clipvalue),
        ("global_clipnorm", global_clipnorm),
        ("loss_scale_factor", loss_scale_factor),
    ):
        check_optional_positive(arg, value)
    if weight_decay is not None:
        check_range("weight_decay", weight_decay, 0, float("inf"))
    if gradient_accumulation_steps is not None:
        _check_int_at_least(
            "gradient_accumulation_steps", gradient_accumulation_steps, 2, "an integer >= 2"
        )
    if use_ema:
        check_range("ema_momentum", ema_momentum, 0, 1)
        if ema_overwrite_frequency is not None:
            _check_int_at_least(
                "ema_overwrite_frequency", ema_overwrite_frequency, 1, "an integer >= 1 or None"
            )


def keras_signature(cls):
    """Class decorator: the signature `help(cls)` and `inspect.signature(cls)` show lists
    the options a subclass of `Optimizer` takes as `*args, **kwargs` and passes on to its
    base (`weight_decay`, `clipnorm`, ..., `name`), after its own arguments, as Keras's
    signatures do. With `*args` they may also be given by position, in that order.

    The options are written once, in `Optimizer.__init__`; each optimizer names only its
    own arguments.
    """
    init = cls.__dict__["__init__"]
    own = inspect.signature(init)
    kinds = {p.kind for p in own.parameters.values()}
    named = [p for p in own.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    else:
        kind = inspect.Parameter.KEYWORD_ONLY
    taken = {p.name for p in named}
    base = next(b for b in cls.__mro__[1:] if "__init__" in b.__dict__)
    for p in inspect.signature(base.__dict__["__init__"]).parameters.values():
        if p.name not in taken and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            named.append(p.replace(kind=kind))
    if inspect.Parameter.VAR_KEYWORD in kinds:
        named.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
    init.__signature__ = own.replace(parameters=named)
    return cls
