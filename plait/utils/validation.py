"""Argument checks every layer (and anything else) shares, with one error format: the
message names the argument, shows `Received: name=value` and says what was expected.

    >>> check_rate(0.5, "dropout")
    0.5
    >>> check_positive_int(0, "filters")
    Traceback (most recent call last):
    ...
    ValueError: `filters` must be a positive integer. Received: filters=0
"""

__all__ = ["check_filters", "check_non_negative", "check_positive_int", "check_rate", "check_seed"]


def check_rate(value, name="rate"):
    """A probability in [0, 1] (a dropout rate), as a float.

    Raises:
        ValueError: `value` is not a number between 0 and 1.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"`{name}` must be a float between 0 and 1. Received: {name}={value!r}")
    return float(value)


def check_seed(seed):
    """An int seed or None.

    Raises:
        TypeError: `seed` is something else.
    """
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"`seed` must be an int or None. Received: seed={seed!r}")
    return seed


def check_non_negative(value, name, allow_none=False):
    """A number >= 0, as a float (None passes when `allow_none`).

    Raises:
        ValueError: `value` is not a non-negative number.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"`{name}` must be a non-negative number. Received: {name}={value!r}")
    return float(value)


def check_positive_int(value, name):
    """An int > 0.

    Raises:
        ValueError: `value` is not a positive int.
    """
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    return value


def check_filters(filters):
    """A layer's number of `filters` (an int > 0)."""
    return check_positive_int(filters, "filters")
