"""In-memory data (numpy arrays, tensors, lists and dicts of them) as batches.

The arrays become tensors once, on the model's device; a batch is then a slice of a
permutation of them (`ArraySource`), split among processes in a data-parallel fit (`Shard`).
"""

import math

import numpy as np
import torch

from plait.training.data.spec import is_list_of_scalars
from plait.utils.string_array import StringArray, is_string_data

__all__ = [
    "Shard",
    "ArraySource",
    "array_source",
    "array_inputs",
    "array_targets",
    "is_array_like",
    "to_tensor",
    "check_sample_counts",
    "named_tensors",
    "weights_once",
]


def is_array_like(value):
    """True for numpy arrays, torch tensors and lists/dicts of them (in-memory data)."""
    if value is None:
        return True
    if isinstance(value, (np.ndarray, torch.Tensor, np.number)):
        return True
    if isinstance(value, dict):
        return all(is_array_like(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return is_list_of_scalars(value) or all(is_array_like(v) for v in value)
    return hasattr(value, "__array__")


def to_tensor(value, device, float_dtype, argument="x"):
    """A numpy array, list or tensor as a tensor on `device`; floating data in `float_dtype`.

    The dtype is changed before the copy, so float64 data crosses to the GPU as float32.
    """
    if value is None:
        return None
    if not isinstance(value, torch.Tensor):
        if argument not in ("y", "sample_weight") and is_string_data(value):
            # text input stays on the host for the string layers (StringLookup, ...)
            return StringArray(value)
        array = np.asarray(value)
        if array.dtype.kind not in "biufc":
            raise TypeError(
                f"`{argument}` could not be turned into a numeric array (it holds "
                f"{'Python objects' if array.dtype == object else array.dtype.name + ' values'})"
                f". Pass numbers in a numpy array or a torch tensor (encode labels as integers)."
                f" "
                f"Received: {argument} of type {type(value).__name__}"
            )
        if array.dtype.kind == "f" and float_dtype == torch.float32:
            array = array.astype(np.float32, copy=False)
        if not array.flags.writeable or any(s < 0 for s in array.strides):
            array = np.array(array)
        value = torch.from_numpy(array)
    if value.is_floating_point() and value.dtype != float_dtype:
        value = value.to(dtype=float_dtype)
    return value.to(device=device, non_blocking=True)


def _num_samples(tensors):
    return next(t.shape[0] for t in tensors if t is not None)


def check_sample_counts(named):
    """Every array must hold the same number of samples; raise naming them otherwise."""
    counts = {name: t.shape[0] for name, t in named if t is not None}
    if len(set(counts.values())) > 1:
        listing = ", ".join(f"{name}: {count}" for name, count in counts.items())
        raise ValueError(
            f"All arrays must hold the same number of samples (the first dimension), but "
            f"they differ: {listing}. Make x, y and sample_weight line up sample by sample. "
            f"Received: {listing}"
        )


# ---------------------------------------------------------------------------- sources


class Shard:
    """This process's part of the data in a data-parallel fit: process `rank` of
    `world_size`; `next_seed()` returns a seed shared by all the processes (a collective:
    every process calls it at the same point). `pad`: training shards repeat samples so
    that every process runs the same number of steps; evaluation shards (no collective per
    step) take each sample exactly once."""

    def __init__(self, rank, world_size, next_seed, pad=True):
        self.rank = rank
        self.world_size = world_size
        self.next_seed = next_seed
        self.pad = pad

    def per_process(self, num_samples):
        return math.ceil(num_samples / self.world_size)


class ArraySource:
    """In-memory tensors (already on the device) cut into batches.

    Each pass draws a fresh permutation when `shuffle` is True ("batch" shuffles the order
    of whole batches); a batch is `tensor[indices]`, so no per-sample Python work runs.

    With a `Shard`, every process draws the same permutation (from a shared seed), pads it
    by repeating its first samples to a multiple of the number of processes, and takes every
    `world_size`-th sample from its rank on: all processes run the same number of steps, and
    their step-`k` batches together are the step-`k` batch of `batch_size * world_size`
    samples a single process would take from that permutation.
    """

    reiterable = True

    def __init__(self, xs, ys, sws, batch_size, shuffle=False, shard=None):
        self.xs, self.ys, self.sws = xs, ys, sws
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.shard = shard
        self.num_samples = _num_samples(xs + ys)
        per_process = self.num_samples if shard is None else shard.per_process(self.num_samples)
        self.steps = max(1, math.ceil(per_process / batch_size))

    def __iter__(self):
        if self.shard is not None:
            yield from self._sharded()
            return
        n, size = self.num_samples, self.batch_size
        order = None
        if self.shuffle == "batch":
            batch_order = torch.randperm(self.steps).tolist()
        else:
            batch_order = range(self.steps)
            if self.shuffle:
                device = _num_samples_device(self.xs + self.ys)
                order = torch.randperm(n).to(device, non_blocking=True)
        xs, ys, sws = self.xs, self.ys, self.sws
        for b in batch_order:
            start, stop = b * size, min(n, (b + 1) * size)
            if order is None:
                yield (
                    _slice_all(xs, start, stop),
                    _slice_all(ys, start, stop),
                    _slice_all(sws, start, stop),
                )
            else:
                index = order[start:stop]
                yield _take_all(xs, index), _take_all(ys, index), _take_all(sws, index)

    def _sharded(self):
        n, size, shard = self.num_samples, self.batch_size, self.shard
        generator = None
        if self.shuffle:
            generator = torch.Generator().manual_seed(shard.next_seed())
        order = torch.randperm(n, generator=generator) if self.shuffle is True else torch.arange(n)
        padded = shard.per_process(n) * shard.world_size
        if padded > n and shard.pad:
            order = order.repeat(math.ceil(padded / n))[:padded]
        device = _num_samples_device(self.xs + self.ys)
        local = order[shard.rank :: shard.world_size].to(device, non_blocking=True)
        steps = math.ceil(local.shape[0] / size)
        batch_order = (
            torch.randperm(steps, generator=generator).tolist()
            if self.shuffle == "batch"
            else range(steps)
        )
        for b in batch_order:
            index = local[b * size : (b + 1) * size]
            yield tuple(_take_all(group, index) for group in (self.xs, self.ys, self.sws))


def _num_samples_device(tensors):
    return next(t.device for t in tensors if t is not None)


def _slice_all(tensors, start, stop):
    if not tensors:
        return []
    return [None if t is None else t[start:stop] for t in tensors]


def _take_all(tensors, index):
    return [None if t is None else t.index_select(0, index) for t in tensors]


def array_source(
    spec,
    x,
    y,
    sample_weight,
    batch_size,
    shuffle,
    class_weight_fn,
    with_targets,
    argument,
    prepare,
    check_targets,
    shard=None,
):
    xs = array_inputs(spec, x, argument)
    if prepare is not None:
        prepare(xs)
    ys, sws = array_targets(spec, y, sample_weight) if with_targets else ([], [])
    check_sample_counts(named_tensors(spec, xs, ys, sws))
    if with_targets and check_targets is not None:
        check_targets(ys)
    if _num_samples(xs + ys) == 0:
        raise ValueError(
            f"`{argument}` holds no samples (its first dimension is 0). Pass at least one "
            f"sample. Received: {argument} with shape {tuple(xs[0].shape)}"
        )
    if class_weight_fn is not None:
        sws = class_weight_fn(ys, sws)
    return ArraySource(xs, ys, sws, batch_size or 32, shuffle, shard)


def array_inputs(spec, x, argument="x"):
    xs = [
        to_tensor(v, spec.device, spec.float_dtype, argument) for v in spec.flatten_x(x, argument)
    ]
    xs = spec.cast_to_input_dtypes(spec.expand_1d(xs))
    spec.check_input_shapes(xs, argument)
    return xs


def array_targets(spec, y, sample_weight):
    ys = [to_tensor(v, spec.device, spec.float_dtype, "y") for v in spec.flatten_y(y)]
    return ys, weights_once(spec, spec.flatten_sample_weight(sample_weight))


def weights_once(spec, weights):
    """One sample_weight array shared by every output becomes one tensor, not several."""
    done = {}
    for w in weights:
        if id(w) not in done:
            done[id(w)] = to_tensor(w, spec.device, spec.float_dtype, "sample_weight")
    return [done[id(w)] for w in weights]


def named_tensors(spec, xs, ys, sws):
    names = []
    for i, t in enumerate(xs):
        names.append((f"x[{spec.input_label(i)}]" if len(xs) > 1 else "x", t))
    outs = spec.output_names or []
    for i, t in enumerate(ys):
        names.append((f"y['{outs[i]}']" if len(ys) > 1 else "y", t))
    seen = set()
    for i, t in enumerate(sws):
        if t is not None and id(t) not in seen:
            seen.add(id(t))
            names.append((f"sample_weight['{outs[i]}']" if len(sws) > 1 else "sample_weight", t))
    return names


# ---------------------------------------------------------------------------- validation split
