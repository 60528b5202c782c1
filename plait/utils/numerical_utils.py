"""`to_categorical` and `normalize`, Keras's `keras.utils` numerical helpers."""

import numpy as np
import torch

__all__ = ["to_categorical", "normalize"]


def to_categorical(x, num_classes=None):
    """Convert class labels (integers) to one-hot rows.

    Args:
        x: labels: a list, numpy array or torch tensor of integers from 0 to
            `num_classes - 1`. A trailing axis of size 1 (`(n, 1)`, as from a CSV column) is
            dropped first, as Keras does.
        num_classes: the number of classes. Default None: the largest label plus one.

    Returns:
        A float64 numpy array of shape `x.shape + (num_classes,)` for array-like input
        (Keras's dtype), or a float32 torch tensor for a torch tensor.

    Raises:
        ValueError: a label is negative or not below `num_classes`.

    Example:
        >>> to_categorical([0, 2, 1], num_classes=3).tolist()
        [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    if isinstance(x, torch.Tensor):
        labels = x.reshape(x.shape[:-1]) if x.dim() > 1 and x.shape[-1] == 1 else x
        labels = labels.long()
        depth = _check_labels(labels.detach().cpu().numpy(), num_classes)
        return torch.nn.functional.one_hot(labels, depth).float()
    labels = np.array(x, dtype="int64")
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    labels = labels.reshape(-1)
    depth = _check_labels(labels, num_classes)
    out = np.zeros((labels.shape[0], depth))
    out[np.arange(labels.shape[0]), labels] = 1
    return out.reshape(shape + (depth,))


def _check_labels(labels, num_classes):
    if num_classes is not None and (
        not isinstance(num_classes, (int, np.integer))
        or isinstance(num_classes, bool)
        or num_classes < 1
    ):
        raise ValueError(
            "`num_classes` must be a positive integer (or None to count the labels). "
            f"Received: num_classes={num_classes!r}"
        )
    if labels.size == 0:
        return int(num_classes or 0)
    low, high = int(labels.min()), int(labels.max())
    if low < 0:
        raise ValueError(
            f"to_categorical: labels must be integers from 0 to num_classes - 1, but a label "
            f"is negative. Received: a label {low}"
        )
    if not num_classes:
        return high + 1
    if high >= num_classes:
        raise ValueError(
            f"to_categorical: a label is not below num_classes: labels must be integers from "
            f"0 to {num_classes - 1}. Pass num_classes={high + 1} or more, or check the labels. "
            f"Received: a label {high} with num_classes={num_classes}"
        )
    return int(num_classes)


def normalize(x, axis=-1, order=2):
    """Divide `x` by its `order`-norm along `axis` (rows of zeros stay zeros).

    Args:
        x: a numpy array or torch tensor.
        axis: the axis to normalize along. Default -1.
        order: the norm's order (2 for L2, 1 for L1, ...). Default 2.

    Returns:
        An array (or tensor) of `x`'s shape whose slices along `axis` have norm 1.

    Example:
        >>> normalize(np.array([[3.0, 4.0]]))
        array([[0.6, 0.8]])
    """
    if isinstance(x, torch.Tensor):
        norm = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
        return x / torch.where(norm == 0, torch.ones_like(norm), norm)
    x = np.asarray(x)
    # keepdims: the result has x's shape (Keras's numpy path gives a 1-D x a batch axis
    # and turns axis=0 into -1; its tensor path, which this follows, does neither)
    norm = np.linalg.norm(x, order, -1 if axis is None else axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)
