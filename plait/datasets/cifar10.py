"""CIFAR-10: 50,000 training and 10,000 test 32x32 colour images in 10 classes
(airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck)."""

import os

import numpy as np

from plait.datasets.cifar import load_batch
from plait.utils.file_utils import get_file
from plait.utils.image_utils import image_data_format

__all__ = ["load_data"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data():
    """Load CIFAR-10 (the python tarball, extracted into
    `~/.keras/datasets/cifar-10-batches-py-target/`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 32, 32, 3)`
        (channels first when the image data format says so) and labels `(n, 1)`.
    """
    path = get_file(
        fname="cifar-10-batches-py-target", origin=ORIGIN, extract=True, file_hash=FILE_HASH
    )
    path = os.path.join(path, "cifar-10-batches-py")
    parts = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([p[0] for p in parts]).astype("uint8")
    y_train = np.concatenate([np.asarray(p[1]) for p in parts]).astype("uint8")
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    y_train = y_train.reshape(len(y_train), 1)
    y_test = np.reshape(y_test, (len(y_test), 1)).astype(y_train.dtype)
    x_test = x_test.astype(x_train.dtype)
    if image_data_format() == "channels_last":
        x_train, x_test = x_train.transpose(0, 2, 3, 1), x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
