"""The `Initializer` base class, Keras's fan computation, and the initializers whose
values are fixed: `Zeros`, `Ones`, `Constant`, `Identity`.
"""

import math

import torch

from plait.serialization import register_serializable

__all__ = ["Constant", "Identity", "Initializer", "Ones", "Zeros", "compute_fans"]


def compute_fans(shape):
    """The `(fan_in, fan_out)` of a weight of `shape` in Keras's layout, as Keras counts them.

    A Conv kernel `(kh, kw, in, out)` counts its receptive field: `(kh * kw * in, kh * kw *
    out)`; a 1-D shape gives its size twice; a scalar gives `(1, 1)`.

    Example:
        >>> from plait.initializers import compute_fans
        >>> compute_fans((3, 3, 16, 32)), compute_fans((10, 4))
        ((144, 288), (10, 4))
    """
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class of initializers: `initializer(shape, dtype=None, device=None)` returns a tensor.

    The shape is in Keras's layout (a Dense kernel `(in, out)`, a Conv2D kernel `(kh, kw,
    in, out)`); layers transpose the result into PyTorch's layout. Subclasses define
    `__call__` and `get_config`; a `seed` attribute makes `_generator` reproducible.

    Example:
        >>> import torch
        >>> from plait import initializers
        >>> class Halves(initializers.Initializer):
        ...     def __call__(self, shape, dtype=None, device=None):
        ...         return torch.full(shape, 0.5, dtype=dtype, device=device)
        >>> Halves()((2,))
        tensor([0.5000, 0.5000])
    """

    def __call__(self, shape, dtype=None, device=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _generator(self, device):
        seed = getattr(self, "seed", None)
        if seed is None:
            return None
        gen = torch.Generator(device=device or "cpu")
        gen.manual_seed(seed)
        return gen


@register_serializable(package="plait")
class Zeros(Initializer):
    """Fills the tensor with 0.

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Example:
        >>> from plait import initializers
        >>> initializers.Zeros()((2, 3))
        tensor([[0., 0., 0.],
                [0., 0., 0.]])
    """

    def __call__(self, shape, dtype=None, device=None):
        return torch.zeros(shape, dtype=dtype, device=device)


@register_serializable(package="plait")
class Ones(Initializer):
    """Fills the tensor with 1 (in `dtype` when given, else float32).

    Example:
        >>> import torch
        >>> from plait import initializers
        >>> initializers.Ones()((3,), dtype=torch.int64)
        tensor([1, 1, 1])
    """

    def __call__(self, shape, dtype=None, device=None):
        return torch.ones(shape, dtype=dtype, device=device)


@register_serializable(package="plait")
class Constant(Initializer):
    """Fills the tensor with `value`.

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Args:
        value: the scalar to fill with (default 0.0).

    Example:
        >>> from plait import initializers
        >>> initializers.Constant(2.5)((2, 2))
        tensor([[2.5000, 2.5000],
                [2.5000, 2.5000]])
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None, device=None):
        return torch.full(shape, self.value, dtype=dtype, device=device)

    def get_config(self):
        return {"value": self.value}


@register_serializable(package="plait")
class Identity(Initializer):
    """The identity matrix times `gain` (a 2-D shape; a non-square one gets ones on its main diagonal).

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Args:
        gain: a multiplicative factor (default 1.0).

    Raises:
        ValueError: (when called) a shape that is not 2-D.

    Example:
        >>> from plait import initializers
        >>> initializers.Identity(gain=2.0)((2, 3))
        tensor([[2., 0., 0.],
                [0., 2., 0.]])
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None, device=None):
        if len(shape) != 2:
            raise ValueError(f"The Identity initializer needs a 2-D shape. Received: shape={shape}")
        return self.gain * torch.eye(*shape, dtype=dtype, device=device)

    def get_config(self):
        return {"gain": self.gain}
