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
from plait import random  # noqa: F401
from plait.layers import Input  # noqa: F401
from plait.models import Model, Sequential  # noqa: F401

__version__ = "0.2.0"

__all__ = [
    "Input",
    "Model",
    "Sequential",
    "activations",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "preprocessing",
    "random",
    "regularizers",
    "saving",
    "utils",
]
