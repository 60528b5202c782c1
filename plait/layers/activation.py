"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax. Output shape = input shape."""

import warnings

import torch

from plait import activations, constraints, initializers, regularizers
from plait.layers.layer import Layer, LayerCallError
from plait.layers.masking import PassesMask
from plait.serialization import register_serializable
from plait.utils.validation import check_non_negative as _check_non_negative

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]


class _Elementwise(PassesMask, Layer):
    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


@register_serializable(package="plait")
class ReLU(_Elementwise):
    """Rectified linear unit:
    `max_value` if x >= max_value; x if threshold < x < max_value;
    `negative_slope * (x - threshold)` otherwise.

    Args:
        max_value: cap of the output, a float >= 0 or None (no cap, default).
        negative_slope: slope below the threshold, >= 0 (default 0).
        threshold: where the unit starts to pass its input, >= 0 (default 0).

    Input shape: any. Output shape: the input's.

    Raises:
        ValueError: for a negative `max_value`, `negative_slope` or `threshold`.

        >>> import torch
        >>> ReLU(max_value=6.0)(torch.tensor([-1.0, 3.0, 8.0])).tolist()
        [0.0, 3.0, 6.0]
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _check_non_negative(max_value, "max_value", allow_none=True)
        self.negative_slope = _check_non_negative(negative_slope, "negative_slope")
        self.threshold = _check_non_negative(threshold, "threshold")

    def forward(self, inputs):
        return activations.relu(inputs, self.negative_slope, self.max_value, self.threshold)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "max_value": self.max_value,
                "negative_slope": self.negative_slope,
                "threshold": self.threshold,
            }
        )
        return config


@register_serializable(package="plait")
class LeakyReLU(_Elementwise):
    """`x` if x >= 0 else `negative_slope * x`.

    Args:
        negative_slope: float >= 0, default 0.3 (Keras's; `alpha=` is the Keras 2 name).

    Input shape: any. Output shape: the input's.

    Raises:
        ValueError: for a negative `negative_slope`.

        >>> import torch
        >>> LeakyReLU(negative_slope=0.5)(torch.tensor([-1.0, 2.0])).tolist()
        [-0.5, 2.0]
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn(
                "Argument `alpha` is deprecated. Use `negative_slope` instead.", stacklevel=2
            )
        super().__init__(**kwargs)
        self.negative_slope = _check_non_negative(negative_slope, "negative_slope")

    def forward(self, inputs):
        return torch.nn.functional.leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


@register_serializable(package="plait")
class PReLU(_Elementwise):
    """Parametric ReLU: `x` if x >= 0 else `alpha * x`, with a learned `alpha`.

    Args:
        alpha_initializer: default 'zeros'. alpha_regularizer, alpha_constraint.
        shared_axes: axes (1-based, the batch is 0) along which one alpha is shared, e.g.
            `[1, 2]` for one alpha per channel of `(batch, rows, cols, channels)`.

    Weights: `alpha` of shape `input_shape[1:]`, with 1 on the shared axes (Keras's
    layout, stored as it is).

    Input shape: any. Output shape: the input's.

        >>> from plait.layers import Input
        >>> layer = PReLU(shared_axes=[1, 2])
        >>> layer(Input(shape=(4, 4, 3))).shape
        (None, 4, 4, 3)
        >>> tuple(layer.alpha.shape)
        (1, 1, 3)
    """

    def __init__(
        self,
        alpha_initializer="zeros",
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, int) and not isinstance(shared_axes, bool):
            self.shared_axes = [shared_axes]
        elif isinstance(shared_axes, (list, tuple)) and all(
            isinstance(a, int) and not isinstance(a, bool) for a in shared_axes
        ):
            self.shared_axes = list(shared_axes)
        else:
            raise TypeError(
                "`shared_axes` must be an int, a list of ints or None. "
                f"Received: shared_axes={shared_axes!r}"
            )

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if not 1 <= axis <= len(shape):
                raise LayerCallError(
                    f"PReLU layer '{self.name}': shared_axes holds 1-based axes of an input of "
                    f"shape {tuple(input_shape)}, between 1 and {len(shape)}. "
                    f"Received: shared_axes={self.shared_axes}"
                )
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise LayerCallError(
                f"PReLU layer '{self.name}' needs every non-shared axis of its input known, "
                f"to size alpha. Received: input_shape={tuple(input_shape)}; share the "
                "unknown axes with shared_axes=[...]."
            )
        self.add_weight(
            "alpha",
            tuple(shape),
            self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )

    def forward(self, inputs):
        return torch.where(inputs >= 0, inputs, inputs * self.alpha)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint),
                "shared_axes": self.shared_axes,
            }
        )
        return config


@register_serializable(package="plait")
class ELU(_Elementwise):
    """Exponential linear unit: `x` if x > 0 else `alpha * (exp(x) - 1)`.

    Args:
        alpha: the scale of the negative part (default 1.0).

    Input shape: any. Output shape: the input's.

        >>> import torch
        >>> print(ELU()(torch.tensor([-1.0, 2.0])).numpy().round(3))
        [-0.632  2.   ]
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
            raise TypeError(f"`alpha` must be a float. Received: alpha={alpha!r}")
        self.alpha = float(alpha)

    def forward(self, inputs):
        return torch.nn.functional.elu(inputs, self.alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


@register_serializable(package="plait")
class Softmax(_Elementwise):
    """Softmax over `axis` (an int or a list of ints; default -1).

    Call with `mask=` (True to keep, broadcastable to the input) to give masked positions
    no weight, as Keras does (it adds -1e9 to their logits).

    Input shape: any. Output shape: the input's.

        >>> import torch
        >>> Softmax()(torch.tensor([[1.0, 1.0]])).tolist()
        [[0.5, 0.5]]
        >>> Softmax()(torch.tensor([[1.0, 1.0]]), mask=torch.tensor([[True, False]])).tolist()
        [[1.0, 0.0]]
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if (
            isinstance(axis, (list, tuple))
            and axis
            and all(isinstance(a, int) and not isinstance(a, bool) for a in axis)
        ):
            axis = list(axis)
        elif isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"`axis` must be an int or a list of ints. Received: axis={axis!r}")
        self.axis = axis

    def forward(self, inputs, mask=None):
        if mask is not None:
            # as Keras: masked inputs become a large negative number, masked outputs 0 (so a
            # fully masked row gives zeros, not a uniform distribution)
            mask = mask if mask.dtype == torch.bool else mask > 0.5
            large = -3e4 if inputs.dtype == torch.float16 else -1e9
            inputs = torch.where(mask, inputs, torch.full_like(inputs, large))
        if isinstance(self.axis, list) and len(self.axis) > 1:
            outputs = torch.exp(inputs - torch.logsumexp(inputs, dim=self.axis, keepdim=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, list) else self.axis
            outputs = activations.softmax(inputs, axis=axis)
        if mask is not None:
            outputs = torch.where(mask, outputs, torch.zeros_like(outputs))
        return outputs

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
