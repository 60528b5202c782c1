"""`PyDataset` (Keras 2's `Sequence`): a dataset of batches indexed by number.

`fit`, `evaluate` and `predict` take one as `x`. Each epoch they call `on_epoch_begin()`,
read the batches `dataset[0] .. dataset[len - 1]` (in a shuffled order when `fit` shuffles,
as Keras 3 does), and call `on_epoch_end()` after the last. With `workers > 1` batches are
read ahead by a thread pool (or, with `use_multiprocessing=True`, a process pool), at most
`max_queue_size` batches ahead, and still come out in order.
"""

import concurrent.futures
import itertools
import multiprocessing
import random
import warnings
from collections import deque

__all__ = ["PyDataset", "Sequence", "epoch_batches"]


class PyDataset:
    """Base class for datasets of batches that Python code computes.

    Subclasses implement `__len__` (the number of batches; or the `num_batches` property,
    which may return None for an endless dataset) and `__getitem__(index)`, which returns a
    batch: `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`, each a numpy array or tensor
    (or a list/dict of them for several inputs). They may override `on_epoch_begin()` and
    `on_epoch_end()` (to reshuffle, say).

    Args:
        workers: how many threads (or processes) read batches ahead. Default 1: batches
            are read in the training loop's thread, one at a time.
        use_multiprocessing: read batches in processes instead of threads (the dataset is
            copied into each worker, so `on_epoch_end` changes made in the main process
            reach the workers only through a new epoch). Default False.
        max_queue_size: how many batches may be read ahead. Default 10.

    Example:
        >>> import math
        >>> import numpy as np
        >>> class Squares(PyDataset):
        ...     def __init__(self, x, y, batch_size, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.x, self.y, self.batch_size = x, y, batch_size
        ...     def __len__(self):
        ...         return math.ceil(len(self.x) / self.batch_size)
        ...     def __getitem__(self, idx):
        ...         low = idx * self.batch_size
        ...         return self.x[low:low + self.batch_size], self.y[low:low + self.batch_size]
        >>> x = np.arange(10, dtype="float32").reshape(10, 1)
        >>> data = Squares(x, x**2, batch_size=4)
        >>> len(data), data[2][1].tolist()
        (3, [[64.0], [81.0]])
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        for name, value in (("workers", workers), ("max_queue_size", max_queue_size)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(
                    f"PyDataset: `{name}` must be a non-negative integer. "
                    f"Received: {name}={value!r}"
                )
        self._workers = workers
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = max_queue_size

    def _warn_if_super_not_called(self):
        if not hasattr(self, "_workers"):
            self._workers, self._use_multiprocessing, self._max_queue_size = 1, False, 10
            warnings.warn(
                f"Your `PyDataset` class {type(self).__name__} should call "
                "`super().__init__(**kwargs)` in its constructor. `**kwargs` can include "
                "`workers`, `use_multiprocessing`, `max_queue_size`. Do not pass these "
                "arguments to `fit()`, as they will be ignored.",
                stacklevel=3,
            )

    @property
    def workers(self):
        self._warn_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        self._warn_if_super_not_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        self._warn_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        """The batch at position `index`."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__getitem__(self, index)`, returning "
            "the batch at `index`."
        )

    @property
    def num_batches(self):
        """The number of batches, or None for an endless dataset (default: `len(self)`)."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__len__` or the `num_batches` "
            "property (None for an endless dataset)."
        )

    def __iter__(self):
        count = self.num_batches
        for index in range(count) if count is not None else itertools.count():
            yield self[index]

    def on_epoch_begin(self):
        """Called at the start of every epoch."""

    def on_epoch_end(self):
        """Called at the end of every epoch."""


Sequence = PyDataset  # Keras 2's name; Keras 3 exports the same class under both


class epoch_batches:
    """The batches of a PyDataset as a re-iterable source: one pass is one epoch.

    Args:
        dataset: a `PyDataset`.
        shuffle: read the batches in a new random order each epoch (only for a dataset of
            known length; `fit(shuffle=True)` asks for it, as in Keras 3).
    """

    def __init__(self, dataset, shuffle=False):
        self.dataset = dataset
        self.shuffle = bool(shuffle)
        self.count = dataset.num_batches
        if self.count is None and shuffle:
            warnings.warn(
                "`shuffle=True` was passed, but will be ignored since the data `x` was "
                "provided as an endless PyDataset (num_batches is None). The PyDataset is "
                "expected to shuffle its batches itself.",
                stacklevel=4,
            )
            self.shuffle = False

    def __len__(self):
        if self.count is None:
            raise TypeError("an endless PyDataset has no length")
        return self.count

    def __iter__(self):
        self.dataset.on_epoch_begin()
        if self.count is None:
            order = itertools.count()
        else:
            order = list(range(self.count))
            if self.shuffle:
                random.shuffle(order)
        workers = self.dataset.workers
        if workers > 1 or (workers > 0 and self.dataset.use_multiprocessing):
            yield from _read_ahead(self.dataset, order, workers)
        else:
            for index in order:
                yield _check_batch(_load(self.dataset.__getitem__, index), index)
        self.dataset.on_epoch_end()


def _check_batch(batch, index):
    if isinstance(batch, tuple) and len(batch) not in (1, 2, 3):
        raise ValueError(
            "PyDataset.__getitem__() must return a batch: `x`, `(x,)`, `(x, y)` or "
            f"`(x, y, sample_weight)`. Received: a tuple of {len(batch)} entries at "
            f"index {index}"
        )
    return batch


def _load(read, index):
    """`read(index)`, the batch at `index`; an error it raises gets a note naming that
    index (the exception itself is re-raised unchanged)."""
    try:
        return read(index)
    except Exception as error:
        _note(error, index)
        raise


def _note(error, index):
    error.add_note(f"Raised while loading batch {index} of the PyDataset.")


_WORKER_DATASET = None


def _set_worker_dataset(dataset):
    global _WORKER_DATASET
    _WORKER_DATASET = dataset


def _get_in_worker(index):
    return _WORKER_DATASET[index]


def _read_ahead(dataset, order, workers):
    """Yield `dataset[i]` for i in `order`, read by a pool up to `max_queue_size` ahead."""
    ahead = max(1, dataset.max_queue_size)
    if dataset.use_multiprocessing:
        pool = concurrent.futures.ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context(),
            initializer=_set_worker_dataset,
            initargs=(dataset,),
        )
        fetch = _get_in_worker
    else:
        pool = concurrent.futures.ThreadPoolExecutor(workers)
        fetch = dataset.__getitem__
    pending = deque()
    order = iter(order)
    try:
        for index in itertools.islice(order, ahead):
            pending.append((index, pool.submit(fetch, index)))
        while pending:
            index, future = pending.popleft()
            try:
                batch = future.result()
            except Exception as error:
                _note(error, index)
                raise
            for nxt in itertools.islice(order, 1):
                pending.append((nxt, pool.submit(fetch, nxt)))
            yield _check_batch(batch, index)
    finally:
        for _, future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
