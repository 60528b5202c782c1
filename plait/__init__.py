"""plait: Keras's functional API, woven from PyTorch.

from plait import Input, Model
from plait.layers import Dense

visible = Input(shape=(10,))
output = Dense(1, activation='sigmoid')(Dense(10, activation='relu')(visible))
model = Model(inputs=visible, outputs=output)
model.summary()
"""

from plait import activations, backend, config, initializers, layers, models, utils  # noqa: F401
from plait import constraints, ops, regularizers  # noqa: F401
from plait import saving  # noqa: F401  (above models: imported after them)
from plait import datasets, preprocessing  # noqa: F401
from plait import dtype_policies, random, tree  # noqa: F401
from plait.backend.scopes import Variable, device, name_scope, remat  # noqa: F401
from plait.graph.tensor import SymbolicTensor as KerasTensor  # noqa: F401
from plait.initializers import Initializer  # noqa: F401
from plait.layers import Layer  # noqa: F401
from plait.losses import Loss  # noqa: F401
from plait.metrics import Metric  # noqa: F401
from plait.mixed_precision import DTypePolicy, FloatDTypePolicy  # noqa: F401
from plait.optimizers import Optimizer  # noqa: F401
from plait.regularizers import Regularizer  # noqa: F401
from plait.layers import Input  # noqa: F401
from plait.models import Model, Sequential  # noqa: F401

__version__ = "0.2.0"


def version() -> str:
    """plait's version (Keras's `keras.version()` gives Keras's)."""
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
    "Optimizer",
    "Regularizer",
    "Variable",
    "Model",
    "Sequential",
    "activations",
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
    "models",
    "name_scope",
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
