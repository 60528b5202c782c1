"""Merge layers: combine a list of tensors into one. Concatenate, Add, Subtract, Multiply,
Average, Maximum, Minimum, Dot and their functional forms concatenate(), add(), ..."""

from collections.abc import Callable

import torch
import torch.nn.functional as F

from plait.graph.tensor import format_shape
from plait.layers.layer import Layer, LayerCallError
from plait.layers.masking import implicit_mask
from plait.serialization import register_serializable

__all__ = [
    "Add",
    "Average",
    "Concatenate",
    "Dot",
    "Maximum",
    "Minimum",
    "Multiply",
    "Subtract",
    "add",
    "average",
    "concatenate",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]


@register_serializable(package="plait")
class Concatenate(Layer):
    """Concatenates a list of tensors along `axis` (default -1, the features).

    All inputs must have the same rank and the same size on every other axis.

        >>> from plait.layers import Input
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

    def compute_mask(self, inputs, mask=None):
        """As Keras, for inputs with `(batch, steps)` masks: along the time axis, the masks
        joined (all True for an input without one); along the features, their OR (a step
        with data in any input keeps it; None when an input has no mask)."""
        masks = [implicit_mask(t) for t in inputs]
        rank = len(inputs[0].shape)
        if all(m is None for m in masks) or any(
            m is not None and len(m.shape) != rank - 1 for m in masks
        ):
            return None
        axis = self.axis % rank
        if axis == rank - 1:
            if any(m is None for m in masks):
                return None
            out = masks[0]
            for m in masks[1:]:
                out = out | m
            return out
        filled = [
            torch.ones_like(t[..., 0], dtype=torch.bool) if m is None else m
            for t, m in zip(inputs, masks)
        ]
        return torch.cat(filled, dim=axis)

    def compute_output_shape(self, input_shape):
        shapes = _check_list(self, input_shape)
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            raise ValueError(
                "all inputs must have the same rank to be concatenated; received shapes "
                + ", ".join(format_shape(s) for s in shapes)
            )
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
                        + ", ".join(format_shape(s) for s in shapes)
                    )
                elif a is None:
                    out[i] = b
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def _check_list(layer, input_shape):
    if (
        not isinstance(input_shape, (list, tuple))
        or not input_shape
        or not all(isinstance(s, tuple) for s in input_shape)
    ):
        raise LayerCallError(
            f"{type(layer).__name__} layer '{layer.name}' must be called on a list of "
            f"tensors. Received input shape: {input_shape}"
        )
    if len(input_shape) < 2:
        raise LayerCallError(
            f"{type(layer).__name__} layer '{layer.name}' needs at least 2 inputs; "
            f"received {len(input_shape)}."
        )
    return list(input_shape)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of Concatenate: `concatenate([a, b])`.

    Args:
        inputs: a list of tensors (symbolic or eager).
        axis: the axis to join along (default -1).
        **kwargs: layer arguments such as `name`.

    Returns:
        The output of a new `Concatenate` layer called on `inputs`.

        >>> from plait.layers import Input
        >>> a, b = Input(shape=(4, 8)), Input(shape=(4, 8))
        >>> concatenate([a, b], axis=1).shape
        (None, 8, 8)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


class _Merge(Layer):
    """Base of the element-wise merge layers: a list of tensors whose shapes broadcast
    (a missing leading axis after the batch counts as size 1, as in Keras) -> one tensor.
    """

    _combine: Callable[..., torch.Tensor]  # the binary op, e.g. torch.add

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = self._combine(out, x)
        return out

    def forward(self, inputs):
        rank = max(x.dim() for x in inputs)
        inputs = [_expand_to(x, rank) for x in inputs]
        return self._merge(inputs)

    def compute_mask(self, inputs, mask=None):
        """As Keras: the logical AND of the inputs' masks (None when none has one)."""
        masks = [m for m in (implicit_mask(t) for t in inputs) if m is not None]
        if not masks:
            return None
        out = masks[0]
        for m in masks[1:]:
            out = out & m
        return out

    def compute_output_shape(self, input_shape):
        shapes = _check_list(self, input_shape)
        rank = max(len(s) for s in shapes)
        out = _expand_shape(shapes[0], rank)
        for shape in shapes[1:]:
            out = _broadcast(out, _expand_shape(shape, rank), shapes)
        return out


