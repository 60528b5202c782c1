"""Keras 3's `ops` namespace on PyTorch: `from plait import ops`.

    x = Input(shape=(8,))
    y = ops.mean(ops.square(x), axis=-1, keepdims=True)   # a node of the graph: 'mean_1'
    ops.mean(np.arange(4))                                # tensor(1.5000): Keras's dtype rule

Every op takes torch tensors, NumPy arrays and Python numbers and returns torch tensors, with
Keras's argument names (`axis`, `keepdims`) and result dtypes (`mean` of ints is floatx,
`argmax` is int32). Called on a plait SymbolicTensor, an op is recorded as one node of the
functional graph (a TorchOp layer, as `torch.relu(x)` on a symbolic tensor is): it shows in
`summary()` and `plot_model`, its output shape is checked when the graph is built (a shape
mismatch raises there, naming the op and the shapes), and the model's generated `forward`
calls it inline. Submodules: `ops.numpy`, `ops.nn`, `ops.math`, `ops.linalg`, `ops.image`,
`ops.core`, as in Keras.
"""

from plait.ops import core, image, linalg, math, nn, numpy
from plait.ops._base import REGISTRY
from plait.ops.core import *  # noqa: F403
from plait.ops.linalg import *  # noqa: F403
from plait.ops.math import *  # noqa: F403
from plait.ops.nn import *  # noqa: F403
from plait.ops.numpy import *  # noqa: F403

__all__ = sorted(
    set(core.__all__)
    | set(linalg.__all__)
    | set(math.__all__)
    | set(nn.__all__)
    | set(numpy.__all__)
    | {"core", "image", "linalg", "math", "nn", "numpy"}
)


def lookup(name):
    """The op a saved graph names ('plait.ops.mean'), or None: only registered ops."""
    if not isinstance(name, str) or not name.startswith("plait.ops."):
        return None
    return REGISTRY.get(name[len("plait.ops.") :])
