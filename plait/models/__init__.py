"""Models: the functional `Model`, `Sequential`, and (lazily) plotting."""
from plait.models.model import Model  # noqa: F401
from plait.models.sequential import Sequential  # noqa: F401
from plait.saving import load_model, model_from_json  # noqa: F401

__all__ = [
    "Functional", "Model", "Sequential", "load_model", "model_from_json"
]

Functional = Model
