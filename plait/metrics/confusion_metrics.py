"""Metrics over a confusion matrix at thresholds: true/false positive/negative counts,
`Precision`, `Recall` and `AUC` (one rate at a fixed value of another is in
`rate_metrics.py`).
"""

import torch

from plait import losses, serialization
from plait.losses import (
    squeeze_or_expand_to_same_rank,
)
from plait.metrics.metric import Metric, NEG_INF, _divide_no_nan

__all__ = [
    "AUC",
    "FalseNegatives",
    "FalsePositives",
    "Precision",
    "Recall",
    "TrueNegatives",
    "TruePositives",
]


# --- confusion-matrix metrics ----------------------------------------------------------


def _check_thresholds(thresholds):
    bad = [t for t in thresholds if t is None or not 0 <= t <= 1]
    if bad:
        raise ValueError(
            f"Invalid value for argument `thresholds`: every threshold must "
            f"be in [0, 1]. Received: thresholds={thresholds}"
        )


def _to_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _filter_top_k(x, k):
    """Keep the k largest values of the last axis (the first on ties) and set the rest
    to NEG_INF."""
    order = torch.sort(x, dim=-1, descending=True, stable=True).indices[..., :k]
    keep = torch.zeros_like(x, dtype=torch.bool).scatter_(-1, order, True)
    return torch.where(keep, x, torch.full_like(x, NEG_INF))


def _prepare_confusion(y_true, y_pred, sample_weight, dtype, top_k=None, class_id=None):
    """Labels (as 0/1), predictions and per-element weights, broadcast together."""
    y_pred = y_pred.to(dtype)
    y_true = (y_true != 0).to(dtype)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    weights = None
    if sample_weight is not None:
        weights = torch.as_tensor(sample_weight, device=y_pred.device).to(dtype).unsqueeze(-1)
        _, weights = squeeze_or_expand_to_same_rank(y_true, weights, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "When `class_id` is set, y_pred must have shape (num_samples, num_classes). "
                f"Received: y_pred.shape={tuple(y_pred.shape)}"
            )
        y_true = y_true[..., class_id : class_id + 1]
        y_pred = y_pred[..., class_id : class_id + 1]
        if weights is not None and weights.ndim == y_pred.ndim and weights.shape[-1] != 1:
            weights = weights[..., class_id : class_id + 1]
    if weights is None:
        weights = torch.ones((), dtype=dtype, device=y_pred.device)
    y_true, y_pred, weights = torch.broadcast_tensors(y_true, y_pred, weights)
    return y_true, y_pred, weights


def _counts_above(y_pred, pos, neg, thresholds):
    """Weighted counts of positives and negatives predicted above each threshold.

    `y_pred`, `pos`, `neg` are `(M,)` or `(M, L)`; `thresholds` is sorted `(T,)`. The
    predictions are bucketed (one pass) and the buckets summed from the top, so this is
    O(M + T) like Keras's evenly-spaced path, for any sorted thresholds.
    """
    num = thresholds.numel()
    index = torch.bucketize(y_pred.contiguous(), thresholds)  # thresholds below each pred
    columns = 1 if y_pred.ndim == 1 else y_pred.shape[-1]
    if y_pred.ndim > 1:
        index = index * columns + torch.arange(columns, device=index.device)
    index = index.reshape(-1)

    def above(weights):
        hist = torch.zeros((num + 1) * columns, dtype=weights.dtype, device=weights.device)
        hist.scatter_add_(0, index, weights.reshape(-1))
        hist = hist.reshape(num + 1, columns)
        suffix = hist.flip(0).cumsum(0).flip(0)
        result = suffix[1:]
        return result if y_pred.ndim > 1 else result.squeeze(-1)

    return above(pos), above(neg)


class _ConfusionBase(Metric):
    """Shared state handling of the confusion-matrix metrics."""

    def _init_thresholds(self, thresholds):
        self.thresholds = [float(t) for t in thresholds]
        order = sorted(range(len(self.thresholds)), key=self.thresholds.__getitem__)
        self._sorted = torch.tensor([self.thresholds[i] for i in order], dtype=self._dtype)
        self._unsort = torch.tensor([order.index(i) for i in range(len(order))])

    def _place(self, device):
        super()._place(device)
        self._sorted = self._sorted.to(device)
        self._unsort = self._unsort.to(device)

    def _confusion(
        self,
        y_true,
        y_pred,
        sample_weight,
        top_k=None,
        class_id=None,
        clip=False,
        label_weights=None,
    ):
        """tp, fp, total positives and total negatives per threshold, for this batch."""
        y_pred = self._tensor(y_pred)
        y_true = torch.as_tensor(y_true, device=self._device)
        labels, preds, weights = _prepare_confusion(
            y_true, y_pred, sample_weight, self._dtype, top_k, class_id
        )
        if clip:
            preds = preds.clamp(0.0, 1.0)
        if label_weights is not None:
            weights = weights * label_weights
        pos, neg = labels * weights, (1.0 - labels) * weights
        tp, fp = _counts_above(preds.reshape(-1), pos.reshape(-1), neg.reshape(-1), self._sorted)
        return tp[self._unsort], fp[self._unsort], pos.sum(), neg.sum()


