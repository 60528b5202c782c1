"""Core layers: InputLayer (and Input), Dense, Activation, Embedding, Masking, Lambda,
Identity, Rescaling.
"""

from plait.utils.forwarding import forwarded_names
from plait.layers.core.input_layer import (
    Input,
    InputLayer,
)
from plait.layers.core.dense import (
    Activation,
    Dense,
)
from plait.layers.core.embedding import (
    Embedding,
)
from plait.layers.core.lambda_layer import (
    Lambda,
)
from plait.layers.core.elementwise import (
    Identity,
    Masking,
    Rescaling,
)

__all__ = [
    "Activation",
    "Dense",
    "Embedding",
    "Identity",
    "Input",
    "InputLayer",
    "Lambda",
    "Masking",
    "Rescaling",
]


def __dir__():  # dir() lists the public API, not the submodules or helpers
    return list(__all__)


# Keras 2 kept these in `keras.layers.core`; old programs import them from here. They are
# looked up in plait.layers when asked for (a family module imports no other family).
_KERAS2_NAMES = (
    "Dropout",
    "Flatten",
    "Reshape",
    "Permute",
    "RepeatVector",
    "ActivityRegularization",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
)


__getattr__ = forwarded_names(__name__, _KERAS2_NAMES, "plait.layers")
