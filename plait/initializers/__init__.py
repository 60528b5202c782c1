"""Weight initializers with Keras's names and defaults.

An initializer is called with a shape in *Keras layout* (Dense kernel `(in, out)`, Conv2D
kernel `(kh, kw, in, out)`) and returns a tensor of that shape; layers transpose it into
PyTorch's layout. Fans are computed from the Keras layout, as Keras does.
"""

from plait.initializers.constant_initializers import (
    Constant,
    Identity,
    Initializer,
    Ones,
    Zeros,
    compute_fans,
)
from plait.initializers.random_initializers import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)
from plait.initializers.stft import STFT
from plait.serialization import deserialize_object, get_object, module_dir

__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "IdentityInitializer",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "OrthogonalInitializer",
    "RandomNormal",
    "RandomUniform",
    "STFT",
    "STFTInitializer",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "constant",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "serialize",
    "stft",
    "truncated_normal",
    "variance_scaling",
    "zeros",
    "deserialize",
]


_INITIALIZERS = {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "random_uniform": RandomUniform,
    "random_normal": RandomNormal,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform,
    "he_normal": HeNormal,
    "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal,
    "identity": Identity,
    "stft": STFT,
    "uniform": RandomUniform,
    "normal": RandomNormal,
}
# Keras's snake_case spellings of the classes: `initializers.he_normal(seed=1)`.
zeros, ones, constant, identity = Zeros, Ones, Constant, Identity
random_uniform, random_normal, truncated_normal = RandomUniform, RandomNormal, TruncatedNormal
variance_scaling, orthogonal = VarianceScaling, Orthogonal
glorot_uniform, glorot_normal, he_uniform, he_normal = (
    GlorotUniform,
    GlorotNormal,
    HeUniform,
    HeNormal,
)
lecun_uniform, lecun_normal = LecunUniform, LecunNormal
IdentityInitializer = Identity  # Keras 3's other name for it
OrthogonalInitializer = Orthogonal  # Keras 3's other names
STFTInitializer = stft = STFT

# Dict configs resolve here first: the layer registry also holds an `Identity` (the layer).
_CLASSES = {cls.__name__: cls for cls in _INITIALIZERS.values()}


def get(identifier):
    """The initializer for `identifier`.

    Args:
        identifier: a name ('glorot_uniform'), a config dict, an Initializer class or
            instance, or a callable `(shape, dtype=None, device=None)`.

    Returns:
        An initializer (a name or class gives an instance with the defaults).

    Raises:
        ValueError: an unknown name. TypeError: an identifier of another type.

    Example:
        >>> from plait import initializers
        >>> type(initializers.get("he_normal")).__name__
        'HeNormal'
        >>> initializers.get({"class_name": "Constant", "config": {"value": 3.0}}).value
        3.0
    """
    return get_object(identifier, Initializer, _INITIALIZERS, "initializer", _CLASSES)


def serialize(initializer):
    """The config an initializer is saved as.

    Args:
        initializer: an initializer or a function.

    Returns:
        A built-in with its default config: its short name (as Keras 2 configs have it);
        another initializer: a `{"class_name", "config"}` dict; a function: its name.

    Example:
        >>> from plait import initializers
        >>> initializers.serialize(initializers.GlorotUniform())
        'glorot_uniform'
        >>> initializers.serialize(initializers.Constant(2.0))
        {'class_name': 'Constant', 'config': {'value': 2.0}}
    """
    for name, cls in _INITIALIZERS.items():
        # A default-configured built-in serializes as its short name, as in Keras 2 configs.
        if type(initializer) is cls and initializer.get_config() == cls().get_config():
            return name
    if isinstance(initializer, Initializer):
        return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
    return getattr(initializer, "__name__", repr(initializer))


def deserialize(config, custom_objects=None):
    """Rebuilds the initializer `serialize` described.

    Args:
        config: a name, or a `{"class_name", "config"}` dict (Keras's `deserialize`).
        custom_objects: a dict mapping names to your own classes or functions.

    Raises:
        ValueError: an unknown name or class. TypeError: a config of another type.

    Example:
        >>> from plait import initializers
        >>> initializers.deserialize("zeros")((2,))
        tensor([0., 0.])
        >>> config = {"class_name": "Constant", "config": {"value": 0.5}}
        >>> initializers.deserialize(config)((2,))
        tensor([0.5000, 0.5000])
    """
    return deserialize_object(config, custom_objects, get)


def __dir__():  # dir() lists the public API, not torch, re or helpers
    return module_dir(globals())
