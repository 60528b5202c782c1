"""Weight constraints with Keras's names: a projection applied after each optimizer step.

    Dense(64, kernel_constraint=constraints.max_norm(2.0))
    Conv2D(32, 3, kernel_constraint=constraints.MaxNorm(3, axis=[0, 1, 2]))

A constraint maps a weight (in Keras's layout, so `axis=0` of a Dense kernel `(in, out)`
is the input axis, as in Keras) to its projected value; `Layer.apply_constraints()` writes
the result back into the weight.
"""

import torch

from plait.serialization import (
    deserialize_object,
    get_object,
    module_dir,
    register_serializable,
    serialize_object,
)

__all__ = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "get",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "serialize",
    "unit_norm",
    "deserialize",
]


_EPSILON = 1e-7  # Keras's backend.epsilon()


class Constraint:
    """Base class of weight constraints: `constraint(w)` returns the projected `w`.

    Subclasses define `__call__(w)` (same shape in and out) and `get_config()`; the base
    returns `w` unchanged. A layer applies its constraints after each optimizer step.

    Example:
        >>> import torch
        >>> from plait import constraints
        >>> class Clip(constraints.Constraint):
        ...     def __call__(self, w):
        ...         return w.clamp(-1.0, 1.0)
        >>> Clip()(torch.tensor([-3.0, 0.5, 2.0]))
        tensor([-1.0000,  0.5000,  1.0000])
    """

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@register_serializable(package="plait")
class MaxNorm(Constraint):
    """Rescales slices of `w` whose L2 norm over `axis` exceeds `max_value`.

    Args:
        max_value: the largest norm allowed (default 2).
        axis: int or list of ints, the axes the norm is taken over (default 0: for a Dense
            kernel `(in, out)`, the incoming weights of each unit).

    Raises:
        ValueError: a negative `max_value`. TypeError: an `axis` that is not ints.

    Example:
        >>> import torch
        >>> from plait import constraints
        >>> w = torch.tensor([[3.0, 0.0], [-4.0, 1.0]])  # column norms 5 and 1
        >>> constraints.MaxNorm(2)(w)
        tensor([[ 1.2000,  0.0000],
                [-1.6000,  1.0000]])
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = _check_number(max_value, "max_value")
        self.axis = _check_axis(axis)

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = norms.clamp(0, self.max_value)
        return w * (desired / (_EPSILON + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


@register_serializable(package="plait")
class NonNeg(Constraint):
    """Sets negative weights to zero: `max(w, 0)`.

    Example:
        >>> import torch
        >>> from plait import constraints
        >>> w = torch.tensor([[3.0, 0.0], [-4.0, 1.0]])  # column norms 5 and 1
        >>> constraints.NonNeg()(w)
        tensor([[3., 0.],
                [0., 1.]])
    """

    def __call__(self, w):
        return torch.clamp(w, min=0.0)


@register_serializable(package="plait")
class UnitNorm(Constraint):
    """Scales slices of `w` to unit L2 norm over `axis`.

    Args:
        axis: int or list of ints (default 0: for a Dense kernel, each unit's incoming
            weights).

    Raises:
        TypeError: an `axis` that is not ints.

    Example:
        >>> import torch
        >>> from plait import constraints
        >>> w = torch.tensor([[3.0, 0.0], [-4.0, 1.0]])  # column norms 5 and 1
        >>> constraints.UnitNorm()(w)
        tensor([[ 0.6000,  0.0000],
                [-0.8000,  1.0000]])
    """

    def __init__(self, axis=0):
        self.axis = _check_axis(axis)

    def __call__(self, w):
        return w / (_EPSILON + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


@register_serializable(package="plait")
class MinMaxNorm(Constraint):
    """Moves the L2 norm over `axis` of slices of `w` into `[min_value, max_value]`.

    Args:
        min_value: default 0.0. max_value: default 1.0.
        rate: 1.0 (default) projects exactly; smaller rates move part of the way:
            `norm' = rate * clip(norm, min_value, max_value) + (1 - rate) * norm`.
        axis: default 0.

    Raises:
        ValueError: a negative number, or `min_value > max_value`.

    Example:
        >>> import torch
        >>> from plait import constraints
        >>> w = torch.tensor([[3.0, 0.0], [-4.0, 1.0]])  # column norms 5 and 1
        >>> constraints.MinMaxNorm(min_value=2.0, max_value=3.0)(w)
        tensor([[ 1.8000,  0.0000],
                [-2.4000,  2.0000]])
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = _check_number(min_value, "min_value")
        self.max_value = _check_number(max_value, "max_value")
        if self.min_value > self.max_value:
            raise ValueError(
                "`min_value` must not exceed `max_value`. Received: "
                f"min_value={min_value}, max_value={max_value}"
            )
        self.rate = _check_number(rate, "rate")
        self.axis = _check_axis(axis)

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = self.rate * norms.clamp(self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (_EPSILON + norms))

    def get_config(self):
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

_CONSTRAINTS = {
    "max_norm": MaxNorm,
    "non_neg": NonNeg,
    "unit_norm": UnitNorm,
    "min_max_norm": MinMaxNorm,
}
_CLASSES = {cls.__name__: cls for cls in _CONSTRAINTS.values()}


def get(identifier):
    """The constraint for `identifier`.

    Args:
        identifier: None, a name ('max_norm', 'non_neg', 'unit_norm', 'min_max_norm'), a
            config dict, a Constraint class or instance, or a callable.

    Returns:
        A constraint (a class is instantiated with its defaults), or None for None.

    Raises:
        ValueError: an unknown name.

    Example:
        >>> from plait import constraints
        >>> type(constraints.get("non_neg")).__name__
        'NonNeg'
        >>> constraints.get({"class_name": "MaxNorm", "config": {"max_value": 3}}).max_value
        3
    """
    if identifier is None:
        return None
    return get_object(identifier, Constraint, _CONSTRAINTS, "constraint", _CLASSES)


def serialize(constraint):
    """The config `constraint` is saved as: None for None, a `{"class_name", "config"}`
    dict for a plait constraint, a plain function's name for a function.

    Example:
        >>> from plait import constraints
        >>> constraints.serialize(constraints.MaxNorm(3))
        {'class_name': 'MaxNorm', 'config': {'max_value': 3, 'axis': 0}}
    """
    return serialize_object(constraint, Constraint)


def _norms(w, axis):
    return torch.sqrt(torch.sum(w.square(), dim=axis, keepdim=True))


def _check_number(value, name):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise ValueError(f"`{name}` must be a non-negative number. Received: {name}={value!r}")
    return value


def _check_axis(axis):
    if isinstance(axis, int) and not isinstance(axis, bool):
        return axis
    if (
        isinstance(axis, (list, tuple))
        and axis
        and all(isinstance(a, int) and not isinstance(a, bool) for a in axis)
    ):
        return list(axis)
    raise TypeError(f"`axis` must be an int or a list of ints. Received: axis={axis!r}")


def deserialize(config, custom_objects=None):
    """Rebuilds the constraint `serialize` described.

    Args:
        config: a name, or a `{"class_name", "config"}` dict (Keras's `deserialize`).
        custom_objects: a dict mapping names to your own classes or functions.

    Returns:
        The constraint.

    Raises:
        ValueError: an unknown name or class.

    Example:
        >>> from plait import constraints
        >>> constraints.deserialize({"class_name": "UnitNorm", "config": {"axis": 1}}).axis
        1
    """
    return deserialize_object(config, custom_objects, get)


def __dir__():  # dir() lists the public API, not torch, re or helpers
    return module_dir(globals())
