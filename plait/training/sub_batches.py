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
"""

import torch

__all__ = ["SUB_BATCH_BYTES", "MIN_ROWS", "sub_batch_rows", "in_sub_batches", "concat_outputs"]

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


def in_sub_batches(forward, rows: int):
    """`forward(xs)` run on slices of the flat inputs `xs`, the outputs joined. The slices
    are as even as `rows` allows (256 rows at 17 a slice: 16 of 16), the last one shorter
    when they cannot all be equal. A batch of fewer than twice `rows` rows runs whole."""

    def run(xs):
        total = _rows_of(xs[0]) if xs else None
        if total is None or total < 2 * rows or not all(_rows_of(x) == total for x in xs):
            return forward(xs)
        size = -(-total // -(-total // rows))  # ceil(total / the fewest slices)
        return concat_outputs(
            [forward([x[start : start + size] for x in xs]) for start in range(0, total, size)]
        )

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
