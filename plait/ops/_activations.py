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

_DOC = """{summary}

Args:
    x: input tensor ({dtypes}).{args}

Returns:
    A tensor of `x`'s shape.

    >>> from plait import ops
{example}
"""


def _doc(text, dtypes):
    """A table entry's docstring: `text` is the summary, then the extra arguments' lines
    (indented), then the example's lines."""
    lines = text.split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith((" ", ">")))
    example = next(i for i, line in enumerate(lines) if line.startswith(">>>"))
    return _DOC.format(
        summary="\n".join(lines[:first]),
        dtypes=dtypes,
        args="".join("\n" + line for line in lines[first:example]),
        example="\n".join("    " + line for line in lines[example:]),
    )


# Keras name -> function of a float tensor; extra keyword arguments pass through.
_ACTIVATIONS = {
    "relu": F.relu,
    "relu6": F.relu6,
    "sigmoid": torch.sigmoid,
    "softplus": F.softplus,
    "softsign": F.softsign,
    "silu": F.silu,
    "swish": F.silu,
    "log_sigmoid": F.logsigmoid,
    "hard_sigmoid": F.hardsigmoid,
    "hard_silu": F.hardswish,
    "hard_swish": F.hardswish,
    "selu": F.selu,
    "tanh_shrink": F.tanhshrink,
    "hard_tanh": F.hardtanh,
    "leaky_relu": lambda x, negative_slope=0.2: F.leaky_relu(x, negative_slope),
    "elu": lambda x, alpha=1.0: F.elu(x, alpha),
    "celu": lambda x, alpha=1.0: F.celu(x, alpha),
    "gelu": lambda x, approximate=True: F.gelu(x, approximate="tanh" if approximate else "none"),
    "hard_shrink": lambda x, threshold=0.5: F.hardshrink(x, threshold),
    "soft_shrink": lambda x, threshold=0.5: F.softshrink(x, threshold),
    "threshold": lambda x, threshold, default_value: F.threshold(x, threshold, default_value),
    "squareplus": lambda x, b=4: (x + torch.sqrt(x * x + b)) / 2,
    "sparse_plus": lambda x: torch.where(
        x <= -1, torch.zeros_like(x), torch.where(x >= 1, x, (x + 1) ** 2 / 4)
    ),
    "sparse_sigmoid": lambda x: torch.clamp((x + 1) / 2, 0, 1),
}

