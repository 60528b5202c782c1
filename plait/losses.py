"""Losses with Keras's names, classes and math, computed with PyTorch kernels.

Every loss *function* takes `(y_true, y_pred)` and returns one value per sample: the
mean (the sum for the distribution losses) over the last axis, so a `(batch, d)` pair
gives a `(batch,)` tensor. The `Loss` *classes* wrap the functions and reduce those
values over the batch as Keras 3 does (`"sum_over_batch_size"` by default), with an
optional `sample_weight`.

    loss = plait.losses.get("mse")                # MeanSquaredError(name="mean_squared_error")
    loss(y_true, y_pred)                          # 0-d tensor
    plait.losses.binary_crossentropy(y, p)        # (batch,) tensor

Probabilities are clipped to `[EPSILON, 1 - EPSILON]` (Keras's `epsilon() = 1e-7`);
`from_logits=True` uses PyTorch's numerically stable kernels
(`binary_cross_entropy_with_logits`, `cross_entropy`).
"""

import types
import warnings
from typing import Any, Callable

import torch
import torch.nn.functional as F

from plait import serialization
from plait.utils import dtypes
from plait.utils.naming import to_snake_case as _snake_case

__all__ = [
    "BCE",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "Huber",
    "KLD",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "LossFunctionWrapper",
    "MAE",
    "MAPE",
    "MSE",
    "MSLE",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "bce",
    "binary_crossentropy",
    "categorical_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "kld",
    "kullback_leibler_divergence",
    "log_cosh",
    "logcosh",
    "mae",
    "mape",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
    "poisson",
    "serialize",
    "sparse_categorical_crossentropy",
    "squared_hinge",
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


EPSILON = 1e-7

# When True, sparse_categorical_crossentropy checks its labels on every call. The check
# reads the labels on the host (a device sync per call), so it is off by default; the
# training loop calls `check_sparse_labels` once per fit on the whole label array.
CHECK_SPARSE_LABELS = False

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)
_MEANS = ("sum_over_batch_size", "mean", "mean_with_sample_weight")


# --- tensors and shapes ----------------------------------------------------------------


def _as_pred(y_pred):
    """`y_pred` as a float tensor: float32 and float64 stay, anything else is float32."""
    if not isinstance(y_pred, torch.Tensor):
        y_pred = torch.as_tensor(y_pred)
    if y_pred.dtype not in (torch.float32, torch.float64):
        y_pred = y_pred.to(torch.float32)
    return y_pred


def _pair(y_true, y_pred):
    """Both as tensors on y_pred's device, y_true cast to y_pred's float dtype."""
    y_pred = _as_pred(y_pred)
    return _like(y_true, y_pred.device, y_pred.dtype), y_pred


def _like(x, device, dtype=None):
    """`x` as a tensor on `device` (and of `dtype`), without work when it already is."""
    if not isinstance(x, torch.Tensor):
        x = torch.as_tensor(x)
    if x.device != device or (dtype is not None and x.dtype != dtype):
        x = x.to(device=device, dtype=dtype or x.dtype)
    return x


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Make the ranks of `x1` and `x2` equal when they differ by one and the longer one
    ends in a dimension of 1 (Keras's rule): `(batch,)` against `(batch, 1)` gives two
    `(batch, 1)` tensors (or two `(batch,)` when `expand_rank_1=False`)."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


def _check_same_shape(fn_name, y_true, y_pred, hint=""):
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"In {fn_name}, `y_true` and `y_pred` must have the same shape. "
            f"Received: y_true.shape={tuple(y_true.shape)}, "
            f"y_pred.shape={tuple(y_pred.shape)}.{hint}"
        )


def _classes_to_dim1(x, axis):
    """PyTorch's cross_entropy wants the class axis at position 1."""
    return x if x.ndim == 1 or axis % x.ndim == 1 else x.movedim(axis, 1)


# --- regression losses -----------------------------------------------------------------


