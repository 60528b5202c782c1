"""Models: the functional `Model`, `Sequential`, and (lazily) plotting."""
from plait.models.model import Model  # noqa: F401
from plait.models.sequential import Sequential  # noqa: F401
from plait.saving import load_model, model_from_json, save_model  # noqa: F401

Functional = Model
from plait.models.cloning import clone_model, install_model_api  # noqa: E402, F401

install_model_api(Model)  # variables, reset_metrics, get_compile_config, ... (Keras 3)
