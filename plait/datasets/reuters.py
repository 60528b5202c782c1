"""Reuters newswires: 11,228 newswires as word-index sequences in 46 topics."""

import json

import numpy as np

from plait.datasets import _common
from plait.utils.file_utils import get_file

__all__ = ["load_data", "get_word_index", "get_label_names"]

FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"
LABEL_NAMES = (
    "cocoa",
    "grain",
    "veg-oil",
    "earn",
    "acq",
    "wheat",
    "copper",
    "housing",
    "money-supply",
    "coffee",
    "sugar",
    "trade",
    "reserves",
    "ship",
    "cotton",
    "carcass",
    "crude",
    "nat-gas",
    "cpi",
    "money-fx",
    "interest",
    "gnp",
    "meal-feed",
    "alum",
    "oilseed",
    "gold",
    "tin",
    "strategic-metal",
    "livestock",
    "retail",
    "ipi",
    "iron-steel",
    "rubber",
    "heat",
    "jobs",
    "lei",
    "bop",
    "zinc",
    "orange",
    "pet-chem",
    "dlr",
    "gas",
    "silver",
    "wpi",
    "hog",
    "lead",
)


def load_data(
    path="reuters.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    test_split=0.2,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
):
    """Load Reuters (cached as `~/.keras/datasets/reuters.npz`); arguments as in
    `imdb.load_data`, plus `test_split` (the fraction, after shuffling, for testing).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: object arrays of lists of ints, and int
        topic labels (0..45).
    """
    path = get_file(fname=path, origin=_common.ORIGIN + "reuters.npz", file_hash=FILE_HASH)
    f = _common.load_npz(path)
    xs, labels = _common.word_sequences(f, path, ("x", "y"))
    order = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(order)
    xs, labels = xs[order], labels[order]
    xs = _common.index_words(xs, start_char, index_from)
    if maxlen:
        xs, labels = _common.drop_long(maxlen, xs, labels)
    xs = _common.limit_words(xs, num_words, skip_top, oov_char)
    cut = int(len(xs) * (1 - test_split))
    return (
        (_common.object_array(xs[:cut]), np.array(labels[:cut])),
        (_common.object_array(xs[cut:]), np.array(labels[cut:])),
    )


def get_word_index(path="reuters_word_index.json"):
    """The `{word: index}` dict of the Reuters vocabulary (before `index_from`)."""
    path = get_file(
        path, origin=_common.ORIGIN + "reuters_word_index.json", file_hash=WORD_INDEX_HASH
    )
    with _common.reading(path), open(path) as f:
        return _common.word_index(json.load(f))


def get_label_names():
    """The 46 topic names, indexed by label."""
    return LABEL_NAMES