def mean_squared_error(y_true, y_pred):
    """`mean(square(y_true - y_pred), axis=-1)`.

    Args:
        y_true: ground truth, shape `(batch, d0, ..., dN)`.
        y_pred: predictions, the same shape.

    Returns:
        Tensor of shape `(batch, d0, ..., dN-1)`.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return torch.square(y_true - y_pred).mean(dim=-1)


def mean_absolute_error(y_true, y_pred):
    """`mean(abs(y_true - y_pred), axis=-1)`; shapes as `mean_squared_error`."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return torch.abs(y_true - y_pred).mean(dim=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """`100 * mean(abs((y_true - y_pred) / max(abs(y_true), EPSILON)), axis=-1)`."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    diff = torch.abs((y_true - y_pred) / torch.clamp(torch.abs(y_true), min=EPSILON))
    return 100.0 * diff.mean(dim=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """`mean(square(log(max(y_pred, EPSILON) + 1) - log(max(y_true, EPSILON) + 1)), -1)`."""
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
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_true, y_pred = torch.broadcast_tensors(y_true, y_pred)
    return F.huber_loss(y_pred, y_true, reduction="none", delta=float(delta)).mean(dim=-1)


def log_cosh(y_true, y_pred):
    """`mean(log(cosh(y_pred - y_true)), axis=-1)`, computed stably as
    `x + softplus(-2x) - log(2)`."""
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
    {-1, 1} first."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return torch.clamp(1.0 - y_true * y_pred, min=0.0).mean(dim=-1)


def squared_hinge(y_true, y_pred):
    """`mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)`; labels as `hinge`."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return torch.square(torch.clamp(1.0 - y_true * y_pred, min=0.0)).mean(dim=-1)


def categorical_hinge(y_true, y_pred):
    """`maximum(neg - pos + 1, 0)` with `pos = sum(y_true * y_pred, -1)` and
    `neg = max((1 - y_true) * y_pred, -1)`; `y_true` one-hot."""
    y_true, y_pred = _pair(y_true, y_pred)
    pos = (y_true * y_pred).sum(dim=-1)
    neg = ((1.0 - y_true) * y_pred).amax(dim=-1)
    return torch.clamp(neg - pos + 1.0, min=0.0)


# --- probabilistic losses --------------------------------------------------------------


def kl_divergence(y_true, y_pred):
    """`sum(y_true * log(y_true / y_pred), axis=-1)`, both clipped to `[EPSILON, 1]`."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = torch.clamp(y_true, EPSILON, 1.0)
    y_pred = torch.clamp(y_pred, EPSILON, 1.0)
    return (y_true * torch.log(y_true / y_pred)).sum(dim=-1)


def poisson(y_true, y_pred):
    """`mean(y_pred - y_true * log(y_pred + EPSILON), axis=-1)`."""
    y_true, y_pred = _pair(y_true, y_pred)
    return (y_pred - y_true * torch.log(y_pred + EPSILON)).mean(dim=-1)


def _bce_from_probs(y_true, y_pred, reduction):
    # Written out, not F.binary_cross_entropy: that raises on a NaN prediction (a device
    # assert on CUDA, which ends the process), where Keras gives a NaN loss for
    # TerminateOnNaN to catch. It also refuses to run under autocast; this does not.
    y_pred = torch.clamp(y_pred, EPSILON, 1.0 - EPSILON)
    loss = -(y_true * torch.log(y_pred) + (1.0 - y_true) * torch.log1p(-y_pred))
    return loss.mean() if reduction == "mean" else loss


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy, averaged over `axis`.

    Args:
        y_true: labels in [0, 1], shape `(batch, d0, ..., dN)`; `(batch,)` against
            `y_pred` of `(batch, 1)` is accepted.
        y_pred: probabilities (clipped to `[EPSILON, 1 - EPSILON]`) or, with
            `from_logits=True`, logits; the same shape.
        from_logits: whether `y_pred` holds logits. Default False.
        label_smoothing: in [0, 1]; labels become `y * (1 - s) + 0.5 * s`. Default 0.
        axis: the axis averaged over. Default -1.

    Returns:
        Tensor of shape `(batch, d0, ..., dN-1)`.
    """
    return _binary_crossentropy(y_true, y_pred, from_logits, label_smoothing).mean(dim=axis)


def _binary_crossentropy(y_true, y_pred, from_logits, label_smoothing, reduction="none"):
    """Elementwise binary crossentropy, or its mean over everything."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _check_same_shape("binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        return F.binary_cross_entropy_with_logits(y_pred, y_true, reduction=reduction)
    return _bce_from_probs(y_true, y_pred, reduction)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Categorical crossentropy between one-hot (or soft) labels and predictions.

    Probabilities are first rescaled to sum to 1 over `axis`, then clipped to
    `[EPSILON, 1 - EPSILON]` (Keras's math); logits go through `F.cross_entropy`.

    Args:
        y_true: one-hot labels, shape `(batch, ..., num_classes)`.
        y_pred: probabilities or logits, the same shape.
        from_logits: whether `y_pred` holds logits. Default False.
        label_smoothing: in [0, 1]; labels become `y * (1 - s) + s / num_classes`.
        axis: the class axis. Default -1.

    Returns:
        Tensor of shape `y_pred.shape` without `axis`.
    """
    return _categorical_crossentropy(y_true, y_pred, from_logits, label_smoothing, axis)


def _categorical_crossentropy(y_true, y_pred, from_logits, label_smoothing, axis, reduction="none"):
    """Categorical crossentropy per sample, or its mean over the samples."""
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise TypeError(
            f"Argument `axis` of categorical_crossentropy must be an int. "
            f"Received: axis={axis!r} of type {type(axis).__name__}"
        )
    y_true, y_pred = _pair(y_true, y_pred)
    _check_same_shape(
        "categorical_crossentropy",
        y_true,
        y_pred,
        " If your labels are integer class ids, use sparse_categorical_crossentropy.",
    )
    num_classes = y_pred.shape[axis]
    if num_classes == 1:
        warnings.warn(
            "In loss categorical_crossentropy, expected y_pred.shape to be "
            f"(batch_size, num_classes) with num_classes > 1. Received: "
            f"y_pred.shape={tuple(y_pred.shape)}. Consider using 'binary_crossentropy' "
            "if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=3,
        )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    if from_logits:
        return F.cross_entropy(
            _classes_to_dim1(y_pred, axis), _classes_to_dim1(y_true, axis), reduction=reduction
        )
    probs = y_pred / y_pred.sum(dim=axis, keepdim=True)
    probs = torch.clamp(probs, EPSILON, 1.0 - EPSILON)
    values = -(y_true * torch.log(probs)).sum(dim=axis)
    return values if reduction == "none" else values.mean()


def _sparse_labels(y_true, y_pred, axis):
    """Integer labels shaped like y_pred without its class axis."""
    y_true = _like(y_true, y_pred.device)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    expected = list(y_pred.shape)
    del expected[axis]
    if list(y_true.shape) != expected:
        hint = (
            " If your labels are one-hot encoded, use categorical_crossentropy."
            if y_true.shape == y_pred.shape
            else ""
        )
        raise ValueError(
            "In sparse_categorical_crossentropy, `y_true` must hold one integer label per "
            f"sample: shape {tuple(expected)} (or with a trailing 1) for "
            f"y_pred.shape={tuple(y_pred.shape)}. Received: "
            f"y_true.shape={tuple(y_true.shape)}.{hint}"
        )
    return y_true


def check_sparse_labels(y_true, num_classes, ignore_class=None):
    """Raise a ValueError naming the first label outside `[0, num_classes)`.

    This reads the labels on the host, so call it once on the whole label array (the
    training loop does, once per fit), not per batch.

    Args:
        y_true: integer labels, any shape (numpy array, tensor or list).
        num_classes: the number of classes the model predicts.
        ignore_class: a label value that is allowed anyway (see
            `sparse_categorical_crossentropy`). Default None.
    """
    labels = torch.as_tensor(y_true).reshape(-1)
    if labels.numel() == 0:
        return
    valid = (labels >= 0) & (labels < num_classes)
    if labels.is_floating_point():
        valid &= labels == torch.floor(labels)
    if ignore_class is not None:
        valid |= labels == ignore_class
    if bool(valid.all()):
        return
    index = int(torch.nonzero(~valid)[0, 0])
    value = labels[index].item()
    allowed = f"integers in [0, {num_classes - 1}]"
    if ignore_class is not None:
        allowed += f" or ignore_class={ignore_class}"
    raise ValueError(
        f"Labels for sparse categorical crossentropy must be {allowed}: the model "
        f"predicts {num_classes} classes. Received: a label value of {value} at index "
        f"{index}. Fix the labels, or give the output layer one unit per class."
    )


def sparse_categorical_crossentropy(
    y_true, y_pred, from_logits=False, ignore_class=None, axis=-1, label_smoothing=0.0
):
    """Crossentropy between integer labels and predictions.

    Args:
        y_true: integer class ids, shape `(batch,)` or `(batch, 1)` (and more leading
            dimensions for dense predictions such as segmentation maps).
        y_pred: probabilities (rescaled to sum to 1, then clipped) or logits, shape
            `(batch, ..., num_classes)`.
        from_logits: whether `y_pred` holds logits. Default False.
        ignore_class: a label value (e.g. -1 or 255) whose entries give loss 0 and,
            through the `SparseCategoricalCrossentropy` class, do not count in the mean.
        axis: the class axis. Default -1.
        label_smoothing: in [0, 1], as for categorical crossentropy (a plait extension;
            Keras has none for sparse labels). Default 0.

    Labels outside `[0, num_classes)` make the kernels fail (on CUDA with a device
    assert); set `plait.losses.CHECK_SPARSE_LABELS = True` to check every call, or call
    `check_sparse_labels` once.

    Returns:
        Tensor shaped like `y_true` without the trailing 1.
    """
    return _sparse_categorical_crossentropy(
        y_true, y_pred, from_logits, ignore_class, axis, label_smoothing
    )


def _sparse_categorical_crossentropy(
    y_true, y_pred, from_logits, ignore_class, axis, label_smoothing, reduction="none"
):
    """Sparse crossentropy per sample, or (from logits, no ignore_class) the mean."""
    y_pred = _as_pred(y_pred)
    axis = axis % y_pred.ndim
    labels = _sparse_labels(y_true, y_pred, axis)
    num_classes = y_pred.shape[axis]
    if CHECK_SPARSE_LABELS:
        check_sparse_labels(labels, num_classes, ignore_class)
    labels = labels.long()
    if from_logits:
        return F.cross_entropy(
            _classes_to_dim1(y_pred, axis),
            labels,
            reduction=reduction,
            ignore_index=-100 if ignore_class is None else int(ignore_class),
            label_smoothing=float(label_smoothing),
        )
    valid = None
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = torch.where(valid, labels, 0)
    probs = y_pred / y_pred.sum(dim=axis, keepdim=True)
    picked = probs.gather(axis, labels.unsqueeze(axis)).squeeze(axis)
    values = -torch.log(torch.clamp(picked, EPSILON, 1.0 - EPSILON))
    if label_smoothing:
        mean_log = torch.log(torch.clamp(probs, EPSILON, 1.0 - EPSILON)).mean(dim=axis)
        values = (1.0 - label_smoothing) * values - label_smoothing * mean_log
    if valid is not None:
        values = torch.where(valid, values, 0.0)
    return values if reduction == "none" else values.mean()


# --- reduction -------------------------------------------------------------------------


def standardize_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`. Expected one of {list(REDUCTIONS)}. "
            f"Received: reduction={reduction!r}"
        )
    return reduction


def _divide_no_nan(a, b):
    return torch.where(b == 0, torch.zeros_like(a), a / b)


def apply_mask(sample_weight, mask, reduction, dtype=torch.float32):
    """Fold a boolean mask into the sample weights. For the mean reductions the valid
    entries are scaled by `total / valid`, so the mean runs over valid entries only."""
    if mask is None:
        return sample_weight
    mask = mask.to(dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        mask = mask * _divide_no_nan(mask.new_tensor(float(mask.numel())), mask.sum())
    if sample_weight is None:
        return mask
    sample_weight = torch.as_tensor(sample_weight, device=mask.device).to(dtype)
    mask, sample_weight = squeeze_or_expand_to_same_rank(mask, sample_weight)
    return sample_weight * mask


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Reduce per-sample values: "sum", a mean over every element ("sum_over_batch_size"
    and "mean"), a sum over the sum of the weights ("mean_with_sample_weight"), or
    nothing (None/"none"). 0-d and empty values are returned as they are."""
    if reduction in (None, "none") or values.ndim == 0 or tuple(values.shape) == (0,):
        return values
    if reduction == "sum":
        return values.sum()
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return _divide_no_nan(values.sum(), sample_weight.sum().to(values.dtype))
    return values.mean() if values.numel() else values.sum()


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size"):
    """Weight per-sample loss values, then reduce them as Keras 3 does.

    `sample_weight` of shape `(batch,)` weights each sample; it may also match `values`
    or be broadcastable to it. Weights with fewer dimensions than `values` weight whole
    rows (e.g. `(batch,)` weights for `(batch, steps)` values).
    """
    reduction = standardize_reduction(reduction)
    sample_weight = apply_mask(sample_weight, mask, reduction, values.dtype)
    if sample_weight is not None:
        sample_weight = torch.as_tensor(sample_weight, device=values.device).to(values.dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        if 0 < sample_weight.ndim < values.ndim:
            sample_weight = sample_weight.reshape(
                tuple(sample_weight.shape) + (1,) * (values.ndim - sample_weight.ndim)
            )
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


# --- classes ---------------------------------------------------------------------------

_DTYPES = dtypes.FLOATS


def _dtype_name(dtype):
    if dtype is None or isinstance(dtype, str):
        if dtype is not None and dtype not in _DTYPES:
            raise ValueError(
                f"Invalid value for argument `dtype`. Expected one of "
                f"{list(_DTYPES)}. Received: dtype={dtype!r}"
            )
        return dtype
    for name, value in _DTYPES.items():
        if dtype is value:
            return name
    raise TypeError(
        f"Argument `dtype` must be a float dtype name or torch dtype. Received: dtype={dtype!r}"
    )


@serialization.register_serializable(package="plait")
class Loss:
    """Base class of losses: `loss(y_true, y_pred, sample_weight=None)` -> 0-d tensor.

    Subclasses implement `call(y_true, y_pred)` returning one value per sample.

    Args:
        reduction: "sum_over_batch_size" (default; the mean over every element),
            "sum", "mean" (the same as "sum_over_batch_size"),
            "mean_with_sample_weight" (the sum divided by the sum of the weights), or
            None/"none" (the per-sample values).
        name: the loss's name. Default: the class name in snake_case.
        dtype: the dtype computed in. Default None: float32, or float64 for float64
            predictions.

    Note Keras 3's base class takes `name` first; pass these by keyword.
    """

    # Whether y_true is cast to y_pred's float dtype before `call` (not for int labels).
    _cast_labels = True

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None):
        self.reduction = standardize_reduction(reduction)
        self.name = name or _snake_case(type(self).__name__)
        self.dtype = _dtype_name(dtype)

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = _as_pred(y_pred)
        if self.dtype is not None:
            y_pred = y_pred.to(_DTYPES[self.dtype])
        y_true = _like(y_true, y_pred.device, y_pred.dtype if self._cast_labels else None)
        if sample_weight is None and self.reduction in _MEANS:
            mean = self._mean(y_true, y_pred)
            if mean is not None:
                return mean
        values, mask = self._values_and_mask(y_true, y_pred)
        return reduce_weighted_values(values, sample_weight, mask, self.reduction)

    def _mean(self, y_true, y_pred):
        """The unweighted mean loss in one fused kernel, or None where there is none."""
        return None

    def _values_and_mask(self, y_true, y_pred):
        return self.call(y_true, y_pred), None

    def call(self, y_true, y_pred):
        raise NotImplementedError(
            f"Loss '{type(self).__name__}' must implement call(y_true, y_pred)."
        )

    def get_config(self):
        config = {"name": self.name, "reduction": self.reduction}
        if self.dtype is not None:
            config["dtype"] = self.dtype
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


def _function_name(fn):
    return getattr(fn, "__name__", type(fn).__name__)


@serialization.register_serializable(package="plait")
class LossFunctionWrapper(Loss):
    """A `Loss` around a function `fn(y_true, y_pred, **kwargs)` returning one value per
    sample. The ranks of y_true and y_pred are matched first (`(batch,)` against
    `(batch, 1)`).

    Args:
        fn: the function.
        reduction, name, dtype: as `Loss`.
        **kwargs: passed to `fn` on every call.
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config["fn"] = serialization.function_name(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        name = config.pop("fn")
        fn = (
            (custom_objects or {}).get(name)
            or _FUNCTIONS.get(name)
            or serialization.get_function(name, custom_objects)
        )
        if fn is None:
            short = str(name).rpartition(">")[2]
            raise ValueError(
                f"Cannot rebuild LossFunctionWrapper: unknown loss function '{name}'. "
                f"Pass it in custom_objects={{'{short}': {short}}}, or decorate it with "
                "@plait.saving.register_serializable()."
            )
        return cls(fn, **config)

    def __repr__(self):
        return f"<LossFunctionWrapper({_function_name(self.fn)}, kwargs={self._fn_kwargs})>"


class _BuiltinLoss(LossFunctionWrapper):
    """A built-in loss class: its config is its constructor's arguments."""

    def get_config(self):
        return {**Loss.get_config(self), **self._fn_kwargs}

    __repr__ = Loss.__repr__

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


def _builtin(fn, default_name, doc):
    def __init__(self, reduction="sum_over_batch_size", name=default_name, dtype=None):
        _BuiltinLoss.__init__(self, fn, reduction=reduction, name=name, dtype=dtype)

    return {"__init__": __init__, "__doc__": doc}


_REDUCTION_DOC = """
    Args:
        reduction: "sum_over_batch_size" (default), "sum", "mean",
            "mean_with_sample_weight" or None/"none"; see `Loss`.
        name: default "{name}".
        dtype: the dtype computed in; see `Loss`.
"""


def _simple_class(class_name, fn, default_name, formula):
    doc = f"{formula}\n{_REDUCTION_DOC.format(name=default_name)}"
    cls = type(
        class_name, (_BuiltinLoss,), {**_builtin(fn, default_name, doc), "__module__": __name__}
    )
    return serialization.register_serializable(package="plait")(cls)


MeanSquaredError = _simple_class(
    "MeanSquaredError",
    mean_squared_error,
    "mean_squared_error",
    "Mean of squares of errors: `mean(square(y_true - y_pred))`.",
)
MeanAbsoluteError = _simple_class(
    "MeanAbsoluteError",
    mean_absolute_error,
    "mean_absolute_error",
    "Mean of absolute errors: `mean(abs(y_true - y_pred))`.",
)
MeanAbsolutePercentageError = _simple_class(
    "MeanAbsolutePercentageError",
    mean_absolute_percentage_error,
    "mean_absolute_percentage_error",
    "`100 * mean(abs((y_true - y_pred) / max(abs(y_true), 1e-7)))`.",
)
MeanSquaredLogarithmicError = _simple_class(
    "MeanSquaredLogarithmicError",
    mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error",
    "`mean(square(log(y_true + 1) - log(y_pred + 1)))`, inputs floored at 1e-7.",
)
LogCosh = _simple_class("LogCosh", log_cosh, "log_cosh", "`mean(log(cosh(y_pred - y_true)))`.")
Hinge = _simple_class(
    "Hinge",
    hinge,
    "hinge",
    "`mean(maximum(1 - y_true * y_pred, 0))`; labels in {0, 1} become {-1, 1}.",
)
SquaredHinge = _simple_class(
    "SquaredHinge",
    squared_hinge,
    "squared_hinge",
    "`mean(square(maximum(1 - y_true * y_pred, 0)))`; labels as `Hinge`.",
)
CategoricalHinge = _simple_class(
    "CategoricalHinge",
    categorical_hinge,
    "categorical_hinge",
    "`maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`.",
)
KLDivergence = _simple_class(
    "KLDivergence",
    kl_divergence,
    "kl_divergence",
    "`sum(y_true * log(y_true / y_pred))`, both clipped to [1e-7, 1].",
)
Poisson = _simple_class(
    "Poisson", poisson, "poisson", "`mean(y_pred - y_true * log(y_pred + 1e-7))`."
)


@serialization.register_serializable(package="plait")
class CosineSimilarity(_BuiltinLoss):
    """`-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`, in [-1, 1].

    Args:
        axis: the feature axis. Default -1.
        reduction, name (default "cosine_similarity"), dtype: as `Loss`.
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
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=delta)


@serialization.register_serializable(package="plait")
class BinaryCrossentropy(_BuiltinLoss):
    """Binary crossentropy for labels in {0, 1}.

    Args:
        from_logits: whether y_pred holds logits (recommended). Default False.
        label_smoothing: in [0, 1]. Default 0.
        axis: the axis averaged over. Default -1.
        reduction, name (default "binary_crossentropy"), dtype: as `Loss`.

    Example:
        >>> BinaryCrossentropy(from_logits=True)([0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8])
        tensor(0.8655)
    """

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
        dtype=None,
    ):
        super().__init__(
            binary_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def _mean(self, y_true, y_pred):
        # the mean over every element equals the mean of the per-sample means
        return _binary_crossentropy(
            y_true, y_pred, self.from_logits, self.label_smoothing, reduction="mean"
        )


@serialization.register_serializable(package="plait")
class CategoricalCrossentropy(_BuiltinLoss):
    """Crossentropy for one-hot labels.

    Args:
        from_logits: whether y_pred holds logits. Default False.
        label_smoothing: in [0, 1]. Default 0.
        axis: the class axis. Default -1.
        reduction, name (default "categorical_crossentropy"), dtype: as `Loss`.
    """

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            categorical_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def _mean(self, y_true, y_pred):
        return _categorical_crossentropy(
            y_true, y_pred, self.from_logits, self.label_smoothing, self.axis, reduction="mean"
        )


@serialization.register_serializable(package="plait")
class SparseCategoricalCrossentropy(_BuiltinLoss):
    """Crossentropy for integer labels of shape `(batch,)` or `(batch, 1)`.

    Args:
        from_logits: whether y_pred holds logits. Default False.
        ignore_class: a label value to ignore (e.g. 255 for "void" pixels); ignored
            entries count neither in the sum nor in the mean.
        reduction, name (default "sparse_categorical_crossentropy"), dtype: as `Loss`.
        axis, label_smoothing: plait extensions, see `sparse_categorical_crossentropy`.

    Example:
        >>> SparseCategoricalCrossentropy()([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
        tensor(1.1769)
    """

    _cast_labels = False

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        name="sparse_categorical_crossentropy",
        dtype=None,
        axis=-1,
        label_smoothing=0.0,
    ):
        kwargs = {"from_logits": from_logits, "ignore_class": ignore_class}
        # Only non-default extensions go into the config, which stays Keras's otherwise.
        if axis != -1:
            kwargs["axis"] = axis
        if label_smoothing:
            kwargs["label_smoothing"] = label_smoothing
        super().__init__(
            sparse_categorical_crossentropy, reduction=reduction, name=name, dtype=dtype, **kwargs
        )
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis
        self.label_smoothing = label_smoothing

    def _mean(self, y_true, y_pred):
        if self.ignore_class is not None:
            return None  # Keras gives 0, not torch's NaN, when every label is ignored
        return _sparse_categorical_crossentropy(
            y_true,
            y_pred,
            self.from_logits,
            None,
            self.axis,
            self.label_smoothing,
            reduction="mean",
        )

    def _values_and_mask(self, y_true, y_pred):
        values = self.call(y_true, y_pred)
        if self.ignore_class is None:
            return values, None
        labels = _sparse_labels(y_true, y_pred, self.axis % y_pred.ndim)
        return values, (labels != self.ignore_class).reshape(values.shape)


# --- lookup ----------------------------------------------------------------------------

_BY_FUNCTION: dict[Callable[..., Any], type] = {
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
    cosine_similarity: CosineSimilarity,
    huber: Huber,
    log_cosh: LogCosh,
    hinge: Hinge,
    squared_hinge: SquaredHinge,
    categorical_hinge: CategoricalHinge,
    kl_divergence: KLDivergence,
    poisson: Poisson,
    binary_crossentropy: BinaryCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {fn.__name__: fn for fn in _BY_FUNCTION}
ALIASES = {
    "bce": binary_crossentropy,
    "BCE": binary_crossentropy,
    "kld": kl_divergence,
    "KLD": kl_divergence,
    "kullback_leibler_divergence": kl_divergence,
    "mae": mean_absolute_error,
    "MAE": mean_absolute_error,
    "mse": mean_squared_error,
    "MSE": mean_squared_error,
    "mape": mean_absolute_percentage_error,
    "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error,
    "MSLE": mean_squared_logarithmic_error,
    "logcosh": log_cosh,
}
# Loss classes by class name, looked up before the shared registry (metrics has classes
# of the same names).
CLASSES = {cls.__name__: cls for cls in (Loss, LossFunctionWrapper, *_BY_FUNCTION.values())}
_NAMES = {
    **_FUNCTIONS,
    **ALIASES,
    **{name: cls for name, cls in CLASSES.items() if cls not in (Loss, LossFunctionWrapper)},
}

# Keras's names for the functions.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
bce = BCE = binary_crossentropy
logcosh = log_cosh


def _from_function(fn, name=None):
    cls = _BY_FUNCTION.get(fn) if isinstance(fn, types.FunctionType) else None
    if cls is not None:
        return cls(name=name or fn.__name__)
    return LossFunctionWrapper(fn, name=name or _function_name(fn))


def get(identifier):
    """A `Loss` object for `identifier`.

    Args:
        identifier: a `Loss` object (returned as it is), a `Loss` subclass, a name
            ('mse', 'binary_crossentropy', 'BinaryCrossentropy', ...), a config dict
            from `serialize`, or a callable `(y_true, y_pred) -> per-sample values`
            (wrapped in `LossFunctionWrapper` named after it). None gives None.

    Function names and aliases give the matching class named after the function:
    `get('mse')` is `MeanSquaredError(name='mean_squared_error')`.

    Raises:
        ValueError: for an unknown name ("Unknown loss: 'msee'. Did you mean 'mse'? ...").
        TypeError: for anything else.
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        found = serialization.get_from_registry(identifier, _NAMES, "loss")
        if isinstance(found, type):
            return found()
        return _from_function(found)
    if callable(identifier):
        return _from_function(identifier)
    return serialization.get_from_registry(identifier, _NAMES, "loss")


def serialize(loss):
    """A `Loss` as `{"class_name": ..., "config": ...}`; a function as its name."""
    if isinstance(loss, types.FunctionType):
        return serialization.function_name(loss)
    return serialization.serialize(loss)


def deserialize(config, custom_objects=None):
    """Rebuild a `Loss` from `serialize`'s output (a dict, or a function name)."""
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return get(custom_objects[config])
        return get(config)
    return serialization.deserialize(config, {**CLASSES, **(custom_objects or {})}, kind="loss")


# --- focal, overlap, sequence and metric-learning losses -------------------------------


def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    """Binary focal crossentropy (Lin et al., 2018), averaged over `axis`.

    Each element's binary crossentropy is scaled by `(1 - p_t) ** gamma`, where `p_t` is
    the predicted probability of the true class, so easy examples count less. With
    `apply_class_balancing=True` it is also weighted by `alpha` for class 1 and
    `1 - alpha` for class 0.

    Args:
        y_true: labels in [0, 1], shape `(batch, d0, ..., dN)`.
        y_pred: probabilities or (with `from_logits=True`) logits, the same shape.
        apply_class_balancing: weight the classes with `alpha`. Default False.
        alpha: the weight of class 1. Default 0.25.
        gamma: the focusing parameter; 0 gives binary crossentropy. Default 2.0.
        from_logits: whether `y_pred` holds logits. Default False.
        label_smoothing: in [0, 1]; labels become `y * (1 - s) + 0.5 * s`. Default 0.
        axis: the axis averaged over. Default -1.

    Returns:
        Tensor of shape `(batch, d0, ..., dN-1)`.

    Example:
        >>> binary_focal_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        tensor([0.3299, 0.2058])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = torch.sigmoid(y_pred)
    bce = _bce_from_probs(y_true, y_pred, "none")
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = torch.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return focal.mean(dim=axis)


def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Categorical focal crossentropy: `sum(alpha * (1 - p)**gamma * -y_true * log(p))`
    over `axis`, with `p` the predictions rescaled to sum to 1 and clipped to
    `[EPSILON, 1 - EPSILON]` (a softmax first with `from_logits=True`).

    Args:
        y_true: one-hot labels, shape `(batch, ..., num_classes)`.
        y_pred: probabilities or logits, the same shape.
        alpha: a weight of every class (a float or one per class). Default 0.25.
        gamma: the focusing parameter; 0 gives `alpha` times crossentropy. Default 2.0.
        from_logits: whether `y_pred` holds logits. Default False.
        label_smoothing: in [0, 1]; labels become `y * (1 - s) + s / num_classes`.
        axis: the class axis. Default -1.

    Returns:
        Tensor of shape `y_pred.shape` without `axis`.

    Raises:
        ValueError: when `axis` is a bool.
    """
    if isinstance(axis, bool):  # Keras raises a ValueError here
        raise ValueError(
            "Argument `axis` of categorical_focal_crossentropy must be an int. "  # noqa: TRY004
            f"Received: axis={axis} of type {type(axis)}"
        )
    y_true, y_pred = _pair(y_true, y_pred)
    if y_pred.shape[-1] == 1:
        warnings.warn(
            "In loss categorical_focal_crossentropy, expected y_pred.shape to be "
            "(batch_size, num_classes) with num_classes > 1. Received: "
            f"y_pred.shape={tuple(y_pred.shape)}. Consider using 'binary_crossentropy' "
            "if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=2,
        )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if from_logits:
        y_pred = torch.softmax(y_pred, dim=axis)
    probs = y_pred / y_pred.sum(dim=axis, keepdim=True)
    probs = torch.clamp(probs, EPSILON, 1.0 - EPSILON)
    if not isinstance(alpha, (int, float)):
        alpha = torch.as_tensor(alpha, dtype=probs.dtype, device=probs.device)
    focal = torch.pow(1.0 - probs, gamma) * alpha * (-y_true * torch.log(probs))
    return focal.sum(dim=axis)


def ctc(y_true, y_pred):
    """Connectionist Temporal Classification loss, per sample.

    Args:
        y_true: integer labels, shape `(batch, max_label_length)`; 0 is the blank (and
            padding) index and is not a class. A label's length is its count of
            non-zero entries.
        y_pred: logits (not softmax outputs), shape `(batch, steps, num_classes)`.

    Returns:
        Tensor of shape `(batch,)`.

    Raises:
        ValueError: when `y_true` is not 2-D or `y_pred` not 3-D.
    """
    y_pred = _as_pred(y_pred)
    y_true = _like(y_true, y_pred.device)
    if y_true.ndim != 2:
        raise ValueError(
            "Targets `y_true` are expected to be a tensor of shape "
            "`(batch_size, max_length)` in integer format. "
            f"Received: y_true.shape={tuple(y_true.shape)}"
        )
    if y_pred.ndim != 3:
        raise ValueError(
            "Logits `y_pred` are expected to be a tensor of shape "
            "`(batch_size, max_length, num_classes)`. "
            f"Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    labels = y_true.long()
    batch, steps = y_pred.shape[0], y_pred.shape[1]
    label_lengths = (labels != 0).sum(dim=-1)
    input_lengths = torch.full((batch,), steps, dtype=torch.long, device=y_pred.device)
    log_probs = torch.log_softmax(y_pred.transpose(0, 1), dim=-1)
    return F.ctc_loss(log_probs, labels, input_lengths, label_lengths, blank=0, reduction="none")


def _overlap_axis(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def _sum(x, axis):
    return x.sum() if axis is None else x.sum(dim=axis)


def dice(y_true, y_pred, axis=None):
    """Dice loss: `1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + EPSILON)`.

    Args:
        y_true, y_pred: tensors of the same shape (e.g. segmentation masks).
        axis: the axes summed over (a tuple, e.g. `(1, 2, 3)` for one value per sample).
            Default None: every axis, one value in all.

    Returns:
        A tensor without `axis` (0-d for `axis=None`).
    """
    y_true, y_pred = _pair(y_true, y_pred)
    axis = _overlap_axis(axis)
    intersection = _sum(y_true * y_pred, axis)
    return 1.0 - 2.0 * intersection / (_sum(y_true, axis) + _sum(y_pred, axis) + EPSILON)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss: `1 - tp / (tp + alpha * fp + beta * fn + EPSILON)` with
    `tp = sum(y_true * y_pred)`, `fp = sum((1 - y_pred) * y_true)` and
    `fn = sum(y_pred * (1 - y_true))` (Keras's naming); `alpha = beta = 0.5` is Dice.

    Args:
        y_true, y_pred: tensors of the same shape.
        alpha, beta: the weights of the two error terms. Default 0.5 each.
        axis: the axes summed over; default None, every axis.

    Returns:
        A tensor without `axis` (0-d for `axis=None`).
    """
    y_true, y_pred = _pair(y_true, y_pred)
    axis = _overlap_axis(axis)
    intersection = _sum(y_true * y_pred, axis)
    fp = _sum((1.0 - y_pred) * y_true, axis)
    fn = _sum(y_pred * (1.0 - y_true), axis)
    return 1.0 - intersection / (intersection + fp * alpha + fn * beta + EPSILON)


def circle(
    y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4
):
    """Circle loss (Sun et al., 2020) between integer labels and L2-normalized
    embeddings, one value per sample.

    Args:
        y_true: integer labels, shape `(batch,)`.
        y_pred: L2-normalized embeddings, shape `(batch, dim)`.
        ref_labels, ref_embeddings: the reference set; default the batch itself.
        remove_diagonal: leave each sample's similarity to itself out of the positives.
            Default True.
        gamma: the scale. Default 80.
        margin: the relaxation margin. Default 0.4.

    Returns:
        Tensor of shape `(batch,)`.
    """
    y_pred = _as_pred(y_pred)
    labels = _like(y_true, y_pred.device).long().reshape(-1, 1)
    refs = y_pred if ref_embeddings is None else _like(ref_embeddings, y_pred.device, y_pred.dtype)
    ref = labels if ref_labels is None else _like(ref_labels, y_pred.device).long()
    ref = ref.reshape(-1, 1)
    distances = torch.clamp(1.0 - y_pred @ refs.T, min=0.0)
    positive = labels == ref.T
    negative = ~positive
    if remove_diagonal:
        positive = positive & ~torch.eye(
            labels.shape[0], ref.shape[0], dtype=torch.bool, device=y_pred.device
        )
    pos_weights = torch.clamp((margin + distances) * positive.to(distances.dtype), min=0.0)
    neg_weights = torch.clamp((1.0 + margin - distances) * negative.to(distances.dtype), min=0.0)
    pos = -gamma * pos_weights * (margin - distances)
    neg = gamma * neg_weights * (1.0 - margin - distances)
    minus_inf = torch.tensor(float("-inf"), dtype=distances.dtype, device=distances.device)
    p_loss = torch.logsumexp(torch.where(positive, pos, minus_inf), dim=1)
    n_loss = torch.logsumexp(torch.where(negative, neg, minus_inf), dim=1)
    return F.softplus(p_loss + n_loss)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalized crossentropy (Zhang & Sabuncu, 2018): `(1 - p**q) / q`, with `p` the
    predicted probability of the true class; robust to noisy labels.

    Args:
        y_true: integer class ids, shape `(batch,)` or `(batch, 1)`.
        y_pred: probabilities, shape `(batch, num_classes)`.
        q: in (0, 1): near 0 like crossentropy, near 1 like mean absolute error.

    Returns:
        Tensor of shape `(batch,)` (`(batch, 1)` for `(batch, 1)` labels).
    """
    y_pred = _as_pred(y_pred)
    labels = _like(y_true, y_pred.device).long()
    one_hot = F.one_hot(labels, y_pred.shape[-1]).to(y_pred.dtype)
    p = (y_pred * one_hot).sum(dim=-1)
    return (1.0 - torch.pow(p, q)) / q


def _keyword_class(class_name, fn, default_name, doc, arg_names, int_labels=False, mask=None):
    """A built-in loss class whose constructor takes `fn`'s keyword arguments (in Keras's
    order, `arg_names` with defaults), then reduction, name, dtype."""

    def __init__(self, *args, **kwargs):
        params = dict(arg_names)
        params.update({"reduction": "sum_over_batch_size", "name": default_name, "dtype": None})
        order = list(getattr(type(self), "_order", params))
        if len(args) > len(order):
            raise TypeError(
                f"{class_name}() takes at most {len(order)} positional "
                f"arguments. Received: {len(args)}"
            )
        for key, value in zip(order, args):
            if key in kwargs:
                raise TypeError(f"{class_name}() got multiple values for argument '{key}'")
            kwargs[key] = value
        unknown = set(kwargs) - set(params)
        if unknown:
            raise TypeError(
                f"{class_name}() got unexpected arguments {sorted(unknown)}. "
                f"Expected some of {list(params)}."
            )
        params.update(kwargs)
        fn_kwargs = {key: params[key] for key in dict(arg_names)}
        _BuiltinLoss.__init__(
            self,
            fn,
            reduction=params["reduction"],
            name=params["name"],
            dtype=params["dtype"],
            **fn_kwargs,
        )
        for key, value in fn_kwargs.items():
            setattr(self, key, value)

    attrs = {
        "__init__": __init__,
        "__doc__": doc,
        "__module__": __name__,
        "_cast_labels": not int_labels,
    }
    if mask is not None:
        attrs["_values_and_mask"] = mask
    cls = type(class_name, (_BuiltinLoss,), attrs)
    return serialization.register_serializable(package="plait")(cls)


_FOCAL_DOC = """{what}

    Args:
{args}        reduction: "sum_over_batch_size" (default), "sum", "mean",
            "mean_with_sample_weight" or None/"none"; see `Loss`.
        name: default "{name}".
        dtype: the dtype computed in; see `Loss`.

    Example:
        >>> import plait
        >>> loss = plait.losses.{cls}()
        >>> loss(y_true, y_pred)  # a 0-d tensor; inputs depend on the class  # doctest: +SKIP
"""


def _doc(cls, name, what, args):
    return _FOCAL_DOC.format(
        what=what, cls=cls, name=name, args="".join(f"        {a}\n" for a in args)
    )


BinaryFocalCrossentropy = _keyword_class(
    "BinaryFocalCrossentropy",
    binary_focal_crossentropy,
    "binary_focal_crossentropy",
    _doc(
        "BinaryFocalCrossentropy",
        "binary_focal_crossentropy",
        "Binary focal crossentropy: binary crossentropy scaled by `(1 - p_t) ** gamma`.",
        [
            "apply_class_balancing: weight class 1 by alpha, 0 by 1 - alpha. Default False.",
            "alpha: default 0.25.",
            "gamma: default 2.0.",
            "from_logits: default False.",
            "label_smoothing: default 0.",
            "axis: default -1.",
        ],
    ),
    [
        ("apply_class_balancing", False),
        ("alpha", 0.25),
        ("gamma", 2.0),
        ("from_logits", False),
        ("label_smoothing", 0.0),
        ("axis", -1),
    ],
)
CategoricalFocalCrossentropy = _keyword_class(
    "CategoricalFocalCrossentropy",
    categorical_focal_crossentropy,
    "categorical_focal_crossentropy",
    _doc(
        "CategoricalFocalCrossentropy",
        "categorical_focal_crossentropy",
        "Categorical focal crossentropy for one-hot labels.",
        [
            "alpha: a float or one per class. Default 0.25.",
            "gamma: default 2.0.",
            "from_logits: default False.",
            "label_smoothing: default 0.",
            "axis: default -1.",
        ],
    ),
    [
        ("alpha", 0.25),
        ("gamma", 2.0),
        ("from_logits", False),
        ("label_smoothing", 0.0),
        ("axis", -1),
    ],
)
CTC = _keyword_class(
    "CTC",
    ctc,
    "ctc",
    _doc(
        "CTC",
        "ctc",
        "CTC loss between integer label sequences (0 = blank) and "
        "logits `(batch, steps, num_classes)`.",
        [],
    ),
    [],
    int_labels=True,
)
Dice = _keyword_class(
    "Dice",
    dice,
    "dice",
    _doc(
        "Dice",
        "dice",
        "Dice loss: `1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred))`.",
        ["axis: the axes summed over. Default None (all)."],
    ),
    [("axis", None)],
)
Dice._order = ("reduction", "name", "axis", "dtype")
Tversky = _keyword_class(
    "Tversky",
    tversky,
    "tversky",
    _doc(
        "Tversky",
        "tversky",
        "Tversky loss, Dice with weighted error terms.",
        [
            "alpha: default 0.5.",
            "beta: default 0.5.",
            "axis: the axes summed over. Default None (all).",
        ],
    ),
    [("alpha", 0.5), ("beta", 0.5), ("axis", None)],
)
Tversky._order = ("alpha", "beta", "reduction", "name", "axis", "dtype")


def _circle_mask(self, y_true, y_pred):
    values = self.call(y_true, y_pred)
    return values, values > 0  # Keras averages over the samples with a positive loss


Circle = _keyword_class(
    "Circle",
    circle,
    "circle",
    _doc(
        "Circle",
        "circle",
        "Circle loss between integer labels and L2-normalized "
        "embeddings; the mean runs over the samples whose loss is positive.",
        ["gamma: default 80.0.", "margin: default 0.4.", "remove_diagonal: default True."],
    ),
    [("gamma", 80.0), ("margin", 0.4), ("remove_diagonal", True)],
    mask=_circle_mask,
)


CategoricalGeneralizedCrossEntropy = _keyword_class(
    "CategoricalGeneralizedCrossEntropy",
    categorical_generalized_cross_entropy,
    "categorical_generalized_cross_entropy",
    _doc(
        "CategoricalGeneralizedCrossEntropy",
        "categorical_generalized_cross_entropy",
        "Generalized crossentropy `(1 - p**q) / q` for integer labels.",
        ["q: in (0, 1). Default 0.5."],
    ),
    [("q", 0.5)],
    int_labels=True,
)
_gce_init = CategoricalGeneralizedCrossEntropy.__init__


def _checked_gce_init(self, *args, **kwargs):
    q = args[0] if args else kwargs.get("q", 0.5)
    if not 0 < q < 1:
        raise ValueError(
            "Argument `q` of CategoricalGeneralizedCrossEntropy must be in "
            f"the interval (0, 1). Received: q={q}"
        )
    _gce_init(self, *args, **kwargs)


CategoricalGeneralizedCrossEntropy.__init__ = _checked_gce_init

_NEW: dict[Callable[..., Any], type] = {
    binary_focal_crossentropy: BinaryFocalCrossentropy,
    categorical_focal_crossentropy: CategoricalFocalCrossentropy,
    ctc: CTC,
    dice: Dice,
    tversky: Tversky,
    circle: Circle,
    categorical_generalized_cross_entropy: CategoricalGeneralizedCrossEntropy,
}
_BY_FUNCTION.update(_NEW)
_FUNCTIONS.update({fn.__name__: fn for fn in _NEW})
CLASSES.update({cls.__name__: cls for cls in _NEW.values()})
_NAMES.update({fn.__name__: fn for fn in _NEW})
_NAMES.update({cls.__name__: cls for cls in _NEW.values()})
