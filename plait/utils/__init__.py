"""Leaf helpers. `plot_model` and `model_to_dot` are re-exported lazily for Keras's
`from keras.utils import plot_model`; importing them eagerly would make utils import models.
`plot_history` is lazy too, so that `import plait` does not load Pillow."""
from plait.utils.naming import to_snake_case  # noqa: F401
from plait.utils.random import enable_determinism, set_random_seed  # noqa: F401


def __getattr__(name):
    if name in ("plot_model", "model_to_dot"):
        from plait.models import plot

        return getattr(plot, name)
    if name == "plot_history":
        from plait.utils.history_plot import plot_history

        return plot_history
    raise AttributeError(f"module 'plait.utils' has no attribute {name!r}")
