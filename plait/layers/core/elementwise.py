"""Layers that map each element on its own: `Identity`, `Masking`, `Rescaling`."""

import numbers

import torch

from plait.layers.layer import Layer
from plait.layers.masking import PassesMask
from plait.serialization import register_serializable
from plait.utils.dtypes import to_torch_dtype

__all__ = ["Identity", "Masking", "Rescaling"]


@register_serializable(package="plait")
class Identity(PassesMask, Layer):
    """Returns its input unchanged (a placeholder, e.g. to name a tensor).

    Input shape: any. Output shape: the input's.

        >>> import torch
        >>> Identity()(torch.tensor([1.0, 2.0])).tolist()
        [1.0, 2.0]
    """

    def forward(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


@register_serializable(package="plait")
class Masking(Layer):
    """Marks the time steps whose features all equal `mask_value` as padding: the
    recurrent and attention layers after it skip them, and its output is zero there.

    Args:
        mask_value: float, default 0.0.

    Input shape: `(batch, timesteps, ...)`. Output shape: the input's. Mask:
    `(batch, timesteps)`, True where some feature differs from `mask_value`.

        >>> from plait.layers import LSTM, Input
        >>> x = Input(shape=(None, 8))
        >>> LSTM(4)(Masking()(x)).shape
        (None, 4)
    """

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, numbers.Real):
            raise TypeError(
                f"Masking's `mask_value` must be a number. Received: mask_value={mask_value!r}"
            )
        self.mask_value = float(mask_value)

    def forward(self, inputs):
        kept = self.compute_mask(inputs)
        return inputs * kept.unsqueeze(-1).to(inputs.dtype)

    def compute_mask(self, inputs, mask=None):
        return (inputs != self.mask_value).any(dim=-1)

    def compute_output_shape(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(
                f"Masking takes `(batch, timesteps, ...)` inputs, but the "
                f"input has shape {input_shape}"
            )
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config


@register_serializable(package="plait")
class Rescaling(Layer):
    """`inputs * scale + offset`, computed in the layer's float dtype (integer images
    become float32): `Rescaling(1 / 255)` maps [0, 255] to [0, 1];
    `Rescaling(1 / 127.5, offset=-1)` to [-1, 1].

    Args:
        scale: a float, or a list of floats broadcast over the last axes (per channel).
        offset: a float or list, default 0.0.

    Input shape: any. Output shape: the input's.

        >>> import torch
        >>> Rescaling(1 / 127.5, offset=-1)(torch.tensor([0, 255], dtype=torch.uint8)).tolist()
        [-1.0, 1.0]
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = _check_factor(scale, "scale")
        self.offset = _check_factor(offset, "offset")
        self._float_dtype = to_torch_dtype(self._dtype)
        for name, value in (("_scale", self.scale), ("_offset", self.offset)):
            if isinstance(value, list):
                self.register_buffer(
                    name, torch.tensor(value, dtype=self._float_dtype), persistent=False
                )
            else:
                setattr(self, name, value)

    def forward(self, inputs):
        return inputs.to(self._float_dtype) * self._scale + self._offset

    def get_config(self):
        config = super().get_config()
        config.update({"scale": self.scale, "offset": self.offset})
        return config


def _check_factor(value, name):
    if hasattr(value, "tolist"):  # numpy arrays and tensors
        value = value.tolist()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_check_factor(v, name) for v in value]
    raise TypeError(f"`{name}` must be a float or a list of floats. Received: {name}={value!r}")
