"""Activation functions by Keras name. `get('relu')` -> a function of one tensor."""

import torch
import torch.nn.functional as F

from plait.serialization import get_from_registry, module_dir

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


def linear(x):
    """The identity: returns `x` unchanged (the activation `None` means).

    Example:
        >>> import torch
        >>> from plait import activations
        >>> activations.linear(torch.tensor([-2.0, 0.0, 2.0]))
        tensor([-2.,  0.,  2.])
    """
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras's relu: `x` above `threshold` (else 0), capped at `max_value`, plus
    `negative_slope * (x - threshold)` below the threshold.

    Args:
        x: a float tensor.
        negative_slope: the slope below `threshold` (default 0.0).
        max_value: the largest output, or None (default) for no cap.
        threshold: values at or below it count as "off" (default 0.0).

    Returns:
        A tensor of `x`'s shape.

    Example:
        >>> import torch
        >>> from plait import activations
        >>> x = torch.tensor([-2.0, 0.0, 2.0])
        >>> activations.relu(x), activations.relu(x, negative_slope=0.5, max_value=1.0)
        (tensor([0., 0., 2.]), tensor([-1.,  0.,  1.]))
    """
    if max_value is None and threshold == 0.0:
        return torch.relu(x) if negative_slope == 0.0 else F.leaky_relu(x, negative_slope)
    out = x * (x > threshold).to(x.dtype) if threshold != 0.0 else torch.relu(x)
    if max_value is not None:
        out = out.clamp(0.0, max_value)
    if negative_slope != 0.0:
        out = out - negative_slope * torch.relu(threshold - x)
    return out


def relu6(x):
    """`min(max(x, 0), 6)`: relu capped at 6.

    Args:
        x: a float tensor.

    Returns:
        A tensor of `x`'s shape and dtype.

    Example:
        >>> import torch
        >>> from plait import activations
        >>> x = torch.tensor([-2.0, 0.0, 2.0])
        >>> activations.relu6(torch.tensor([-1.0, 3.0, 8.0]))
        tensor([0., 3., 6.])
    """
    return F.relu6(x)


def sigmoid(x):
    """The logistic function `1 / (1 + exp(-x))`, element-wise: values in (0, 1).

    Example:
        >>> import torch
        >>> from plait import activations
        >>> activations.sigmoid(torch.tensor([0.0]))
        tensor([0.5000])
    """
    return torch.sigmoid(x)


def hard_sigmoid(x):
    """Keras 3's piecewise-linear sigmoid: `relu6(x + 3) / 6`.

    Example:
        >>> import torch
        >>> from plait import activations
        >>> activations.hard_sigmoid(torch.tensor([-2.0, 0.0, 2.0]))
        tensor([0.1667, 0.5000, 0.8333])
    """
    return F.hardsigmoid(x)


def tanh(x):
    """Hyperbolic tangent, element-wise: values in (-1, 1), odd and zero-centred.

    Equal to `2 * sigmoid(2 * x) - 1`.

    Example:
        >>> import torch
        >>> from plait import activations
        >>> activations.tanh(torch.tensor([-2.0, 0.0, 2.0]))
        tensor([-0.9640,  0.0000,  0.9640])
    """
    return torch.tanh(x)


def softmax(x, axis=-1):
    """`exp(x) / sum(exp(x))` along `axis`: values that sum to 1. Under mixed precision
    the result stays float32.

    Args:
        x: a float tensor.
        axis: the axis to normalize over (default -1).

    Returns:
        A tensor of `x`'s shape whose slices along `axis` sum to 1.

    Example:
        >>> import torch
        >>> from plait import activations
        >>> activations.softmax(torch.tensor([-2.0, 0.0, 2.0]))
        tensor([0.0159, 0.1173, 0.8668])
        >>> activations.softmax(torch.tensor([[1.0, 1.0], [0.0, 2.0]]), axis=0)
        tensor([[0.7311, 0.2689],
                [0.2689, 0.7311]])
    """
    # Under mixed precision the probabilities stay float32 (CUDA's autocast does this by
    # itself, CPU's does not).
    if torch.is_autocast_enabled(x.device.type):
        return torch.softmax(x, dim=axis, dtype=torch.float32)
    return torch.softmax(x, dim=axis)


def log_softmax(x, axis=-1):
    """`x - log(sum(exp(x)))` along `axis`: the logarithm of `softmax`, computed stably.

    Args:
        x: a float tensor.
        axis: the axis to normalize over (default -1).

    Returns:
        A tensor of `x`'s shape.

    Example:
        >>> import torch
        >>> from plait import activations
        >>> x = torch.tensor([-2.0, 0.0, 2.0])
        >>> activations.log_softmax(x)
        tensor([-4.1429, -2.1429, -0.1429])
    """
    if torch.is_autocast_enabled(x.device.type):
        return torch.log_softmax(x, dim=axis, dtype=torch.float32)
    return torch.log_softmax(x, dim=axis)


def softplus(x):
    """Softplus, a smooth relu: `log(exp(x) + 1)`.

    Example:
        >>> import torch
        >>> from plait import activations
        >>> activations.softplus(torch.tensor([0.0, 1.0, 10.0]))
        tensor([ 0.6931,  1.3133, 10.0000])
    """
    return F.softplus(x)


def softsign(x):
    """Softsign: `x / (abs(x) + 1)`, which tends to -1 and 1 more slowly than tanh.

    Its gradient decays polynomially, `1 / (1 + |x|)**2`, not exponentially.

    Example:
        >>> import torch
        >>> from plait import activations
        >>> activations.softsign(torch.tensor([-1.0, 3.0]))
        tensor([-0.5000,  0.7500])
    """
    return F.softsign(x)


def elu(x, alpha=1.0):
    """Exponential linear unit: `x` for `x > 0`, else `alpha * (exp(x) - 1)`.

    Args:
        x: a float tensor.
        alpha: the scale of the negative part (default 1.0).

    Returns:
        A tensor of `x`'s shape, with values above `-alpha`.

    Example:
        >>> import torch
        >>> from plait import activations
        >>> activations.elu(torch.tensor([-2.0, 0.0, 2.0]), alpha=0.5)
        tensor([-0.4323,  0.0000,  2.0000])
    """
    return F.elu(x, alpha)


def selu(x):
    """Scaled exponential linear unit: `scale * elu(x, alpha)` with Keras's constants
    `alpha=1.67326324` and `scale=1.05070098`.

    Example:
        >>> import torch
        >>> from plait import activations
        >>> activations.selu(torch.tensor([-1.0, 0.0, 1.0, 2.0]))
        tensor([-1.1113,  0.0000,  1.0507,  2.1014])
    """
    return F.selu(x)


def gelu(x, approximate=False):
    """Gaussian error linear unit: `x * P(X <= x)` for a standard normal `X`.

    Args:
        x: a float tensor.
        approximate: use the tanh approximation (default False: the exact erf form).

    Returns:
        A tensor of `x`'s shape.

    Example:
        >>> import torch
        >>> from plait import activations
        >>> x = torch.tensor([-2.0, 0.0, 2.0])
        >>> activations.gelu(x)
        tensor([-0.0455,  0.0000,  1.9545])
    """
    return F.gelu(x, approximate="tanh" if approximate else "none")


def silu(x):
    """Sigmoid linear unit (swish): `x * sigmoid(x)`. `swish` is the same function.

    Example:
        >>> import torch
        >>> from plait import activations
        >>> activations.silu(torch.tensor([-1.0, 1.0]))
        tensor([-0.2689,  0.7311])
    """
    return F.silu(x)


def exponential(x):
    """The exponential `exp(x)` (Keras's "exponential" activation).

    Example:
        >>> import torch
        >>> from plait import activations
        >>> activations.exponential(torch.tensor([0.0, 1.0]))
        tensor([1.0000, 2.7183])
    """
    return torch.exp(x)


def mish(x):
    """Mish (Misra, 2019): `x * tanh(softplus(x))`, a smooth non-monotonic relu.

    Slightly negative for negative inputs, minimum about -0.31 near `x = -1.19`.

    Example:
        >>> import torch
        >>> from plait import activations
        >>> activations.mish(torch.tensor([-1.0, 1.0]))
        tensor([-0.3034,  0.8651])
    """
    return F.mish(x)


def leaky_relu(x, negative_slope=0.2):
    """`x` for `x >= 0`, else `negative_slope * x`.

    Args:
        x: a float tensor.
        negative_slope: the slope below 0 (default 0.2, as in Keras).

    Returns:
        A tensor of `x`'s shape.

    Example:
        >>> import torch
        >>> from plait import activations
        >>> x = torch.tensor([-2.0, 0.0, 2.0])
        >>> activations.leaky_relu(x), activations.leaky_relu(x, negative_slope=0.1)
        (tensor([-0.4000,  0.0000,  2.0000]), tensor([-0.2000,  0.0000,  2.0000]))
    """
    return F.leaky_relu(x, negative_slope)


def hard_silu(x):
    """Keras 3's `x * hard_sigmoid(x)`.

    Example:
        >>> import torch
        >>> from plait import activations
        >>> activations.hard_silu(torch.tensor([-2.0, 0.0, 2.0]))
        tensor([-0.3333,  0.0000,  1.6667])
    """
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
    """The activation function for `identifier`.

    Args:
        identifier: a name ('relu'), a config dict, None (linear), or a callable (returned
            as it is).

    Returns:
        A function of one tensor.

    Raises:
        ValueError: an unknown name (the message suggests the closest one).

    Example:
        >>> from plait import activations
        >>> activations.get("relu") is activations.relu
        True
        >>> activations.get(None).__name__
        'linear'
    """
    if identifier is None:
        return linear
    return get_from_registry(identifier, _ACTIVATIONS, "activation")


def serialize(fn):
    """The name an activation is saved under.

    Args:
        fn: an activation function.

    Returns:
        The Keras name of a built-in activation; the callable's own name otherwise.

    Example:
        >>> from plait import activations
        >>> activations.serialize(activations.swish)
        'silu'
        >>> activations.serialize(activations.relu)
        'relu'
    """
    for name, known in _ACTIVATIONS.items():
        if known is fn:
            return name
    return getattr(fn, "__name__", type(fn).__name__)


def deserialize(config, custom_objects=None):
    """The activation function for a name or a `serialize`d config (Keras's
    `{"class_name": "function", "config": name}` dict is accepted too).

    Raises:
        ValueError: for an unknown name.

    Example:
        >>> from plait import activations
        >>> activations.deserialize("gelu") is activations.gelu
        True
        >>> activations.deserialize({"class_name": "function", "config": "tanh"}).__name__
        'tanh'
    """
    if isinstance(config, dict):
        config = config.get("config", config.get("class_name"))
        if isinstance(config, dict):
            config = config.get("name")
    if custom_objects and config in custom_objects:
        return custom_objects[config]
    return get(config)


def __dir__():  # dir() lists the public API, not torch, re or helpers
    return module_dir(globals())
