"""From what the user passes to fit/evaluate/predict to batches of tensors on the model's device.

Data may be numpy arrays, torch tensors, lists or dicts of them (several inputs or outputs), a
torch `Dataset` or `DataLoader`, or a Python generator/iterator of batches. In-memory arrays
become tensors once, on the model's device; a batch is then a slice of a permutation of them.

Inside the loop everything is flat: `xs`, `ys` and `sws` are lists with one tensor (or None)
per model input / output, in the model's order. `ModelSpec` knows how to build the forward
call from `xs` and how to flatten what forward returns.
"""

import contextlib
import difflib
import itertools
import math
import warnings

import numpy as np
import torch

from plait.training import prefetch as prefetch_lib
from plait.utils.py_dataset import PyDataset, epoch_batches
from plait.utils.string_array import StringArray, is_string_data

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
]


# ---------------------------------------------------------------------------- the model side


def module_device(module):
    """The device of the module's first parameter or buffer (CPU when it has none)."""
    for tensor in itertools.chain(module.parameters(), module.buffers()):
        return tensor.device
    return torch.device("cpu")


def module_float_dtype(module):
    """The dtype floating data is cast to: the module's first floating parameter's dtype."""
    for tensor in itertools.chain(module.parameters(), module.buffers()):
        if tensor.is_floating_point():
            return tensor.dtype
    return torch.get_default_dtype()


def _format_shape(shape):
    return (
        "("
        + ", ".join("None" if d is None else str(d) for d in shape)
        + ("," if len(shape) == 1 else "")
        + ")"
    )


def _did_you_mean(name, known):
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1)
    return f" Did you mean '{close[0]}'?" if close else ""


