"""Boston housing prices: 506 samples of 13 features, targets in k$. (Keras warns about
this dataset's ethical problems; prefer `california_housing`.)"""

from plait.datasets import _common

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
    x, y = _common.housing_arrays(path, "boston_housing.npz", FILE_HASH, test_split)
    return _common.shuffle_and_split(x, y, test_split, seed)
