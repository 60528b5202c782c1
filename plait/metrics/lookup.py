"""Finding metrics by name: `get`, `serialize`, `deserialize`, the name tables, and
`TorchMetric` (a `torchmetrics.Metric` in `compile(metrics=[...])`).
"""

import torch

from plait import losses, serialization
from plait.metrics import (
    accuracy_metrics,
    confusion_metrics,
    f_score_metrics,
    iou_metrics,
    rate_metrics,
    regression_metrics,
)
from plait.metrics.accuracy_metrics import (
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
)
from plait.metrics.metric import Metric
from plait.metrics.reduction_metrics import (
    _FUNCTIONS,
    Mean,
    MeanMetricWrapper,
    Sum,
    _function_config,
)
from plait.metrics.regression_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    LogCoshError,
    SparseCategoricalCrossentropy,
)

__all__ = [
    "CLASSES",
    "TorchMetric",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
    "deserialize",
    "get",
    "serialize",
]


# --- lookup ----------------------------------------------------------------------------

_FAMILIES = (
    accuracy_metrics,
    regression_metrics,
    confusion_metrics,
    rate_metrics,
    f_score_metrics,
    iou_metrics,
)
# Metric classes sharing a loss class's name are not put in the shared registry (the
# loss keeps the name there); LogCoshError has a name of its own.
serialization.register_serializable(package="plait")(LogCoshError)

_ALL = (Mean, Sum, MeanMetricWrapper) + tuple(
    getattr(family, name)
    for family in _FAMILIES
    for name in family.__all__
    if isinstance(getattr(family, name), type)
)
CLASSES = {cls.__name__: cls for cls in _ALL}
_NAMES = {**CLASSES, **{losses._snake_case(cls.__name__): cls for cls in _ALL}}
# Keras's short names, each for a class
_ALIASES = {
    "bce": "BinaryCrossentropy",
    "mse": "MeanSquaredError",
    "mae": "MeanAbsoluteError",
    "mape": "MeanAbsolutePercentageError",
    "msle": "MeanSquaredLogarithmicError",
    "kld": "KLDivergence",
}
_NAMES.update({alias: CLASSES[name] for alias, name in _ALIASES.items()})
_NAMES.update({alias.upper(): CLASSES[name] for alias, name in _ALIASES.items()})
_NAMES.update({"logcosh": LogCoshError, "log_cosh": LogCoshError})
del _NAMES["mean_metric_wrapper"], _NAMES["MeanMetricWrapper"]
# the functions a saved MeanMetricWrapper may name: the loss functions Keras's metrics
# use, then every metric family's own functions (the metric's cosine_similarity wins)
_LOSS_FUNCTIONS = (
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "kl_divergence",
    "poisson",
    "log_cosh",
    "huber",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
)
_FUNCTIONS.update({name: getattr(losses, name) for name in _LOSS_FUNCTIONS})
_FUNCTIONS.update(
    {
        name: getattr(family, name)
        for family in _FAMILIES
        for name in family.__all__
        if not isinstance(getattr(family, name), type)
    }
)


def _loss_kind(loss):
    """("binary" | "sparse" | None, from_logits) for a loss name, function or object."""
    if loss is None:
        return None, False
    if isinstance(loss, (str, dict)) or (isinstance(loss, type) and issubclass(loss, losses.Loss)):
        try:
            loss = losses.get(loss)
        except (ValueError, TypeError):
            return None, False
    fn = loss.fn if isinstance(loss, losses.LossFunctionWrapper) else loss
    kwargs = getattr(loss, "_fn_kwargs", {})
    from_logits = bool(kwargs.get("from_logits", False))
    if fn is losses.binary_crossentropy:
        return "binary", from_logits
    if fn is losses.sparse_categorical_crossentropy:
        return "sparse", from_logits
    if fn is losses.categorical_crossentropy:
        return "categorical", from_logits
    return None, False


def _resolve_generic(identifier, loss, output_shape):
    """The class for 'accuracy'/'acc' or 'crossentropy'/'ce', chosen like Keras: binary
    when the loss is binary crossentropy or the output has one unit; sparse when the
    loss is sparse categorical crossentropy; categorical otherwise."""
    kind, from_logits = _loss_kind(loss)
    if kind == "binary" or (
        output_shape is not None and len(output_shape) > 0 and output_shape[-1] == 1
    ):
        kind = "binary"
    elif kind != "sparse":
        kind = "categorical"
    if identifier.lower() in ("accuracy", "acc"):
        if kind == "binary":
            # a logit of 0 is a probability of 0.5
            return BinaryAccuracy(name=identifier, threshold=0.0 if from_logits else 0.5)
        cls = SparseCategoricalAccuracy if kind == "sparse" else CategoricalAccuracy
        return cls(name=identifier)
    cls = {
        "binary": BinaryCrossentropy,
        "sparse": SparseCategoricalCrossentropy,
        "categorical": CategoricalCrossentropy,
    }[kind]
    return cls(name=identifier, from_logits=from_logits)