class ModelSpec:
    """What the training loop needs to know about a module, read once per call.

    A plait Model says how it wants its inputs through the optional attributes
    `input_names`, `output_names`, `_input_structure`, `_output_structure`
    ("single" | "list" | "dict") and `_input_shapes` (tuples with None). A plain
    `nn.Module` has none of them; it is called `module(x)` for one tensor, `module(*x)` for
    a list or tuple and `module(**x)` for a dict, and its output names are learned from what
    forward returns (`output_1`, `output_2`, ... or the keys of a returned dict).
    """

    def __init__(self, module):
        self.module = module
        self.input_names = _names_or_none(getattr(module, "input_names", None))
        self.input_structure = getattr(module, "_input_structure", None)
        self.output_names = _names_or_none(getattr(module, "output_names", None))
        self.output_structure = getattr(module, "_output_structure", None)
        self.input_shapes = getattr(module, "_input_shapes", None)
        self.input_dtypes = getattr(module, "_input_dtypes", None)
        self.device = module_device(module)
        self.float_dtype = module_float_dtype(module)
        # How a plain module is called, learned from the data: "single", "args" or "kwargs".
        self.call_kind = None
        self.call_keys = None
        self.keras_call = bool(getattr(module, "_keras_call_convention", False))

    @property
    def structured(self):
        return self.input_structure is not None

    # -- inputs --------------------------------------------------------------------------

    def flatten_x(self, x, argument="x"):
        """`x` as a list with one entry per model input, checked against the model's inputs."""
        if self.structured:
            return self._flatten_structured_x(x, argument)
        return self._flatten_plain_x(x)

    def _flatten_structured_x(self, x, argument):
        names = self.input_names or [f"input_{i + 1}" for i in range(self._num_inputs())]
        if isinstance(x, dict):
            unknown = [k for k in x if k not in names]
            if unknown:
                raise ValueError(
                    f"`{argument}` has keys that name no input of the model: {unknown}."
                    f"{_did_you_mean(unknown[0], names)} The model's inputs are {names}. "
                    f"Received: {argument} with keys {list(x)}"
                )
            missing = [n for n in names if n not in x]
            if missing:
                raise ValueError(
                    f"`{argument}` gives no data for the model input(s) {missing}. The model's "
                    f"inputs are {names}; pass a dict with all of them. "
                    f"Received: {argument} with keys {list(x)}"
                )
            return [x[n] for n in names]
        if isinstance(x, (list, tuple)) and not _is_list_of_scalars(x):
            if len(x) != len(names):
                raise ValueError(
                    f"The model expects {len(names)} input(s) {names}, but `{argument}` is a "
                    f"{type(x).__name__} of {len(x)} arrays. Pass one array per input, in this "
                    f"order, or a dict keyed by input name. Received: {argument} with "
                    f"{len(x)} entries"
                )
            return list(x)
        if len(names) != 1:
            raise ValueError(
                f"The model expects {len(names)} inputs {names}, but `{argument}` is a single "
                f"array. Pass a list with one array per input, or a dict keyed by input name. "
                f"Received: {argument} of type {type(x).__name__}"
            )
        return [x]

    def _num_inputs(self):
        if self.input_shapes is not None:
            return len(self.input_shapes)
        return 1 if self.input_structure == "single" else 0

    def _flatten_plain_x(self, x):
        if isinstance(x, dict):
            kind, keys, flat = "kwargs", list(x), list(x.values())
        elif isinstance(x, (list, tuple)) and not _is_list_of_scalars(x):
            kind, keys, flat = "args", None, list(x)
        else:
            kind, keys, flat = "single", None, [x]
        if self.call_kind is None:
            self.call_kind, self.call_keys = kind, keys
        return flat

    def call(self, xs):
        """Run the module on the flat inputs `xs`."""
        args, kwargs = self.call_args(xs)
        return self.module(*args, **kwargs)

    def call_args(self, xs):
        """(args, kwargs) for the forward call on the flat inputs `xs`."""
        structure = self.input_structure
        if structure == "single":
            return (xs[0],), {}
        if structure == "list":
            return (list(xs),), {}
        if structure == "dict":
            return (dict(zip(self.input_names, xs)),), {}
        if self.call_kind == "kwargs":
            if self.keras_call:  # a subclassed plait model takes the dict as one argument
                return (dict(zip(self.call_keys, xs)),), {}
            return (), dict(zip(self.call_keys, xs))
        if self.call_kind == "args":
            return ((list(xs),), {}) if self.keras_call else (tuple(xs), {})
        return (xs[0],), {}

    def input_label(self, index):
        if self.input_names:
            return f"'{self.input_names[index]}'"
        if self.call_kind == "kwargs":
            return f"'{self.call_keys[index]}'"
        return str(index)

    def check_input_shapes(self, xs, argument="x"):
        """Compare the data's shapes with `module._input_shapes`; raise naming the input."""
        if self.input_shapes is None:
            return
        for i, (data, expected) in enumerate(zip(xs, self.input_shapes)):
            if data is None or expected is None:
                continue
            shape = tuple(data.shape)
            if len(shape) == len(expected) and all(
                e is None or e == s for s, e in zip(shape[1:], expected[1:])
            ):
                continue
            raise ValueError(
                f"Input {self.input_label(i)} of the model expects data of shape "
                f"{_format_shape(expected)}, but `{argument}` gives shape "
                f"{_format_shape(shape)}. Reshape the data to match the model's input "
                f"(the first dimension is the batch). Received: {argument} with shape "
                f"{_format_shape(shape)}"
            )

    def expand_1d(self, xs):
        """Give 1-D data a trailing axis where the model expects `(None, 1)`."""
        if self.input_shapes is None:
            return xs
        out = []
        for data, expected in zip(xs, self.input_shapes):
            if (
                data is not None
                and expected is not None
                and data.dim() == 1
                and len(expected) == 2
                and expected[-1] == 1
            ):
                data = data.unsqueeze(-1)
            out.append(data)
        return out

    def cast_to_input_dtypes(self, xs):
        """Integer or boolean data for a floating input becomes floating, as Keras converts
        data to its Input's dtype (an Embedding after a float Input casts back itself)."""
        if self.input_dtypes is None:
            return xs
        out = []
        for i, (data, expected) in enumerate(zip(xs, self.input_dtypes)):
            if isinstance(data, StringArray) and expected != "string":
                raise TypeError(
                    f"Input {self.input_label(i)} of the model takes numbers "
                    f"({expected}); it was given strings. Text goes to an "
                    "Input(dtype='string') followed by a string layer (TextVectorization, "
                    f"StringLookup, Hashing). Received: {data!r:.120}"
                )
            if (
                data is not None
                and isinstance(expected, torch.dtype)
                and expected.is_floating_point
                and not data.is_floating_point()
                and not data.is_complex()
            ):
                data = data.to(dtype=self.float_dtype)
            out.append(data)
        return out

    # -- outputs -------------------------------------------------------------------------

    def flatten_outputs(self, outputs):
        """What forward returned, as a list in output order."""
        structure = self.output_structure
        if structure == "single":
            return [outputs]
        if structure == "list":
            return list(outputs)
        if structure == "dict":
            return [outputs[n] for n in self.output_names]
        if isinstance(outputs, dict):
            return list(outputs.values())
        if isinstance(outputs, (list, tuple)):
            return list(outputs)
        return [outputs]

    def learn_outputs(self, outputs):
        """For a plain module: take the output names and structure from a forward result."""
        if self.output_structure is not None and self.output_names is not None:
            return
        if isinstance(outputs, dict):
            self.output_structure, names = "dict", [str(k) for k in outputs]
        elif isinstance(outputs, (list, tuple)):
            self.output_structure = "list"
            names = [f"output_{i + 1}" for i in range(len(outputs))]
        else:
            self.output_structure, names = "single", ["output_1"]
        if self.output_names is None:
            self.output_names = names

    def pack_outputs(self, flat):
        """Predictions in the model's output structure: one array, a list or a dict."""
        structure = self.output_structure
        if structure == "dict":
            return dict(zip(self.output_names, flat))
        if structure == "list":
            return list(flat)
        return flat[0]

    # -- targets and weights -------------------------------------------------------------

    def flatten_y(self, y, argument="y"):
        """`y` as a list with one entry (or None) per model output."""
        names = self.output_names
        n = len(names)
        if y is None:
            return [None] * n
        if isinstance(y, dict):
            unknown = [k for k in y if k not in names]
            if unknown:
                raise ValueError(
                    f"`{argument}` has keys that name no output of the model: {unknown}."
                    f"{_did_you_mean(unknown[0], names)} The model's outputs are {names}. "
                    f"Received: {argument} with keys {list(y)}"
                )
            return [y.get(name) for name in names]
        if isinstance(y, (list, tuple)) and not _is_list_of_scalars(y):
            if len(y) != n:
                if n == 1:
                    return [y]
                raise ValueError(
                    f"The model has {n} outputs {names}, but `{argument}` is a "
                    f"{type(y).__name__} of {len(y)} entries. Pass one entry per output, in "
                    f"this order, or a dict keyed by output name. Received: {argument} with "
                    f"{len(y)} entries"
                )
            return list(y)
        if n != 1:
            raise ValueError(
                f"The model has {n} outputs {names}, but `{argument}` is a single array. "
                f"Pass a list with one entry per output, or a dict keyed by output name. "
                f"Received: {argument} of type {type(y).__name__}"
            )
        return [y]

    def flatten_sample_weight(self, sample_weight, argument="sample_weight"):
        """One weight array per output; a single array applies to every output."""
        n = len(self.output_names)
        if sample_weight is None:
            return [None] * n
        if isinstance(sample_weight, (dict, list, tuple)) and not _is_list_of_scalars(
            sample_weight
        ):
            return self.flatten_y(sample_weight, argument)
        return [sample_weight] * n


