"""Keras 2's module path `keras.layers.embeddings`: `Embedding`."""
from plait.layers.core import Embedding

__all__ = ["Embedding"]
