"""Keras 2's module path `keras.layers.advanced_activations`: ReLU, LeakyReLU, PReLU, ELU,
Softmax (and ThresholdedReLU once plait.layers has it)."""
from plait.layers.activation import ELU, LeakyReLU, PReLU, ReLU, Softmax

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]


def __getattr__(name):
    if name == "ThresholdedReLU":  # forwarded to where plait.layers defines it
        import plait.layers

        return getattr(plait.layers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
