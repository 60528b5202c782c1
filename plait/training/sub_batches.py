"""predict's forward in sub-batches, on a CPU, for models whose outputs are per sample.

A convolutional model's early activations are large: the tutorial CNN's first Conv2D makes
476 KB per sample, 122 MB at predict's batch of 256. On a CPU a tensor that size is memory
fresh from the system each batch (page faults) and never in cache, so the first layers run
at memory speed. Run on slices of a few MB each, the same model predicts 3-4x faster
(bench/ANALYSIS.md has the measurements), with the same outputs: in inference every
built-in layer computes each sample on its own.

Only models whose graph says so are split (`plait/models/per_sample.py` reads it when the
graph is made): plait's own functional or Sequential models of plait's built-in layers.
Everything else runs whole batches, as before.

Whether slices pay depends on the C allocator's state, not only on the model: once glibc
keeps large blocks in its heap (its thresholds rise with the sizes freed so far, or are
set by `MALLOC_MMAP_THRESHOLD_`), a whole batch no longer faults its memory in and runs a
few percent faster than slices. So the first full batches of a model's predict alternate
between the two, timed (`SliceChoice`), and the faster is kept for that model and batch
size from then on.
"""

import time
import weakref

import torch

__all__ = [
    "SUB_BATCH_BYTES",
    "MIN_ROWS",
    "SliceChoice",
    "slice_choice",
    "sub_batch_rows",
    "in_sub_batches",
    "concat_outputs",
]

SUB_BATCH_BYTES = 8 * 2**20  # the largest activation of one slice, about the size of a cache
MIN_ROWS = 4  # fewer rows per slice and the weights' reads start to cost more than they save


def sub_batch_rows(module: torch.nn.Module, device: torch.device) -> int | None:
    """The rows per slice for `module`'s predict on `device`, or None to run whole batches."""
    if device.type != "cpu":
        return None
    largest = getattr(module, "_sample_bytes", None)  # models/per_sample.py, with the graph
    if not largest:
        return None
    return max(MIN_ROWS, SUB_BATCH_BYTES // largest)


class SliceChoice:
    """Slices or whole batches for one model and batch size: the first `TRIALS` full
    batches alternate (slices first), timed; then the faster kind, by each kind's best
    time, runs every batch."""

    TRIALS = 4

    def __init__(self) -> None:
        self.times: dict[bool, list[float]] = {True: [], False: []}
        self.sliced: bool | None = None  # None while the trials run

    def next_kind(self) -> bool:
        """Whether the next trial runs in slices."""
        return len(self.times[True]) <= len(self.times[False])

    def record(self, sliced: bool, seconds: float) -> None:
        """One trial's time; after the last, the choice."""
        self.times[sliced].append(seconds)
        if sum(map(len, self.times.values())) >= self.TRIALS:
            self.sliced = min(self.times[True]) < min(self.times[False])


_choices: "weakref.WeakKeyDictionary[torch.nn.Module, dict]" = weakref.WeakKeyDictionary()


def slice_choice(module: torch.nn.Module, rows: int, batch_size: int | None) -> SliceChoice:
    """The `SliceChoice` of `module`'s predict at `batch_size`, kept across calls."""
    per_module = _choices.setdefault(module, {})
    return per_module.setdefault((rows, batch_size), SliceChoice())


def in_sub_batches(forward, rows: int, choice: SliceChoice | None = None):
    """`forward(xs)` run on slices of the flat inputs `xs`, the outputs joined. The slices
    are as even as `rows` allows (256 rows at 17 a slice: 16 of 16), the last one shorter
    when they cannot all be equal. A batch of fewer than twice `rows` rows runs whole, and
    so does every batch once `choice` found whole batches faster."""

    def sliced(xs, total):
        size = -(-total // -(-total // rows))  # ceil(total / the fewest slices)
        return concat_outputs(
            [forward([x[start : start + size] for x in xs]) for start in range(0, total, size)]
        )

    def run(xs):
        total = _rows_of(xs[0]) if xs else None
        if total is None or total < 2 * rows or not all(_rows_of(x) == total for x in xs):
            return forward(xs)
        if choice is None or choice.sliced is not None:
            return sliced(xs, total) if choice is None or choice.sliced else forward(xs)
        kind = choice.next_kind()
        start = time.perf_counter()
        out = sliced(xs, total) if kind else forward(xs)
        choice.record(kind, (time.perf_counter() - start) / total)
        return out

    return run


def concat_outputs(outputs):
    """The outputs of several batches (tensors, or lists, tuples or dicts of them, nested)
    joined along the batch axis, in the same structure."""
    first = outputs[0]
    if isinstance(first, dict):
        return {key: concat_outputs([out[key] for out in outputs]) for key in first}
    if isinstance(first, (list, tuple)):
        return type(first)(concat_outputs(list(parts)) for parts in zip(*outputs))
    return torch.cat(outputs)


def _rows_of(x):
    """The rows of a dense tensor (sparse and nested ones are not sliced), else None."""
    dense = isinstance(x, torch.Tensor) and x.layout == torch.strided and not x.is_nested
    return x.shape[0] if dense and x.dim() else None
