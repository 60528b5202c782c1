"""`validation_split`: Keras's split of in-memory data into training and validation parts."""

import math

import numpy as np

from plait.training.data.arrays import is_array_like
from plait.training.data.spec import is_list_of_scalars

__all__ = ["split_for_validation"]


def split_for_validation(x, y, sample_weight, validation_split):
    """Keras's split: the last `validation_split` fraction of the samples, before shuffling.

    Works on the raw user structures (arrays, tensors, lists and dicts of them) and returns
    `(x, y, sw), (x_val, y_val, sw_val)`.
    """
    if not is_array_like(x):
        raise ValueError(
            "`validation_split` is only supported for numpy arrays and torch tensors (and "
            "lists or dicts of them); for a Dataset, DataLoader or generator pass "
            f"`validation_data=` instead. Received: x of type {type(x).__name__}"
        )
    if not 0.0 < validation_split < 1.0:
        raise ValueError(
            "`validation_split` must be a fraction between 0 and 1 (exclusive). "
            f"Received: validation_split={validation_split!r}"
        )
    leaves = [v for v in _leaves((x, y, sample_weight)) if v is not None]
    counts = {len(v) for v in leaves}
    if len(counts) > 1:
        raise ValueError(
            "All arrays must hold the same number of samples (the first dimension), but they "
            f"differ: {sorted(counts)}. Make x, y and sample_weight line up sample by sample. "
            f"Received: sample counts {sorted(counts)}"
        )
    n = counts.pop()
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"`validation_split={validation_split}` of {n} samples leaves "
            f"{'no training' if split_at == 0 else 'no validation'} samples. Use more data "
            f"or another fraction. Received: validation_split={validation_split!r}"
        )
    head = _map_leaves(lambda v: v[:split_at], (x, y, sample_weight))
    tail = _map_leaves(lambda v: v[split_at:], (x, y, sample_weight))
    return head, tail


def _leaves(structure):
    if isinstance(structure, dict):
        return [leaf for v in structure.values() for leaf in _leaves(v)]
    if isinstance(structure, (list, tuple)) and not is_list_of_scalars(structure):
        return [leaf for v in structure for leaf in _leaves(v)]
    if isinstance(structure, (list, tuple)):
        return [np.asarray(structure)]
    return [structure]


def _map_leaves(fn, structure):
    if structure is None:
        return None
    if isinstance(structure, dict):
        return {k: _map_leaves(fn, v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)) and not is_list_of_scalars(structure):
        return type(structure)(_map_leaves(fn, v) for v in structure)
    if isinstance(structure, (list, tuple)):
        structure = np.asarray(structure)
    return fn(structure)
