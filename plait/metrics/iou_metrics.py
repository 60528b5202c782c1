"""Intersection-over-union metrics (`IoU`, `BinaryIoU`, `MeanIoU`, `OneHotIoU`,
`OneHotMeanIoU`), from a confusion matrix accumulated over batches.
"""

import torch

from plait import losses, serialization
from plait.metrics.metric import Metric

__all__ = ["BinaryIoU", "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU"]


# --- IoU -------------------------------------------------------------------------------

_INT_DTYPES = {"int32": torch.int32, "int64": torch.int64, "int": torch.int32}


class _IoUBase(Metric):
    """A weighted confusion matrix `(num_classes, num_classes)` (rows: true classes)."""

    def __init__(
        self,
        num_classes,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        dtype = {torch.int32: "int32", torch.int64: "int64"}.get(dtype, dtype) or "int32"
        integer = dtype in _INT_DTYPES
        super().__init__(name=name, dtype=None if integer else dtype)
        if integer:
            self.dtype = "int32" if dtype == "int" else dtype
            self._dtype = _INT_DTYPES[dtype]
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable((num_classes, num_classes), name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = torch.as_tensor(y_true)
        y_pred = torch.as_tensor(y_pred)
        if not self.sparse_y_true:
            y_true = torch.argmax(y_true, dim=self.axis)
        if not self.sparse_y_pred:
            y_pred = torch.argmax(y_pred, dim=self.axis)
        y_true = self._tensor(y_true).reshape(-1)
        y_pred = self._tensor(y_pred).reshape(-1)
        if sample_weight is None:
            weight = torch.ones_like(y_true)
        else:
            weight = torch.broadcast_to(self._tensor(sample_weight).reshape(-1), y_true.shape)
        n = self.num_classes
        valid = (y_true >= 0) & (y_true < n) & (y_pred >= 0) & (y_pred < n)
        if self.ignore_class is not None:
            valid &= y_true != self.ignore_class
        zero = torch.zeros((), dtype=y_true.dtype, device=y_true.device)
        index = (torch.where(valid, y_true, zero) * n + torch.where(valid, y_pred, zero)).long()
        weight = torch.where(valid, weight, torch.zeros_like(weight))
        self.total_cm.view(-1).scatter_add_(0, index, weight)


@serialization.register_serializable(package="plait")
class IoU(_IoUBase):
    """Intersection over union, `tp / (tp + fp + fn)`, averaged over the classes in
    `target_class_ids`, from a confusion matrix of integer class ids.

    Args:
        num_classes: the number of classes (the confusion matrix is
            `(num_classes, num_classes)`).
        target_class_ids: the class ids whose IoUs are averaged.
        name: default "io_u".
        dtype: the confusion matrix's dtype. Default "int32" as in Keras (float sample
            weights are truncated to integers); pass "float32" for fractional weights.
        ignore_class: a label id (e.g. 255) left out of the matrix. Default None.
        sparse_y_true, sparse_y_pred: whether labels / predictions are class ids
            (default True) or per-class scores (argmax over `axis` first).
        axis: the class axis of dense inputs. Default -1.

    Raises:
        ValueError: when a target class id is not below `num_classes`.

    Example:
        >>> m = IoU(num_classes=2, target_class_ids=[0])
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> m.result()
        tensor(0.3333)
    """

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        super().__init__(
            num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, "
                f"which is [0, {num_classes}). Received: "
                f"target_class_ids={list(target_class_ids)}"
            )
        self.target_class_ids = list(target_class_ids)

    def result(self):
        cm = self.total_cm.to(torch.float32)
        tp = torch.diagonal(cm)
        denominator = cm.sum(dim=0) + cm.sum(dim=1) - tp
        ids = torch.tensor(self.target_class_ids, device=cm.device)
        tp, denominator = tp[ids], denominator[ids]
        valid = denominator > 1e-9
        iou = torch.where(valid, tp / (denominator + losses.EPSILON), 0.0)
        return iou.sum() / (valid.to(torch.float32).sum() + losses.EPSILON)

    # the constructor's arguments a config holds, besides name and dtype
    _config_keys: tuple[str, ...] = (
        "num_classes",
        "target_class_ids",
        "ignore_class",
        "sparse_y_true",
        "sparse_y_pred",
        "axis",
    )

    def get_config(self):
        return {**super().get_config(), **{key: getattr(self, key) for key in self._config_keys}}


@serialization.register_serializable(package="plait")
class BinaryIoU(IoU):
    """IoU of binary predictions: a prediction `>= threshold` is class 1.

    Args:
        target_class_ids: `[0]`, `[1]` or `[0, 1]` (default; the mean of both).
        threshold: default 0.5.
        name: default "binary_io_u".
        dtype: default "int32" (see `IoU`).

    Example:
        >>> m = BinaryIoU(target_class_ids=[0, 1], threshold=0.5)
        >>> m.update_state([0, 1, 0, 1], [0.1, 0.9, 0.6, 0.2])
        >>> round(float(m.result()), 4)
        0.3333
    """

    _config_keys: tuple[str, ...] = ("target_class_ids", "threshold")

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = torch.as_tensor(y_pred).to(torch.float32)
        super().update_state(y_true, (y_pred >= self.threshold).to(torch.int32), sample_weight)


@serialization.register_serializable(package="plait")
class MeanIoU(IoU):
    """The mean IoU over all `num_classes` classes.

    Args:
        num_classes: the number of classes.
        name: default "mean_io_u".
        dtype, ignore_class, sparse_y_true, sparse_y_pred, axis: as `IoU`.

    Example:
        >>> m = MeanIoU(num_classes=2)
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> m.result()
        tensor(0.3333)
    """

    _config_keys: tuple[str, ...] = (
        "num_classes",
        "ignore_class",
        "sparse_y_true",
        "sparse_y_pred",
        "axis",
    )

    def __init__(
        self,
        num_classes,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        every_class = list(range(num_classes))
        args = (ignore_class, sparse_y_true, sparse_y_pred, axis)
        super().__init__(num_classes, every_class, name, dtype, *args)


@serialization.register_serializable(package="plait")
class OneHotIoU(IoU):
    """`IoU` for one-hot labels (argmax over `axis`); predictions are scores unless
    `sparse_y_pred=True`.

    Args:
        num_classes, target_class_ids: as `IoU`.
        name: default "one_hot_io_u".
        sparse_y_pred: default False.
        dtype, ignore_class, axis: as `IoU`.

    Example:
        >>> y_true = [[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]]
        >>> y_pred = [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]]
        >>> m = OneHotIoU(num_classes=3, target_class_ids=[0, 2])
        >>> m.update_state(y_true, y_pred)
        >>> round(float(m.result()), 4)
        0.1667
    """

    _config_keys: tuple[str, ...] = (
        "num_classes",
        "target_class_ids",
        "ignore_class",
        "sparse_y_pred",
        "axis",
    )

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_pred=False,
        axis=-1,
    ):
        args = (ignore_class, False, sparse_y_pred, axis)  # labels are one-hot
        super().__init__(num_classes, target_class_ids, name, dtype, *args)


@serialization.register_serializable(package="plait")
class OneHotMeanIoU(MeanIoU):
    """`MeanIoU` for one-hot labels.

    Args:
        num_classes: the number of classes.
        name: default "one_hot_mean_io_u".
        sparse_y_pred: default False.
        dtype, ignore_class, axis: as `IoU`.

    Example:
        >>> y_true = [[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]]
        >>> y_pred = [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]]
        >>> m = OneHotMeanIoU(num_classes=3)
        >>> m.update_state(y_true, y_pred)
        >>> round(float(m.result()), 4)
        0.1111
    """

    _config_keys: tuple[str, ...] = ("num_classes", "ignore_class", "sparse_y_pred", "axis")

    def __init__(
        self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1
    ):
        super().__init__(num_classes, name, dtype, ignore_class, False, sparse_y_pred, axis)
