"""Fashion-MNIST: 60,000 training and 10,000 test 28x28 grayscale images of 10 kinds of
clothing (0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt,
7 Sneaker, 8 Bag, 9 Ankle boot)."""

import gzip
import os

import numpy as np

from plait.utils.file_utils import get_file
from plait.datasets._common import ORIGIN, reading

__all__ = ["load_data"]

FILES = [
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
]


def _read_idx(path, count=None):
    """One gzip IDX file: labels `(n,)`, or images `(count, 28, 28)` when `count` is given;
    uint8."""
    with reading(path), gzip.open(path, "rb") as f:
        if count is None:
            return np.frombuffer(f.read(), np.uint8, offset=8)
        return np.frombuffer(f.read(), np.uint8, offset=16).reshape(count, 28, 28)


def load_data():
    """Load Fashion-MNIST (the four gzip IDX files Keras downloads, cached in
    `~/.keras/datasets/fashion-mnist/`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays, images `(n, 28, 28)`,
        labels `(n,)`.
    """
    folder = os.path.join("datasets", "fashion-mnist")
    paths = [get_file(name, origin=ORIGIN + name, cache_subdir=folder) for name in FILES]
    y_train, y_test = _read_idx(paths[0]), _read_idx(paths[2])
    x_train, x_test = _read_idx(paths[1], len(y_train)), _read_idx(paths[3], len(y_test))
    return (x_train, y_train), (x_test, y_test)
