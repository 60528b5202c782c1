"""Mixed precision as Keras spells it: a global dtype policy.

    from plait import mixed_precision
    mixed_precision.set_global_policy("mixed_bfloat16")
    mixed_precision.global_policy()          # <DTypePolicy "mixed_bfloat16">

A policy names two dtypes: the *variable* dtype weights are stored in and the *compute* dtype
layers calculate in. `"mixed_float16"` and `"mixed_bfloat16"` keep float32 weights and compute
in half precision; any float dtype name (`"float32"`, `"float64"`, `"bfloat16"`, ...) uses that
dtype for both. fit, evaluate and predict read the global policy when they start and run the
forward pass under `torch.autocast` with the compute dtype; the outputs are cast to float32
for the losses and metrics, and for float16 the loss is scaled with a gradient scaler. Weights
and normalization statistics stay float32, and softmax outputs are float32 (on CPU too, where
autocast alone would leave them in bfloat16). Calling `model(x)` directly runs in float32
unless the caller opens `autocast(...)` itself.
"""

import contextlib

import torch

from plait.utils import dtypes

__all__ = [
    "DTypePolicy",
    "FloatDTypePolicy",
    "Policy",
    "set_global_policy",
    "global_policy",
    "set_dtype_policy",
    "dtype_policy",
    "autocast",
    "grad_scaler",
]


def __dir__():  # dir() lists the public API, not torch or helpers
    return sorted(set(__all__) | {"LossScaleOptimizer"})


def __getattr__(name):
    # keras.mixed_precision.LossScaleOptimizer is keras.optimizers.LossScaleOptimizer; the
    # optimizers live above this module, so the name is looked up on first use.
    if name == "LossScaleOptimizer":
        from plait.optimizers import LossScaleOptimizer

        return LossScaleOptimizer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_FLOATS = dtypes.FLOATS
_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}


class DTypePolicy:
    """A dtype policy: the dtype weights are stored in and the dtype layers compute in.

    Args:
        name: `"mixed_float16"`, `"mixed_bfloat16"` (float32 weights, half-precision
            compute), or a float dtype name (`"float32"`, `"float64"`, `"float16"`,
            `"bfloat16"`) used for both. Default None: `"float32"`.

    Attributes:
        name, compute_dtype, variable_dtype: Keras's names (dtype names as strings).

    Raises:
        TypeError: a `name` that is not a string. ValueError: an unknown policy name.

    Example:
        >>> from plait import mixed_precision
        >>> policy = mixed_precision.DTypePolicy("mixed_float16")
        >>> policy, policy.compute_dtype, policy.variable_dtype
        (<DTypePolicy "mixed_float16">, 'float16', 'float32')
    """

    def __init__(self, name=None):
        if name is None:
            name = "float32"
        if not isinstance(name, str):
            raise TypeError(
                "A dtype policy's `name` must be a string such as 'mixed_float16'. "
                f"Received: name={name!r} (of type {type(name).__name__})"
            )
        if name in _MIXED:
            compute, variable = _MIXED[name], "float32"
        elif name in _FLOATS:
            compute = variable = name
        else:
            raise ValueError(
                f"Cannot convert '{name}' to a dtype policy. Valid policies are "
                f"'mixed_float16', 'mixed_bfloat16' and the float dtype names {sorted(_FLOATS)}. "
                f"Received: name={name!r}"
            )
        self._name = name
        self._compute_dtype = compute
        self._variable_dtype = variable

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        """The dtype layers compute in, e.g. 'float16' under 'mixed_float16'."""
        return self._compute_dtype

    @property
    def variable_dtype(self):
        """The dtype weights are stored in, e.g. 'float32' under 'mixed_float16'."""
        return self._variable_dtype

    @property
    def is_mixed(self):
        """Whether compute and variable dtypes differ (the forward runs under autocast)."""
        return self._compute_dtype != self._variable_dtype

    @property
    def torch_compute_dtype(self):
        return _FLOATS[self._compute_dtype]

    @property
    def torch_variable_dtype(self):
        return _FLOATS[self._variable_dtype]

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


Policy = DTypePolicy


class FloatDTypePolicy(DTypePolicy):
    """Keras's earlier name for a `DTypePolicy` of float dtypes (`keras.FloatDTypePolicy`,
    a subclass kept for old programs): the same policy under that class name.

    Example:
        >>> from plait import mixed_precision
        >>> mixed_precision.FloatDTypePolicy("mixed_bfloat16").compute_dtype
        'bfloat16'
    """


_global = DTypePolicy("float32")


def set_global_policy(policy):
    """Sets the policy new layers and the training loop use.

    Args:
        policy: a policy name (`"mixed_float16"`, `"mixed_bfloat16"`, `"float32"`, ...), a
            `DTypePolicy`, or None to go back to `"float32"`.

    Raises:
        TypeError: a `policy` of another type. ValueError: an unknown policy name.

    Example:
        >>> from plait import mixed_precision
        >>> mixed_precision.set_global_policy("mixed_bfloat16")
        >>> mixed_precision.global_policy()
        <DTypePolicy "mixed_bfloat16">
        >>> mixed_precision.set_global_policy(None)
    """
    global _global
    if policy is None or isinstance(policy, str):
        policy = DTypePolicy(policy)
    elif not isinstance(policy, DTypePolicy):
        raise TypeError(
            "set_global_policy() takes a policy name such as 'mixed_float16' or a "
            f"DTypePolicy. Received: policy={policy!r} (of type {type(policy).__name__})"
        )
    _global = policy


def global_policy():
    """The current global `DTypePolicy` (`"float32"` unless `set_global_policy` changed it).

    Example:
        >>> from plait import mixed_precision
        >>> mixed_precision.global_policy()
        <DTypePolicy "float32">
    """
    return _global


# Keras 3's names for the same two functions (`keras.config.set_dtype_policy`).
set_dtype_policy = set_global_policy
dtype_policy = global_policy


def autocast(device_type, policy=None):
    """A context manager running its body in the policy's compute dtype.

    `torch.autocast(device_type, dtype=compute dtype)` for a mixed policy; a no-op otherwise.

    Args:
        device_type: "cpu" or "cuda".
        policy: a `DTypePolicy`; default: the global one.

    Example:
        >>> import torch
        >>> from plait import mixed_precision
        >>> policy = mixed_precision.DTypePolicy("mixed_bfloat16")
        >>> with mixed_precision.autocast("cpu", policy):
        ...     y = torch.ones(2, 2) @ torch.ones(2, 2)
        >>> y.dtype
        torch.bfloat16
    """
    policy = policy or _global
    if not policy.is_mixed:
        return contextlib.nullcontext()
    return torch.autocast(device_type, dtype=policy.torch_compute_dtype)


def grad_scaler(device_type, policy=None):
    """A `torch.amp.GradScaler`, enabled only for float16 compute.

    float16 needs loss scaling to keep small gradients from flushing to zero; bfloat16 has
    float32's range and does not.

    Args:
        device_type: "cpu" or "cuda".
        policy: a `DTypePolicy`; default: the global one.

    Example:
        >>> from plait import mixed_precision
        >>> policy = mixed_precision.DTypePolicy("mixed_bfloat16")
        >>> mixed_precision.grad_scaler("cpu", policy).is_enabled()
        False
    """
    policy = policy or _global
    enabled = policy.is_mixed and policy.compute_dtype == "float16"
    return torch.amp.GradScaler(device_type, enabled=enabled)
