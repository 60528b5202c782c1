"""Accuracy metrics: how often predictions match labels (binary, categorical, sparse, top-k)."""

import torch

from plait import losses, serialization
from plait.losses import (
    squeeze_or_expand_to_same_rank,
)
from plait.metrics.metric import _cast
from plait.metrics.reduction_metrics import _Wrapped, _args_doc

__all__ = [
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]


# --- accuracy --------------------------------------------------------------------------


def _pred_and_true(y_true, y_pred):
    if not isinstance(y_pred, torch.Tensor):
        y_pred = torch.as_tensor(y_pred)
    return losses._like(y_true, y_pred.device), y_pred


def accuracy(y_true, y_pred):
    """How often `y_pred == y_true`: `mean(y_true == y_pred, axis=-1)`.

    Example:
        >>> accuracy([[1, 2, 3], [4, 5, 6]], [[1, 2, 0], [4, 0, 0]])
        tensor([0.6667, 0.3333])
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true.to(y_pred.dtype), y_pred)
    return (y_true == y_pred).to(torch.float32).mean(dim=-1)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Whether `(y_pred > threshold) == y_true`, elementwise, as 1.0 or 0.0 (Keras 3's
    function; `BinaryAccuracy` averages these over each sample).

    Args:
        y_true: binary labels.
        y_pred: predictions, the same shape (a `(batch,)` against `(batch, 1)` pair is
            matched first).
        threshold: where a prediction turns to 1. Default 0.5.

    Returns:
        A float32 tensor shaped like the matched inputs.

    Example:
        >>> binary_accuracy([[1.], [1.], [0.], [0.]], [[0.98], [1.], [0.], [0.6]]).tolist()
        [[1.0], [1.0], [1.0], [0.0]]
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = (y_pred > threshold).to(y_true.dtype)
    return (y_true == y_pred).to(torch.float32)


def categorical_accuracy(y_true, y_pred):
    """How often `argmax(y_pred) == argmax(y_true)` for one-hot labels; one value per
    sample.

    Example:
        >>> categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        tensor([0., 1.])
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    true_ids = torch.argmax(y_true, dim=-1)
    shape = true_ids.shape
    squeeze = true_ids.ndim == y_pred.ndim
    if squeeze:
        true_ids = true_ids.squeeze(-1)
    matches = (true_ids == torch.argmax(y_pred, dim=-1)).to(torch.float32)
    return matches.reshape(shape) if squeeze else matches


def sparse_categorical_accuracy(y_true, y_pred):
    """How often `argmax(y_pred) == y_true` for integer labels `(batch,)` or
    `(batch, 1)`; one value per sample.

    Example:
        >>> sparse_categorical_accuracy([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        tensor([0., 1.])
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    shape = y_true.shape
    squeeze = y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1
    if squeeze:
        y_true = y_true.squeeze(-1)
    pred_ids = _cast(torch.argmax(y_pred, dim=-1), y_true.dtype)
    matches = (y_true == pred_ids).to(torch.float32)
    if squeeze:
        matches = matches.reshape(shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = matches.squeeze(-1)
    return matches


def _in_top_k(targets, predictions, k):
    """Whether each target's score is at least the k-th largest score (ties count)."""
    k = min(k, predictions.shape[-1])
    kth = torch.topk(predictions, k, dim=-1).values[..., -1]
    picked = predictions.gather(-1, targets.long().unsqueeze(-1)).squeeze(-1)
    return picked >= kth


