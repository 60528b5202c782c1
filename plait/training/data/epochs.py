"""The batches of one epoch after another (`EpochIterator`), and closing them when a call ends."""

import contextlib
import warnings

from plait.training.data.streams import close_stream

__all__ = ["EpochIterator", "closing"]


class EpochIterator:
    """The batches of one epoch after another.

    Without `steps_per_epoch` an epoch is one pass over the source. With it, an epoch is that
    many batches taken from a running stream: a re-iterable source starts a new pass when one
    ends, a generator that runs dry ends training with a warning (as in Keras). With
    `repeat=False` (evaluate, predict) the steps stop quietly at the end of the data.
    """

    def __init__(self, source, steps_per_epoch=None, repeat=True):
        self.source = source
        self.steps_per_epoch = steps_per_epoch
        self.repeat = repeat
        self.steps = steps_per_epoch if steps_per_epoch is not None else source.steps
        self.ran_out = False
        self._stream = None  # the running stream, with steps_per_epoch
        self._pass = None  # the pass of this epoch, without

    def epoch(self):
        """Yield (step, batch) for one epoch."""
        if self.steps_per_epoch is None:
            count = 0
            self._pass = iter(self.source)
            try:
                for count, batch in enumerate(self._pass, start=1):
                    yield count - 1, batch
            finally:
                self._close_pass()
            if count == 0 and self.repeat:
                self._warn_ran_out()
            elif self.steps is None:
                self.steps = count
            return
        step = 0
        while step < self.steps_per_epoch:
            if self._stream is None:
                self._stream = iter(self.source)
                fresh = True
            try:
                batch = next(self._stream)
            except StopIteration:
                close_stream(self._stream)
                self._stream = None
                if not self.repeat:
                    return
                if fresh or not self.source.reiterable:
                    self._warn_ran_out()
                    return
                continue
            fresh = False
            yield step, batch
            step += 1

    def _close_pass(self):
        stream, self._pass = self._pass, None
        close_stream(stream)

    def close(self):
        """End what runs in the background for this data (a prefetch thread, a PyDataset's
        worker pool): call it when fit, evaluate or predict ends, however it ends."""
        self._close_pass()
        stream, self._stream = self._stream, None
        close_stream(stream)
        close_stream(self.source)

    def _warn_ran_out(self):
        self.ran_out = True
        warnings.warn(
            "Your input ran out of data; interrupting training. Make sure that your dataset or "
            "generator can generate at least `steps_per_epoch * epochs` batches (a generator "
            "is consumed once: loop inside it, or pass a DataLoader or arrays).",
            UserWarning,
            stacklevel=4,
        )


@contextlib.contextmanager
def closing(*iterators):
    """Close every `EpochIterator` given (None entries skipped) when the block ends, however
    it ends (an early stop, an exception, a KeyboardInterrupt): no prefetch thread or worker
    pool outlives fit, evaluate or predict."""
    try:
        yield
    finally:
        for iterator in iterators:
            if iterator is not None:
                iterator.close()
