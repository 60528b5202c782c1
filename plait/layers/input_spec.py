"""`InputSpec`: what a layer expects of its inputs (rank, dtype, sizes of some axes), and
`assert_input_compatibility`, the check that compares inputs with it, with Keras's messages.

    self.input_spec = plait.layers.InputSpec(min_ndim=2, axes={-1: 16})
"""

import torch

from plait.utils import nest

__all__ = ["InputSpec", "assert_input_compatibility"]


def _dtype_name(dtype):
    if dtype is None:
        return None
    if isinstance(dtype, torch.dtype):
        return str(dtype).removeprefix("torch.")
    name = str(getattr(dtype, "name", dtype))
    return {"float": "float32", "int": "int64", "double": "float64"}.get(name, name)


def _shape(shape):
    return tuple(None if d is None else int(d) for d in shape)


class InputSpec:
    """The rank, dtype and sizes a layer expects of one input. `None` in a shape matches
    any size.

    Args:
        dtype: expected dtype name (or torch dtype), default None (any).
        shape: expected shape including the batch axis, e.g. `(None, 28, 28, 1)`; it also
            fixes `ndim`.
        ndim: expected rank. max_ndim, min_ndim: bounds on the rank.
        axes: dict from an axis (negative counts from the end) to its expected size.
        allow_last_axis_squeeze: accept a trailing axis of size 1 on either side.
        name: the key of this input when inputs come as a dict.
        optional: whether the input may be None.

    Raises:
        TypeError: `axes` has keys that are not integers.
        ValueError: an axis beyond the rank `ndim`/`max_ndim` allows.

    Example:
        >>> spec = InputSpec(shape=(None, 28, 28, 1), allow_last_axis_squeeze=True)
        >>> spec.ndim
        4
        >>> InputSpec(min_ndim=2, axes={-1: 16})
        InputSpec(min_ndim=2, axes={-1: 16})
    """

    def __init__(
        self,
        dtype=None,
        shape=None,
        ndim=None,
        max_ndim=None,
        min_ndim=None,
        axes=None,
        allow_last_axis_squeeze=False,
        name=None,
        optional=False,
    ):
        self.dtype = _dtype_name(dtype)
        if shape is not None:
            self.shape = _shape(shape)
            self.ndim = len(self.shape)
        else:
            self.shape = None
            self.ndim = ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            axes = axes or {}
            self.axes = {int(k): axes[k] for k in axes}
        except (ValueError, TypeError):
            raise TypeError(
                f"Argument `axes` must be a dict with integer keys. Received: axes={axes}"
            ) from None
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            top = (self.ndim if self.ndim else self.max_ndim) - 1
            if max(self.axes) > top:
                raise ValueError(
                    f"Axis {max(self.axes)} is greater than the maximum allowed value: {top}. "
                    f"Received: axes={self.axes}"
                )

    def __repr__(self):
        parts = [
            f"dtype={self.dtype}" if self.dtype else "",
            f"shape={self.shape}" if self.shape else "",
            f"ndim={self.ndim}" if self.ndim else "",
            f"max_ndim={self.max_ndim}" if self.max_ndim else "",
            f"min_ndim={self.min_ndim}" if self.min_ndim else "",
            f"axes={self.axes}" if self.axes else "",
        ]
        return f"InputSpec({', '.join(p for p in parts if p)})"

    def get_config(self):
        return {
            "dtype": self.dtype,
            "shape": self.shape,
            "ndim": self.ndim,
            "max_ndim": self.max_ndim,
            "min_ndim": self.min_ndim,
            "axes": self.axes,
            "optional": self.optional,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _ordered(specs, inputs):
    """Dict inputs in the order of the specs' names, when every spec has one."""
    names = [spec.name if spec is not None else None for spec in specs]
    if not isinstance(inputs, dict) or not all(names):
        return nest.flatten(inputs)
    for name in names:
        if name not in inputs:
            raise ValueError(
                f'Missing data for input "{name}". You passed a data dictionary with keys '
                f"{list(inputs)}. Expected the following keys: {names}"
            )
    return [inputs[name] for name in names]


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Check `inputs` (tensors or symbolic tensors, nested like the specs) against
    `input_spec` (an InputSpec, a nested structure of them, or None).

    Raises:
        ValueError: a count, rank, dtype, axis size or shape that the spec does not allow,
            with Keras's message naming the layer and the input.

    Example:
        >>> import torch
        >>> assert_input_compatibility(InputSpec(ndim=2), torch.zeros(3, 4), "dense")
        >>> assert_input_compatibility(InputSpec(ndim=3), torch.zeros(3, 4), "dense")
        Traceback (most recent call last):
        ...
        ValueError: Input 0 with name 'None' of layer 'dense' is incompatible with the layer: expected ndim=3, found ndim=2. Full shape received: (3, 4)
    """  # noqa: E501
    if not input_spec:
        return
    specs = nest.flatten(input_spec)
    flat = _ordered(specs, inputs)
    if len(flat) != len(specs):
        names = [spec.name for spec in specs if spec is not None]
        if len(names) == len(specs) and all(names):
            keys = ", ".join(f"'{n}': ..." for n in names)
            raise ValueError(
                f'Layer "{layer_name}" expects {len(specs)} named input(s) with keys {names}, '
                f"but it received {len(flat)} input tensors. Pass inputs as a dict, e.g. "
                f"`layer({{{keys}}})`."
            )
        raise ValueError(
            f'Layer "{layer_name}" expects {len(specs)} input(s), but it received '
            f"{len(flat)} input tensors. Inputs received: {flat}"
        )
    for index, (x, spec) in enumerate(zip(flat, specs)):
        if spec is None or (x is None and spec.optional):
            continue
        _check_one(index, x, spec, layer_name)


def _check_one(index, x, spec, layer_name):
    if not hasattr(x, "shape"):
        raise ValueError(
            f"Inputs to a layer should be tensors. Got '{x}' (of type {type(x)}) as input "
            f"for layer '{layer_name}'."
        )
    shape = _shape(x.shape)
    ndim = len(shape)
    where = f"Input {index} with name '{spec.name}' of layer '{layer_name}' is incompatible "
    where += "with the layer: "
    if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
        raise ValueError(
            f"{where}expected ndim={spec.ndim}, found ndim={ndim}. Full shape received: {shape}"
        )
    if spec.max_ndim is not None and ndim > spec.max_ndim:
        raise ValueError(f"{where}expected max_ndim={spec.max_ndim}, found ndim={ndim}")
    if spec.min_ndim is not None and ndim < spec.min_ndim:
        raise ValueError(
            f"{where}expected min_ndim={spec.min_ndim}, found ndim={ndim}. "
            f"Full shape received: {shape}"
        )
    if spec.dtype is not None and _dtype_name(x.dtype) != spec.dtype:
        raise ValueError(f"{where}expected dtype={spec.dtype}, found dtype={_dtype_name(x.dtype)}")
    for axis, value in spec.axes.items():
        if value is not None and shape[axis] not in (value, None):
            raise ValueError(
                f"{where}expected axis {axis} of input shape to have value {value}, but "
                f"received input with shape {shape}"
            )
    if spec.shape is not None:
        expected, got = spec.shape, shape
        if spec.allow_last_axis_squeeze:
            got = got[:-1] if got and got[-1] == 1 else got
            expected = expected[:-1] if expected and expected[-1] == 1 else expected
        for want, have in zip(expected, got):
            if want is not None and have is not None and want != have:
                raise ValueError(f"{where}expected shape={spec.shape}, found shape={got}")
