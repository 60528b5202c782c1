"""Keras 2's `tf.keras.layers.experimental.preprocessing` module: the preprocessing layers
(the same classes as `plait.layers`), so `from tensorflow.keras.layers.experimental.
preprocessing import TextVectorization` ports by changing the import root."""
from plait.layers.core import Rescaling  # noqa: F401
from plait.layers.preprocessing import *  # noqa: F401,F403
from plait.layers.preprocessing import __all__ as _names

__all__ = ["Rescaling", *_names]
