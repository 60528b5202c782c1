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
    the loss negative).

    Example:
        >>> cosine_similarity([[0., 1.], [1., 1.]], [[0., 2.], [1., 0.]])
        tensor([1.0000, 0.7071])
    """
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


# --- regression, probabilistic and hinge metrics ---------------------------------------
# Metric classes sharing a loss class's name are not put in the shared registry (the
# loss keeps the name there); plait.metrics.deserialize finds them in CLASSES.

_R = ("[[0., 1.], [0., 0.]]", "[[1., 1.], [1., 0.]]")  # the examples' inputs
_P = ("[[1., 2.], [4., 5.]]", "[[1.5, 2.], [3., 5.]]")
_H = ("[[0., 1.], [0., 0.]]", "[[0.6, 0.4], [0.4, 0.6]]")
_CR = ("[[1., 2., 3.], [1., 0., 2.]]", "[[1.5, 2.5, 2.5], [2., 1., 0.]]")


def _doc(summary, name, example, extra=""):
    """A table-made metric's docstring: `example` is `(call, inputs, Keras's value)`."""
    call, inputs, value = example
    return summary + _args_doc(name, extra, (call, *inputs, value))


MeanSquaredError = _metric_class(
    "MeanSquaredError",
    mean_squared_error,
    "mean_squared_error",
    _doc(
        "Mean of `square(y_true - y_pred)`.", "mean_squared_error", ("MeanSquaredError()", _R, 0.5)
    ),
)
MeanAbsoluteError = _metric_class(
    "MeanAbsoluteError",
    mean_absolute_error,
    "mean_absolute_error",
    _doc(
        "Mean of `abs(y_true - y_pred)`.", "mean_absolute_error", ("MeanAbsoluteError()", _R, 0.5)
    ),
)
MeanAbsolutePercentageError = _metric_class(
    "MeanAbsolutePercentageError",
    mean_absolute_percentage_error,
    "mean_absolute_percentage_error",
    _doc(
        "Mean absolute percentage error.",
        "mean_absolute_percentage_error",
        ("MeanAbsolutePercentageError()", _P, 18.75),
    ),
)
MeanSquaredLogarithmicError = _metric_class(
    "MeanSquaredLogarithmicError",
    mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error",
    _doc(
        "Mean squared logarithmic error.",
        "mean_squared_logarithmic_error",
        ("MeanSquaredLogarithmicError()", _P, 0.0249),
    ),
)
CosineSimilarity = _metric_class(
    "CosineSimilarity",
    cosine_similarity,
    "cosine_similarity",
    _doc(
        "Mean cosine similarity of y_true and y_pred (positive, unlike the loss).",
        "cosine_similarity",
        ("CosineSimilarity()", ("[[0., 1.], [1., 1.]]", "[[0., 2.], [1., 0.]]"), 0.8536),
        "\n        axis: default -1.",
    ),
    axis=-1,
)
LogCoshError = _metric_class(
    "LogCoshError",
    log_cosh,
    "logcosh",
    _doc("Mean of `log(cosh(y_pred - y_true))`.", "logcosh", ("LogCoshError()", _H, 0.1471)),
)
Hinge = _metric_class(
    "Hinge", hinge, "hinge", _doc("Mean hinge loss.", "hinge", ("Hinge()", _H, 1.3))
)
SquaredHinge = _metric_class(
    "SquaredHinge",
    squared_hinge,
    "squared_hinge",
    _doc("Mean squared hinge loss.", "squared_hinge", ("SquaredHinge()", _H, 1.86)),
)
CategoricalHinge = _metric_class(
    "CategoricalHinge",
    categorical_hinge,
    "categorical_hinge",
    _doc("Mean categorical hinge loss.", "categorical_hinge", ("CategoricalHinge()", _H, 1.4)),
)
KLDivergence = _metric_class(
    "KLDivergence",
    kl_divergence,
    "kl_divergence",
    _doc(
        "Mean Kullback-Leibler divergence.",
        "kl_divergence",
        ("KLDivergence()", ("[[0., 1.], [1., 0.]]", "[[0.4, 0.6], [0.7, 0.3]]"), 0.4337),
    ),
)
Poisson = _metric_class(
    "Poisson", poisson, "poisson", _doc("Mean Poisson loss.", "poisson", ("Poisson()", _H, 0.7291))
)
BinaryCrossentropy = _metric_class(
    "BinaryCrossentropy",
    binary_crossentropy,
    "binary_crossentropy",
    _doc(
        "Mean binary crossentropy.",
        "binary_crossentropy",
        ("BinaryCrossentropy()", _H, 0.8149),
        "\n        from_logits: default False.\n        label_smoothing: default 0.",
    ),
    from_logits=False,
    label_smoothing=0.0,
)
CategoricalCrossentropy = _metric_class(
    "CategoricalCrossentropy",
    categorical_crossentropy,
    "categorical_crossentropy",
    _doc(
        "Mean categorical crossentropy.",
        "categorical_crossentropy",
        (
            "CategoricalCrossentropy()",
            ("[[0., 1., 0.], [0., 0., 1.]]", "[[0.05, 0.95, 0.], [0.1, 0.8, 0.1]]"),
            1.1769,
        ),
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
    )
    + """
    Example:
        >>> import numpy as np
        >>> m = SparseCategoricalCrossentropy()
        >>> y_pred = np.array([[0.05, 0.95, 0.], [0.1, 0.8, 0.1]])
        >>> m.update_state(np.array([1, 2]), y_pred)
        >>> round(float(m.result()), 4)
        1.1769
""",
    from_logits=False,
    axis=-1,
)


@serialization.register_serializable(package="plait")
class RootMeanSquaredError(Mean):
    """`sqrt(mean(square(y_pred - y_true)))` over everything seen.

    Args:
        name: default "root_mean_squared_error".
        dtype: default "float32".

    Example:
        >>> m = RootMeanSquaredError()
        >>> m.update_state([[0., 1.], [0., 0.]], [[1., 1.], [1., 0.]])
        >>> round(float(m.result()), 4)
        0.7071
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

    Example:
        >>> m = R2Score()
        >>> m.update_state([[1.], [2.], [3.], [4.]], [[1.5], [2.], [2.5], [4.5]])
        >>> round(float(m.result()), 4)
        0.85
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

    Example:
        >>> pearson_correlation([[1., 2., 3.], [1., 0., 2.]], [[1.5, 2.5, 2.5], [2., 1., 0.]])
        tensor([ 0.8660, -0.5000])
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

    Example:
        >>> concordance_correlation([[1., 2., 3.], [1., 0., 2.]], [[1.5, 2.5, 2.5], [2., 1., 0.]])
        tensor([ 0.7273, -0.5000])
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
        + _args_doc(
            "pearson_correlation",
            "\n        axis: default -1.",
            ("PearsonCorrelation()", *_CR, 0.183),
        ),
        axis=-1,
    )
)
ConcordanceCorrelation = serialization.register_serializable(package="plait")(
    _metric_class(
        "ConcordanceCorrelation",
        concordance_correlation,
        "concordance_correlation",
        "Mean concordance correlation of each sample's `y_true` and `y_pred`."
        + _args_doc(
            "concordance_correlation",
            "\n        axis: default -1.",
            ("ConcordanceCorrelation()", *_CR, 0.1136),
        ),
        axis=-1,
    )
)
