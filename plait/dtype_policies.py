"""Keras 3's `keras.dtype_policies` for float policies: `DTypePolicy`,
`FloatDTypePolicy`, `get`, `serialize`, `deserialize` (the policies themselves live in
`plait.mixed_precision`). Keras's quantized policies (int8, int4, float8, GPTQ, AWQ) and
`DTypePolicyMap` are not here: plait's layers have no quantized kernels.

    from plait import dtype_policies
    dtype_policies.get("mixed_bfloat16")     # <DTypePolicy "mixed_bfloat16">
"""

import torch

from plait.mixed_precision import DTypePolicy, FloatDTypePolicy, dtype_policy
from plait.utils import dtypes

__all__ = ["DTypePolicy", "FloatDTypePolicy", "deserialize", "get", "serialize"]

_CLASSES = {"DTypePolicy": DTypePolicy, "FloatDTypePolicy": FloatDTypePolicy}


def __dir__():  # dir() lists the public API, not torch or helpers
    return sorted(__all__)


def serialize(policy):
    """The config a dtype policy is saved as.

    Args:
        policy: a `DTypePolicy`.

    Returns:
        `{"class_name": ..., "config": {"name": ...}}`.

    Raises:
        TypeError: `policy` not a `DTypePolicy`.

    Example:
        >>> from plait import dtype_policies
        >>> dtype_policies.serialize(dtype_policies.DTypePolicy("mixed_float16"))
        {'class_name': 'DTypePolicy', 'config': {'name': 'mixed_float16'}}
    """
    if not isinstance(policy, DTypePolicy):
        raise TypeError(f"serialize() takes a DTypePolicy. Received: {policy!r}")
    return {"class_name": type(policy).__name__, "config": policy.get_config()}


def deserialize(config, custom_objects=None):
    """The policy `serialize` (or Keras's `serialize`, whose extra keys are ignored) described.

    Args:
        config: a `{"class_name", "config"}` dict.
        custom_objects: an optional dict of `{name: policy class}`.

    Raises:
        ValueError: a config that names no dtype policy class.

    Example:
        >>> from plait import dtype_policies
        >>> config = {"module": "keras", "class_name": "DTypePolicy",
        ...           "config": {"name": "mixed_bfloat16"}, "registered_name": None}
        >>> dtype_policies.deserialize(config)
        <DTypePolicy "mixed_bfloat16">
    """
    classes = {**_CLASSES, **(custom_objects or {})}
    name = config.get("class_name") if isinstance(config, dict) else None
    if name not in classes:
        raise ValueError(
            f"Cannot deserialize a dtype policy: expected a config dict with 'class_name' "
            f"one of {sorted(classes)}. Received: config={config!r}"
        )
    return classes[name].from_config(config.get("config", {}))


def get(identifier):
    """A `DTypePolicy` from None (the global policy), a policy, a config dict, a policy
    name ("mixed_float16", "float32", ...) or a dtype (torch.bfloat16).

    Raises:
        ValueError: an unknown policy name; anything else.

    Example:
        >>> from plait import dtype_policies
        >>> dtype_policies.get("mixed_float16").compute_dtype
        'float16'
    """
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)  # its own error names the valid policies
    try:
        if isinstance(identifier, torch.dtype):
            identifier = dtypes.dtype_name(identifier)
        return DTypePolicy(identifier)
    except (TypeError, ValueError):
        raise ValueError(
            "Cannot interpret `dtype` argument. Expected a string or an instance of "
            f"DTypePolicy. Received: dtype={identifier}"
        ) from None
