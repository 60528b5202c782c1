"""Seeding and determinism: `set_random_seed` and `enable_determinism`."""

import os
import random as python_random

import numpy as np
import torch

# plait.random's global SeedGenerator (the one `seed=None` draws from), kept here so that
# set_random_seed can drop it, as Keras's does.
GLOBAL_SEED_STATE: dict = {}

__all__ = ["set_random_seed", "enable_determinism"]


def set_random_seed(seed):
    """Seed Python's `random`, numpy and torch (CPU and every GPU) with `seed`.

    Weight initialization, shuffling in `fit` and dropout then repeat from run to run.

    Args:
        seed: an integer >= 0.

    Example:
        >>> set_random_seed(42)
        >>> a = torch.rand(2)
        >>> set_random_seed(42)
        >>> torch.equal(a, torch.rand(2))
        True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(
            "Expected `seed` argument to be an integer. "
            f"Received: seed={seed!r} (of type {type(seed).__name__})"
        )
    if seed < 0:
        raise ValueError(f"`seed` must be >= 0. Received: seed={seed}")
    seed = int(seed)
    python_random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    GLOBAL_SEED_STATE.clear()


def enable_determinism():
    """Make torch pick deterministic kernels, so two runs from the same seed give
    bit-identical results (Keras's `enable_op_determinism`).

    Sets `torch.use_deterministic_algorithms(True)` (an operation without a deterministic
    kernel then raises), turns off cuDNN's benchmark autotuning and sets the cuBLAS
    workspace that deterministic cuBLAS needs. It can cost speed on a GPU.

    Example:
        >>> enable_determinism()
        >>> torch.are_deterministic_algorithms_enabled()
        True
        >>> torch.use_deterministic_algorithms(False)  # undo, for the examples that follow
    """
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


def device_generator(generators, seed, device):
    """The `torch.Generator` for `device` from `generators` (a dict a layer keeps, one per
    device), created and seeded with `seed` on first use; None when `seed` is None (then
    torch's global generator draws, as `set_random_seed` seeds it)."""
    if seed is None:
        return None
    gen = generators.get(device)
    if gen is None:
        gen = generators[device] = torch.Generator(device=device)
        gen.manual_seed(seed)
    return gen
