"""MNIST handwritten digits: 60,000 training and 10,000 test 28x28 grayscale images."""

import numpy as np

from plait.utils.file_utils import get_file
from plait.datasets._common import ORIGIN, reading

__all__ = ["load_data"]

FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path="mnist.npz"):
    """Load MNIST (downloaded once into `~/.keras/datasets/mnist.npz`, or `$KERAS_HOME`).

    Args:
        path: the file name in the cache. Default "mnist.npz".

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays, images `(n, 28, 28)` with
        values 0..255 and labels `(n,)` from 0 to 9.

    Example:
        >>> # downloads 11 MB on first use (no network in the doctests), so not run:
        >>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
        >>> x_train.shape  # doctest: +SKIP
        (60000, 28, 28)
    """
    path = get_file(fname=path, origin=ORIGIN + "mnist.npz", file_hash=FILE_HASH)
    with reading(path), np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
