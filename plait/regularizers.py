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


def __dir__():  # dir() lists the public API, not torch, re or helpers
    return module_dir(globals())


class Regularizer:
    """Base: `regularizer(x) -> scalar tensor`. Subclasses define `__call__` and
    `get_config`."""

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
    """`l1 * sum(|x|)`; `l1` defaults to 0.01."""

    def __init__(self, l1=0.01):
        self.l1 = _check_factor(l1, "l1")

    def __call__(self, x):
        return self.l1 * x.abs().sum()

    def get_config(self):
        return {"l1": self.l1}


@register_serializable(package="plait")
class L2(Regularizer):
    """`l2 * sum(x ** 2)`; `l2` defaults to 0.01."""

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
    """A regularizer from None, a name ('l1', 'l2', 'l1_l2'), a config dict, a
    Regularizer class or instance, or a callable `(tensor) -> scalar tensor`."""
    if identifier is None:
        return None
    return get_object(identifier, Regularizer, _REGULARIZERS, "regularizer", _CLASSES)


def serialize(regularizer):
    """None, a config dict for a plait regularizer, or a plain function's name."""
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
    """Rebuild the object `serialize` described: a name, or a `{"class_name", "config"}`
    dict (Keras's `deserialize`); `custom_objects` maps names to your own classes."""
    return deserialize_object(config, custom_objects, get)
