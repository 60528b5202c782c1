"""Regression and hinge losses: the functions (one value per sample) and their classes
(`MeanSquaredError`, `Huber`, `LogCosh`, `CosineSimilarity`, `Hinge`, ...).
"""

import torch
import torch.nn.functional as F

from plait import serialization
from plait.losses.loss import (
    EPSILON,
    _BuiltinLoss,
    _pair,
    _simple_class,
    squeeze_or_expand_to_same_rank,
)

__all__ = [
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "Huber",
    "LogCosh",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "SquaredHinge",
    "categorical_hinge",
    "cosine_similarity",
    "hinge",
    "huber",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "squared_hinge",
]


# --- regression losses -----------------------------------------------------------------


def mean_squared_error(y_true, y_pred):
    """`mean(square(y_true - y_pred), axis=-1)`.

    Args:
        y_true: ground truth, shape `(batch, d0, ..., dN)`.
        y_pred: predictions, the same shape.

    Returns:
        Tensor of shape `(batch, d0, ..., dN-1)`.

    Example:
        >>> mean_squared_error([[0., 1.], [0., 0.]], [[1., 1.], [1., 0.]])
        tensor([0.5000, 0.5000])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return torch.square(y_true - y_pred).mean(dim=-1)


def mean_absolute_error(y_true, y_pred):
    """`mean(abs(y_true - y_pred), axis=-1)`; shapes as `mean_squared_error`.

    Example:
        >>> mean_absolute_error([[0., 1.], [0., 0.]], [[1., 1.], [1., 0.]])
        tensor([0.5000, 0.5000])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return torch.abs(y_true - y_pred).mean(dim=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """`100 * mean(abs((y_true - y_pred) / max(abs(y_true), EPSILON)), axis=-1)`.

    Example:
        >>> mean_absolute_percentage_error([[1., 2.], [4., 5.]], [[1.5, 2.], [3., 5.]])
        tensor([25.0000, 12.5000])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    diff = torch.abs((y_true - y_pred) / torch.clamp(torch.abs(y_true), min=EPSILON))
    return 100.0 * diff.mean(dim=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """`mean(square(log(max(y_pred, EPSILON) + 1) - log(max(y_true, EPSILON) + 1)), -1)`.

    Example:
        >>> mean_squared_logarithmic_error([[1., 2.], [4., 5.]], [[1.5, 2.], [3., 5.]])
        tensor([0.0249, 0.0249])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    first = torch.log1p(torch.clamp(y_pred, min=EPSILON))
    second = torch.log1p(torch.clamp(y_true, min=EPSILON))
    return torch.square(first - second).mean(dim=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """`-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`: -1 when the vectors
    point the same way, 0 when orthogonal or when either is a zero vector.

    Args:
        axis: the feature axis, default -1.

    Example:
        >>> cosine_similarity([[0., 1.], [1., 1.]], [[0., 2.], [1., 0.]])
        tensor([-1.0000, -0.7071])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = F.normalize(y_pred, p=2.0, dim=axis, eps=EPSILON)
    y_true = F.normalize(y_true, p=2.0, dim=axis, eps=EPSILON)
    return -(y_true * y_pred).sum(dim=axis)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss: `0.5 * x**2` where `|x| <= delta`, else `delta * |x| - 0.5 * delta**2`,
    with `x = y_pred - y_true`, averaged over the last axis.

    Args:
        delta: where the loss turns from quadratic to linear, default 1.0.

    Example:
        >>> huber([[0., 1.], [0., 0.]], [[0.6, 0.4], [0.4, 0.6]])
        tensor([0.1800, 0.1300])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_true, y_pred = torch.broadcast_tensors(y_true, y_pred)
    return F.huber_loss(y_pred, y_true, reduction="none", delta=float(delta)).mean(dim=-1)


def log_cosh(y_true, y_pred):
    """`mean(log(cosh(y_pred - y_true)), axis=-1)`, computed stably as
    `x + softplus(-2x) - log(2)`.

    Example:
        >>> log_cosh([[0., 1.], [0., 0.]], [[0.6, 0.4], [0.4, 0.6]])
        tensor([0.1701, 0.1240])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    x = y_pred - y_true
    return (x + F.softplus(-2.0 * x) - 0.6931471805599453).mean(dim=-1)


# --- hinge losses ----------------------------------------------------------------------


def _hinge_labels(y_true):
    """Labels in {0, 1} become {-1, 1} (Keras's rule), decided on the device: no sync."""
    is_binary = ((y_true == 0) | (y_true == 1)).all()
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    """`mean(maximum(1 - y_true * y_pred, 0), axis=-1)`; labels in {0, 1} are mapped to
    {-1, 1} first.

    Example:
        >>> hinge([[0., 1.], [0., 0.]], [[0.6, 0.4], [0.4, 0.6]])
        tensor([1.1000, 1.5000])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return torch.clamp(1.0 - y_true * y_pred, min=0.0).mean(dim=-1)


def squared_hinge(y_true, y_pred):
    """`mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)`; labels as `hinge`.

    Example:
        >>> squared_hinge([[0., 1.], [0., 0.]], [[0.6, 0.4], [0.4, 0.6]])
        tensor([1.4600, 2.2600])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return torch.square(torch.clamp(1.0 - y_true * y_pred, min=0.0)).mean(dim=-1)


def categorical_hinge(y_true, y_pred):
    """`maximum(neg - pos + 1, 0)` with `pos = sum(y_true * y_pred, -1)` and
    `neg = max((1 - y_true) * y_pred, -1)`; `y_true` one-hot.

    Example:
        >>> categorical_hinge([[0., 1.], [0., 0.]], [[0.6, 0.4], [0.4, 0.6]])
        tensor([1.2000, 1.6000])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    pos = (y_true * y_pred).sum(dim=-1)
    neg = ((1.0 - y_true) * y_pred).amax(dim=-1)
    return torch.clamp(neg - pos + 1.0, min=0.0)


MeanSquaredError = _simple_class(
    "MeanSquaredError",
    mean_squared_error,
    "mean_squared_error",
    "Mean of squares of errors: `mean(square(y_true - y_pred))`.",
    ("[[0., 1.], [0., 0.]]", "[[1., 1.], [1., 0.]]", 0.5),
)
MeanAbsoluteError = _simple_class(
    "MeanAbsoluteError",
    mean_absolute_error,
    "mean_absolute_error",
    "Mean of absolute errors: `mean(abs(y_true - y_pred))`.",
    ("[[0., 1.], [0., 0.]]", "[[1., 1.], [1., 0.]]", 0.5),
)
MeanAbsolutePercentageError = _simple_class(
    "MeanAbsolutePercentageError",
    mean_absolute_percentage_error,
    "mean_absolute_percentage_error",
    "`100 * mean(abs((y_true - y_pred) / max(abs(y_true), 1e-7)))`.",
    ("[[1., 2.], [4., 5.]]", "[[1.5, 2.], [3., 5.]]", 18.75),
)
MeanSquaredLogarithmicError = _simple_class(
    "MeanSquaredLogarithmicError",
    mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error",
    "`mean(square(log(y_true + 1) - log(y_pred + 1)))`, inputs floored at 1e-7.",
    ("[[1., 2.], [4., 5.]]", "[[1.5, 2.], [3., 5.]]", 0.0249),
)
LogCosh = _simple_class(
    "LogCosh",
    log_cosh,
    "log_cosh",
    "`mean(log(cosh(y_pred - y_true)))`.",
    ("[[0., 1.], [0., 0.]]", "[[0.6, 0.4], [0.4, 0.6]]", 0.1471),
)
Hinge = _simple_class(
    "Hinge",
    hinge,
    "hinge",
    "`mean(maximum(1 - y_true * y_pred, 0))`; labels in {0, 1} become {-1, 1}.",
    ("[[0., 1.], [0., 0.]]", "[[0.6, 0.4], [0.4, 0.6]]", 1.3),
)
SquaredHinge = _simple_class(
    "SquaredHinge",
    squared_hinge,
    "squared_hinge",
    "`mean(square(maximum(1 - y_true * y_pred, 0)))`; labels as `Hinge`.",
    ("[[0., 1.], [0., 0.]]", "[[0.6, 0.4], [0.4, 0.6]]", 1.86),
)
CategoricalHinge = _simple_class(
    "CategoricalHinge",
    categorical_hinge,
    "categorical_hinge",
    "`maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`.",
    ("[[0., 1.], [0., 0.]]", "[[0.6, 0.4], [0.4, 0.6]]", 1.4),
)


@serialization.register_serializable(package="plait")
class CosineSimilarity(_BuiltinLoss):
    """`-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`, in [-1, 1].

    Args:
        axis: the feature axis. Default -1.
        reduction, name (default "cosine_similarity"), dtype: as `Loss`.

    Example:
        >>> import numpy as np
        >>> y_true = np.array([[0., 1.], [1., 1.]])
        >>> y_pred = np.array([[0., 2.], [1., 0.]])
        >>> round(float(CosineSimilarity()(y_true, y_pred)), 4)
        -0.8536
    """

    def __init__(
        self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None
    ):
        super().__init__(cosine_similarity, reduction=reduction, name=name, dtype=dtype, axis=axis)


@serialization.register_serializable(package="plait")
class Huber(_BuiltinLoss):
    """Huber loss: quadratic for errors up to `delta`, linear beyond.

    Args:
        delta: default 1.0.
        reduction, name (default "huber_loss"), dtype: as `Loss`.

    Example:
        >>> import numpy as np
        >>> y_true = np.array([[0., 1.], [0., 0.]])
        >>> y_pred = np.array([[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(Huber()(y_true, y_pred)), 4)
        0.155
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=delta)
