"""Activation functions by Keras name. `get('relu')` -> a function of one tensor."""

import torch
import torch.nn.functional as F

from plait.serialization import get_from_registry

__all__ = [
    "elu",
    "exponential",
    "gelu",
    "get",
    "hard_sigmoid",
    "hard_silu",
    "leaky_relu",
    "linear",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "serialize",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "softsign",
    "swish",
    "tanh",
]


def __dir__():  # dir() lists the public API, not torch, re or helpers
    return sorted(
        set(__all__)
        | {
            n
            for n, v in globals().items()
            if isinstance(v, type) and v.__module__ == __name__ and not n.startswith("_")
        }
    )


def linear(x):
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras's relu: `x` above `threshold` (else 0), capped at `max_value`, plus
    `negative_slope * (x - threshold)` below the threshold."""
    if max_value is None and threshold == 0.0:
        return torch.relu(x) if negative_slope == 0.0 else F.leaky_relu(x, negative_slope)
    out = x * (x > threshold).to(x.dtype) if threshold != 0.0 else torch.relu(x)
    if max_value is not None:
        out = out.clamp(0.0, max_value)
    if negative_slope != 0.0:
        out = out - negative_slope * torch.relu(threshold - x)
    return out


def relu6(x):
    return F.relu6(x)


def sigmoid(x):
    return torch.sigmoid(x)


def hard_sigmoid(x):
    """Keras 3's piecewise-linear sigmoid: `relu6(x + 3) / 6`."""
    return F.hardsigmoid(x)


def tanh(x):
    return torch.tanh(x)


def softmax(x, axis=-1):
    # Under mixed precision the probabilities stay float32 (CUDA's autocast does this by
    # itself, CPU's does not).
    if torch.is_autocast_enabled(x.device.type):
        return torch.softmax(x, dim=axis, dtype=torch.float32)
    return torch.softmax(x, dim=axis)


def log_softmax(x, axis=-1):
    if torch.is_autocast_enabled(x.device.type):
        return torch.log_softmax(x, dim=axis, dtype=torch.float32)
    return torch.log_softmax(x, dim=axis)


def softplus(x):
    return F.softplus(x)


def softsign(x):
    return F.softsign(x)


def elu(x, alpha=1.0):
    return F.elu(x, alpha)


def selu(x):
    return F.selu(x)


def gelu(x, approximate=False):
    return F.gelu(x, approximate="tanh" if approximate else "none")


def silu(x):
    return F.silu(x)


def exponential(x):
    return torch.exp(x)


def mish(x):
    return F.mish(x)


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(x, negative_slope)


def hard_silu(x):
    """Keras 3's `x * hard_sigmoid(x)`."""
    return F.hardswish(x)


def celu(x, alpha=1.0):
    """`max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))`. Default `alpha=1.0`."""
    return F.celu(x, alpha=alpha)


def glu(x, axis=-1):
    """Gated linear unit: splits `x` in two halves `a, b` along `axis` (its size must be
    even) and returns `a * sigmoid(b)`. Default `axis=-1`."""
    return F.glu(x, dim=axis)


def hard_tanh(x):
    """`x` clipped to [-1, 1]."""
    return F.hardtanh(x, min_val=-1.0, max_val=1.0)


def hard_shrink(x, threshold=0.5):
    """`x` where `|x| > threshold`, else 0. Default `threshold=0.5`."""
    return F.hardshrink(x, lambd=threshold)


def soft_shrink(x, threshold=0.5):
    """`x - threshold` above `threshold`, `x + threshold` below `-threshold`, else 0."""
    return F.softshrink(x, lambd=threshold)


def tanh_shrink(x):
    """`x - tanh(x)`."""
    return F.tanhshrink(x)


def threshold(x, threshold, default_value):
    """`x` where `x > threshold`, else `default_value`."""
    return F.threshold(x, threshold, default_value)


def log_sigmoid(x):
    """`log(sigmoid(x))`, computed stably."""
    return F.logsigmoid(x)


def sparse_plus(x):
    """0 for `x <= -1`, `(x + 1)**2 / 4` for `-1 < x < 1`, `x` for `x >= 1`."""
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x < 1, 0.25 * (x + 1) ** 2, x))


def sparse_sigmoid(x):
    """0 for `x <= -1`, `(x + 1) / 2` between, 1 for `x >= 1`."""
    return torch.clamp(0.5 * (x + 1), 0.0, 1.0)


def squareplus(x, b=4):
    """`(x + sqrt(x**2 + b)) / 2`, a smooth relu. Default `b=4`."""
    return (x + torch.sqrt(x * x + b)) / 2


def sparsemax(x, axis=-1):
    """Sparsemax (Martins & Astudillo, 2016): the Euclidean projection of `x` onto the
    probability simplex along `axis`; like softmax, but many outputs are exactly 0."""
    ordered = torch.sort(x, dim=axis, descending=True).values
    cumulative = torch.cumsum(ordered, dim=axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    ranks = torch.arange(1, x.shape[axis] + 1, device=x.device, dtype=x.dtype).view(shape)
    support = ordered - (cumulative - 1) / ranks > 0
    count = support.sum(dim=axis, keepdim=True).to(x.dtype)
    tau = (
        torch.where(support, cumulative, torch.zeros_like(cumulative)).sum(dim=axis, keepdim=True)
        - 1
    ) / count
    return torch.clamp(x - tau, min=0.0)


swish = silu
hard_swish = hard_silu

_ACTIVATIONS = {
    fn.__name__: fn
    for fn in (
        linear,
        relu,
        relu6,
        sigmoid,
        hard_sigmoid,
        tanh,
        softmax,
        log_softmax,
        softplus,
        softsign,
        elu,
        selu,
        gelu,
        silu,
        exponential,
        mish,
        leaky_relu,
        hard_silu,
        celu,
        glu,
        hard_tanh,
        hard_shrink,
        soft_shrink,
        tanh_shrink,
        threshold,
        log_sigmoid,
        sparse_plus,
        sparse_sigmoid,
        squareplus,
        sparsemax,
    )
}
_ACTIVATIONS["swish"] = silu
_ACTIVATIONS["hard_swish"] = hard_silu

# Activations whose Keras default is exactly one torch function: layers call that function
# directly, which saves a Python call per layer per step (a few % of a small model's step).
_TORCH_EQUIVALENTS = ((relu, torch.relu), (sigmoid, torch.sigmoid), (tanh, torch.tanh))


def compute_function(fn):
    """The function a layer calls to apply activation `fn`: None for linear, the equivalent
    torch function for relu, sigmoid and tanh, else `fn` itself."""
    if fn is linear:
        return None
    for keras_fn, torch_fn in _TORCH_EQUIVALENTS:
        if fn is keras_fn:
            return torch_fn
    return fn


def get(identifier):
    """A function of one tensor: by name ('relu'), None (linear), or a callable as it is."""
    if identifier is None:
        return linear
    return get_from_registry(identifier, _ACTIVATIONS, "activation")


def serialize(fn):
    """The Keras name of a built-in activation; the callable's own name otherwise."""
    for name, known in _ACTIVATIONS.items():
        if known is fn:
            return name
    return getattr(fn, "__name__", type(fn).__name__)


def deserialize(config, custom_objects=None):
    """The activation function for a name or a `serialize`d config (Keras's
    `{"class_name": "function", "config": name}` dict is accepted too).

    Raises:
        ValueError: for an unknown name.
    """
    if isinstance(config, dict):
        config = config.get("config", config.get("class_name"))
        if isinstance(config, dict):
            config = config.get("name")
    if custom_objects and config in custom_objects:
        return custom_objects[config]
    return get(config)