def _top_k_matches(true_ids, y_pred, k):
    shape = true_ids.shape
    if y_pred.ndim > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    matches = _in_top_k(true_ids.reshape(-1), y_pred, k).to(torch.float32)
    return matches.reshape(shape)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Whether the one-hot label's class is among the k highest predictions.

    Example:
        >>> top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=1)
        tensor([0., 1.])
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    return _top_k_matches(torch.argmax(y_true, dim=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """Whether the integer label is among the k highest predictions. With
    `from_sorted_ids=True`, `y_pred` holds class ids sorted by score instead.

    Example:
        >>> sparse_top_k_categorical_accuracy([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=1)
        tensor([0., 1.])
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    if from_sorted_ids:
        shape = y_true.shape
        ids = y_pred.reshape(-1, y_pred.shape[-1])[:, :k]
        matches = (ids == y_true.reshape(-1, 1).to(ids.dtype)).any(dim=-1)
        return matches.to(torch.float32).reshape(shape)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    return _top_k_matches(y_true, y_pred, k)


# the classes' examples: one-hot labels and scores of 3 classes
_ONE_HOT = "[[0, 0, 1], [0, 1, 0]]"
_SCORES = "[[0.1, 0.9, 0.8], [0.05, 0.95, 0]]"


@serialization.register_serializable(package="plait")
class Accuracy(_Wrapped):
    __doc__ = "How often predictions equal labels." + _args_doc(
        "accuracy",
        example=("Accuracy()", "[[1], [2], [3], [4]]", "[[0], [2], [3], [4]]", 0.75),
    )
    _function = staticmethod(accuracy)

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name, dtype)


@serialization.register_serializable(package="plait")
class BinaryAccuracy(_Wrapped):
    __doc__ = "How often `(y_pred > threshold)` matches binary labels." + _args_doc(
        "binary_accuracy",
        "\n        threshold: default 0.5. Any float is accepted "
        "(use 0.0 for logits; Keras 3 accepts only (0, 1)).",
        ("BinaryAccuracy()", "[[1.], [1.], [0.], [0.]]", "[[0.98], [1.], [0.], [0.6]]", 0.75),
    )
    _function = staticmethod(binary_accuracy)

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise TypeError(
                f"Argument `threshold` must be a float. Received: threshold={threshold!r}"
            )
        super().__init__(name, dtype, threshold=float(threshold))
        self.threshold = float(threshold)


@serialization.register_serializable(package="plait")
class CategoricalAccuracy(_Wrapped):
    __doc__ = "How often the highest prediction matches the one-hot label." + _args_doc(
        "categorical_accuracy",
        example=("CategoricalAccuracy()", _ONE_HOT, _SCORES, 0.5),
    )
    _function = staticmethod(categorical_accuracy)

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name, dtype)


@serialization.register_serializable(package="plait")
class SparseCategoricalAccuracy(_Wrapped):
    __doc__ = "How often the highest prediction matches the integer label." + _args_doc(
        "sparse_categorical_accuracy",
        example=(
            "SparseCategoricalAccuracy()",
            "[[2], [1]]",
            "[[0.1, 0.6, 0.3], [0.05, 0.95, 0]]",
            0.5,
        ),
    )
    _function = staticmethod(sparse_categorical_accuracy)

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name, dtype)


@serialization.register_serializable(package="plait")
class TopKCategoricalAccuracy(_Wrapped):
    __doc__ = "How often the one-hot label is among the k highest predictions." + _args_doc(
        "top_k_categorical_accuracy",
        "\n        k: default 5.",
        ("TopKCategoricalAccuracy(k=1)", _ONE_HOT, _SCORES, 0.5),
    )
    _function = staticmethod(top_k_categorical_accuracy)

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(name, dtype, k=k)
        self.k = k


@serialization.register_serializable(package="plait")
class SparseTopKCategoricalAccuracy(_Wrapped):
    __doc__ = "How often the integer label is among the k highest predictions." + _args_doc(
        "sparse_top_k_categorical_accuracy",
        "\n        k: default 5.\n        from_sorted_ids: y_pred holds "
        "class ids sorted by score. Default False.",
        ("SparseTopKCategoricalAccuracy(k=1)", "[2, 1]", _SCORES, 0.5),
    )
    _function = staticmethod(sparse_top_k_categorical_accuracy)

    def __init__(
        self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False
    ):
        kwargs = {"k": k}
        if from_sorted_ids:
            kwargs["from_sorted_ids"] = True
        super().__init__(name, dtype, **kwargs)
        self.k = k
        self.from_sorted_ids = from_sorted_ids
