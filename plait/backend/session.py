"""Keras 3's backend names for the session (`backend`, `clear_session`, `get_uid`, dtype
checks) and Keras 2's learning-phase functions, which plait answers per call instead."""

import torch

from plait.graph.tensor import SymbolicTensor
from plait.ops._base import is_float, is_int
from plait.utils.naming import reset_names, unique_name

__all__ = [
    "backend",
    "clear_session",
    "get_uid",
    "reset_uids",
    "is_keras_tensor",
    "is_float_dtype",
    "is_int_dtype",
    "learning_phase",
    "set_learning_phase",
    "in_train_phase",
    "in_test_phase",
]


def backend() -> str:
    """'torch': the framework plait computes with."""
    return "torch"


def clear_session(free_memory: bool = True) -> None:
    """Resets the automatic layer-name counters (the next Dense is `dense_1` again) and,
    with `free_memory`, empties PyTorch's CUDA cache."""
    reset_names()
    if free_memory and torch.cuda.is_available():
        torch.cuda.empty_cache()


def get_uid(prefix: str = "") -> int:
    """The next number for `prefix` (1, 2, ...), the counter automatic names use."""
    return int(unique_name(prefix).rsplit("_", 1)[1])


def reset_uids() -> None:
    """Resets every `get_uid` counter (as `clear_session`)."""
    reset_names()


def is_keras_tensor(x) -> bool:
    """Whether `x` is a symbolic tensor of a functional graph (Keras's KerasTensor)."""
    return isinstance(x, SymbolicTensor)


def is_float_dtype(dtype) -> bool:
    """Whether `dtype` is a float dtype."""
    return is_float(dtype)


def is_int_dtype(dtype) -> bool:
    """Whether `dtype` is an (unsigned) integer dtype."""
    return is_int(dtype)


def learning_phase() -> int:
    """0: plait decides training mode per call (`training=`), not by a global phase."""
    return 0


def set_learning_phase(value) -> None:
    """Accepted for old programs; no effect: plait's layers take `training=` per call, and
    fit/evaluate/predict set it."""
    if value not in (0, 1):
        raise ValueError(f"Expected learning phase to be 0 or 1. Received: value={value!r}")


def in_train_phase(x, alt, training=None):
    """`x` when `training`, else `alt` (callables are called)."""
    chosen = x if training else alt
    return chosen() if callable(chosen) else chosen


def in_test_phase(x, alt, training=None):
    """`x` when not `training`, else `alt`."""
    return in_train_phase(alt, x, training)
