"""Models: the functional `Model`, `Sequential`, and (lazily) `load_model`/`model_from_json`.

`plait.saving` sits above `plait.models` (it builds models from files), so this package never
imports it at module level: `load_model` and `model_from_json` are looked up on first use,
and `Model.save` & co. import `plait.saving` when called.
"""

from plait.models.model import Model  # noqa: F401
from plait.models.sequential import Sequential  # noqa: F401

__all__ = [
    "Functional",
    "Model",
    "Sequential",
    "clone_model",
    "load_model",
    "model_from_json",
    "save_model",
]

Functional = Model

from plait.models.cloning import clone_model  # noqa: E402

# Keras's `keras.models.load_model` and `model_from_json`, defined in `plait.saving`.
_FROM_SAVING = ("load_model", "model_from_json", "save_model")


def __getattr__(name):
    if name in _FROM_SAVING:
        from plait import saving

        return getattr(saving, name)
    raise AttributeError(f"module 'plait.models' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_FROM_SAVING))
