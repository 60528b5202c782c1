"""Keras's activation ops (`ops.relu`, `ops.softmax`, ...), re-exported by `ops.nn`: each a
torch function from a table, with its own docstring and example."""

import torch
import torch.nn.functional as F

from plait.ops._base import keras_op, tensor, to_float

__all__ = [  # noqa: F822 - the table's ops are defined in a loop below
    "celu",
    "elu",
    "gelu",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh_shrink",
    "threshold",
]

_SHAPE = """
Args:
    x: input tensor (ints and bools are computed in floatx{keeps}).{args}

Returns:
    A tensor of `x`'s shape.
"""

# Keras name -> (function of a float tensor, its docstring's summary, extra arguments, example).
# Extra keyword arguments pass through to the function.
_ACTIVATIONS = {
    "relu": (
        F.relu,
        """Rectified linear unit: `max(x, 0)`, element-wise.""",
        "",
        """
    >>> from plait import ops
    >>> ops.relu([-1.0, 0.0, 2.0])
    tensor([0., 0., 2.])
""",
    ),
    "relu6": (
        F.relu6,
        """Rectified linear unit capped at 6: `min(max(x, 0), 6)`.""",
        "",
        """
    >>> from plait import ops
    >>> ops.relu6([-1.0, 3.0, 8.0])
    tensor([0., 3., 6.])
""",
    ),
    "sigmoid": (
        torch.sigmoid,
        """Logistic sigmoid: `1 / (1 + exp(-x))`.""",
        "",
        """
    >>> from plait import ops
    >>> ops.sigmoid([-1.0, 0.0, 1.0])
    tensor([0.2689, 0.5000, 0.7311])
""",
    ),
    "softplus": (
        F.softplus,
        """Softplus: `log(exp(x) + 1)`, computed stably.""",
        "",
        """
    >>> from plait import ops
    >>> ops.softplus([-1.0, 0.0, 1.0])
    tensor([0.3133, 0.6931, 1.3133])
""",
    ),
    "softsign": (
        F.softsign,
        """Softsign: `x / (abs(x) + 1)`.""",
        "",
        """
    >>> from plait import ops
    >>> ops.softsign([-1.0, 0.0, 3.0])
    tensor([-0.5000,  0.0000,  0.7500])
""",
    ),
    "silu": (
        F.silu,
        """Sigmoid linear unit (swish): `x * sigmoid(x)`.""",
        "",
        """
    >>> from plait import ops
    >>> ops.silu([-1.0, 0.0, 1.0])
    tensor([-0.2689,  0.0000,  0.7311])
""",
    ),
    "swish": (
        F.silu,
        """Swish, the same op as `silu`: `x * sigmoid(x)`.""",
        "",
        """
    >>> from plait import ops
    >>> ops.swish([-1.0, 0.0, 1.0])
    tensor([-0.2689,  0.0000,  0.7311])
""",
    ),
    "log_sigmoid": (
        F.logsigmoid,
        """Log of the sigmoid: `-softplus(-x)`, computed stably.""",
        "",
        """
    >>> from plait import ops
    >>> ops.log_sigmoid([-1.0, 0.0, 1.0])
    tensor([-1.3133, -0.6931, -0.3133])
""",
    ),
    "hard_sigmoid": (
        F.hardsigmoid,
        """Piecewise-linear sigmoid: `relu6(x + 3) / 6`.""",
        "",
        """
    >>> from plait import ops
    >>> ops.hard_sigmoid([-4.0, 0.0, 1.5])
    tensor([0.0000, 0.5000, 0.7500])
""",
    ),
    "hard_silu": (
        F.hardswish,
        """Hard SiLU (hard swish): `x * relu6(x + 3) / 6`.""",
        "",
        """
    >>> from plait import ops
    >>> ops.hard_silu([-4.0, 0.0, 1.5])
    tensor([-0.0000, 0.0000, 1.1250])
""",
    ),
    "hard_swish": (
        F.hardswish,
        """Hard swish, the same op as `hard_silu`: `x * relu6(x + 3) / 6`.""",
        "",
        """
    >>> from plait import ops
    >>> ops.hard_swish([-4.0, 0.0, 1.5])
    tensor([-0.0000, 0.0000, 1.1250])
""",
    ),
    "selu": (
        F.selu,
        """Scaled exponential linear unit: `scale * elu(x, alpha)` with SELU's constants.""",
        "",
        """
    >>> from plait import ops
    >>> ops.selu([-1.0, 0.0, 1.0])
    tensor([-1.1113,  0.0000,  1.0507])
""",
    ),
    "tanh_shrink": (
        F.tanhshrink,
        """Tanh shrink: `x - tanh(x)`.""",
        "",
        """
    >>> from plait import ops
    >>> ops.tanh_shrink([-1.0, 0.0, 1.0])
    tensor([-0.2384,  0.0000,  0.2384])
""",
    ),
    "hard_tanh": (
        F.hardtanh,
        """Hard tanh: `x` clipped to [-1, 1].""",
        "",
        """
    >>> from plait import ops
    >>> ops.hard_tanh([-2.0, 0.5, 3.0])
    tensor([-1.0000,  0.5000,  1.0000])
""",
    ),
    "leaky_relu": (
        lambda x, negative_slope=0.2: F.leaky_relu(x, negative_slope),
        """Leaky ReLU: `x` where positive, `negative_slope * x` elsewhere.""",
        "\n    negative_slope: the slope below zero (default 0.2).",
        """
    >>> from plait import ops
    >>> ops.leaky_relu([-2.0, 0.0, 3.0])
    tensor([-0.4000,  0.0000,  3.0000])
""",
    ),
    "elu": (
        lambda x, alpha=1.0: F.elu(x, alpha),
        """Exponential linear unit: `x` where positive, `alpha * (exp(x) - 1)` elsewhere.""",
        "\n    alpha: the scale of the negative part (default 1.0).",
        """
    >>> from plait import ops
    >>> ops.elu([-1.0, 0.0, 2.0])
    tensor([-0.6321,  0.0000,  2.0000])
""",
    ),
    "celu": (
        lambda x, alpha=1.0: F.celu(x, alpha),
        """Continuously differentiable ELU: `max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))`.""",
        "\n    alpha: the scale of the negative part (default 1.0).",
        """
    >>> from plait import ops
    >>> ops.celu([-1.0, 0.0, 2.0], alpha=2.0)
    tensor([-0.7869,  0.0000,  2.0000])
""",
    ),
    "gelu": (
        lambda x, approximate=True: F.gelu(x, approximate="tanh" if approximate else "none"),
        """Gaussian error linear unit: `x * Phi(x)`, by default with the tanh approximation.""",
        "\n    approximate: True (default) for the tanh approximation, False for the exact erf.",
        """
    >>> from plait import ops
    >>> ops.gelu([-1.0, 0.0, 1.0])
    tensor([-0.1588,  0.0000,  0.8412])
    >>> ops.gelu([-1.0, 0.0, 1.0], approximate=False)
    tensor([-0.1587,  0.0000,  0.8413])
""",
    ),
    "glu": (
        lambda x, axis=-1: F.glu(x, axis),
        """Gated linear unit: `a * sigmoid(b)`, where `a` and `b` are the halves of `x` along
`axis` (its output has half of `x`'s size there).""",
        "\n    axis: the axis to split (default -1; its size must be even).",
        """
    >>> from plait import ops
    >>> ops.glu([[1.0, 2.0, 0.0, 1.0]])
    tensor([[0.5000, 1.4621]])
""",
    ),
    "hard_shrink": (
        lambda x, threshold=0.5: F.hardshrink(x, threshold),
        """Hard shrink: `x` where `abs(x) > threshold`, 0 elsewhere.""",
        "\n    threshold: default 0.5.",
        """
    >>> from plait import ops
    >>> ops.hard_shrink([-1.0, 0.3, 2.0])
    tensor([-1.,  0.,  2.])
""",
    ),
    "soft_shrink": (
        lambda x, threshold=0.5: F.softshrink(x, threshold),
        """Soft shrink: `x` moved `threshold` towards 0, and 0 within `threshold` of it.""",
        "\n    threshold: default 0.5.",
        """
    >>> from plait import ops
    >>> ops.soft_shrink([-1.0, 0.3, 2.0])
    tensor([-0.5000,  0.0000,  1.5000])
""",
    ),
    "threshold": (
        lambda x, threshold, default_value: F.threshold(x, threshold, default_value),
        """`x` where `x > threshold`, `default_value` elsewhere.""",
        "\n    threshold: the cut-off.\n    default_value: the value at and below it.",
        """
    >>> from plait import ops
    >>> ops.threshold([-1.0, 0.5, 2.0], 0.5, -9.0)
    tensor([-9., -9.,  2.])
""",
    ),
    "squareplus": (
        lambda x, b=4: (x + torch.sqrt(x * x + b)) / 2,
        """Squareplus, a smooth ReLU: `(x + sqrt(x ** 2 + b)) / 2`.""",
        "\n    b: the smoothness (default 4).",
        """
    >>> from plait import ops
    >>> ops.squareplus([-2.0, 0.0, 2.0])
    tensor([0.4142, 1.0000, 2.4142])
""",
    ),
    "sparse_plus": (
        lambda x: torch.where(
            x <= -1, torch.zeros_like(x), torch.where(x >= 1, x, (x + 1) ** 2 / 4)
        ),
        """SparsePlus: 0 for `x <= -1`, `(x + 1) ** 2 / 4` between, `x` for `x >= 1`.""",
        "",
        """
    >>> from plait import ops
    >>> ops.sparse_plus([-2.0, 0.0, 0.5, 2.0])
    tensor([0.0000, 0.2500, 0.5625, 2.0000])
""",
    ),
    "sparse_sigmoid": (
        lambda x: torch.clamp((x + 1) / 2, 0, 1),
        """Sparse sigmoid: `(x + 1) / 2` clipped to [0, 1].""",
        "",
        """
    >>> from plait import ops
    >>> ops.sparse_sigmoid([-2.0, 0.0, 0.5, 2.0])
    tensor([0.0000, 0.5000, 0.7500, 1.0000])
""",
    ),
}


