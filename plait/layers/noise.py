"""Keras 2's module path `keras.layers.noise`: GaussianNoise, GaussianDropout (and
AlphaDropout once plait.layers has it). An alias module: it reads the names from
`plait.layers`."""

import plait.layers as _layers

__all__ = ["GaussianDropout", "GaussianNoise"]

GaussianDropout, GaussianNoise = _layers.GaussianDropout, _layers.GaussianNoise


def __getattr__(name):
    if name == "AlphaDropout":  # forwarded to where plait.layers defines it
        return getattr(_layers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
