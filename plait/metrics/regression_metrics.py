"""Regression, probabilistic and hinge metrics (the means of the loss functions of those
names), `RootMeanSquaredError`, `R2Score` and the correlation metrics.
"""

import torch

from plait import losses, serialization
from plait.losses import (
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    hinge,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
    squeeze_or_expand_to_same_rank,
)
from plait.metrics.metric import Metric
from plait.metrics.reduction_metrics import Mean, _args_doc, _metric_class

__all__ = [
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "ConcordanceCorrelation",
    "CosineSimilarity",
    "Hinge",
    "KLDivergence",
    "LogCoshError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "PearsonCorrelation",
    "Poisson",
    "R2Score",
    "RootMeanSquaredError",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "concordance_correlation",
    "cosine_similarity",
    "pearson_correlation",
]


def cosine_similarity(y_true, y_pred, axis=-1):
    """`sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)` (the metric is positive,
    the loss negative)."""
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


# --- regression, probabilistic and hinge metrics ---------------------------------------
# Metric classes sharing a loss class's name are not put in the shared registry (the
# loss keeps the name there); plait.metrics.deserialize finds them in CLASSES.

MeanSquaredError = _metric_class(
    "MeanSquaredError",
    mean_squared_error,
    "mean_squared_error",
    "Mean of `square(y_true - y_pred)`." + _args_doc("mean_squared_error"),
)
MeanAbsoluteError = _metric_class(
    "MeanAbsoluteError",
    mean_absolute_error,
    "mean_absolute_error",
    "Mean of `abs(y_true - y_pred)`." + _args_doc("mean_absolute_error"),
)
MeanAbsolutePercentageError = _metric_class(
    "MeanAbsolutePercentageError",
    mean_absolute_percentage_error,
    "mean_absolute_percentage_error",
    "Mean absolute percentage error." + _args_doc("mean_absolute_percentage_error"),
)
MeanSquaredLogarithmicError = _metric_class(
    "MeanSquaredLogarithmicError",
    mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error",
    "Mean squared logarithmic error." + _args_doc("mean_squared_logarithmic_error"),
)
CosineSimilarity = _metric_class(
    "CosineSimilarity",
    cosine_similarity,
    "cosine_similarity",
    "Mean cosine similarity of y_true and y_pred (positive, unlike the loss)."
    + _args_doc("cosine_similarity", "\n        axis: default -1."),
    axis=-1,
)
LogCoshError = _metric_class(
    "LogCoshError",
    log_cosh,
    "logcosh",
    "Mean of `log(cosh(y_pred - y_true))`." + _args_doc("logcosh"),
)
Hinge = _metric_class("Hinge", hinge, "hinge", "Mean hinge loss." + _args_doc("hinge"))
SquaredHinge = _metric_class(
    "SquaredHinge",
    squared_hinge,
    "squared_hinge",
    "Mean squared hinge loss." + _args_doc("squared_hinge"),
)
CategoricalHinge = _metric_class(
    "CategoricalHinge",
    categorical_hinge,
    "categorical_hinge",
    "Mean categorical hinge loss." + _args_doc("categorical_hinge"),
)
KLDivergence = _metric_class(
    "KLDivergence",
    kl_divergence,
    "kl_divergence",
    "Mean Kullback-Leibler divergence." + _args_doc("kl_divergence"),
)
Poisson = _metric_class("Poisson", poisson, "poisson", "Mean Poisson loss." + _args_doc("poisson"))
BinaryCrossentropy = _metric_class(
    "BinaryCrossentropy",
    binary_crossentropy,
    "binary_crossentropy",
    "Mean binary crossentropy."
    + _args_doc(
        "binary_crossentropy",
        "\n        from_logits: default False.\n        label_smoothing: default 0.",
    ),
    from_logits=False,
    label_smoothing=0.0,
)
CategoricalCrossentropy = _metric_class(
    "CategoricalCrossentropy",
    categorical_crossentropy,
    "categorical_crossentropy",
    "Mean categorical crossentropy."
    + _args_doc(
        "categorical_crossentropy",
        "\n        from_logits: default False.\n"
        "        label_smoothing: default 0.\n        axis: default -1.",
    ),
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
)
SparseCategoricalCrossentropy = _metric_class(
    "SparseCategoricalCrossentropy",
    sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy",
    "Mean sparse categorical crossentropy."
    + _args_doc(
        "sparse_categorical_crossentropy",
        "\n        from_logits: default False.\n        axis: default -1.",
    ),
    from_logits=False,
    axis=-1,
)


