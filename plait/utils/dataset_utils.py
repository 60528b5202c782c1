"""Keras's dataset helpers on PyTorch: `timeseries_dataset_from_array`, `split_dataset`,
and `BatchDataset`, the iterable of batches that the `*_dataset_from_*` functions return.

A `BatchDataset` is what `fit`, `evaluate` and `predict` take as `x`: each pass over it
yields one epoch of `(inputs, targets)` batches (torch tensors), `len()` is the number of
batches, and it offers the few `tf.data` methods Keras programs call on such datasets
(`take`, `skip`, `map`, `prefetch`, `cache`, `unbatch`-free).
"""

import itertools

import numpy as np
import torch

__all__ = [
    "BatchDataset",
    "timeseries_dataset_from_array",
    "split_dataset",
    "check_validation_split_arg",
    "training_or_validation_split",
]


class BatchDataset:
    """An iterable of batches: each pass calls `make_batches()` (a new shuffle each epoch).

    Args:
        make_batches: a function returning an iterator of batches.
        num_batches: the number of batches in a pass (None: unknown).
    """

    def __init__(self, make_batches, num_batches=None):
        self._make_batches = make_batches
        self._num_batches = num_batches
        self.class_names = None
        self.file_paths = None

    def __iter__(self):
        return iter(self._make_batches())

    def __len__(self):
        if self._num_batches is None:
            raise TypeError("this dataset does not know its number of batches")
        return self._num_batches

    def cardinality(self):
        """The number of batches (-2 when unknown, as tf.data says)."""
        return -2 if self._num_batches is None else self._num_batches

    def _derived(self, make, num_batches):
        out = BatchDataset(make, num_batches)
        out.class_names, out.file_paths = self.class_names, self.file_paths
        return out

    def take(self, count):
        """The first `count` batches (all of them when `count` is -1)."""
        if count < 0:
            return self
        n = None if self._num_batches is None else min(count, self._num_batches)
        return self._derived(lambda: itertools.islice(self, count), n)

    def skip(self, count):
        """All batches but the first `count`."""
        n = None if self._num_batches is None else max(0, self._num_batches - count)
        return self._derived(lambda: itertools.islice(self, count, None), n)

    def map(self, fn, num_parallel_calls=None):
        """Apply `fn` to every batch (`fn(x, y)` for a tuple batch, else `fn(batch)`)."""
        del num_parallel_calls

        def make():
            for batch in self:
                yield fn(*batch) if isinstance(batch, tuple) else fn(batch)

        return self._derived(make, self._num_batches)

    def prefetch(self, buffer_size=None):
        """Kept for tf.data programs; batches are already made on demand."""
        return self

    def cache(self, filename=""):
        """Kept for tf.data programs (batches are read anew each pass)."""
        return self


def _as_tensor(value):
    if isinstance(value, torch.Tensor):
        return value
    array = np.asarray(value)
    if array.dtype.kind in "USO":
        return array
    return torch.from_numpy(np.ascontiguousarray(array))