def _names_or_none(names):
    if names is None:
        return None
    return [str(n) for n in names]


def _is_list_of_scalars(value):
    """`[0.5, 1.0]` is one array given as a list; `[array, array]` is several arrays."""
    return (
        isinstance(value, (list, tuple))
        and len(value) > 0
        and all(isinstance(v, (int, float, bool, np.number)) for v in value)
    )


# ---------------------------------------------------------------------------- tensors


def is_array_like(value):
    """True for numpy arrays, torch tensors and lists/dicts of them (in-memory data)."""
    if value is None:
        return True
    if isinstance(value, (np.ndarray, torch.Tensor, np.number)):
        return True
    if isinstance(value, dict):
        return all(is_array_like(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return _is_list_of_scalars(value) or all(is_array_like(v) for v in value)
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


def check_sample_counts(named_tensors):
    """Every array must hold the same number of samples; raise naming them otherwise."""
    counts = {name: t.shape[0] for name, t in named_tensors if t is not None}
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
            _close(self.items)


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
                _close(self._stream)
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
        _close(stream)

    def close(self):
        """End what runs in the background for this data (a prefetch thread, a PyDataset's
        worker pool): call it when fit, evaluate or predict ends, however it ends."""
        self._close_pass()
        stream, self._stream = self._stream, None
        _close(stream)
        _close(self.source)

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


def _close(stream):
    """`stream.close()` where it has one (a generator, a `_Stream`, a source)."""
    close = getattr(stream, "close", None)
    if close is not None:
        close()


# ---------------------------------------------------------------------------- batches


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
        return _array_source(
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
    convert = _BatchConverter(
        spec, class_weight_fn, with_targets, argument, prepare, check_targets, check_labels
    )
    sampler = None
    if _is_dataset(x) and not _is_loader(x):
        iterable = isinstance(x, torch.utils.data.IterableDataset)
        if shard is not None and not iterable and not shard.pad:
            sampler = range(shard.rank, len(x), shard.world_size)
        elif shard is not None and not iterable:
            sampler = torch.utils.data.DistributedSampler(
                x,
                num_replicas=shard.world_size,
                rank=shard.rank,
                shuffle=bool(shuffle),
                seed=shard.next_seed() if shuffle else 0,
            )
        x = torch.utils.data.DataLoader(
            x,
            batch_size=batch_size or 32,
            sampler=sampler,
            shuffle=bool(shuffle) and not iterable and sampler is None,
        )
    if _is_loader(x) or (hasattr(x, "__iter__") and not hasattr(x, "__next__")):
        return LoaderSource(x, convert, sampler)
    return GeneratorSource(x, convert)


class _BatchConverter:
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
        sws = _weights_once(spec, spec.flatten_sample_weight(sw))
        check_sample_counts(_named(spec, xs, ys, sws))
        if self.first and self.check_targets is not None:
            self.check_targets(ys)
        self.first = False
        if self.class_weight_fn is not None:
            sws = self.class_weight_fn(ys, sws)
        return xs, ys, sws


def _array_source(
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
    check_sample_counts(_named(spec, xs, ys, sws))
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
    return ys, _weights_once(spec, spec.flatten_sample_weight(sample_weight))


def _weights_once(spec, weights):
    """One sample_weight array shared by every output becomes one tensor, not several."""
    done = {}
    for w in weights:
        if id(w) not in done:
            done[id(w)] = to_tensor(w, spec.device, spec.float_dtype, "sample_weight")
    return [done[id(w)] for w in weights]


def _named(spec, xs, ys, sws):
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


def split_for_validation(x, y, sample_weight, validation_split):
    """Keras's split: the last `validation_split` fraction of the samples, before shuffling.

    Works on the raw user structures (arrays, tensors, lists and dicts of them) and returns
    `(x, y, sw), (x_val, y_val, sw_val)`.
    """
    if not is_array_like(x):
        raise ValueError(
            "`validation_split` is only supported for numpy arrays and torch tensors (and "
            "lists or dicts of them); for a Dataset, DataLoader or generator pass "
            f"`validation_data=` instead. Received: x of type {type(x).__name__}"
        )
    if not 0.0 < validation_split < 1.0:
        raise ValueError(
            "`validation_split` must be a fraction between 0 and 1 (exclusive). "
            f"Received: validation_split={validation_split!r}"
        )
    leaves = [v for v in _leaves((x, y, sample_weight)) if v is not None]
    counts = {len(v) for v in leaves}
    if len(counts) > 1:
        raise ValueError(
            "All arrays must hold the same number of samples (the first dimension), but they "
            f"differ: {sorted(counts)}. Make x, y and sample_weight line up sample by sample. "
            f"Received: sample counts {sorted(counts)}"
        )
    n = counts.pop()
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"`validation_split={validation_split}` of {n} samples leaves "
            f"{'no training' if split_at == 0 else 'no validation'} samples. Use more data "
            f"or another fraction. Received: validation_split={validation_split!r}"
        )
    head = _map_leaves(lambda v: v[:split_at], (x, y, sample_weight))
    tail = _map_leaves(lambda v: v[split_at:], (x, y, sample_weight))
    return head, tail


def _leaves(structure):
    if isinstance(structure, dict):
        return [leaf for v in structure.values() for leaf in _leaves(v)]
    if isinstance(structure, (list, tuple)) and not _is_list_of_scalars(structure):
        return [leaf for v in structure for leaf in _leaves(v)]
    if isinstance(structure, (list, tuple)):
        return [np.asarray(structure)]
    return [structure]


def _map_leaves(fn, structure):
    if structure is None:
        return None
    if isinstance(structure, dict):
        return {k: _map_leaves(fn, v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)) and not _is_list_of_scalars(structure):
        return type(structure)(_map_leaves(fn, v) for v in structure)
    if isinstance(structure, (list, tuple)):
        structure = np.asarray(structure)
    return fn(structure)