class _ConfusionMatrixConditionCount(_ConfusionBase):
    _condition = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if thresholds is not None:
            _check_thresholds(_to_list(thresholds))
        self.init_thresholds = thresholds
        self._init_thresholds(_to_list(0.5 if thresholds is None else thresholds))
        self.accumulator = self.add_variable((len(self.thresholds),), name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        tp, fp, pos, neg = self._confusion(y_true, y_pred, sample_weight)
        counts = {"tp": tp, "fp": fp, "fn": pos - tp, "tn": neg - fp}[self._condition]
        self.accumulator.add_(counts)

    def result(self):
        return (
            self.accumulator[0].clone() if len(self.thresholds) == 1 else self.accumulator.clone()
        )

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


_EXAMPLE_DOC = """
    Example:
        >>> m = {call}
        >>> m.update_state([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
        >>> round(float(m.result()), 4)
        {value}
"""


def _example(call, value):
    """A doctest example on four binary predictions; `value` is Keras's result."""
    return _EXAMPLE_DOC.format(call=call, value=value)


def _count_class(class_name, condition, what):
    doc = (
        f"The (weighted) number of {what} at each threshold.\n\n    Args:\n"
        "        thresholds: a float or a list in [0, 1]; a prediction above it counts "
        "as positive. Default 0.5.\n        name, dtype: as `Metric`.\n"
    ) + _example(f"{class_name}()", 1.0)
    cls = type(
        class_name,
        (_ConfusionMatrixConditionCount,),
        {"_condition": condition, "__doc__": doc, "__module__": __name__},
    )
    return serialization.register_serializable(package="plait")(cls)


TruePositives = _count_class("TruePositives", "tp", "true positives")
FalsePositives = _count_class("FalsePositives", "fp", "false positives")
TrueNegatives = _count_class("TrueNegatives", "tn", "true negatives")
FalseNegatives = _count_class("FalseNegatives", "fn", "false negatives")


class _PrecisionRecall(_ConfusionBase):
    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if thresholds is not None:
            _check_thresholds(_to_list(thresholds))
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self._init_thresholds(_to_list(default if thresholds is None else thresholds))
        size = (len(self.thresholds),)
        self.true_positives = self.add_variable(size, name="true_positives")
        self.add_variable(size, name=self._other_name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        tp, fp, pos, _ = self._confusion(y_true, y_pred, sample_weight, self.top_k, self.class_id)
        self.true_positives.add_(tp)
        other = getattr(self, self._other_name)
        other.add_(fp if self._other_name == "false_positives" else pos - tp)

    def result(self):
        other = getattr(self, self._other_name)
        value = _divide_no_nan(self.true_positives, self.true_positives + other)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


@serialization.register_serializable(package="plait")
class Precision(_PrecisionRecall):
    """`true_positives / (true_positives + false_positives)`.

    Args:
        thresholds: a float or a list in [0, 1]: predictions above count as positive
            (one result per threshold for a list). Default 0.5 (or, with top_k, any
            prediction in the top k). Use 0 for logits.
        top_k: only the k highest predictions of each sample count as positive.
        class_id: compute the metric for this class (column) only.
        name: default "precision".
        dtype: default "float32".

    Example:
        >>> m = Precision()
        >>> m.update_state([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
        >>> round(float(m.result()), 4)
        0.5
        >>> m = Precision(thresholds=[0.3, 0.5])
        >>> m.update_state([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
        >>> m.result().tolist()
        [0.6666666865348816, 0.5]
    """

    _other_name = "false_positives"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="precision", dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)


@serialization.register_serializable(package="plait")
class Recall(_PrecisionRecall):
    """`true_positives / (true_positives + false_negatives)`.

    Args:
        thresholds, top_k, class_id, dtype: as `Precision`.
        name: default "recall".

    Example:
        >>> m = Recall()
        >>> m.update_state([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
        >>> round(float(m.result()), 4)
        0.5
    """

    _other_name = "false_negatives"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="recall", dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)


