"""Saving and loading: whole models (`.plait`), weights (`.safetensors`), JSON configs, and
the model as a standalone PyTorch file.

    model.save("m.plait")                     # architecture + weights (+ compile state)
    model = plait.saving.load_model("m.plait")
    model.save_weights("w.safetensors"); model.load_weights("w.safetensors")
    model.to_source("my_model.py")            # plain torch.nn code + my_model.safetensors

Your own layers load after `@plait.saving.register_serializable()` on their class, or with
`custom_objects={"MyLayer": MyLayer}`. A `Lambda` layer's function is saved as Python
bytecode and loads only with `safe_mode=False` or inside `safe_mode_scope(False)`.
"""

from plait.saving import export, source  # noqa: F401
from plait.saving.saving_lib import load_model, model_from_json, save_model  # noqa: F401
from plait.saving.weights import load_weights, save_weights  # noqa: F401
from plait.serialization import (  # noqa: F401
    deserialize,
    get_registered_object,
    register_serializable,
    registered_name,
    safe_mode_scope,
    serialize,
)

from plait.utils import (  # noqa: F401  (Keras 3 has them in keras.saving too)
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    register_keras_serializable,
    serialize_keras_object,
)

get_registered_name = registered_name

__all__ = [
    "save_model",
    "load_model",
    "model_from_json",
    "save_weights",
    "load_weights",
    "register_serializable",
    "serialize",
    "deserialize",
    "get_registered_object",
    "get_registered_name",
    "safe_mode_scope",
    "CustomObjectScope",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "register_keras_serializable",
    "serialize_keras_object",
]
