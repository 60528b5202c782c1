"""California housing prices: 20,640 districts (or 600 in the "small" version), 8
features, median house values in dollars."""

from plait.datasets import _common

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
    x, y = _common.housing_arrays(path, "california_housing.npz", FILE_HASH, test_split)
    if version == "small":
        x, y = x[:600], y[:600]
    elif version != "large":
        raise ValueError(
            f"Argument `version` must be one of 'small', 'large'. Received: version={version}"
        )
    return _common.shuffle_and_split(x, y, test_split, seed)
