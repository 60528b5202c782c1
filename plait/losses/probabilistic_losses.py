"""Probabilistic losses: crossentropies (binary, categorical, sparse), `KLDivergence` and
`Poisson`, as functions and classes; `check_sparse_labels`.
"""

import sys
import warnings

import torch
import torch.nn.functional as F

from plait import serialization
from plait.losses.loss import (
    EPSILON,
    _BuiltinLoss,
    _as_pred,
    _check_same_shape,
    _classes_to_dim1,
    _like,
    _pair,
    _simple_class,
    squeeze_or_expand_to_same_rank,
)

__all__ = [
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "KLDivergence",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "binary_crossentropy",
    "categorical_crossentropy",
    "check_sparse_labels",
    "kl_divergence",
    "poisson",
    "sparse_categorical_crossentropy",
]


# --- probabilistic losses --------------------------------------------------------------


def _checking_labels():
    """`plait.losses.CHECK_SPARSE_LABELS`, read on the package, where users set it."""
    return sys.modules[__package__].CHECK_SPARSE_LABELS


def kl_divergence(y_true, y_pred):
    """`sum(y_true * log(y_true / y_pred), axis=-1)`, both clipped to `[EPSILON, 1]`.

    Example:
        >>> kl_divergence([[0., 1.], [1., 0.]], [[0.4, 0.6], [0.7, 0.3]])
        tensor([0.5108, 0.3567])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = torch.clamp(y_true, EPSILON, 1.0)
    y_pred = torch.clamp(y_pred, EPSILON, 1.0)
    return (y_true * torch.log(y_true / y_pred)).sum(dim=-1)


def poisson(y_true, y_pred):
    """`mean(y_pred - y_true * log(y_pred + EPSILON), axis=-1)`.

    Example:
        >>> poisson([[0., 1.], [0., 0.]], [[0.6, 0.4], [0.4, 0.6]])
        tensor([0.9581, 0.5000])
    """
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

    Example:
        >>> binary_crossentropy([[0., 1.], [0., 0.]], [[0.6, 0.4], [0.4, 0.6]])
        tensor([0.9163, 0.7136])
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

    Example:
        >>> categorical_crossentropy([[0., 1., 0.], [0., 0., 1.]], [[0.05, 0.95, 0.], [0.1, 0.8, 0.1]])
        tensor([0.0513, 2.3026])
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

    Example:
        >>> check_sparse_labels([0, 2, 1], num_classes=3)  # fine: returns None
        >>> check_sparse_labels([0, 3], num_classes=3)
        Traceback (most recent call last):
            ...
        ValueError: Labels for sparse categorical crossentropy must be integers in [0, 2]: ...
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

    Example:
        >>> import numpy as np
        >>> y_true = np.array([1, 2])
        >>> y_pred = np.array([[0.05, 0.95, 0.], [0.1, 0.8, 0.1]], dtype="float32")
        >>> sparse_categorical_crossentropy(y_true, y_pred)
        tensor([0.0513, 2.3026])
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
    if _checking_labels():
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


KLDivergence = _simple_class(
    "KLDivergence",
    kl_divergence,
    "kl_divergence",
    "`sum(y_true * log(y_true / y_pred))`, both clipped to [1e-7, 1].",
    example=("[[0., 1.], [1., 0.]]", "[[0.4, 0.6], [0.7, 0.3]]", 0.4337),
)
Poisson = _simple_class(
    "Poisson",
    poisson,
    "poisson",
    "`mean(y_pred - y_true * log(y_pred + 1e-7))`.",
    example=("[[0., 1.], [0., 0.]]", "[[0.6, 0.4], [0.4, 0.6]]", 0.7291),
)


def _smoothed_crossentropy(loss, fn, from_logits, label_smoothing, axis, reduction, name, dtype):
    """Set up a binary or categorical crossentropy loss object (they share their arguments)."""
    _BuiltinLoss.__init__(
        loss,
        fn,
        reduction=reduction,
        name=name,
        dtype=dtype,
        from_logits=from_logits,
        label_smoothing=label_smoothing,
        axis=axis,
    )
    loss.from_logits = from_logits
    loss.label_smoothing = label_smoothing
    loss.axis = axis


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
        _smoothed_crossentropy(
            self, binary_crossentropy, from_logits, label_smoothing, axis, reduction, name, dtype
        )

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

    Example:
        >>> import numpy as np
        >>> y_true = np.array([[0., 1., 0.], [0., 0., 1.]])
        >>> y_pred = np.array([[0.05, 0.95, 0.], [0.1, 0.8, 0.1]])
        >>> round(float(CategoricalCrossentropy()(y_true, y_pred)), 4)
        1.1769
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
        _smoothed_crossentropy(
            self,
            categorical_crossentropy,
            from_logits,
            label_smoothing,
            axis,
            reduction,
            name,
            dtype,
        )

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
        >>> import numpy as np
        >>> y_true = np.array([1, 2])
        >>> y_pred = np.array([[0.05, 0.95, 0.], [0.1, 0.8, 0.1]])
        >>> round(float(SparseCategoricalCrossentropy()(y_true, y_pred)), 4)
        1.1769
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
