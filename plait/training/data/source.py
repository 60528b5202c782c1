"""`make_source`: the batch source for whatever the user passes as `x` (and `y`)."""

from plait.training.data.arrays import array_source, is_array_like
from plait.training.data.streams import BatchConverter, stream_source

__all__ = ["make_source"]


def make_source(
    spec,
    x,
    y=None,
    sample_weight=None,
    batch_size=None,
    shuffle=False,
    class_weight_fn=None,
    with_targets=True,
    argument="x",
    prepare=None,
    check_targets=None,
    shard=None,
    check_labels=None,
):
    """The batch source for `x` (and `y`, `sample_weight`) of any supported kind.

    `prepare(xs)` runs once on the first inputs before the targets are read (it lets the
    caller learn a plain module's outputs); `check_targets(ys)` runs once on the first
    targets. For a loader or generator, `check_labels(ys)` runs on every batch's targets
    as they come, before they move to the device (so it reads no device memory). With a
    `Shard` (data-parallel fit), arrays and Datasets are split among the processes; a
    DataLoader or generator is used as given. Returns an ArraySource,
    LoaderSource or GeneratorSource whose batches are `(xs, ys, sws)` flat lists of tensors
    on the model's device.
    """
    if x is None:
        raise ValueError(
            f"`{argument}` is required: pass the input data (arrays, tensors, a list or dict "
            f"of them, a Dataset, a DataLoader or a generator). Received: {argument}=None"
        )
    if is_array_like(x):
        return array_source(
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
            shard,
        )
    convert = BatchConverter(
        spec, class_weight_fn, with_targets, argument, prepare, check_targets, check_labels
    )
    return stream_source(spec, x, y, sample_weight, batch_size, shuffle, convert, argument, shard)
