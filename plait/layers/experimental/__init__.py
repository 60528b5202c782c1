"""Keras 2's `tf.keras.layers.experimental` path: `plait.layers.experimental.preprocessing`
holds the preprocessing layers (the same classes as `plait.layers`)."""

from plait.layers.experimental import preprocessing  # noqa: F401

__all__ = ["preprocessing"]
