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
    from plait.layers import Input  # noqa: F401
    from plait.models import Model, Sequential  # noqa: F401

__version__ = "0.2.0"

__all__ = [
    "Input",
    "Model",
    "Sequential",
    "activations",
    "applications",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "ops",
    "optimizers",
    "preprocessing",
    "regularizers",
    "saving",
    "utils",
]

# Subpackages that are not in `__all__` but that `plait.<name>` reaches all the same.
_OTHER_SUBMODULES = ("cli", "graph", "plotting", "serialization", "training")
# Top-level names and the module that defines each.
_NAMES = {"Input": "plait.layers", "Model": "plait.models", "Sequential": "plait.models"}


def __getattr__(name):
    """Import `plait.<name>` (a subpackage or a top-level name) on first use."""
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
    elif name in __all__ or name in _OTHER_SUBMODULES:
        value = importlib.import_module(f"plait.{name}")
    else:
        raise AttributeError(f"module 'plait' has no attribute '{name}'")
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__) | set(_OTHER_SUBMODULES))