# Each activation's docstring: its name, the summary, the extra arguments (indented) and the
# example, entries separated by blank lines.
_DOCS = """
relu
Rectified linear unit: `max(x, 0)`, element-wise.
>>> ops.relu([-1.0, 0.0, 2.0])
tensor([0., 0., 2.])

relu6
Rectified linear unit capped at 6: `min(max(x, 0), 6)`.
>>> ops.relu6([-1.0, 3.0, 8.0])
tensor([0., 3., 6.])

sigmoid
Logistic sigmoid: `1 / (1 + exp(-x))`.
>>> ops.sigmoid([-1.0, 0.0, 1.0])
tensor([0.2689, 0.5000, 0.7311])

softplus
Softplus: `log(exp(x) + 1)`, computed stably.
>>> ops.softplus([-1.0, 0.0, 1.0])
tensor([0.3133, 0.6931, 1.3133])

softsign
Softsign: `x / (abs(x) + 1)`.
>>> ops.softsign([-1.0, 0.0, 3.0])
tensor([-0.5000,  0.0000,  0.7500])

silu
Sigmoid linear unit (swish): `x * sigmoid(x)`.
>>> ops.silu([-1.0, 0.0, 1.0])
tensor([-0.2689,  0.0000,  0.7311])

swish
Swish, the same op as `silu`: `x * sigmoid(x)`.
>>> ops.swish([-1.0, 0.0, 1.0])
tensor([-0.2689,  0.0000,  0.7311])

log_sigmoid
Log of the sigmoid: `-softplus(-x)`, computed stably.
>>> ops.log_sigmoid([-1.0, 0.0, 1.0])
tensor([-1.3133, -0.6931, -0.3133])

hard_sigmoid
Piecewise-linear sigmoid: `relu6(x + 3) / 6`.
>>> ops.hard_sigmoid([-4.0, 0.0, 1.5])
tensor([0.0000, 0.5000, 0.7500])

hard_silu
Hard SiLU (hard swish): `x * relu6(x + 3) / 6`.
>>> ops.hard_silu([-4.0, 0.0, 1.5])
tensor([-0.0000, 0.0000, 1.1250])

hard_swish
Hard swish, the same op as `hard_silu`: `x * relu6(x + 3) / 6`.
>>> ops.hard_swish([-4.0, 0.0, 1.5])
tensor([-0.0000, 0.0000, 1.1250])

selu
Scaled exponential linear unit: `scale * elu(x, alpha)` with SELU's constants.
>>> ops.selu([-1.0, 0.0, 1.0])
tensor([-1.1113,  0.0000,  1.0507])

tanh_shrink
Tanh shrink: `x - tanh(x)`.
>>> ops.tanh_shrink([-1.0, 0.0, 1.0])
tensor([-0.2384,  0.0000,  0.2384])

hard_tanh
Hard tanh: `x` clipped to [-1, 1].
>>> ops.hard_tanh([-2.0, 0.5, 3.0])
tensor([-1.0000,  0.5000,  1.0000])

leaky_relu
Leaky ReLU: `x` where positive, `negative_slope * x` elsewhere.
    negative_slope: the slope below zero (default 0.2).
>>> ops.leaky_relu([-2.0, 0.0, 3.0])
tensor([-0.4000,  0.0000,  3.0000])

elu
Exponential linear unit: `x` where positive, `alpha * (exp(x) - 1)` elsewhere.
    alpha: the scale of the negative part (default 1.0).
>>> ops.elu([-1.0, 0.0, 2.0])
tensor([-0.6321,  0.0000,  2.0000])

celu
Continuously differentiable ELU: `max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))`.
    alpha: the scale of the negative part (default 1.0).
>>> ops.celu([-1.0, 0.0, 2.0], alpha=2.0)
tensor([-0.7869,  0.0000,  2.0000])

gelu
Gaussian error linear unit: `x * Phi(x)`, by default with the tanh approximation.
    approximate: True (default) for the tanh approximation, False for the exact erf.
>>> ops.gelu([-1.0, 0.0, 1.0])
tensor([-0.1588,  0.0000,  0.8412])
>>> ops.gelu([-1.0, 0.0, 1.0], approximate=False)
tensor([-0.1587,  0.0000,  0.8413])

hard_shrink
Hard shrink: `x` where `abs(x) > threshold`, 0 elsewhere.
    threshold: default 0.5.
>>> ops.hard_shrink([-1.0, 0.3, 2.0])
tensor([-1.,  0.,  2.])

soft_shrink
Soft shrink: `x` moved `threshold` towards 0, and 0 within `threshold` of it.
    threshold: default 0.5.
>>> ops.soft_shrink([-1.0, 0.3, 2.0])
tensor([-0.5000,  0.0000,  1.5000])

threshold
`x` where `x > threshold`, `default_value` elsewhere.
    threshold: the cut-off.
    default_value: the value at and below it.
>>> ops.threshold([-1.0, 0.5, 2.0], 0.5, -9.0)
tensor([-9., -9.,  2.])

squareplus
Squareplus, a smooth ReLU: `(x + sqrt(x ** 2 + b)) / 2`.
    b: the smoothness (default 4).
>>> ops.squareplus([-2.0, 0.0, 2.0])
tensor([0.4142, 1.0000, 2.4142])

sparse_plus
SparsePlus: 0 for `x <= -1`, `(x + 1) ** 2 / 4` between, `x` for `x >= 1`.
>>> ops.sparse_plus([-2.0, 0.0, 0.5, 2.0])
tensor([0.0000, 0.2500, 0.5625, 2.0000])

sparse_sigmoid
Sparse sigmoid: `(x + 1) / 2` clipped to [0, 1].
>>> ops.sparse_sigmoid([-2.0, 0.0, 0.5, 2.0])
tensor([0.0000, 0.5000, 0.7500, 1.0000])
"""


_INT_OK = (F.relu, F.relu6, F.hardtanh)  # these keep an int input's dtype, as in Keras


def _activation(fn):
    def op(x, *args, **kwargs):
        x = tensor(x)
        return fn(x if fn in _INT_OK and x.dtype != torch.bool else to_float(x), *args, **kwargs)

    return op


_TEXTS = dict(entry.split("\n", 1) for entry in _DOCS.strip().split("\n\n"))
for _name, _fn in _ACTIVATIONS.items():
    _dtypes = "ints keep their dtype" if _fn in _INT_OK else "ints and bools are computed in floatx"
    globals()[_name] = _op = keras_op(_activation(_fn), name=_name)
    _op.__doc__ = _doc(_TEXTS[_name], _dtypes)


@keras_op
def glu(x, axis=-1):
    """Gated linear unit: `a * sigmoid(b)`, where `a` and `b` are the halves of `x` along
    `axis`.

    Args:
        x: input tensor (ints are computed in floatx).
        axis: the axis to split (default -1; its size must be even).

    Returns:
        `x`'s shape with half of its size along `axis`.

        >>> from plait import ops
        >>> ops.glu([[1.0, 2.0, 0.0, 1.0]])
        tensor([[0.5000, 1.4621]])
    """
    return F.glu(to_float(x), axis)


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