_INT_OK = (F.relu, F.relu6, F.hardtanh)  # these keep an int input's dtype, as in Keras


def _activation(fn):
    def op(x, *args, **kwargs):
        x = tensor(x)
        return fn(x if fn in _INT_OK and x.dtype != torch.bool else to_float(x), *args, **kwargs)

    return op


for _name, (_fn, _summary, _args, _example) in _ACTIVATIONS.items():
    _keeps = ", except here, where ints keep their dtype" if _fn in _INT_OK else ""
    globals()[_name] = _op = keras_op(_activation(_fn), name=_name)
    _op.__doc__ = _summary + "\n" + _SHAPE.format(keeps=_keeps, args=_args) + _example


def _over_axes(fn, x, axis):
    """`fn(x, dim)` over one axis or several (flattened together)."""
    if isinstance(axis, int):
        return fn(x, axis)
    axes = [a % x.ndim for a in (range(x.ndim) if axis is None else axis)]
    rest = [d for d in range(x.ndim) if d not in axes]
    moved = x.permute(*rest, *axes)
    out = fn(moved.reshape(*moved.shape[: len(rest)], -1), -1).reshape(moved.shape)
    return out.permute(*torch.argsort(torch.tensor(rest + axes)).tolist())


@keras_op
def softmax(x, axis=-1):
    """Softmax: `exp(x) / sum(exp(x))` along `axis`, computed stably.

    Args:
        x: input tensor (ints are computed in floatx).
        axis: an int, or a tuple of axes normalized together (default -1).

    Returns:
        A tensor of `x`'s shape whose values along `axis` sum to 1.

        >>> from plait import ops
        >>> x = ops.convert_to_tensor([[1.0, 2.0, 3.0]])
        >>> ops.softmax(x)
        tensor([[0.0900, 0.2447, 0.6652]])
    """
    return _over_axes(lambda t, d: torch.softmax(t, d), to_float(x), axis)


