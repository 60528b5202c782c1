"""Keras 2's module path `keras.layers.embeddings`: `Embedding` (the class in
`plait.layers`; an alias module, so it reads the package rather than another family)."""

import plait.layers as _layers

__all__ = ["Embedding"]

Embedding = _layers.Embedding
