"""Keras 2's `keras.preprocessing.sequence`: `pad_sequences`, `TimeseriesGenerator`,
`skipgrams`, `make_sampling_table`.

`skipgrams` draws from Python's `random` module in the order Keras 2 does, so
`random.seed(s)` (or `seed=`) gives Keras's couples.
"""

import json
import random

import numpy as np

from plait.utils.py_dataset import PyDataset
from plait.utils.sequence_utils import pad_sequences

__all__ = ["pad_sequences", "TimeseriesGenerator", "skipgrams", "make_sampling_table"]


class TimeseriesGenerator(PyDataset):
    """Batches of windows over a series (Keras 2's `TimeseriesGenerator`, a PyDataset).

    Batch `i` holds windows ending just before the rows `start_index + length + i *
    batch_size * stride, ...` (every `stride`-th row); window `row` is
    `data[row - length:row:sampling_rate]` and its target `targets[row]`.

    Args:
        data: an indexable series (array or list) of time steps.
        targets: the targets, one per time step (same length as `data`).
        length: the steps a window spans (before sampling).
        sampling_rate: keep every this many steps within a window. Default 1.
        stride: steps between two windows. Default 1.
        start_index, end_index: the rows used (end inclusive; default: the last).
        shuffle: draw each batch's rows at random. Default False.
        reverse: windows in reverse time order. Default False.
        batch_size: windows per batch. Default 128.
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size` (see PyDataset).

    Example:
        >>> gen = TimeseriesGenerator(np.arange(10), np.arange(10), length=3, batch_size=2)
        >>> windows, targets = gen[0]
        >>> windows.tolist(), targets.tolist()
        ([[0, 1, 2], [1, 2, 3]], [3, 4])
    """

    def __init__(
        self,
        data,
        targets,
        length,
        sampling_rate=1,
        stride=1,
        start_index=0,
        end_index=None,
        shuffle=False,
        reverse=False,
        batch_size=128,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if len(data) != len(targets):
            raise ValueError(
                "TimeseriesGenerator: data and targets have to be of same length. Data "
                f"length is {len(data)} while target length is {len(targets)}"
            )
        self.data, self.targets, self.length = data, targets, length
        self.sampling_rate, self.stride = sampling_rate, stride
        self.start_index = start_index + length
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle, self.reverse, self.batch_size = shuffle, reverse, batch_size
        if self.start_index > self.end_index:
            raise ValueError(
                f"`start_index+length={self.start_index} > end_index={self.end_index}` is "
                "disallowed, as no part of the sequence would be left to be used as current "
                "step."
            )

    def __len__(self):
        step = self.batch_size * self.stride
        return (self.end_index - self.start_index + step) // step

    def __getitem__(self, index):
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        else:
            low = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(
                low, min(low + self.batch_size * self.stride, self.end_index + 1), self.stride
            )
        samples = np.array(
            [self.data[row - self.length : row : self.sampling_rate] for row in rows]
        )
        targets = np.array([self.targets[row] for row in rows])
        return (samples[:, ::-1, ...] if self.reverse else samples), targets

    def get_config(self):
        """The generator's arguments, with data and targets as JSON strings."""

        def as_json(value, what):
            value = value.tolist() if isinstance(value, np.ndarray) else value
            try:
                return json.dumps(value)
            except TypeError:
                raise TypeError(f"{what} not JSON Serializable: {value}") from None

        return {
            "data": as_json(self.data, "Data"),
            "targets": as_json(self.targets, "Targets"),
            "length": self.length,
            "sampling_rate": self.sampling_rate,
            "stride": self.stride,
            "start_index": self.start_index,
            "end_index": self.end_index,
            "shuffle": self.shuffle,
            "reverse": self.reverse,
            "batch_size": self.batch_size,
        }

    def to_json(self, **kwargs):
        return json.dumps(
            {"class_name": type(self).__name__, "config": self.get_config()}, **kwargs
        )


def make_sampling_table(size, sampling_factor=1e-5):
    """The probability of keeping the word of each rank `0..size-1` in `skipgrams`
    (word2vec's sub-sampling, with Zipf's law for the frequencies)."""
    rank = np.arange(size)
    rank[0] = 1
    inverse_frequency = rank * (np.log(rank) + 0.577) + 0.5 - 1.0 / (12.0 * rank)
    f = sampling_factor * inverse_frequency
    return np.minimum(1.0, f / np.sqrt(f))


def skipgrams(
    sequence,
    vocabulary_size,
    window_size=4,
    negative_samples=1.0,
    shuffle=True,
    categorical=False,
    sampling_table=None,
    seed=None,
):
    """word2vec training pairs from a sequence of word indices (0 is skipped).

    Args:
        sequence: word indices.
        vocabulary_size: the vocabulary size (negative words are drawn from 1..size-1).
        window_size: how far a context word may be. Default 4.
        negative_samples: negative pairs per positive pair. Default 1.0.
        shuffle: shuffle the pairs. Default True.
        categorical: labels as `[0, 1]`/`[1, 0]` instead of 1/0. Default False.
        sampling_table: keep probabilities per index (`make_sampling_table`).
        seed: the shuffle's seed.

    Returns:
        `(couples, labels)`: lists of `[word, context]` and of labels.
    """
    couples, labels = [], []
    positive = [0, 1] if categorical else 1
    for i, word in enumerate(sequence):
        if not word:
            continue
        if sampling_table is not None and sampling_table[word] < random.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j != i and sequence[j]:
                couples.append([word, sequence[j]])
                labels.append(positive)
    if negative_samples > 0:
        count = int(len(labels) * negative_samples)
        words = [pair[0] for pair in couples]
        random.shuffle(words)
        couples += [
            [words[i % len(words)], random.randint(1, vocabulary_size - 1)] for i in range(count)
        ]
        labels += [[1, 0] if categorical else 0] * count
    if shuffle:
        seed = random.randint(0, 10e6) if seed is None else seed
        random.seed(seed)
        random.shuffle(couples)
        random.seed(seed)
        random.shuffle(labels)
    return couples, labels
