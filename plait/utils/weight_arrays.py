"""Arrays given to `set_weights`, checked and converted to a weight's dtype as Keras does."""

import warnings

import numpy as np
import torch

__all__ = ["array_for_weight"]


def array_for_weight(value, dtype, layer, weight):
    """`value` (an array-like, e.g. from `get_weights`) as a CPU tensor of `dtype`, for
    `set_weights`. As in Keras, numbers of another type convert (float64 to float32, ints
    and bools to floats); a conversion that changes values beyond rounding warns: finite
    values that overflow to inf, complex values losing their imaginary part, fractions
    stored in an integer weight.

    Args:
        value: an array, list or tensor.
        dtype: the weight's torch dtype.
        layer: the layer's name, for messages.
        weight: the weight's name, for messages.

    Returns:
        A tensor of `dtype` on the CPU.

    Raises:
        ValueError: `value` does not hold numbers (strings, objects, dates).

    Example:
        >>> array_for_weight([[1.0, 2.0]], torch.float32, "dense", "dense/kernel").dtype
        torch.float32
    """
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    expected = str(dtype).removeprefix("torch.")
    if array.dtype.kind not in "biufc":
        raise ValueError(
            f"Weight '{weight}' of layer '{layer}' expects numbers ({expected}). "
            f"Received: an array of dtype {array.dtype}"
        )
    source = array if array.dtype.kind != "c" or dtype.is_complex else np.real(array)
    if not source.flags.c_contiguous or not source.flags.writeable:
        source = source.copy()  # (np.ascontiguousarray would make a 0-d array 1-d)
    converted = torch.from_numpy(source).to(dtype)
    lost = _lost_in_conversion(array, converted, dtype)
    if lost:
        warnings.warn(
            f"set_weights: weight '{weight}' of layer '{layer}' is {expected}, so the "
            f"{array.dtype} values given {lost}.",
            UserWarning,
            stacklevel=4,  # the caller of set_weights
        )
    return converted


def _lost_in_conversion(array, converted, dtype):
    """What converting `array` to `converted` (of `dtype`) lost beyond rounding, or None."""
    if array.dtype.kind == "c" and not (dtype.is_complex or not np.iscomplex(array).any()):
        return "lose their imaginary parts"
    if array.dtype.kind in "fc" and dtype.is_floating_point:
        if array.dtype.itemsize > converted.element_size() and array.size:
            finite = np.isfinite(array)
            if (finite & ~np.isfinite(converted.numpy().astype(np.float64))).any():
                return "overflow to inf"
        return None
    if array.dtype.kind in "fc" and not dtype.is_floating_point and not dtype.is_complex:
        real = np.real(array)
        if (np.floor(real) != real).any():
            return "lose their fractions"
    return None
