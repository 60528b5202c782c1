"""Optimizers with Keras 3's names, arguments, defaults and update math.

An optimizer is created without parameters, as in Keras, and bound to them by
`build(var_list)`. Keras's API: `apply(grads, trainable_variables)`,
`apply_gradients(zip(grads, vars))`, `iterations`, `learning_rate` (settable, or a
schedule), `variables`, `get_config`/`from_config`, `exclude_from_weight_decay`,
`finalize_variable_values`. The training loop calls `zero_grad()`, then `step()` after
`backward()`.

    opt = plait.optimizers.get("adam")            # Adam(learning_rate=0.001, epsilon=1e-7)
    opt.build(model.parameters())
    loss.backward(); opt.step(); opt.zero_grad()

Every update follows Keras's formulas (checked against Keras itself in
tests/keras_oracle/test_optimizers.py) on `torch._foreach_*` kernels, Adam on torch's fused
kernel; nothing in a step waits for the device. A `torch.optim.Optimizer` instance passed
to `compile` is wrapped in `TorchOptimizer` and keeps PyTorch's math.
"""

import torch

from plait import serialization
from plait.optimizers import legacy, schedules
from plait.optimizers.adam import Adam, Adamax, AdamW, Lamb, Nadam, ScheduleFreeAdamW
from plait.optimizers.adaptive import Adadelta, Adafactor, Adagrad, Ftrl, RMSprop
from plait.optimizers.base import Optimizer
from plait.optimizers.loss_scale import LossScaleOptimizer
from plait.optimizers.multi import MultiOptimizer, OptimizerMap
from plait.optimizers.muon import Muon
from plait.optimizers.schedules import LearningRateSchedule
from plait.optimizers.sgd import SGD, Lion
from plait.optimizers.torch_optimizer import TorchOptimizer

__all__ = [
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lamb",
    "LearningRateSchedule",
    "Lion",
    "LossScaleOptimizer",
    "MultiOptimizer",
    "Muon",
    "Nadam",
    "Optimizer",
    "OptimizerMap",
    "RMSprop",
    "ScheduleFreeAdamW",
    "TorchOptimizer",
    "deserialize",
    "get",
    "legacy",
    "schedules",
    "serialize",
]

ALL_OPTIMIZERS = {
    cls.__name__.lower(): cls
    for cls in (
        SGD,
        Adam,
        AdamW,
        RMSprop,
        Adagrad,
        Adadelta,
        Adamax,
        Nadam,
        Ftrl,
        Lion,
        Lamb,
        Adafactor,
        ScheduleFreeAdamW,
        Muon,
    )
}
CLASSES = {
    cls.__name__: cls
    for cls in (
        Optimizer,
        TorchOptimizer,
        LossScaleOptimizer,
        MultiOptimizer,
        OptimizerMap,
        *ALL_OPTIMIZERS.values(),
    )
}


def get(identifier):
    """An `Optimizer` for `identifier`.

    Args:
        identifier: a name ('adam', 'SGD', 'rmsprop', ...; any case) giving the class
            with Keras's defaults, a config dict from `serialize`, a plait `Optimizer`
            (returned as it is) or class, or a `torch.optim.Optimizer` instance (wrapped
            in `TorchOptimizer`). None gives None.

    Returns:
        An `Optimizer`, or None.

    Raises:
        ValueError: for an unknown name.
        TypeError: for anything else.

    Example:
        >>> from plait import optimizers
        >>> optimizers.get("adam").epsilon
        1e-07
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, torch.optim.Optimizer):
        return TorchOptimizer(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, str):
        key = identifier.lower() if identifier.lower() in ALL_OPTIMIZERS else identifier
        return serialization.get_from_registry(key, ALL_OPTIMIZERS, "optimizer")()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    hint = ""
    if isinstance(identifier, type) and issubclass(identifier, torch.optim.Optimizer):
        hint = (
            f" Pass an instance, e.g. torch.optim.{identifier.__name__}"
            "(model.parameters()), or the name of a plait optimizer."
        )
    raise TypeError(
        f"Could not interpret optimizer identifier: {identifier!r}. Expected a name (one "
        f"of {sorted(ALL_OPTIMIZERS)}), a config dict, a plait Optimizer or a "
        f"torch.optim.Optimizer instance.{hint}"
    )


def serialize(optimizer):
    """`{"class_name": ..., "config": ...}` for an optimizer.

    Args:
        optimizer: a plait `Optimizer`.

    Returns:
        A dict that `deserialize` (and Keras) turns back into the optimizer.

    Example:
        >>> from plait import optimizers
        >>> config = optimizers.serialize(optimizers.SGD(learning_rate=0.1, momentum=0.9))
        >>> config["class_name"], config["config"]["learning_rate"], config["config"]["momentum"]
        ('SGD', 0.1, 0.9)
    """
    return serialization.serialize(optimizer)


def deserialize(config, custom_objects=None):
    """Rebuild an optimizer from `serialize`'s output; class names in any case.

    Args:
        config: a dict as `serialize` returns.
        custom_objects: a dict of your own optimizer classes by name. Default None.

    Returns:
        The optimizer.

    Raises:
        ValueError: an unknown class name.

    Example:
        >>> from plait import optimizers
        >>> opt = optimizers.deserialize({"class_name": "adam", "config": {"learning_rate": 0.01}})
        >>> type(opt).__name__, opt.learning_rate
        ('Adam', 0.01)
    """
    if isinstance(config, dict) and isinstance(config.get("class_name"), str):
        lower = config["class_name"].lower()
        if lower in ALL_OPTIMIZERS:
            config = {**config, "class_name": ALL_OPTIMIZERS[lower].__name__}
    return serialization.deserialize(
        config, {**CLASSES, **(custom_objects or {})}, kind="optimizer"
    )


def __dir__():  # dir() lists the public API, not torch or helpers
    return sorted(set(__all__) | {"legacy", "schedules"})