def _merge_doc(name, summary, result, raises=""):
    """The docstring of the element-wise merge layer `name`: its summary, shapes and an
    example on `a = [[1, 5]]`, `b = [[3, 2]]` giving `result`."""
    return f"""{summary}

    Input shape: a list of tensors whose shapes broadcast (the batch sizes equal).
    Output shape: the broadcast shape.
{raises}
        >>> import torch
        >>> a, b = torch.tensor([[1.0, 5.0]]), torch.tensor([[3.0, 2.0]])
        >>> {name}()([a, b]).tolist()
        {result}
    """


def _expand_to(x, rank):
    while x.dim() < rank:
        x = x.unsqueeze(1)
    return x


def _expand_shape(shape, rank):
    return (shape[0],) + (1,) * (rank - len(shape)) + tuple(shape[1:])


def _broadcast(a, b, shapes):
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x is not None and y is not None and x != y and (i == 0 or 1 not in (x, y)):
            raise ValueError(
                "the inputs' shapes do not broadcast: received shapes "
                + ", ".join(format_shape(s) for s in shapes)
                + f" (axis {i}: {x} vs {y}). Each axis must match or be 1 in all but one "
                "input (and the batch sizes must be equal)"
            )
        if x is None or y is None:
            out.append(y if x is None and y != 1 else x if y is None and x != 1 else None)
        else:
            out.append(max(x, y) if 1 in (x, y) else x)
    return tuple(out)


@register_serializable(package="plait")
class Add(_Merge):
    __doc__ = _merge_doc(
        "Add", "Sums a list of tensors of broadcastable shapes: `Add()([a, b])`.", "[[4.0, 7.0]]"
    )
    _combine = staticmethod(torch.add)


@register_serializable(package="plait")
class Subtract(_Merge):
    __doc__ = _merge_doc(
        "Subtract",
        "`a - b` for a list of exactly two tensors: `Subtract()([a, b])`.",
        "[[-2.0, 3.0]]",
        "\n    Raises:\n        ValueError: for a list of other than two tensors.\n",
    )

    def compute_output_shape(self, input_shape):
        shapes = _check_list(self, input_shape)
        if len(shapes) != 2:
            raise ValueError(
                f"Subtract takes exactly 2 inputs; received {len(shapes)}, of shapes "
                + ", ".join(format_shape(s) for s in shapes)
            )
        return super().compute_output_shape(input_shape)

    def _merge(self, inputs):
        return inputs[0] - inputs[1]


@register_serializable(package="plait")
class Multiply(_Merge):
    __doc__ = _merge_doc("Multiply", "Element-wise product of a list of tensors.", "[[3.0, 10.0]]")
    _combine = staticmethod(torch.mul)


@register_serializable(package="plait")
class Average(_Merge):
    __doc__ = _merge_doc("Average", "Element-wise mean of a list of tensors.", "[[2.0, 3.5]]")
    _combine = staticmethod(torch.add)

    def _merge(self, inputs):
        return super()._merge(inputs) / len(inputs)


@register_serializable(package="plait")
class Maximum(_Merge):
    __doc__ = _merge_doc("Maximum", "Element-wise maximum of a list of tensors.", "[[3.0, 5.0]]")
    _combine = staticmethod(torch.maximum)


@register_serializable(package="plait")
class Minimum(_Merge):
    __doc__ = _merge_doc("Minimum", "Element-wise minimum of a list of tensors.", "[[1.0, 2.0]]")
    _combine = staticmethod(torch.minimum)