@keras_op
def log_softmax(x, axis=-1):
    """Log of the softmax along `axis`: `x - logsumexp(x)`, computed stably.

    Args:
        x: input tensor (ints are computed in floatx).
        axis: an int, or a tuple of axes normalized together (default -1).

    Returns:
        A tensor of `x`'s shape.

        >>> from plait import ops
        >>> ops.log_softmax([[1.0, 2.0, 3.0]])
        tensor([[-2.4076, -1.4076, -0.4076]])
    """
    return _over_axes(lambda t, d: torch.log_softmax(t, d), to_float(x), axis)


@keras_op
def sparsemax(x, axis=-1):
    """Sparsemax: the Euclidean projection of `x` onto the probability simplex along `axis`
    (like softmax, but small entries become exactly 0).

    Args:
        x: input tensor (ints are computed in floatx).
        axis: the axis (default -1).

    Returns:
        A tensor of `x`'s shape whose values along `axis` sum to 1.

        >>> from plait import ops
        >>> ops.sparsemax([[1.0, 2.0, 3.5]])
        tensor([[0., 0., 1.]])
    """
    x = torch.movedim(to_float(x), axis, -1)
    z, _ = torch.sort(x, dim=-1, descending=True)
    k = torch.arange(1, x.shape[-1] + 1, dtype=x.dtype, device=x.device)
    cum = torch.cumsum(z, -1)
    support = (1 + k * z) > cum
    k_max = support.sum(-1, keepdim=True)
    tau = (torch.gather(cum, -1, k_max - 1) - 1) / k_max.to(x.dtype)
    return torch.movedim(torch.clamp(x - tau, min=0), -1, axis)
