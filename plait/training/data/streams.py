"""Data that arrives batch by batch: a torch Dataset or DataLoader, a PyDataset, a generator.

Each item is converted on arrival (`BatchConverter`) into flat tensors on the model's device.
"""

import numpy as np
import torch

from plait.training import prefetch as prefetch_lib
from plait.training.data.arrays import check_sample_counts, named_tensors, to_tensor, weights_once
from plait.utils.py_dataset import PyDataset, epoch_batches

__all__ = [
    "LoaderSource",
    "GeneratorSource",
    "BatchConverter",
    "stream_source",
    "unpack_batch",
    "close_stream",
]


class LoaderSource:
    """A torch `DataLoader` (or an iterable that can be iterated again) of batches.

    `sampler`: a `DistributedSampler` fit made for a Dataset; each pass gets its epoch
    number, so that each pass shuffles anew."""

    reiterable = True

    def __init__(self, loader, convert, sampler=None):
        self.loader = loader
        self.convert = convert
        self.sampler = sampler
        self.sharded = sampler is not None
        self.passes = 0
        try:
            self.steps = len(loader)
        except TypeError:
            self.steps = None

    def __iter__(self):
        if self.sampler is not None:
            self.sampler.set_epoch(self.passes)
        self.passes += 1
        return _Stream(iter(self.loader), self.convert)

    def close(self):
        """Nothing runs in the background for a loader between passes."""


class GeneratorSource:
    """A Python generator or iterator of batches: one pass, shared by all epochs.

    With `prefetch` (a depth; None: `prefetch.DEFAULT_DEPTH`; 0: off) a background
    thread reads the batches ahead (`plait.training.prefetch`); `close()` stops it."""

    reiterable = False

    def __init__(self, iterator, convert, prefetch=None):
        self.iterator = iter(iterator)
        self.convert = convert
        self.steps = None
        self.prefetch = prefetch_lib.DEFAULT_DEPTH if prefetch is None else prefetch
        self._prefetcher = None

    def __iter__(self):
        if not self.prefetch:
            return _Stream(self.iterator, self.convert, owns=False)
        if self._prefetcher is None:
            self._prefetcher = prefetch_lib.Prefetcher(self.iterator, self.prefetch)
        return _Stream(self._prefetcher, self.convert, owns=False)  # closed by close()

    def close(self):
        """Stop the prefetch thread (the batches it read ahead are dropped)."""
        if self._prefetcher is not None:
            self._prefetcher.close()


class _Stream:
    """`convert(item)` for each item of `items`. `close()` closes `items` when the stream
    `owns` them (a generator the source made: its `finally` runs, so a PyDataset's
    read-ahead pool shuts down); a user's own generator is never closed."""

    def __init__(self, items, convert, owns=True):
        self.items = items
        self.convert = convert
        self.owns = owns

    def __iter__(self):
        return self

    def __next__(self):
        return self.convert(next(self.items))

    def close(self):
        if self.owns:
            close_stream(self.items)


def unpack_batch(item):
    """A batch from a loader or generator as (x, y, sample_weight), Keras's convention:
    a tuple or list of 1 to 3 entries, or x alone."""
    if isinstance(item, (tuple, list)):
        if len(item) == 1:
            return item[0], None, None
        if len(item) == 2:
            return item[0], item[1], None
        if len(item) == 3:
            return item[0], item[1], item[2]
        raise ValueError(
            "A batch from a dataset or generator must be `x`, `(x,)`, `(x, y)` or "
            "`(x, y, sample_weight)`; put several inputs in a list or dict inside x. "
            f"Received: a batch of {len(item)} entries"
        )
    return item, None, None


def _is_loader(x):
    return isinstance(x, torch.utils.data.DataLoader)


def _is_dataset(x):
    return isinstance(x, torch.utils.data.Dataset)


def _is_iterator_like(x):
    return hasattr(x, "__next__") or (
        hasattr(x, "__iter__")
        and not isinstance(x, (list, tuple, dict, str, np.ndarray, torch.Tensor))
    )