@serialization.register_serializable(package="plait")
class RootMeanSquaredError(Mean):
    """`sqrt(mean(square(y_pred - y_true)))` over everything seen.

    Args:
        name: default "root_mean_squared_error".
        dtype: default "float32".
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = self._tensor(y_pred)
        y_true = self._tensor(y_true)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(torch.square(y_pred - y_true), sample_weight)

    def result(self):
        return torch.sqrt(super().result())


# --- R2 and correlations ---------------------------------------------------------------


@serialization.register_serializable(package="plait")
class R2Score(Metric):
    """The coefficient of determination, `1 - sum((y - y_pred)**2) / sum((y - mean(y))**2)`
    per output column, aggregated.

    Args:
        class_aggregation: "uniform_average" (default; the mean over columns),
            "variance_weighted_average", or None (one score per column).
        num_regressors: for the adjusted R2; default 0 (plain R2).
        name: default "r2_score".
        dtype: default "float32".

    Inputs are 2-D `(batch, output_dim)`.

    Raises:
        ValueError: for a bad `class_aggregation` or a negative `num_regressors` (when
            made); for inputs that are not 2-D (at the first update).
    """

    def __init__(
        self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None
    ):
        super().__init__(name=name, dtype=dtype)
        allowed = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in allowed:
            raise ValueError(
                "Invalid value for argument `class_aggregation`. Expected one "
                f"of {allowed}. Received: class_aggregation={class_aggregation}"
            )
        if num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected a "
                f"value >= 0. Received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), name="num_samples")
        self._built = False

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = self._tensor(y_pred)
        y_true = self._tensor(y_true)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            if y_pred.ndim != 2 or y_true.ndim != 2:
                raise ValueError(
                    "R2Score expects 2D inputs with shape (batch_size, output_dim). "
                    f"Received input shapes: y_pred.shape={tuple(y_pred.shape)} and "
                    f"y_true.shape={tuple(y_true.shape)}."
                )
            for name in ("squared_sum", "sum", "total_mse", "count"):
                self.add_variable((y_pred.shape[-1],), name=name)
            self._built = True
        weight = (
            torch.ones((), dtype=self._dtype, device=self._device)
            if sample_weight is None
            else self._tensor(sample_weight)
        )
        if weight.ndim == 1:
            weight = weight.unsqueeze(1)
        weight = torch.broadcast_to(weight, y_true.shape)
        weighted = y_true * weight
        self.sum.add_(weighted.sum(dim=0))
        self.squared_sum.add_((y_true * weighted).sum(dim=0))
        self.total_mse.add_((torch.square(y_true - y_pred) * weight).sum(dim=0))
        self.count.add_(weight.sum(dim=0))
        self.num_samples.add_(y_true.numel())

    def result(self):
        if not self._built:
            return torch.zeros((), dtype=self._dtype)
        mean = self.sum / self.count
        total = self.squared_sum - self.sum * mean
        raw = 1.0 - self.total_mse / total
        raw = torch.where(torch.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = raw.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (total * raw).sum() / total.sum()
        else:
            score = raw
        if self.num_regressors:
            n = float(self.num_samples)  # read here, when the result is asked for
            if self.num_regressors >= n - 1:
                import warnings

                warnings.warn(
                    "Adjusted R2 score needs more data points than independent "
                    "predictors plus one. Falling back to standard R2 score.",
                    stacklevel=2,
                )
            else:
                score = 1.0 - (1.0 - score) * (n - 1.0) / (n - self.num_regressors - 1.0)
        return score

    def get_config(self):
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson's correlation of `y_true` and `y_pred` along `axis` (one value per sample).

    Args:
        y_true, y_pred: tensors of the same shape, e.g. `(batch, d)`.
        axis: default -1.

    Returns:
        Tensor without `axis`, e.g. `(batch,)`.
    """
    y_true, y_pred = losses._pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    t = y_true - y_true.mean(dim=axis, keepdim=True)
    p = y_pred - y_pred.mean(dim=axis, keepdim=True)
    t = t / t.std(dim=axis, keepdim=True, unbiased=False)
    p = p / p.std(dim=axis, keepdim=True, unbiased=False)
    return (t * p).mean(dim=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation along `axis`, as Keras computes it:
    `mean(2 * (y_true - mean(y_pred)) * (y_pred - mean(y_pred)) / (var(y_true) +
    var(y_pred) + (mean(y_true) - mean(y_pred))**2 + EPSILON))`.

    Returns:
        Tensor without `axis`.
    """
    y_true, y_pred = losses._pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    true_mean = y_true.mean(dim=axis, keepdim=True)
    pred_mean = y_pred.mean(dim=axis, keepdim=True)
    true_var = (y_true - true_mean).var(dim=axis, keepdim=True, unbiased=False)
    pred_var = (y_pred - pred_mean).var(dim=axis, keepdim=True, unbiased=False)
    covariance = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + torch.square(true_mean - pred_mean)
    return (2.0 * covariance / (norm + losses.EPSILON)).mean(dim=axis)


PearsonCorrelation = serialization.register_serializable(package="plait")(
    _metric_class(
        "PearsonCorrelation",
        pearson_correlation,
        "pearson_correlation",
        "Mean Pearson correlation of each sample's `y_true` and `y_pred`."
        + _args_doc("pearson_correlation", "\n        axis: default -1."),
        axis=-1,
    )
)
ConcordanceCorrelation = serialization.register_serializable(package="plait")(
    _metric_class(
        "ConcordanceCorrelation",
        concordance_correlation,
        "concordance_correlation",
        "Mean concordance correlation of each sample's `y_true` and `y_pred`."
        + _args_doc("concordance_correlation", "\n        axis: default -1."),
        axis=-1,
    )
)
