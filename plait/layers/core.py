"""Core layers: InputLayer (and Input), Dense, Activation."""
import torch.nn.functional as F

from plait import activations, initializers
from plait.graph.node import Node
from plait.graph.tensor import SymbolicTensor, user_location
from plait.layers.layer import Layer, LayerCallError
from plait.serialization import register_serializable
from plait.utils.dtypes import to_torch_dtype
from plait.utils.naming import unique_name


@register_serializable(package="plait")
class InputLayer(Layer):
    """The entry point of a model: holds the shape of its input, computes nothing.

    Args:
        shape: one sample's shape, without the batch dimension, e.g. `(10,)` or
            `(64, 64, 1)`; `None` for a dimension that may vary.
        batch_size: a fixed batch size, or None (any).
        dtype: the input's dtype, 'float32' by default.
        batch_shape: the full shape with the batch, instead of `shape` + `batch_size`.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, batch_shape=None,
                 input_shape=None, batch_input_shape=None, **kwargs):
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
        self._tensor_dtype = to_torch_dtype(dtype)
        where = user_location()
        tensor = SymbolicTensor(batch_shape, self._tensor_dtype, name=self.name, where=where)
        Node(self, (), {}, tensor, where=where)

    def forward(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_shape": list(self._batch_input_shape), "dtype": self._dtype,
                "name": self.name}


def Input(shape=None, batch_size=None, name=None, dtype=None, batch_shape=None):
    """A symbolic tensor for one of a model's inputs.

    `Input(shape=(10,))` stands for a batch of 10-feature vectors: shape `(None, 10)`.
    The shape is one sample's shape, a tuple: write `(10,)`, with the comma, for 1-D data.
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, name=name, dtype=dtype,
                       batch_shape=batch_shape)
    return layer._inbound_nodes[0].outputs[0]


def _check_shape(shape):
    if shape is None:
        raise ValueError(
            "Input needs the shape of one sample, without the batch dimension, e.g. "
            "Input(shape=(10,)) for vectors of 10 features. Received: shape=None")
    if isinstance(shape, int):
        raise TypeError(
            f"`shape` must be a tuple, even for 1-D data: write shape=({shape},) with the "
            f"trailing comma. Received: shape={shape}")
    shape = tuple(shape)
    for d in shape:
        if d is not None and (not isinstance(d, int) or d < 0):
            raise ValueError(
                "Each dimension of `shape` must be a non-negative int or None. "
                f"Received: shape={shape}")
    return shape


@register_serializable(package="plait")
class Dense(Layer):
    """Densely connected layer: `activation(inputs @ kernel + bias)`.

    Args:
        units: size of the last output dimension.
        activation: name or function; None means linear.
        use_bias: whether to add a bias (default True).
        kernel_initializer: default 'glorot_uniform'. bias_initializer: default 'zeros'.

    Input shape: `(batch, ..., input_dim)`. Output shape: `(batch, ..., units)`.
    Weights: `kernel` `(input_dim, units)` in Keras's layout, stored as PyTorch's `weight`
    `(units, input_dim)`; `bias` `(units,)`.

        >>> x = Input(shape=(10,))
        >>> Dense(32, activation='relu')(x).shape
        (None, 32)
    """

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                f"`units` must be a positive integer. Received: units={units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self._fused_activation = None if self.activation is activations.linear else self.activation

    def build(self, input_shape):
        in_features = input_shape[-1] if len(input_shape) else None
        if in_features is None:
            raise LayerCallError(
                f"The last dimension of the input to Dense layer '{self.name}' must be known, "
                f"to size its kernel. Received: input_shape={tuple(input_shape)}")
        self.add_weight("kernel", (in_features, self.units), self.kernel_initializer,
                        attr="weight", layout=(1, 0))
        if self.use_bias:
            self.add_weight("bias", (self.units,), self.bias_initializer)
        else:
            self.register_parameter("bias", None)

    def forward(self, inputs):
        out = F.linear(inputs, self.weight, self.bias)
        if self._fused_activation is not None:
            out = self._fused_activation(out)
        return out

    def compute_output_shape(self, input_shape):
        if len(input_shape) < 1:
            raise ValueError(f"Dense needs an input of rank >= 1. Received: {input_shape}")
        if input_shape[-1] != self.weight.shape[1]:
            raise ValueError(
                f"its kernel takes {self.weight.shape[1]} input features, but the input's last "
                f"dimension is {input_shape[-1]}")
        return tuple(input_shape[:-1]) + (self.units,)

    @property
    def kernel(self):
        """The kernel in Keras's layout `(input_dim, units)`: a view of `weight`."""
        return self.weight.T

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        })
        return config


@register_serializable(package="plait")
class Activation(Layer):
    """Applies an activation function: `Activation('relu')(x)`. Output shape = input shape."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def forward(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config
