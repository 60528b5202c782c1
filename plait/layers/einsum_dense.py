"""`EinsumDense`: a dense layer whose product is any einsum equation of the input and the
kernel, e.g. `"abc,cde->abde"` for per-head projections in attention.

    y = plait.layers.EinsumDense("ab,bc->ac", output_shape=64, bias_axes="c")(x)
"""

import math
import re

import torch

from plait import activations, constraints, initializers, regularizers
from plait.layers.layer import Layer
from plait.serialization import register_serializable

__all__ = ["EinsumDense", "analyze"]

_FORMS = (
    ("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", None),
    ("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", "left"),
    ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", "right"),
)


def _parse(equation):
    """(input spec, weight spec, output spec, which side '...' elides or None)."""
    dotted = equation.replace("...", "0")
    for pattern, side in _FORMS:
        found = re.fullmatch(pattern, dotted)
        if found:
            return found.group(1), found.group(2), found.group(3), side
    raise ValueError(
        f"Invalid einsum equation '{equation}'. Equations must be in the form "
        "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]...."
    )


def analyze(equation, bias_axes, input_shape, partial_output_shape):
    """(kernel shape, bias shape or None, full output shape, kernel's input axes, kernel's
    output axes) for `input_shape`.

    Raises:
        ValueError: when the equation, shapes and bias axes do not fit together.
    """
    in_spec, w_spec, out_spec, side = _parse(equation)
    elided = len(input_shape) - len(in_spec)
    output = [input_shape[0], *partial_output_shape]
    if elided > 0 and side == "left":
        output[1:1] = list(input_shape[1:elided])
    elif elided > 0:
        output += list(input_shape[len(input_shape) - elided :])
    offset_in = elided - len(input_shape) if side == "left" else 0
    offset_out = elided if side == "left" else 0
    in_at = {c: i + offset_in for i, c in enumerate(in_spec)}
    out_at = {c: i + offset_out for i, c in enumerate(out_spec)}
    for c in in_spec:
        if (
            c in out_at
            and output[out_at[c]] is not None
            and output[out_at[c]] != input_shape[in_at[c]]
        ):
            raise ValueError(
                f"Input shape and output shape do not match at shared dimension '{c}'. Input "
                f"shape is {input_shape[in_at[c]]}, and output shape is {output[out_at[c]]}."
            )
    for c in out_spec:
        if c not in in_spec and c not in w_spec:
            raise ValueError(
                f"Dimension '{c}' was specified in the output '{out_spec}' but "
                f"has no corresponding dim in the input spec '{in_spec}' or "
                f"weight spec '{w_spec}'"
            )
    kernel, in_axes, out_axes = [], [], []
    for i, c in enumerate(w_spec):
        if c in out_at:
            kernel.append(output[out_at[c]])
            out_axes.append(i)
        elif c in in_at:
            kernel.append(input_shape[in_at[c]])
            in_axes.append(i)
        else:
            raise ValueError(
                f"Weight dimension '{c}' did not have a match in either the "
                f"input spec '{in_spec}' or the output spec '{out_spec}'. For "
                "this layer, the weight must be fully specified."
            )
    bias = None
    if bias_axes is not None:
        for c in bias_axes:
            if c not in out_spec:
                raise ValueError(
                    f"Bias dimension '{c}' was requested, but is not part of "
                    f"the output spec '{out_spec}'"
                )
        first = min(out_spec.find(c) for c in bias_axes)
        bias = [output[out_at[c]] if c in bias_axes else 1 for c in out_spec[first:]]
        if side != "left":
            bias += [1] * max(elided, 0)
    return kernel, bias, output, in_axes, out_axes


@register_serializable(package="plait")
class EinsumDense(Layer):
    """`activation(einsum(equation, inputs, kernel) + bias)`.

    Args:
        equation: `"<input>,<kernel>-><output>"` with one letter per axis; `...` may stand
            for leading or trailing input axes (e.g. `"...b,bc->...c"`).
        output_shape: the output's shape without the batch (and elided) axes; an int for
            one axis. `None` entries take the input's size.
        activation: default None (linear).
        bias_axes: the output letters the bias spans, e.g. `"c"`; default None (no bias).
        kernel_initializer: default "glorot_uniform" (fans from the kernel's input and
            output axes, as in Keras).
        bias_initializer: default "zeros".
        kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint: None.
        lora_rank, lora_alpha: accepted and kept in the config; LoRA is not applied.
        activity_regularizer, quantization_config: only None (Keras's default).

    Weights: `kernel` (shape from the equation), `bias` when `bias_axes` is set.

    Raises:
        ValueError: (when built) for an equation, output shape or bias axes that do not fit
            the input.

    Example:
        >>> layer = EinsumDense("abc,cde->abde", output_shape=(None, 4, 8), bias_axes="de")
        >>> from plait.layers import Input
        >>> layer(Input((10, 16))).shape
        (None, None, 4, 8)
    """

    def __init__(
        self,
        equation,
        output_shape,
        activation=None,
        bias_axes=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        lora_alpha=None,
        **kwargs,
    ):
        kwargs.pop("gptq_unpacked_column_size", None)
        for unsupported in ("quantization_config", "activity_regularizer"):
            if kwargs.pop(unsupported, None) is not None:
                raise ValueError(
                    f"EinsumDense in plait does not support `{unsupported}`. "
                    f"Received: {unsupported}={kwargs.get(unsupported)!r}"
                )
        super().__init__(**kwargs)
        _parse(equation)
        self.equation = equation
        self.partial_output_shape = (
            (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        )
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self._act = activations.compute_function(self.activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank

    def build(self, input_shape):
        kernel, bias, self.full_output_shape, in_axes, out_axes = analyze(
            self.equation, self.bias_axes, tuple(input_shape), self.partial_output_shape
        )
        base = self.kernel_initializer
        fan_in = math.prod(kernel[a] for a in in_axes)
        fan_out = math.prod(kernel[a] for a in out_axes)
        order = in_axes + out_axes
        back = [order.index(i) for i in range(len(kernel))]

        def fanned(shape, dtype=None, device=None):
            # Draw as a (fan_in, fan_out) matrix, so variance-scaling initializers use the
            # kernel's input and output axes as Keras does, then lay it out as the kernel.
            flat = torch.as_tensor(base((fan_in, fan_out), dtype=dtype, device=device))
            return flat.reshape([shape[a] for a in order]).permute(back).contiguous()

        self.add_weight(
            "kernel",
            tuple(kernel),
            fanned if len(kernel) > 1 else base,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if bias is not None:
            self.add_weight(
                "bias",
                tuple(bias),
                self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.register_parameter("bias", None)

    def forward(self, inputs):
        out = torch.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            out = out + self.bias
        return self._act(out) if self._act is not None else out

    def compute_output_shape(self, input_shape):
        return tuple(
            analyze(self.equation, self.bias_axes, tuple(input_shape), self.partial_output_shape)[2]
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "output_shape": self.partial_output_shape,
                "equation": self.equation,
                "activation": activations.serialize(self.activation),
                "bias_axes": self.bias_axes,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "activity_regularizer": None,
                "quantization_config": None,
            }
        )
        if self.lora_rank:
            config["lora_rank"] = self.lora_rank
            config["lora_alpha"] = self.lora_alpha
        return config
