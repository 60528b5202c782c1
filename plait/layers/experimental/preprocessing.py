"""Keras 2's `tf.keras.layers.experimental.preprocessing` module: the preprocessing layers
(the same classes as `plait.layers`), so `from tensorflow.keras.layers.experimental.
preprocessing import TextVectorization` ports by changing the import root."""

import plait.layers as _layers

__all__ = ["Rescaling", *_layers.preprocessing.__all__]
Rescaling = _layers.Rescaling
globals().update({name: getattr(_layers, name) for name in __all__})
