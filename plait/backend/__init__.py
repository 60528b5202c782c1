"""Keras's `backend` module: Keras 3's names and the Keras 2 `K.*` functions old programs
call, over `plait.ops`, so they work on concrete tensors and on symbolic ones (in a Lambda,
a custom loss, or directly on a functional graph's tensors).

    from plait import backend as K
    def vae_sample(args):
        mean, log_var = args
        eps = K.random_normal(shape=(K.shape(mean)[0], K.int_shape(mean)[1]))
        return mean + K.exp(0.5 * log_var) * eps

Settings (`floatx`, `epsilon`, `image_data_format`, ...) are the ones `plait.config` holds.
"""

from plait import ops
from plait.backend import numeric, sampling, session, shapes, tensors
from plait.backend.numeric import *  # noqa: F403
from plait.backend.sampling import *  # noqa: F403
from plait.backend.session import *  # noqa: F403
from plait.backend.shapes import *  # noqa: F403
from plait.backend.tensors import *  # noqa: F403
from plait.config import (  # noqa: F401
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from plait.ops._base import (  # noqa: F401
    is_float,
    is_int,
    keras_op,
    result_type,
    standardize_dtype,
    torch_dtype,
)

_KERAS3 = [
    "backend",
    "clear_session",
    "epsilon",
    "floatx",
    "get_uid",
    "image_data_format",
    "is_float_dtype",
    "is_int_dtype",
    "is_keras_tensor",
    "result_type",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "standardize_dtype",
]

# K.* functions that are the ops of the same name with the same arguments.
_SAME = [
    "abs",
    "all",
    "any",
    "cos",
    "cumprod",
    "cumsum",
    "equal",
    "exp",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "log",
    "logsumexp",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "not_equal",
    "prod",
    "round",
    "sign",
    "sin",
    "softplus",
    "softsign",
    "square",
    "std",
    "stop_gradient",
    "sum",
    "tanh",
    "var",
    "sigmoid",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "stack",
    "tile",
    "transpose",
    "cast",
    "reshape",
    "ones_like",
    "zeros_like",
    "squeeze",
    "softmax",
    "elu",
    "one_hot",
    "dot",
]
for _name in _SAME:
    globals()[_name] = getattr(ops, _name)

__all__ = sorted(
    set(_KERAS3)
    | set(_SAME)
    | {name for part in (numeric, sampling, session, shapes, tensors) for name in part.__all__}
)
