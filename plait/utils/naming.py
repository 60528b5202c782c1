"""Automatic layer names as Keras 2 made them: snake_case class name + per-name counter."""

import collections
import re

__all__ = ["reset_names", "to_snake_case", "unique_name"]

_counters: collections.defaultdict[str, int] = collections.defaultdict(int)


def to_snake_case(name):
    """`MaxPooling2D` -> `max_pooling2d`, `Conv2D` -> `conv2d`, `LSTM` -> `lstm`."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(prefix):
    """The next name for `prefix` in this process: `dense_1`, `dense_2`, ..."""
    _counters[prefix] += 1
    return f"{prefix}_{_counters[prefix]}"


def reset_names():
    _counters.clear()
