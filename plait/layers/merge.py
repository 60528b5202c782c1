"""Merge layers: combine a list of tensors into one. Concatenate and concatenate()."""
import torch

from plait.graph.tensor import format_shape
from plait.layers.layer import Layer, LayerCallError
from plait.serialization import register_serializable


@register_serializable(package="plait")
class Concatenate(Layer):
    """Concatenates a list of tensors along `axis` (default -1, the features).

    All inputs must have the same rank and the same size on every other axis.

        >>> a, b = Input(shape=(28800,)), Input(shape=(12544,))
        >>> Concatenate()([a, b]).shape
        (None, 41344)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int):
            raise TypeError(f"`axis` must be an int. Received: axis={axis!r}")
        self.axis = axis

    def forward(self, inputs):
        return torch.cat(inputs, dim=self.axis)

    def compute_output_shape(self, input_shape):
        shapes = _check_list(self, input_shape)
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            raise ValueError(
                "all inputs must have the same rank to be concatenated; received shapes "
                + ", ".join(format_shape(s) for s in shapes))
        axis = self.axis % rank if -rank <= self.axis < rank else None
        if axis is None:
            raise ValueError(f"axis={self.axis} is out of range for inputs of rank {rank}")
        out = list(shapes[0])
        for shape in shapes[1:]:
            for i, (a, b) in enumerate(zip(out, shape)):
                if i == axis:
                    out[i] = None if a is None or b is None else a + b
                elif a is not None and b is not None and a != b:
                    raise ValueError(
                        f"a Concatenate layer with axis={self.axis} requires inputs with "
                        "matching shapes except for the concatenation axis; received shapes "
                        + ", ".join(format_shape(s) for s in shapes))
                elif a is None:
                    out[i] = b
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def _check_list(layer, input_shape):
    if not isinstance(input_shape, (list, tuple)) or not input_shape or not all(
            isinstance(s, tuple) for s in input_shape):
        raise LayerCallError(
            f"{type(layer).__name__} layer '{layer.name}' must be called on a list of "
            f"tensors. Received input shape: {input_shape}")
    if len(input_shape) < 2:
        raise LayerCallError(
            f"{type(layer).__name__} layer '{layer.name}' needs at least 2 inputs; "
            f"received {len(input_shape)}.")
    return list(input_shape)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of Concatenate: `concatenate([a, b])`."""
    return Concatenate(axis=axis, **kwargs)(inputs)
