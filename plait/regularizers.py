"""Weight and activity regularizers with Keras's names: a penalty tensor from a tensor.

    Dense(64, kernel_regularizer=regularizers.l2(1e-4))
    Dense(64, kernel_regularizer='l1')      # L1(l1=0.01)

A layer's `regularization_losses()` lists the penalties of its weights (and of its last
outputs, for activity regularizers); `fit` adds their sum to the loss. Weights are passed
in Keras's layout, so a custom regularizer sees `kernel` `(in, out)` as in Keras.
"""

import math

import torch

from plait.serialization import (
    deserialize_object,
    get_object,
    module_dir,
    register_serializable,
    serialize_object,
)

__all__ = [
    "L1",
    "L1L2",
    "L2",
    "OrthogonalRegularizer",
    "Regularizer",
    "get",
    "l1",
    "l1_l2",
    "l2",
    "orthogonal_regularizer",
    "serialize",
    "deserialize",
]


class Regularizer:
    """Base class of regularizers: `regularizer(x)` returns a scalar penalty tensor.

    Subclasses define `__call__(x)` and `get_config()`; the base's penalty is 0. A layer
    adds its regularizers' penalties to `regularization_losses()`, which `fit` adds to the
    loss.

    Example:
        >>> import torch
        >>> from plait import regularizers
        >>> class SumSquares(regularizers.Regularizer):
        ...     def __call__(self, x):
        ...         return 0.5 * x.square().sum()
        >>> float(SumSquares()(torch.tensor([1.0, 2.0])))
        2.5
    """

    def __call__(self, x):
        return x.new_zeros(())

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@register_serializable(package="plait")
class L1L2(Regularizer):
    """`l1 * sum(|x|) + l2 * sum(x ** 2)`.

    Args:
        l1: L1 factor, a non-negative float (default 0.0).
        l2: L2 factor, a non-negative float (default 0.0).

    Raises:
        ValueError: a negative or non-finite factor.

    Example:
        >>> import torch
        >>> from plait import regularizers
        >>> x = torch.tensor([[1.0, -2.0], [3.0, 0.5]])  # sum |x| = 6.5, sum x**2 = 14.25
        >>> round(float(regularizers.L1L2(l1=0.1, l2=0.01)(x)), 4)
        0.7925
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _check_factor(l1, "l1")
        self.l2 = _check_factor(l2, "l2")

    def __call__(self, x):
        penalty = x.new_zeros(())
        if self.l1:
            penalty = penalty + self.l1 * x.abs().sum()
        if self.l2:
            penalty = penalty + self.l2 * x.square().sum()
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


@register_serializable(package="plait")
class L1(Regularizer):
    """`l1 * sum(|x|)`.

    Args:
        l1: a non-negative float (default 0.01).

    Raises:
        ValueError: a negative or non-finite `l1`.

    Example:
        >>> import torch
        >>> from plait import regularizers
        >>> x = torch.tensor([[1.0, -2.0], [3.0, 0.5]])  # sum |x| = 6.5, sum x**2 = 14.25
        >>> round(float(regularizers.L1(0.1)(x)), 4)
        0.65
    """

    def __init__(self, l1=0.01):
        self.l1 = _check_factor(l1, "l1")

    def __call__(self, x):
        return self.l1 * x.abs().sum()

    def get_config(self):
        return {"l1": self.l1}


@register_serializable(package="plait")
class L2(Regularizer):
    """`l2 * sum(x ** 2)`: its gradient `2 * l2 * x` shrinks weights towards zero (weight
    decay of `2 * l2` per unit learning rate, under plain SGD).

    Args:
        l2: a non-negative float (default 0.01).

    Raises:
        ValueError: a negative or non-finite `l2`.

    Example:
        >>> import torch
        >>> from plait import regularizers
        >>> float(regularizers.L2(0.1)(torch.tensor([3.0, -4.0])))  # 0.1 * (9 + 16)
        2.5
    """

    def __init__(self, l2=0.01):
        self.l2 = _check_factor(l2, "l2")

    def __call__(self, x):
        return self.l2 * x.square().sum()

    def get_config(self):
        return {"l2": self.l2}


@register_serializable(package="plait")
class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2-D weight towards orthogonality: `factor`
    times the mean absolute cosine similarity of distinct pairs of rows (columns),

        factor * 0.5 * sum(|N N^T - diag|) / (n (n - 1) / 2)

    with N the L2-normalized rows (`mode="rows"`) or columns (`mode="columns"`; N^T N).
    The weight is seen in Keras's layout: for a Dense kernel `(input_dim, units)`, rows
    mode makes the input features' weight vectors orthogonal, as in Keras.

    Args:
        factor: a non-negative float, default 0.01.
        mode: "rows" (default) or "columns".

    Raises:
        ValueError: a negative or non-finite `factor`, an unknown `mode`; (when called)
            a weight that is not 2-D.

    Example:
        >>> import torch
        >>> from plait import regularizers
        >>> float(regularizers.OrthogonalRegularizer(1.0)(torch.eye(3)))
        0.0
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _check_factor(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(
                'Invalid value for argument `mode`. Expected one of {"rows", "columns"}. '
                f"Received: mode={mode}"
            )
        self.mode = mode

    def __call__(self, x):
        if x.ndim != 2:
            raise ValueError(
                "Inputs to OrthogonalRegularizer must have rank 2. Received: "
                f"inputs.shape={tuple(x.shape)}"
            )
        if self.mode == "rows":
            x = torch.nn.functional.normalize(x, dim=1, eps=1e-12)
            product, size = x @ x.T, x.shape[0]
        else:
            x = torch.nn.functional.normalize(x, dim=0, eps=1e-12)
            product, size = x.T @ x, x.shape[1]
        off_diagonal = product * (1.0 - torch.eye(size, dtype=x.dtype, device=x.device))
        pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * off_diagonal.abs().sum() / pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


# Keras 3 spells the functions as aliases of the classes (so `l1_l2()` is all zeros).
l1, l2, l1_l2 = L1, L2, L1L2
orthogonal_regularizer = OrthogonalRegularizer

_REGULARIZERS = {
    "l1": L1,
    "l2": L2,
    "l1_l2": L1L2,
    "orthogonal_regularizer": OrthogonalRegularizer,
}
_CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2, "OrthogonalRegularizer": OrthogonalRegularizer}


def get(identifier):
    """The regularizer for `identifier`.

    Args:
        identifier: None, a name ('l1', 'l2', 'l1_l2', 'orthogonal_regularizer'), a config
            dict, a Regularizer class or instance, or a callable `(tensor) -> scalar tensor`.

    Returns:
        A regularizer (a name gives the class with its defaults), or None for None.

    Raises:
        ValueError: an unknown name.

    Example:
        >>> from plait import regularizers
        >>> type(regularizers.get("l1")).__name__
        'L1'
        >>> regularizers.get({"class_name": "L2", "config": {"l2": 0.5}}).l2
        0.5
    """
    if identifier is None:
        return None
    return get_object(identifier, Regularizer, _REGULARIZERS, "regularizer", _CLASSES)


def serialize(regularizer):
    """The config a regularizer is saved as.

    Args:
        regularizer: a regularizer, a function, or None.

    Returns:
        None, a `{"class_name", "config"}` dict for a plait regularizer, or a function's name.

    Example:
        >>> from plait import regularizers
        >>> regularizers.serialize(regularizers.L2(0.001))
        {'class_name': 'L2', 'config': {'l2': 0.001}}
        >>> def penalty(x):
        ...     return x.abs().max()
        >>> regularizers.serialize(penalty), regularizers.serialize(None)
        ('penalty', None)
    """
    return serialize_object(regularizer, Regularizer)


def _check_factor(value, name):
    if (
        isinstance(value, torch.Tensor)
        or not isinstance(value, (int, float))
        or isinstance(value, bool)
        or math.isnan(value)
        or math.isinf(value)
        or value < 0
    ):
        raise ValueError(f"`{name}` must be a non-negative float. Received: {name}={value!r}")
    return float(value)


def deserialize(config, custom_objects=None):
    """Rebuilds the regularizer `serialize` described.

    Args:
        config: a name, or a `{"class_name", "config"}` dict (Keras's `deserialize`).
        custom_objects: a dict mapping names to your own classes or functions.

    Returns:
        The regularizer; a `custom_objects` class is rebuilt with its `from_config`.

    Raises:
        ValueError: an unknown name or class.

    Example:
        >>> from plait import regularizers
        >>> regularizers.deserialize({"class_name": "L1L2", "config": {"l1": 0.5}}).get_config()
        {'l1': 0.5, 'l2': 0.0}
        >>> class Penalty(regularizers.Regularizer):
        ...     pass
        >>> config = {"class_name": "Penalty", "config": {}}
        >>> type(regularizers.deserialize(config, custom_objects={"Penalty": Penalty})).__name__
        'Penalty'
    """
    return deserialize_object(config, custom_objects, get)


def __dir__():  # dir() lists the public API, not torch, re or helpers
    return module_dir(globals())