def timeseries_dataset_from_array(
    data,
    targets,
    sequence_length,
    sequence_stride=1,
    sampling_rate=1,
    batch_size=128,
    shuffle=False,
    seed=None,
    start_index=None,
    end_index=None,
):
    """Windows over a time series, in batches: Keras's `timeseries_dataset_from_array`.

    Window `i` holds the time steps `start + p_i, start + p_i + sampling_rate, ...`
    (`sequence_length` of them) where `p_i = i * sequence_stride`; its target is
    `targets[start + p_i]`.

    Args:
        data: an array or tensor of shape `(steps, ...)`.
        targets: the target of each window's first step (`(steps, ...)`), or None.
        sequence_length: steps per window.
        sequence_stride: steps between the starts of two windows. Default 1.
        sampling_rate: steps between two steps of a window. Default 1.
        batch_size: windows per batch, or None for single windows. Default 128.
        shuffle: shuffle the windows (with numpy's RandomState(seed)). Default False.
        seed: the shuffle's seed. Default None: random.
        start_index, end_index: use only `data[start_index:end_index]`. Default None.

    Returns:
        A `BatchDataset` of `(windows, targets)` batches (windows alone when `targets` is
        None), windows of shape `(batch, sequence_length, ...)`, as torch tensors.

    Raises:
        ValueError: an index, rate or stride out of range (naming it and the data length).

    Example:
        >>> ds = timeseries_dataset_from_array(np.arange(10), None, sequence_length=3,
        ...                                    batch_size=2)
        >>> next(iter(ds)).tolist()
        [[0, 1, 2], [1, 2, 3]]
    """
    length = len(data)
    _check_range(start_index, end_index, length)
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0:
            raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value}")
        if value >= length:
            raise ValueError(
                f"`{name}` must be lower than the length of the data. Received: "
                f"{name}={value}, for data of length {length}"
            )
    start = start_index or 0
    end = length if end_index is None else end_index
    num_windows = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_windows = min(num_windows, len(targets))
    positions = np.arange(0, max(num_windows, 0), sequence_stride)
    if shuffle:
        np.random.RandomState(np.random.randint(1e6) if seed is None else seed).shuffle(positions)
    series = _as_tensor(data)[start:end]
    target_series = None if targets is None else _as_tensor(targets)[start:end]
    offsets = torch.arange(sequence_length) * sampling_rate
    size = len(positions) if batch_size is None else batch_size
    epoch_rng = np.random.RandomState(seed)

    def make():
        order = positions
        if shuffle and batch_size is not None:
            order = positions.copy()
            epoch_rng.shuffle(order)  # a new order each epoch, as tf.data reshuffles
        for low in range(0, len(order), max(size, 1)):
            starts = torch.from_numpy(order[low : low + size].astype("int64"))
            windows = series[starts[:, None] + offsets]
            if batch_size is None:
                for i in range(len(starts)):
                    yield (
                        windows[i]
                        if target_series is None
                        else (windows[i], target_series[starts[i]])
                    )
                return
            yield windows if target_series is None else (windows, target_series[starts])

    count = len(positions) if batch_size is None else -(-len(positions) // batch_size)
    return BatchDataset(make, count)


def _check_range(start_index, end_index, length):
    if start_index:
        if start_index < 0:
            raise ValueError(
                f"`start_index` must be 0 or greater. Received: start_index={start_index}"
            )
        if start_index >= length:
            raise ValueError(
                "`start_index` must be lower than the length of the data. Received: "
                f"start_index={start_index}, for data of length {length}"
            )
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(
                "`end_index` must be higher than `start_index`. Received: "
                f"start_index={start_index}, and end_index={end_index}"
            )
        if end_index >= length:
            raise ValueError(
                "`end_index` must be lower than the length of the data. Received: "
                f"end_index={end_index}, for data of length {length}"
            )
    if end_index is not None and end_index <= 0:
        raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Split a dataset (a torch Dataset, an array, or a tuple/list of arrays of one length)
    into two torch datasets, as Keras 3 does on its PyTorch backend.

    Args:
        dataset: a `torch.utils.data.Dataset`, a numpy array, or a list/tuple of arrays.
        left_size: samples (int) or fraction (float in (0, 1)) in the left part.
            Default None: what the right part leaves.
        right_size: the same for the right part. Default None: the rest.
        shuffle: draw the samples at random (torch's `random_split` with `seed`) instead
            of taking them in order. Default False.
        seed: the shuffle's seed.

    Returns:
        `(left, right)`: two `torch.utils.data.Subset`s.

    Raises:
        TypeError: `dataset` or a size of the wrong type.
        ValueError: no size given, a size out of range, or sizes that do not fit.

    Example:
        >>> left, right = split_dataset(np.arange(10), left_size=0.8)
        >>> len(left), len(right)
        (8, 2)
    """
    if isinstance(dataset, np.ndarray):
        dataset = torch.utils.data.TensorDataset(torch.from_numpy(dataset))
    elif isinstance(dataset, (list, tuple)):
        dataset = torch.utils.data.TensorDataset(
            *[torch.as_tensor(np.asarray(part)) for part in dataset]
        )
    elif not isinstance(dataset, torch.utils.data.Dataset):
        raise TypeError(
            "The `dataset` argument must be a `torch.utils.data.Dataset` object, or a "
            f"list/tuple of arrays. Received: dataset of type {type(dataset).__name__}"
        )
    if left_size is None and right_size is None:
        raise ValueError(
            "At least one of the `left_size` or `right_size` must be specified. "
            "Received: left_size=None and right_size=None"
        )
    total = len(dataset)
    left, right = _split_sizes(left_size, right_size, total)
    if shuffle:
        generator = torch.Generator()
        if seed is not None:
            generator.manual_seed(seed)
        else:
            generator.seed()
        sizes = [left, right] + ([total - left - right] if left + right < total else [])
        parts = torch.utils.data.random_split(dataset, sizes, generator=generator)
        return parts[0], parts[1]
    return (
        torch.utils.data.Subset(dataset, range(left)),
        torch.utils.data.Subset(dataset, range(left, left + right)),
    )


def _split_sizes(left, right, total):
    for name, value in (("left_size", left), ("right_size", right)):
        if value is not None and type(value) not in (int, float):
            raise TypeError(
                f"Invalid `{name}` type. Expected: int or float or None. "
                f"Received: type({name})={type(value).__name__}"
            )
    if left == 0 and right == 0:
        raise ValueError(
            "Both `left_size` and `right_size` are zero. At least one of the "
            "split sizes must be non-zero."
        )
    for name, value in (("left_size", left), ("right_size", right)):
        if (type(value) is int and not 0 < value < total) or (
            type(value) is float and not 0 < value < 1
        ):
            raise ValueError(
                f"`{name}` should be either a positive integer smaller than {total}, or a "
                f"float within the range `(0, 1)`. Received: {name}={value}"
            )
    if type(left) is float and type(right) is float and left + right > 1:
        raise ValueError(
            "The sum of `left_size` and `right_size` is greater than 1. It must "
            "be less than or equal to 1."
        )
    left = round(left * total) if type(left) is float else left
    right = round(right * total) if type(right) is float else right
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(
            f"The sum of `left_size` and `right_size` should be smaller than the {total}. "
            f"Received: left_size + right_size = {left + right} and total_length = {total}"
        )
    for value, side in ((left, "left"), (right, "right")):
        if value == 0:
            raise ValueError(
                f"With `dataset` of length={total}, `left_size`={left} and `right_size`="
                f"{right}, the {side} side dataset split would be empty. Adjust any of "
                "these parameters."
            )
    return int(left), int(right)


def check_validation_split_arg(validation_split, subset, shuffle, seed):
    """Keras's checks of `validation_split`/`subset` for the `*_from_directory` functions."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(
            f"`validation_split` must be between 0 and 1, received: {validation_split}"
        )
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(
            f'`subset` must be either "training", "validation" or "both", received: {subset}'
        )
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` "
            "argument, to make sure that there is no overlap between the training and "
            "validation subset."
        )


def training_or_validation_split(samples, labels, validation_split, subset, verbose=True):
    """The training (first) or validation (last `int(split * n)`) part of the samples."""
    if not validation_split:
        return samples, labels
    count = int(validation_split * len(samples))
    if subset == "training":
        if verbose:
            print(f"Using {len(samples) - count} files for training.")
        cut = slice(None, len(samples) - count)
    else:
        if verbose:
            print(f"Using {count} files for validation.")
        cut = slice(len(samples) - count, None)
    return samples[cut], (None if labels is None else labels[cut])
