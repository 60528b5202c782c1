"""`InputLayer` and `Input`: where a functional model's symbolic tensors begin."""

from plait.graph.node import Node
from plait.graph.tensor import SymbolicTensor, user_location
from plait.layers.layer import Layer
from plait.serialization import register_serializable
from plait.utils.dtypes import to_torch_dtype
from plait.utils.naming import unique_name

__all__ = ["Input", "InputLayer"]


@register_serializable(package="plait")
class InputLayer(Layer):
    """The entry point of a model: holds the shape of its input, computes nothing.

    Args:
        shape: one sample's shape, without the batch dimension, e.g. `(10,)` or
            `(64, 64, 1)`; `None` for a dimension that may vary.
        batch_size: a fixed batch size, or None (any).
        dtype: the input's dtype, 'float32' by default.
        batch_shape: the full shape with the batch, instead of `shape` + `batch_size`.

    Raises:
        ValueError: for a dimension that is not a non-negative int or None.

        >>> layer = InputLayer(shape=(10,), batch_size=4)
        >>> layer.output.shape
        (4, 10)
    """

    def __init__(
        self,
        shape=None,
        batch_size=None,
        dtype=None,
        name=None,
        batch_shape=None,
        input_shape=None,
        batch_input_shape=None,
        **kwargs,
    ):
        kwargs.pop("sparse", None)
        kwargs.pop("ragged", None)
        shape = shape if shape is not None else input_shape
        batch_shape = batch_shape if batch_shape is not None else batch_input_shape
        if batch_shape is None:
            batch_shape = (batch_size,) + _check_shape(shape)
        else:
            batch_shape = tuple(batch_shape)
        super().__init__(name=name or unique_name("input"), dtype=dtype, **kwargs)
        self._batch_input_shape = batch_shape
        self.built = True
        self._tensor_dtype = to_torch_dtype(self._dtype if dtype is None else dtype)
        where = user_location()
        tensor = SymbolicTensor(batch_shape, self._tensor_dtype, name=self.name, where=where)
        Node(self, (), {}, tensor, where=where)

    def forward(self, inputs):
        return inputs

    def get_config(self):
        return {
            "batch_shape": list(self._batch_input_shape),
            "dtype": self._dtype,
            "name": self.name,
        }


def Input(shape=None, batch_size=None, name=None, dtype=None, batch_shape=None):
    """A symbolic tensor for one of a model's inputs.

    `Input(shape=(10,))` stands for a batch of 10-feature vectors: shape `(None, 10)`.
    The shape is one sample's shape, a tuple: write `(10,)`, with the comma, for 1-D data.

    Args:
        shape: one sample's shape, without the batch dimension; None for a dimension that
            may vary.
        batch_size: a fixed batch size, or None (any).
        name: the input's name (default: 'input_layer', numbered).
        dtype: the input's dtype, 'float32' by default ('int64', 'string', ...).
        batch_shape: the full shape with the batch, instead of `shape` + `batch_size`.

    Returns:
        A symbolic tensor to call layers on and to give `Model(inputs=...)`.

    Raises:
        ValueError: for a dimension that is not a non-negative int or None.

        >>> x = Input(shape=(28, 28, 1))
        >>> x.shape
        (None, 28, 28, 1)
        >>> Input(batch_shape=(8, None), dtype="int64").shape
        (8, None)
    """
    layer = InputLayer(
        shape=shape, batch_size=batch_size, name=name, dtype=dtype, batch_shape=batch_shape
    )
    return layer._inbound_nodes[0].outputs[0]


class _ShapeArgumentError(ValueError, TypeError):
    """A `shape` that is no tuple: a ValueError, as Keras raises, and a TypeError, as plait
    raised before 0.3.2 (code catching either keeps working)."""


def _check_shape(shape):
    if shape is None:
        raise ValueError(
            "Input needs the shape of one sample, without the batch dimension, e.g. "
            "Input(shape=(10,)) for vectors of 10 features. Received: shape=None"
        )
    if isinstance(shape, int):
        raise _ShapeArgumentError(
            f"`shape` must be a tuple, even for 1-D data: write shape=({shape},) with the "
            f"trailing comma. Received: shape={shape}"
        )
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        raise _ShapeArgumentError(
            "`shape` must be a tuple of ints or None, the shape of one sample without the "
            f"batch dimension, e.g. shape=(10,). Received: shape={shape!r} of type "
            f"{type(shape).__name__}"
        )
    shape = tuple(shape)
    for d in shape:
        if d is not None and (not isinstance(d, int) or d < 0):
            raise ValueError(
                "Each dimension of `shape` must be a non-negative int or None. "
                f"Received: shape={shape}"
            )
    return shape
