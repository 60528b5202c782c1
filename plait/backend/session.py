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
    """The name of the framework plait computes with: always 'torch'.

    Example:
        >>> from plait import backend as K
        >>> K.backend()
        'torch'
    """
    return "torch"


def clear_session(free_memory: bool = True) -> None:
    """Resets the automatic layer-name counters and frees cached GPU memory.

    After it the next Dense is `dense_1` again (as in Keras).

    Args:
        free_memory: also empty PyTorch's CUDA cache (default True).

    Example:
        >>> from plait import backend as K
        >>> from plait.layers import Dense
        >>> K.clear_session()
        >>> Dense(2).name
        'dense_1'
    """
    reset_names()
    if free_memory and torch.cuda.is_available():
        torch.cuda.empty_cache()


def get_uid(prefix: str = "") -> int:
    """The next number for `prefix` (1, 2, ...): the counter automatic names use.

    Args:
        prefix: the name the counter belongs to (default "").

    Returns:
        An int.

    Example:
        >>> from plait import backend as K
        >>> K.reset_uids()
        >>> K.get_uid("block"), K.get_uid("block")
        (1, 2)
    """
    return int(unique_name(prefix).rsplit("_", 1)[1])


def reset_uids() -> None:
    """Resets every `get_uid` counter (as `clear_session` does).

    Example:
        >>> from plait import backend as K
        >>> K.get_uid("branch")
        1
        >>> K.reset_uids()
        >>> K.get_uid("branch")
        1
    """
    reset_names()


def is_keras_tensor(x) -> bool:
    """Whether `x` is a symbolic tensor of a functional graph (Keras's KerasTensor).

    Args:
        x: any object.

    Returns:
        True for the tensors `Input` and layers called on them give; False for torch tensors.

    Example:
        >>> import torch
        >>> from plait import backend as K
        >>> from plait.layers import Input
        >>> K.is_keras_tensor(Input(shape=(3,))), K.is_keras_tensor(torch.zeros(3))
        (True, False)
    """
    return isinstance(x, SymbolicTensor)


def is_float_dtype(dtype) -> bool:
    """Whether `dtype` is a float dtype.

    Args:
        dtype: a dtype name ('float32'), a torch dtype or a NumPy dtype.

    Example:
        >>> from plait import backend as K
        >>> K.is_float_dtype("float16"), K.is_float_dtype("int32")
        (True, False)
    """
    return is_float(dtype)


def is_int_dtype(dtype) -> bool:
    """Whether `dtype` is an (unsigned) integer dtype.

    Args:
        dtype: a dtype name ('int64'), a torch dtype or a NumPy dtype.

    Example:
        >>> from plait import backend as K
        >>> K.is_int_dtype("uint8"), K.is_int_dtype("float32")
        (True, False)
    """
    return is_int(dtype)


def learning_phase() -> int:
    """0: plait decides training mode per call (`training=`), not by a global phase.

    Keras 2 programs that read `K.learning_phase()` get inference mode's 0; fit, evaluate and
    predict pass `training` to each layer themselves.

    Example:
        >>> from plait import backend as K
        >>> K.learning_phase()
        0
    """
    return 0


def set_learning_phase(value) -> None:
    """Accepted for old programs; no effect.

    plait's layers take `training=` per call, and fit/evaluate/predict set it.

    Args:
        value: 0 or 1.

    Raises:
        ValueError: any other value.

    Example:
        >>> from plait import backend as K
        >>> K.set_learning_phase(1)
        >>> K.learning_phase()
        0
    """
    if value not in (0, 1):
        raise ValueError(f"Expected learning phase to be 0 or 1. Received: value={value!r}")


def in_train_phase(x, alt, training=None):
    """`x` when `training`, else `alt` (callables are called).

    Args:
        x: the value (or a callable giving it) in training.
        alt: the value (or a callable giving it) otherwise.
        training: a bool; None counts as False (plait has no global phase).

    Example:
        >>> from plait import backend as K
        >>> K.in_train_phase("noisy", "clean", training=True)
        'noisy'
        >>> K.in_train_phase(lambda: "noisy", lambda: "clean")
        'clean'
    """
    chosen = x if training else alt
    return chosen() if callable(chosen) else chosen


def in_test_phase(x, alt, training=None):
    """`x` when not `training`, else `alt` (callables are called).

    Args:
        x: the value (or a callable giving it) at inference.
        alt: the value (or a callable giving it) in training.
        training: a bool; None counts as False.

    Example:
        >>> from plait import backend as K
        >>> K.in_test_phase("clean", "noisy", training=False)
        'clean'
    """
    return in_train_phase(alt, x, training)
