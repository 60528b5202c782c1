"""California housing prices: 20,640 districts (or 600 in the "small" version), 8
features, median house values in dollars."""

import numpy as np

from plait.datasets import _common
from plait.utils.file_utils import get_file

__all__ = ["load_data"]

FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Load California housing (cached as `~/.keras/datasets/california_housing.npz`).

    Args:
        version: "large" (all 20,640 samples) or "small" (the first 600).
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
    path = get_file(path, origin=_common.ORIGIN + "california_housing.npz", file_hash=FILE_HASH)
    with _common.reading(path), np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    elif version != "large":
        raise ValueError(
            f"Argument `version` must be one of 'small', 'large'. Received: version={version}"
        )
    return _common.shuffle_and_split(x, y, test_split, seed)
