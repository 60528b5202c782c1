"""Boston housing prices: 506 samples of 13 features, targets in k$. (Keras warns about
this dataset's ethical problems; prefer `california_housing`.)"""

import numpy as np

from plait.datasets import _common
from plait.utils.file_utils import get_file

__all__ = ["load_data"]

FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Load Boston housing (cached as `~/.keras/datasets/boston_housing.npz`).

    Args:
        path: the file name in the cache.
        test_split: the fraction held out for testing, in [0, 1). Default 0.2.
        seed: the shuffle's seed. Default 113.

    Returns:
        `(x_train, y_train), (x_test, y_test)`.
    """
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Invalid `test_split` argument: {test_split}. It must be between 0 "
            "and 1 (exclusive of 1)."
        )
    path = get_file(path, origin=_common.ORIGIN + "boston_housing.npz", file_hash=FILE_HASH)
    with _common.reading(path), np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    return _common.shuffle_and_split(x, y, test_split, seed)
