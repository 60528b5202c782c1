"""From what the user passes to fit/evaluate/predict to batches of tensors on the model's device.

Data may be numpy arrays, torch tensors, lists or dicts of them (several inputs or outputs), a
torch `Dataset` or `DataLoader`, or a Python generator/iterator of batches. In-memory arrays
become tensors once, on the model's device; a batch is then a slice of a permutation of them.

Inside the loop everything is flat: `xs`, `ys` and `sws` are lists with one tensor (or None)
per model input / output, in the model's order. `ModelSpec` knows how to build the forward
call from `xs` and how to flatten what forward returns.

By job: `spec.py` (the model side: `ModelSpec`), `arrays.py` (in-memory data: `ArraySource`,
`Shard`, tensors on the device), `streams.py` (Datasets, DataLoaders, PyDatasets and
generators, converted batch by batch), `source.py` (`make_source`, which picks one),
`epochs.py` (`EpochIterator`: epochs of batches, and closing them), `split.py`
(`validation_split`).
"""

from plait.training.data.arrays import (
    ArraySource,
    Shard,
    array_inputs,
    array_targets,
    check_sample_counts,
    is_array_like,
    named_tensors,
    to_tensor,
)
from plait.training.data.epochs import EpochIterator, closing
from plait.training.data.source import make_source
from plait.training.data.spec import (
    ModelSpec,
    is_list_of_scalars,
    module_device,
    module_float_dtype,
)
from plait.training.data.split import split_for_validation
from plait.training.data.streams import GeneratorSource, LoaderSource, unpack_batch

__all__ = [
    "ModelSpec",
    "Shard",
    "ArraySource",
    "LoaderSource",
    "GeneratorSource",
    "EpochIterator",
    "make_source",
    "closing",
    "is_array_like",
    "split_for_validation",
    "unpack_batch",
    "module_device",
    "module_float_dtype",
    "to_tensor",
    "check_sample_counts",
    "array_inputs",
    "array_targets",
    "named_tensors",
    "is_list_of_scalars",
]
