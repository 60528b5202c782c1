"""Argument normalization and shape arithmetic shared by convolution and pooling layers."""

import math

from plait.utils import settings

__all__ = [
    "normalize_data_format",
    "normalize_padding",
    "normalize_tuple",
    "output_length",
    "same_padding",
]


def normalize_tuple(value, n, name):
    """`3` -> `(3, 3)`; checks a tuple's length and that every entry is a positive int."""
    if isinstance(value, int):
        result = (value,) * n
    else:
        try:
            result = tuple(value)
        except TypeError:
            result = None
        if result is None or len(result) != n:
            raise ValueError(
                f"`{name}` must be an int or a tuple of {n} ints. Received: {name}={value!r}"
            )
    for v in result:
        if not isinstance(v, int) or v <= 0:
            raise ValueError(f"`{name}` must contain positive ints. Received: {name}={value!r}")
    return result


def normalize_padding(value, allowed=("valid", "same")):
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(f"`padding` must be one of {list(allowed)}. Received: padding={value!r}")
    return padding


def normalize_data_format(value):
    if value is None:  # plait.config.image_data_format()
        return settings.get("image_data_format")
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            "`data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={value!r}"
        )
    return value


def output_length(length, kernel, padding, stride, dilation=1):
    """Keras's length of a conv/pool output along one axis (None stays None)."""
    if length is None:
        return None
    span = (kernel - 1) * dilation + 1
    if padding == "same":
        return -(-length // stride)
    if padding == "causal":
        return -(-length // stride)
    return max((length - span) // stride + 1, 0) if length >= span else 0


def same_padding(length, kernel, stride, dilation=1):
    """TensorFlow's 'same' padding for one axis: (before, after), extra on the after side."""
    span = (kernel - 1) * dilation + 1
    total = max((math.ceil(length / stride) - 1) * stride + span - length, 0)
    return total // 2, total - total // 2