def stream_source(
    spec,
    x,
    y=None,
    sample_weight=None,
    batch_size=None,
    shuffle=False,
    convert=None,
    argument="x",
    shard=None,
):
    """The source for data that is not in memory: a PyDataset, a torch Dataset or
    DataLoader, or a generator/iterator of batches, each item turned into flat tensors by
    `convert` (a `BatchConverter`). A Dataset is batched by a DataLoader (a
    `DistributedSampler`, or every `world_size`-th sample, with a `Shard`); a DataLoader or
    generator is used as given. Returns a LoaderSource or GeneratorSource.
    """
    if isinstance(x, PyDataset):  # batches by index; fit(shuffle=True) shuffles their order
        x = epoch_batches(x, shuffle=shuffle)
    if not (_is_loader(x) or _is_dataset(x) or _is_iterator_like(x)):
        raise TypeError(
            f"Unsupported data type for `{argument}`: {type(x).__name__}. Expected numpy arrays, "
            f"torch tensors, a list or dict of them, a torch Dataset or DataLoader, or a "
            f"generator of batches. Received: {argument} of type {type(x).__name__}"
        )
    for name, value in (("y", y), ("sample_weight", sample_weight)):
        if value is not None:
            raise ValueError(
                f"`{name}` must be None when `{argument}` is a {type(x).__name__}: the "
                f"dataset yields (x, y) or (x, y, sample_weight) tuples itself. "
                f"Received: {name} of type {type(value).__name__}"
            )
    sampler = None
    if _is_dataset(x) and not _is_loader(x):
        x, sampler = _dataset_loader(x, batch_size, shuffle, shard)
    if _is_loader(x) or (hasattr(x, "__iter__") and not hasattr(x, "__next__")):
        return LoaderSource(x, convert, sampler)
    return GeneratorSource(x, convert)


def _dataset_loader(dataset, batch_size, shuffle, shard):
    """A DataLoader over a torch Dataset, and the sampler that shards it (None without a
    `Shard`): an evaluation shard takes each sample once, a training shard shuffles with
    a seed shared by all the processes."""
    iterable = isinstance(dataset, torch.utils.data.IterableDataset)
    sampler = None
    if shard is not None and not iterable and not shard.pad:
        sampler = range(shard.rank, len(dataset), shard.world_size)
    elif shard is not None and not iterable:
        sampler = torch.utils.data.DistributedSampler(
            dataset,
            num_replicas=shard.world_size,
            rank=shard.rank,
            shuffle=bool(shuffle),
            seed=shard.next_seed() if shuffle else 0,
        )
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size or 32,
        sampler=sampler,
        shuffle=bool(shuffle) and not iterable and sampler is None,
    )
    return loader, sampler


class BatchConverter:
    """Turns one loader/generator item into flat tensors on the device."""

    def __init__(
        self,
        spec,
        class_weight_fn,
        with_targets,
        argument,
        prepare,
        check_targets,
        check_labels=None,
    ):
        self.spec = spec
        self.class_weight_fn = class_weight_fn
        self.with_targets = with_targets
        self.argument = argument
        self.first = True
        self.prepare = prepare
        self.check_targets = check_targets
        self.check_labels = check_labels

    def __call__(self, item):
        spec = self.spec
        x, y, sw = unpack_batch(item)
        xs = [
            to_tensor(v, spec.device, spec.float_dtype, self.argument)
            for v in spec.flatten_x(x, self.argument)
        ]
        xs = spec.cast_to_input_dtypes(spec.expand_1d(xs))
        # every batch: a later batch of another shape would fail deep inside a layer
        spec.check_input_shapes(xs, self.argument)
        if self.first and self.prepare is not None:
            self.prepare(xs)
        if not self.with_targets:
            self.first = False
            return xs, [], []
        targets = spec.flatten_y(y)
        if self.check_labels is not None:
            self.check_labels(targets)
        ys = [to_tensor(v, spec.device, spec.float_dtype, "y") for v in targets]
        sws = weights_once(spec, spec.flatten_sample_weight(sw))
        check_sample_counts(named_tensors(spec, xs, ys, sws))
        if self.first and self.check_targets is not None:
            self.check_targets(ys)
        self.first = False
        if self.class_weight_fn is not None:
            sws = self.class_weight_fn(ys, sws)
        return xs, ys, sws


def close_stream(stream):
    """`stream.close()` where it has one (a generator, a `_Stream`, a source)."""
    close = getattr(stream, "close", None)
    if close is not None:
        close()
