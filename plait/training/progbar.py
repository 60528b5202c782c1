"""The progress bar fit/evaluate/predict print. It lives in `plait.utils.progbar` (Keras's
`keras.utils.Progbar`) so that `plait.callbacks`, which training builds on, can use it."""

from plait.utils.progbar import Progbar, is_interactive  # noqa: F401

__all__ = ["Progbar", "is_interactive"]