@register_serializable(package="plait")
class Dot(Layer):
    """Dot product of two tensors along one axis of each, per sample (Keras's batch_dot).

    Args:
        axes: int (the same axis of both) or a pair `(axis_of_a, axis_of_b)`; not 0 (the
            batch). Negative axes count from the end.
        normalize: L2-normalize both along their axis first, so the result is the cosine
            similarity (default False).

    Output shape: `a`'s shape without its axis, then `b`'s shape without the batch and its
    axis; `(batch, 1)` when nothing else is left. E.g. `(batch, 5, 8)` . `(batch, 7, 8)`
    with axes=2 gives `(batch, 5, 7)`.

        >>> from plait.layers import Input
        >>> a, b = Input(shape=(8,)), Input(shape=(8,))
        >>> Dot(axes=1)([a, b]).shape
        (None, 1)
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2 or not all(
                isinstance(a, int) and not isinstance(a, bool) for a in axes
            ):
                raise ValueError(
                    "`axes` must be an int or a pair of ints (one axis per input). "
                    f"Received: axes={axes!r}"
                )
            axes = list(axes)
        elif isinstance(axes, bool) or not isinstance(axes, int):
            raise TypeError(f"`axes` must be an int or a pair of ints. Received: axes={axes!r}")
        self.axes = axes
        self.normalize = bool(normalize)

    def _axes_for(self, rank_a, rank_b):
        pair = self.axes if isinstance(self.axes, list) else [self.axes, self.axes]
        return tuple(a + rank if a < 0 else a for a, rank in zip(pair, (rank_a, rank_b)))

    def forward(self, inputs):
        a, b = inputs
        axis_a, axis_b = self._axes_for(a.dim(), b.dim())
        if self.normalize:
            a = F.normalize(a, dim=axis_a, eps=1e-7)
            b = F.normalize(b, dim=axis_b, eps=1e-7)
        a = a.movedim(axis_a, -1)
        b = b.movedim(axis_b, 1)
        rest_a, rest_b = a.shape[1:-1], b.shape[2:]
        out = torch.bmm(
            a.reshape(a.shape[0], -1, a.shape[-1]), b.reshape(b.shape[0], b.shape[1], -1)
        )
        return out.reshape(
            (a.shape[0],)
            + tuple(rest_a)
            + tuple(rest_b)
            + ((1,) if not rest_a and not rest_b else ())
        )

    def compute_output_shape(self, input_shape):
        shapes = _check_list(self, input_shape)
        if len(shapes) != 2:
            raise ValueError(
                f"Dot takes exactly 2 inputs; received {len(shapes)}, of shapes "
                + ", ".join(format_shape(s) for s in shapes)
            )
        a, b = shapes
        if len(a) < 2 or len(b) < 2:
            raise ValueError(
                "Dot needs inputs of rank >= 2 (batch, ...); received shapes "
                f"{format_shape(a)} and {format_shape(b)}"
            )
        pair = self.axes if isinstance(self.axes, list) else [self.axes, self.axes]
        for axis, shape in zip(pair, (a, b)):
            if not -len(shape) <= axis < len(shape):
                raise ValueError(
                    f"axes={self.axes} is out of range for an input of shape {format_shape(shape)}"
                )
        axis_a, axis_b = self._axes_for(len(a), len(b))
        if axis_a == 0 or axis_b == 0:
            raise ValueError(
                f"axes={self.axes} names the batch axis 0; a Dot is taken per sample, over "
                "axes >= 1"
            )
        if a[axis_a] is not None and b[axis_b] is not None and a[axis_a] != b[axis_b]:
            raise ValueError(
                f"with axes={self.axes}, the sizes of axis {axis_a} of {format_shape(a)} "
                f"({a[axis_a]}) and axis {axis_b} of {format_shape(b)} ({b[axis_b]}) must "
                "be equal"
            )
        out = [d for i, d in enumerate(a) if i != axis_a]
        out += [d for i, d in enumerate(b) if i not in (0, axis_b)]
        if len(out) == 1:
            out.append(1)
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config


def _functional(layer_class):
    """The functional form of an element-wise merge layer: `add([a, b])` is
    `Add()([a, b])`."""
    name = layer_class.__name__.lower()

    def merge(inputs, **kwargs):
        return layer_class(**kwargs)(inputs)

    merge.__name__ = merge.__qualname__ = name
    merge.__doc__ = f"""Functional form of {layer_class.__name__}: `{name}([a, b])`.

    Args:
        inputs: a list of tensors (symbolic or eager).
        **kwargs: layer arguments such as `name`.

    Returns:
        The output of a new `{layer_class.__name__}` layer called on `inputs`.

        >>> from plait.layers import Input
        >>> a, b = Input(shape=(4, 8)), Input(shape=(1, 8))
        >>> {name}([a, b]).shape
        (None, 4, 8)
    """
    return merge


add = _functional(Add)
subtract = _functional(Subtract)
multiply = _functional(Multiply)
average = _functional(Average)
maximum = _functional(Maximum)
minimum = _functional(Minimum)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """Functional form of Dot: `dot([a, b], axes=1)`.

    Args:
        inputs: a list of tensors (symbolic or eager).
        axes: an int or a pair of ints (default -1).
        normalize: take the cosine similarity (default False).
        **kwargs: layer arguments such as `name`.

    Returns:
        The output of a new `Dot` layer called on `inputs`.

        >>> from plait.layers import Input
        >>> a, b = Input(shape=(4, 8)), Input(shape=(4, 8))
        >>> dot([a, b], axes=2).shape
        (None, 4, 4)
    """
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
