"""Whole tensors from sharded ones, and back: the bridge between FSDP2's DTensors and the
code that reads or writes a weight as one array (get_weights, set_weights, saving).

    full = gathered(parameter)          # a plain tensor, the whole weight
    assign(parameter, full)             # each process keeps its shard of `full`

Gathering is a collective: with a model sharded by `fully_shard`, every process must call
`get_weights`, `save`, `save_weights` (rank 0 writes the file) and `load_weights` alike.
"""

from typing import Any, cast

import torch

__all__ = ["assign", "gathered", "is_sharded"]


def _dtensor_type():
    try:
        from torch.distributed.tensor import DTensor
    except ImportError:  # a torch without DTensor has no sharded tensors
        return None
    return DTensor


def is_sharded(tensor) -> bool:
    """Whether `tensor` is a DTensor (a parameter sharded by FSDP2)."""
    dtensor = _dtensor_type()
    return dtensor is not None and isinstance(tensor, dtensor)


def gathered(tensor: torch.Tensor) -> torch.Tensor:
    """`tensor` itself, or for a DTensor the whole tensor gathered from its shards."""
    return cast(Any, tensor).full_tensor() if is_sharded(tensor) else tensor  # DTensor-only


def assign(target: torch.Tensor, value: torch.Tensor) -> None:
    """Copy the whole `value` into `target` (a DTensor keeps only its own shard)."""
    if is_sharded(target):
        from torch.distributed.tensor import distribute_tensor

        dtensor = cast(Any, target)  # device_mesh and placements are DTensor's
        value = distribute_tensor(value.to(target.dtype), dtensor.device_mesh, dtensor.placements)
    target.copy_(value)
