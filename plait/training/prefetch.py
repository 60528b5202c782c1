"""Reading batches ahead: a background thread that loads while the model computes.

`fit`, `evaluate` and `predict` read a Python generator (or iterator) of batches through a
`Prefetcher`: one thread calls `next()` on it and keeps up to `depth` batches waiting in a
queue, so the generator's work (reading files, decoding, augmenting, sleeping on I/O)
overlaps the training step, as Keras 2's `fit` did with its generator enqueuer. Batches come
out in the generator's order, exactly as without prefetching.

An exception the generator raises is re-raised in the training loop's thread: the same
exception object, of the same type, with a note naming the batch it was loading. The thread
ends when the generator ends, when it raises, and when the loop closes the prefetcher (at
the end of `fit`, after an early stop, on an exception or a KeyboardInterrupt); closing
waits for the batch being loaded at that moment (at most `join_timeout` seconds).
"""

import queue
import threading
import weakref

__all__ = ["Prefetcher", "DEFAULT_DEPTH"]

DEFAULT_DEPTH = 10  # batches read ahead (Keras 2's `max_queue_size` default)
_ITEM, _END, _ERROR = 0, 1, 2
_POLL_S = 0.1  # how often a blocked thread looks whether it was told to stop


class Prefetcher:
    """An iterator over `iterable`'s items, read by a background thread up to `depth` ahead.

    Args:
        iterable: an iterator or iterable of batches (a generator, typically).
        depth: how many items may wait in the queue. Default 10.
        what: how the source is named in error notes. Default "generator".
        join_timeout: the most seconds `close()` waits for the thread. Default 30.

    Raises:
        ValueError: `depth` is not a positive integer.

    Example:
        >>> batches = Prefetcher(x * x for x in range(5))
        >>> list(batches)
        [0, 1, 4, 9, 16]
        >>> batches.thread_alive
        False
    """

    def __init__(self, iterable, depth=DEFAULT_DEPTH, what="generator", join_timeout=30.0):
        if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
            raise ValueError(
                f"Prefetcher: `depth` must be a positive integer. Received: depth={depth!r}"
            )
        self._queue = queue.Queue(depth)
        self._stop = threading.Event()
        self._done = False
        self._join_timeout = join_timeout
        # The thread holds the iterator, the queue and the event, never `self`: a prefetcher
        # nobody holds any more is collected, and its finalizer stops the thread.
        self._thread = threading.Thread(
            target=_fill,
            args=(iter(iterable), self._queue, self._stop, what),
            name="plait-prefetch",
            daemon=True,
        )
        self._thread.start()
        self._finalizer = weakref.finalize(
            self, _shutdown, self._thread, self._queue, self._stop, join_timeout
        )

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        kind, payload = self._get()
        if kind == _ITEM:
            return payload
        self.close()
        if kind == _ERROR:
            raise payload
        raise StopIteration

    def _get(self):
        while True:
            try:
                return self._queue.get(timeout=_POLL_S)
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    return _END, None  # the thread is gone (closed from elsewhere)

    @property
    def thread_alive(self):
        """Whether the reading thread is still running."""
        return self._thread.is_alive()

    def close(self):
        """Stop reading ahead, drop the batches read ahead and wait for the thread."""
        self._done = True
        self._finalizer()


def _fill(iterator, items, stop, what):
    """The thread: `next(iterator)` into `items` until the end, an error or `stop`."""
    index = 0
    while not stop.is_set():
        try:
            entry = (_ITEM, next(iterator))
        except StopIteration:
            entry = (_END, None)
        except BaseException as error:  # noqa: BLE001 - re-raised in the consumer's thread
            error.add_note(
                f"Raised while loading batch {index} (counting from 0) of the {what}, in "
                "plait's prefetch thread."
            )
            entry = (_ERROR, error)
        if not _put(items, entry, stop) or entry[0] != _ITEM:
            return
        index += 1


def _put(items, entry, stop):
    while not stop.is_set():
        try:
            items.put(entry, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False


def _shutdown(thread, items, stop, join_timeout):
    stop.set()
    while True:  # free the slot a blocked put waits for, and the batches read ahead
        try:
            items.get_nowait()
        except queue.Empty:
            break
    if thread is not threading.current_thread():
        thread.join(join_timeout)
