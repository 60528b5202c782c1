"""Leaf helpers. `plot_model`, `model_to_dot` and `plot_history` live in `plait.plotting` and
are re-exported here lazily for Keras's `from keras.utils import plot_model`: importing them
eagerly would make utils (the bottom of the import graph) import plotting (near the top), and
`import plait` would load Pillow."""
from plait.utils.naming import to_snake_case  # noqa: F401
from plait.utils.random import enable_determinism, set_random_seed  # noqa: F401


_FROM_PLOTTING = ("plot_model", "model_to_dot", "plot_history")


def __getattr__(name):
    if name in _FROM_PLOTTING:
        from plait import plotting

        return getattr(plotting, name)
    raise AttributeError(f"module 'plait.utils' has no attribute {name!r}")