def _is_torchmetric(obj):
    return type(obj).__module__.startswith("torchmetrics") and all(
        hasattr(obj, m) for m in ("update", "compute", "reset")
    )


class TorchMetric(Metric):
    """A `torchmetrics.Metric` in `compile(metrics=[...])`: Keras's argument order
    `(y_true, y_pred)` becomes torchmetrics' `(preds, target)`; class-index targets of
    shape `(N, 1)` for `(N, C)` predictions are squeezed and made integers; the state
    follows the predictions' device. Named after the class (`multiclass_accuracy`).

    Example:
        >>> import torchmetrics
        >>> m = TorchMetric(torchmetrics.MeanAbsoluteError())
        >>> m.name
        'mean_absolute_error'
        >>> m.update_state(torch.tensor([1., 2.]), torch.tensor([1.5, 2.5]))
        >>> m.result()
        tensor(0.5000)
    """

    def __init__(self, metric, name=None):
        super().__init__(name=name or losses._snake_case(type(metric).__name__))
        self.metric = metric

    def update_state(self, y_true, y_pred, sample_weight=None):
        target = torch.as_tensor(y_true, device=y_pred.device)
        if (
            y_pred.dim() >= 2
            and y_pred.shape[-1] > 1
            and target.dim() == y_pred.dim()
            and target.shape[-1] == 1
        ):
            target = target.squeeze(-1)
        if y_pred.dim() == target.dim() + 1 or target.dtype == torch.bool:
            target = target.long()
        if self.metric.device != y_pred.device:
            self.metric.to(y_pred.device)
        self.metric.update(y_pred, target)

    def result(self):
        return self.metric.compute()

    def reset_state(self):
        self.metric.reset()


def get(identifier, loss=None, output_shape=None):
    """A `Metric` object for `identifier`.

    Args:
        identifier: a `Metric` (returned as it is) or `Metric` subclass; a name
            ('accuracy', 'acc', 'mae', 'AUC', 'top_k_categorical_accuracy', ...) giving
            a metric named with that string, as Keras names history keys; a config
            dict; or a callable `(y_true, y_pred)` wrapped in `MeanMetricWrapper` named
            after it. None gives None.
        loss: the output's loss (name, function or object), used to resolve
            'accuracy'/'acc' and 'crossentropy'/'ce' as Keras does: binary when it is
            binary crossentropy (a from_logits loss gives threshold 0 / from_logits
            crossentropy), sparse categorical when it is sparse categorical
            crossentropy, categorical otherwise.
        output_shape: the output's shape; a last dimension of 1 means binary.

    Raises:
        ValueError: for an unknown name ("Unknown metric: 'acuracy'. Did you mean ...").
        TypeError: for anything else.

    Example:
        >>> get("mae")
        <MeanAbsoluteError name='mae'>
        >>> get("accuracy", loss="sparse_categorical_crossentropy")
        <SparseCategoricalAccuracy name='accuracy'>
        >>> get("accuracy", loss="binary_crossentropy")
        <BinaryAccuracy name='accuracy'>
    """
    if identifier is None or isinstance(identifier, Metric):
        return identifier
    if _is_torchmetric(identifier):
        return TorchMetric(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc", "crossentropy", "ce"):
            return _resolve_generic(identifier, loss, output_shape)
        cls = serialization.get_from_registry(identifier, _NAMES, "metric")
        return cls(name=identifier)
    if callable(identifier):
        return MeanMetricWrapper(identifier, name=_function_config(identifier))
    return serialization.get_from_registry(identifier, _NAMES, "metric")


def serialize(metric):
    """`{"class_name": ..., "config": ...}` for a metric.

    Example:
        >>> from plait.metrics import AUC
        >>> serialize(AUC(name="auc"))["class_name"]
        'AUC'
    """
    return serialization.serialize(metric)


def deserialize(config, custom_objects=None):
    """Rebuild a metric from `serialize`'s output; plait's metric classes are found
    before the shared registry (where losses of the same names live).

    Example:
        >>> from plait.metrics import Precision
        >>> deserialize(serialize(Precision(thresholds=0.7))).thresholds
        [0.7]
    """
    return serialization.deserialize(config, {**CLASSES, **(custom_objects or {})}, kind="metric")


binary_focal_crossentropy = losses.binary_focal_crossentropy
categorical_focal_crossentropy = losses.categorical_focal_crossentropy
huber = losses.huber
