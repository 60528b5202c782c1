"""Finding losses by name: `get`, `serialize`, `deserialize`, Keras's aliases (`mse`, `bce`,
...) and the tables from function to class.
"""

import types
from typing import Any, Callable

from plait import serialization
from plait.losses.loss import _FUNCTIONS, Loss, LossFunctionWrapper, _function_name
from plait.losses.probabilistic_losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from plait.losses.regression_losses import (
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    SquaredHinge,
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    squared_hinge,
)
from plait.losses.special_losses import (
    BinaryFocalCrossentropy,
    CTC,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    Circle,
    Dice,
    Tversky,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    circle,
    ctc,
    dice,
    tversky,
)

__all__ = [
    "ALIASES",
    "BCE",
    "CLASSES",
    "KLD",
    "MAE",
    "MAPE",
    "MSE",
    "MSLE",
    "bce",
    "deserialize",
    "get",
    "kld",
    "kullback_leibler_divergence",
    "logcosh",
    "mae",
    "mape",
    "mse",
    "msle",
    "serialize",
]


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
_FUNCTIONS.update({fn.__name__: fn for fn in _BY_FUNCTION})
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

    Example:
        >>> get("mse")
        <MeanSquaredError name='mean_squared_error' reduction='sum_over_batch_size'>
        >>> get({"class_name": "Huber", "config": {"delta": 2.0}}).get_config()["delta"]
        2.0
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
    """A `Loss` as `{"class_name": ..., "config": ...}`; a function as its name.

    Example:
        >>> serialize(MeanSquaredError())["class_name"]
        'MeanSquaredError'
        >>> serialize(mean_absolute_error)
        'mean_absolute_error'
    """
    if isinstance(loss, types.FunctionType):
        return serialization.function_name(loss)
    return serialization.serialize(loss)


def deserialize(config, custom_objects=None):
    """Rebuild a `Loss` from `serialize`'s output (a dict, or a function name).

    Example:
        >>> deserialize(serialize(Huber(delta=2.0))).get_config()
        {'name': 'huber_loss', 'reduction': 'sum_over_batch_size', 'delta': 2.0}
        >>> deserialize("mae")
        <MeanAbsoluteError name='mean_absolute_error' reduction='sum_over_batch_size'>
    """
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return get(custom_objects[config])
        return get(config)
    return serialization.deserialize(config, {**CLASSES, **(custom_objects or {})}, kind="loss")


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