@serialization.register_serializable(package="plait")
class AUC(_ConfusionBase):
    """Area under the ROC or precision-recall curve, from confusion counts at
    `num_thresholds` thresholds (Keras's Riemann sums).

    Args:
        num_thresholds: > 1. Default 200.
        curve: "ROC" (default) or "PR".
        summation_method: "interpolation" (default; for PR, Davis & Goadrich's
            interpolation), "minoring" or "majoring".
        name: default "auc".
        dtype: default "float32".
        thresholds: explicit thresholds in [0, 1] instead of evenly spaced ones.
        multi_label: compute one AUC per label (column) and average them. Default False:
            every element counts as one binary prediction.
        num_labels: the number of labels with multi_label (else found on the first update).
        label_weights: weights of the labels: of the averaged AUCs with multi_label,
            of the elements otherwise.
        from_logits: apply a sigmoid to y_pred first. Default False.

    Example:
        >>> m = AUC()
        >>> m.update_state([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
        >>> round(float(m.result()), 4)
        0.75
        >>> m = AUC(curve="PR")
        >>> m.update_state([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
        >>> round(float(m.result()), 4)
        0.7973
    """

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name="auc",
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        super().__init__(name=name, dtype=dtype)
        curves = {"roc": "ROC", "pr": "PR"}
        if not isinstance(curve, str) or curve.lower() not in curves:
            raise ValueError(
                f"Invalid value for argument `curve`. Expected one of "
                f"['ROC', 'PR']. Received: curve={curve!r}"
            )
        methods = ("interpolation", "majoring", "minoring")
        if not isinstance(summation_method, str) or summation_method.lower() not in methods:
            raise ValueError(
                f"Invalid value for argument `summation_method`. Expected one "
                f"of {list(methods)}. Received: "
                f"summation_method={summation_method!r}"
            )
        self.curve = curves[curve.lower()]
        self.summation_method = summation_method.lower()
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            _check_thresholds(list(thresholds))
            inner = sorted(float(t) for t in thresholds)
            self.num_thresholds = len(inner) + 2
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = num_thresholds
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self._init_thresholds([0.0 - losses.EPSILON] + inner + [1.0 + losses.EPSILON])
        evenly = [i / (self.num_thresholds - 1) for i in range(self.num_thresholds)]
        self._evenly = all(
            abs(a - b) <= losses.EPSILON for a, b in zip([0.0] + inner + [1.0], evenly)
        )
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else [float(w) for w in label_weights]
        self.from_logits = from_logits
        if num_labels and not multi_label:
            raise ValueError(
                "`num_labels` is needed only when `multi_label` is True. "
                f"Received: num_labels={num_labels}, multi_label=False"
            )
        self._built = False
        if not multi_label:
            self._build(None)
        elif num_labels:
            self._build(num_labels)

    def _build(self, num_labels):
        shape = (self.num_thresholds,) if num_labels is None else (self.num_thresholds, num_labels)
        self._num_labels = num_labels
        for name in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            self.add_variable(shape, name=name)
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = self._tensor(y_pred)
        if self.from_logits:
            y_pred = torch.sigmoid(y_pred)
        if not self._built:
            if y_pred.ndim != 2:
                raise ValueError(
                    "`y_pred` must have rank 2 when `multi_label=True`. "
                    f"Received: y_pred.shape={tuple(y_pred.shape)}"
                )
            self._build(y_pred.shape[-1])
        if self.multi_label:
            tp, fp, pos, neg = self._multi_label_confusion(y_true, y_pred, sample_weight)
        else:
            label_weights = (
                None
                if self.label_weights is None
                else torch.tensor(self.label_weights, dtype=self._dtype, device=self._device)
            )
            tp, fp, pos, neg = self._confusion(
                y_true, y_pred, sample_weight, clip=self._evenly, label_weights=label_weights
            )
        self.true_positives.add_(tp)
        self.false_positives.add_(fp)
        self.false_negatives.add_(pos - tp)
        self.true_negatives.add_(neg - fp)

    def _multi_label_confusion(self, y_true, y_pred, sample_weight):
        y_true = torch.as_tensor(y_true, device=self._device)
        labels, preds, weights = _prepare_confusion(y_true, y_pred, sample_weight, self._dtype)
        if self._evenly:
            preds = preds.clamp(0.0, 1.0)
        pos, neg = labels * weights, (1.0 - labels) * weights
        tp, fp = _counts_above(preds, pos, neg, self._sorted)
        return tp, fp, pos.sum(0), neg.sum(0)

    def _average(self, per_threshold):
        if not self.multi_label:
            return per_threshold.sum()
        by_label = per_threshold.sum(0)
        if self.label_weights is None:
            return by_label.mean()
        lw = torch.tensor(self.label_weights, dtype=by_label.dtype, device=by_label.device)
        return _divide_no_nan((by_label * lw).sum(), lw.sum())

    def _interpolate_pr_auc(self):
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, torch.clamp(dp, min=0))
        intercept = tp[1:] - slope * p[1:]
        ratio = torch.where(
            (p[:-1] > 0) & (p[1:] > 0),
            _divide_no_nan(p[:-1], torch.clamp(p[1:], min=0)),
            torch.ones_like(p[1:]),
        )
        increment = _divide_no_nan(
            slope * (dtp + intercept * torch.log(ratio)), torch.clamp(tp[1:] + fn[1:], min=0)
        )
        return self._average(increment)

    def result(self):
        if not self._built:
            return torch.zeros((), dtype=self._dtype)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[:-1], y[1:])
        else:
            heights = torch.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def get_config(self):
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": self.label_weights,
            "from_logits": self.from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config
