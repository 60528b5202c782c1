"""Keras's small datasets: `load_data()` downloads each once (through
`plait.utils.get_file`, checking Keras's hash) into `~/.keras/datasets` (or
`$KERAS_HOME/datasets`) and reads Keras's own files.

    (x_train, y_train), (x_test, y_test) = plait.datasets.mnist.load_data()
"""

from plait.datasets import (  # noqa: F401
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)

__all__ = [
    "boston_housing",
    "california_housing",
    "cifar10",
    "cifar100",
    "fashion_mnist",
    "imdb",
    "mnist",
    "reuters",
]
