"""Keras 2's module path `keras.layers.advanced_activations`: ReLU, LeakyReLU, PReLU, ELU,
Softmax (and ThresholdedReLU once plait.layers has it). An alias module: it reads the
names from `plait.layers`."""

import plait.layers as _layers

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]

ELU, LeakyReLU, PReLU = _layers.ELU, _layers.LeakyReLU, _layers.PReLU
ReLU, Softmax = _layers.ReLU, _layers.Softmax


def __getattr__(name):
    if name == "ThresholdedReLU":  # forwarded to where plait.layers defines it
        return getattr(_layers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
