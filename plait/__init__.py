"""plait: Keras's functional API, woven from PyTorch.

from plait import Input, Model
from plait.layers import Dense

visible = Input(shape=(10,))
output = Dense(1, activation='sigmoid')(Dense(10, activation='relu')(visible))
model = Model(inputs=visible, outputs=output)
model.summary()

`import plait` loads nothing else: each subpackage (`plait.layers`, `plait.models`, ...)
and each top-level name (`Input`, `Model`, `Sequential`) is imported the first time it is
used (PEP 562), so a program pays only for what it touches.
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what type checkers see; at run time, __getattr__ below imports these
    from plait import activations, applications, backend, callbacks, config  # noqa: F401
    from plait import constraints, datasets, initializers, layers, losses  # noqa: F401
    from plait import metrics, mixed_precision, models, ops, optimizers  # noqa: F401
    from plait import preprocessing, regularizers, saving, utils  # noqa: F401
    from plait import dtype_policies, random, tree  # noqa: F401
    from plait.backend.scopes import Variable, device, name_scope, remat  # noqa: F401
    from plait.graph.tensor import SymbolicTensor as KerasTensor  # noqa: F401
    from plait.initializers import Initializer  # noqa: F401
    from plait.layers import Input, Layer  # noqa: F401
    from plait.losses import Loss  # noqa: F401
    from plait.metrics import Metric  # noqa: F401
    from plait.mixed_precision import DTypePolicy, FloatDTypePolicy  # noqa: F401
    from plait.models import Model, Sequential  # noqa: F401
    from plait.optimizers import Optimizer  # noqa: F401
    from plait.regularizers import Regularizer  # noqa: F401

__version__ = "0.3.3"


def version() -> str:
    """plait's version (Keras's `keras.version()` gives Keras's).

    Example:
        >>> import plait
        >>> plait.version() == plait.__version__
        True
    """
    return __version__


__all__ = [
    "DTypePolicy",
    "FloatDTypePolicy",
    "Initializer",
    "Input",
    "KerasTensor",
    "Layer",
    "Loss",
    "Metric",
    "Model",
    "Optimizer",
    "Regularizer",
    "Sequential",
    "Variable",
    "activations",
    "applications",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "device",
    "dtype_policies",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "name_scope",
    "ops",
    "optimizers",
    "preprocessing",
    "random",
    "regularizers",
    "remat",
    "saving",
    "tree",
    "utils",
    "version",
]

# Subpackages that are not in `__all__` but that `plait.<name>` reaches all the same.
_OTHER_SUBMODULES = ("cli", "graph", "plotting", "serialization", "training")
# Top-level names, by the module that defines each.
_NAMES = {
    name: module
    for module, names in (
        ("plait.backend.scopes", ("Variable", "device", "name_scope", "remat")),
        ("plait.graph.tensor", ("KerasTensor",)),
        ("plait.initializers", ("Initializer",)),
        ("plait.layers", ("Input", "Layer")),
        ("plait.losses", ("Loss",)),
        ("plait.metrics", ("Metric",)),
        ("plait.mixed_precision", ("DTypePolicy", "FloatDTypePolicy")),
        ("plait.models", ("Model", "Sequential")),
        ("plait.optimizers", ("Optimizer",)),
        ("plait.regularizers", ("Regularizer",)),
    )
    for name in names
}
# Top-level names that another module defines under another name.
_RENAMED = {"KerasTensor": "SymbolicTensor"}


def __getattr__(name):
    """Import `plait.<name>` (a subpackage or a top-level name) on first use."""
    if name in _NAMES:
        module = importlib.import_module(_NAMES[name])
        value = getattr(module, _RENAMED.get(name, name))
    elif name in __all__ or name in _OTHER_SUBMODULES:
        value = importlib.import_module(f"plait.{name}")
    else:
        raise AttributeError(f"module 'plait' has no attribute '{name}'")
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__) | set(_OTHER_SUBMODULES))
