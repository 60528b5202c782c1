"""Finding losses by name: `get`, `serialize`, `deserialize`, Keras's aliases (`mse`, `bce`,
...) and the tables from function to class.
"""

import types
from typing import Any, Callable

from plait import serialization
from plait.losses.loss import _FUNCTIONS, Loss, LossFunctionWrapper, _function_name
from plait.losses import probabilistic_losses as prob
from plait.losses import regression_losses as reg
from plait.losses import special_losses as special

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
    reg.mean_squared_error: reg.MeanSquaredError,
    reg.mean_absolute_error: reg.MeanAbsoluteError,
    reg.mean_absolute_percentage_error: reg.MeanAbsolutePercentageError,
    reg.mean_squared_logarithmic_error: reg.MeanSquaredLogarithmicError,
    reg.cosine_similarity: reg.CosineSimilarity,
    reg.huber: reg.Huber,
    reg.log_cosh: reg.LogCosh,
    reg.hinge: reg.Hinge,
    reg.squared_hinge: reg.SquaredHinge,
    reg.categorical_hinge: reg.CategoricalHinge,
    prob.kl_divergence: prob.KLDivergence,
    prob.poisson: prob.Poisson,
    prob.binary_crossentropy: prob.BinaryCrossentropy,
    prob.categorical_crossentropy: prob.CategoricalCrossentropy,
    prob.sparse_categorical_crossentropy: prob.SparseCategoricalCrossentropy,
}
_FUNCTIONS.update({fn.__name__: fn for fn in _BY_FUNCTION})
ALIASES = {
    "bce": prob.binary_crossentropy,
    "BCE": prob.binary_crossentropy,
    "kld": prob.kl_divergence,
    "KLD": prob.kl_divergence,
    "kullback_leibler_divergence": prob.kl_divergence,
    "mae": reg.mean_absolute_error,
    "MAE": reg.mean_absolute_error,
    "mse": reg.mean_squared_error,
    "MSE": reg.mean_squared_error,
    "mape": reg.mean_absolute_percentage_error,
    "MAPE": reg.mean_absolute_percentage_error,
    "msle": reg.mean_squared_logarithmic_error,
    "MSLE": reg.mean_squared_logarithmic_error,
    "logcosh": reg.log_cosh,
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
mse = MSE = reg.mean_squared_error
mae = MAE = reg.mean_absolute_error
mape = MAPE = reg.mean_absolute_percentage_error
msle = MSLE = reg.mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = prob.kl_divergence
bce = BCE = prob.binary_crossentropy
logcosh = reg.log_cosh


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
        >>> from plait.losses import MeanSquaredError, mean_absolute_error
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
        >>> from plait.losses import Huber
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
    special.binary_focal_crossentropy: special.BinaryFocalCrossentropy,
    special.categorical_focal_crossentropy: special.CategoricalFocalCrossentropy,
    special.ctc: special.CTC,
    special.dice: special.Dice,
    special.tversky: special.Tversky,
    special.circle: special.Circle,
    special.categorical_generalized_cross_entropy: special.CategoricalGeneralizedCrossEntropy,
}
_BY_FUNCTION.update(_NEW)
_FUNCTIONS.update({fn.__name__: fn for fn in _NEW})
CLASSES.update({cls.__name__: cls for cls in _NEW.values()})
_NAMES.update({fn.__name__: fn for fn in _NEW})
_NAMES.update({cls.__name__: cls for cls in _NEW.values()})
