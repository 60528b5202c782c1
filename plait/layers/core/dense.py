"""`Dense` (a densely connected layer over the last axis) and `Activation`."""

import torch.nn.functional as F

from plait import activations, constraints, initializers, regularizers
from plait.layers.layer import Layer, LayerCallError
from plait.layers.masking import PassesMask
from plait.layers.penalties import set_activity_regularizer, weight_penalty_config
from plait.serialization import register_serializable

__all__ = ["Activation", "Dense"]


@register_serializable(package="plait")
class Dense(PassesMask, Layer):
    """Densely connected layer: `activation(inputs @ kernel + bias)`.

    Args:
        units: size of the last output dimension.
        activation: name or function; None means linear.
        use_bias: whether to add a bias (default True).
        kernel_initializer: default 'glorot_uniform'. bias_initializer: default 'zeros'.
        kernel_regularizer, bias_regularizer, activity_regularizer: e.g. 'l2' or
            `regularizers.l1(1e-4)`; their penalties are in `regularization_losses()`.
        kernel_constraint, bias_constraint: e.g. `constraints.max_norm(2)`, applied by
            `apply_constraints()` after each optimizer step.

    Input shape: `(batch, ..., input_dim)`. Output shape: `(batch, ..., units)`.
    Weights: `kernel` `(input_dim, units)` in Keras's layout, stored as PyTorch's `weight`
    `(units, input_dim)`; `bias` `(units,)`.

        >>> from plait.layers import Input
        >>> x = Input(shape=(10,))
        >>> Dense(32, activation='relu')(x).shape
        (None, 32)
    """

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"`units` must be a positive integer. Received: units={units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        set_activity_regularizer(self, activity_regularizer)
        self._fused_activation = activations.compute_function(self.activation)

    def build(self, input_shape):
        in_features = input_shape[-1] if len(input_shape) else None
        if in_features is None:
            raise LayerCallError(
                f"The last dimension of the input to Dense layer '{self.name}' must be known, "
                f"to size its kernel. Received: input_shape={tuple(input_shape)}"
            )
        self.add_weight(
            "kernel",
            (in_features, self.units),
            self.kernel_initializer,
            attr="weight",
            layout=(1, 0),
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.add_weight(
                "bias",
                (self.units,),
                self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.register_parameter("bias", None)

    def forward(self, inputs):
        out = F.linear(inputs, self.weight, self.bias)
        if self._fused_activation is not None:
            out = self._fused_activation(out)
        return out

    def maps_last_axis(self):
        """Whether the output is a function of each input row (the last axis) alone, for
        any leading axes: so TimeDistributed need not fold the steps into the batch."""
        return type(self).forward is Dense.forward

    def compute_output_shape(self, input_shape):
        if len(input_shape) < 1:
            raise ValueError(f"Dense needs an input of rank >= 1. Received: {input_shape}")
        if input_shape[-1] != self.weight.shape[1]:
            raise ValueError(
                f"its kernel takes {self.weight.shape[1]} input features, but the input's last "
                f"dimension is {input_shape[-1]}"
            )
        return tuple(input_shape[:-1]) + (self.units,)

    @property
    def kernel(self):
        """The kernel in Keras's layout `(input_dim, units)`: a view of `weight`."""
        return self.weight.T

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
            }
        )
        config.update(weight_penalty_config(self))
        return config


@register_serializable(package="plait")
class Activation(PassesMask, Layer):
    """Applies an activation function: `Activation('relu')(x)`.

    Args:
        activation: a name (e.g. 'relu', 'softmax') or a function of a tensor.

    Input shape: any. Output shape: the input's.

    Raises:
        ValueError: for an unknown activation name.

        >>> import torch
        >>> Activation("relu")(torch.tensor([-1.0, 2.0])).tolist()
        [0.0, 2.0]
    """

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
