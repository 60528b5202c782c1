"""IMDB movie reviews: 25,000 training and 25,000 test reviews as word-index sequences,
labelled 1 (positive) or 0 (negative)."""

import json
import warnings

import numpy as np

from plait.datasets import _common
from plait.utils.file_utils import get_file

__all__ = ["load_data", "get_word_index"]

NAMES = ("x_train", "y_train", "x_test", "y_test")
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(
    path="imdb.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
    **kwargs,
):
    """Load IMDB (cached as `~/.keras/datasets/imdb.npz`).

    Word `i` of the vocabulary (1 = most frequent) appears as `i + index_from`; each review
    starts with `start_char`; words outside `[skip_top, num_words)` become `oov_char`.

    Args:
        path: the file name in the cache. Default "imdb.npz".
        num_words: keep the words below this index. Default None: all.
        skip_top: treat the most frequent words below this index as out of vocabulary.
        maxlen: drop reviews of `maxlen` words or more. Default None.
        seed: the shuffle's seed. Default 113.
        start_char: the index that starts each review (None: none). Default 1.
        oov_char: the out-of-vocabulary index (None: drop such words). Default 2.
        index_from: the offset added to word indices. Default 3.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: object arrays of lists of ints, and int
        label arrays.

    Raises:
        ValueError: `maxlen` leaves no review.
    """
    if "nb_words" in kwargs:
        warnings.warn(
            "The `nb_words` argument in `load_data` has been renamed `num_words`.", stacklevel=2
        )
        num_words = kwargs.pop("nb_words")
    if kwargs:
        warnings.warn(f"imdb.load_data: ignoring unknown arguments {sorted(kwargs)}.", stacklevel=2)
    path = get_file(fname=path, origin=_common.ORIGIN + "imdb.npz", file_hash=FILE_HASH)
    f = _common.load_npz(path)
    arrays = dict(zip(NAMES, _common.word_sequences(f, path, NAMES)))
    rng = np.random.RandomState(seed)
    parts = []
    for x_name, y_name in (("x_train", "y_train"), ("x_test", "y_test")):
        order = np.arange(len(arrays[x_name]))
        rng.shuffle(order)
        with _common.reading(path):
            parts.append((arrays[x_name][order], arrays[y_name][order]))
    (x_train, labels_train), (x_test, labels_test) = parts
    x_train = _common.index_words(x_train, start_char, index_from)
    x_test = _common.index_words(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = _common.drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = _common.drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(
                f"After filtering for sequences shorter than maxlen={maxlen}, "
                "no sequence was kept. Increase maxlen."
            )
    xs = _common.limit_words(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    cut = len(x_train)
    return (
        (_common.object_array(xs[:cut]), labels[:cut]),
        (_common.object_array(xs[cut:]), labels[cut:]),
    )


def get_word_index(path="imdb_word_index.json"):
    """The `{word: index}` dict of the IMDB vocabulary (before `index_from`)."""
    path = get_file(
        fname=path, origin=_common.ORIGIN + "imdb_word_index.json", file_hash=WORD_INDEX_HASH
    )
    with _common.reading(path), open(path) as f:
        return _common.word_index(json.load(f))
