"""F-scores: `FBetaScore` and `F1Score`, per class or averaged."""

import torch

from plait import losses, serialization
from plait.metrics.metric import Metric

__all__ = ["F1Score", "FBetaScore"]


# --- F-scores --------------------------------------------------------------------------

_AVERAGES = (None, "micro", "macro", "weighted")


@serialization.register_serializable(package="plait")
class FBetaScore(Metric):
    """The F-beta score: `(1 + beta**2) * precision * recall / (beta**2 * precision +
    recall)`, per class or averaged, from thresholded predictions.

    Args:
        average: None (default; one score per class), "micro" (from the counts summed
            over the classes), "macro" (the mean of the class scores) or "weighted" (their
            mean weighted by each class's number of true instances).
        beta: a Python float > 0; recall counts `beta` times as much as precision.
            Default 1.0.
        threshold: a Python float in (0, 1]: predictions above it count as 1. Default
            None: each row's highest prediction counts as 1.
        name: default "fbeta_score".
        dtype: default "float32".

    Inputs are 2-D: `y_true` and `y_pred` of shape `(batch, num_classes)`.

    Raises:
        ValueError: for an unknown `average`, a `beta` that is not a float > 0, or a
            `threshold` that is not a float in (0, 1] (when the metric is made); for
            inputs that are not 2-D (at the first update).

    Example:
        >>> m = FBetaScore(beta=2.0, threshold=0.5)
        >>> m.update_state([[1, 1, 1], [1, 0, 0]], [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6]])
        >>> m.result()                      # one score per class
        tensor([0.0000, 0.8333, 0.8333])
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in _AVERAGES:
            raise ValueError(
                "Invalid `average` argument value. Expected one of: "
                "{None, 'micro', 'macro', 'weighted'}. "
                f"Received: average={average}"
            )
        if not isinstance(beta, float):
            raise ValueError(  # noqa: TRY004  (Keras's error type)"Invalid `beta` argument value. It should be a Python float. "
                f"Received: beta={beta} of type '{type(beta)}'"
            )
        if beta <= 0.0:
            raise ValueError(
                f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}"
            )
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "Invalid `threshold` argument value. It should be a "
                    f"Python float. Received: threshold={threshold} of type "
                    f"'{type(threshold)}'"
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    "Invalid `threshold` argument value. It should verify "
                    f"0 < threshold <= 1. Received: threshold={threshold}"
                )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, true_shape, pred_shape):
        if len(pred_shape) != 2 or len(true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, "
                f"output_dim). Received input shapes: y_pred.shape={tuple(pred_shape)} and "
                f"y_true.shape={tuple(true_shape)}."
            )
        shape = () if self.average == "micro" else (pred_shape[-1],)
        for name in (
            "true_positives",
            "false_positives",
            "false_negatives",
            "intermediate_weights",
        ):
            self.add_variable(shape, name=name)
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = self._tensor(y_pred)
        y_true = self._tensor(y_true)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            top = y_pred.amax(dim=-1, keepdim=True)
            y_pred = (y_pred >= top) & (y_pred.abs() > 1e-9)
        else:
            y_pred = y_pred > self.threshold
        y_pred = y_pred.to(self._dtype)
        weight = None if sample_weight is None else self._tensor(sample_weight).unsqueeze(1)

        def total(value):
            if weight is not None:
                value = value * weight
            return value.sum() if self.axis is None else value.sum(dim=0)

        self.true_positives.add_(total(y_pred * y_true))
        self.false_positives.add_(total(y_pred * (1.0 - y_true)))
        self.false_negatives.add_(total((1.0 - y_pred) * y_true))
        self.intermediate_weights.add_(total(y_true))

    def result(self):
        if not self._built:
            return torch.zeros((), dtype=self._dtype)
        eps = losses.EPSILON
        tp = self.true_positives
        precision = tp / (tp + self.false_positives + eps)
        recall = tp / (tp + self.false_negatives + eps)
        beta2 = self.beta**2
        score = precision * recall / (beta2 * precision + recall + eps) * (1.0 + beta2)
        if self.average == "weighted":
            weights = self.intermediate_weights / (self.intermediate_weights.sum() + eps)
            return (score * weights).sum()
        if self.average is not None:
            return score.mean()
        return score

    def get_config(self):
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


@serialization.register_serializable(package="plait")
class F1Score(FBetaScore):
    """The F1 score, `2 * precision * recall / (precision + recall)`: `FBetaScore` with
    `beta=1.0`.

    Args:
        average: None (default), "micro", "macro" or "weighted"; see `FBetaScore`.
        threshold: a float in (0, 1], or None (default) for each row's highest
            prediction.
        name: default "f1_score".
        dtype: default "float32".

    Raises:
        ValueError: for an unknown `average` or a bad `threshold`, when made.

    Example:
        >>> m = F1Score(threshold=0.5)
        >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
        ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
        >>> m.result()
        tensor([0.5000, 0.8000, 0.6667])
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
