"""Keras 2's module path `keras.layers.noise`: GaussianNoise, GaussianDropout (and
AlphaDropout once plait.layers has it)."""
from plait.layers.regularization import GaussianDropout, GaussianNoise

__all__ = ["GaussianDropout", "GaussianNoise"]


def __getattr__(name):
    if name == "AlphaDropout":  # forwarded to where plait.layers defines it
        import plait.layers

        return getattr(plait.layers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
