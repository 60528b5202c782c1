"""`Equalization`: histogram equalization of images, channel by channel, with Keras's
lookup table (one histogram per channel over the whole batch, as Keras computes it)."""

import torch

from plait.layers.preprocessing.base import DIRECT_CALL, PreprocessingLayer, to_float_image
from plait.layers.preprocessing.image_color import _value_range
from plait.serialization import register_serializable

__all__ = ["Equalization"]


@register_serializable(package="plait")
class Equalization(PreprocessingLayer):
    """Spreads each channel's values over the full range with histogram equalization:
    values are binned into `bins` bins over `value_range`, and each maps to its bin's
    cumulative count, rescaled to the range (`round((cdf - cdf_min) * 255 / (total -
    cdf_min))` on a 0..255 scale). A channel whose values all fall in one bin is left as
    it is. As in Keras, the histogram of a channel counts the whole batch, and the layer
    is the identity when `training=False` (a model's `predict`); called directly it
    equalizes.

    Args:
        value_range: the images' range (default (0, 255)).
        bins: the number of histogram bins (default 256).
        data_format: 'channels_last' only.

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output shape: the input's (float).

    Raises:
        ValueError: `value_range` is not a pair.

    Example:
        >>> import torch
        >>> images = torch.tensor([[[[10.0], [20.0]], [[20.0], [30.0]]]])
        >>> Equalization()(images).flatten().tolist()
        [0.0, 170.0, 170.0, 255.0]
    """

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if (data_format or "channels_last") != "channels_last":
            raise ValueError(
                "Equalization in plait takes channels-last images only. "
                f"Received: data_format={data_format!r}"
            )
        self.bins = bins
        self.value_range = _value_range(value_range)
        self.data_format = "channels_last"

    def forward(self, inputs, training=DIRECT_CALL):
        images = to_float_image(inputs)
        if training is not DIRECT_CALL and not (self.training if training is None else training):
            return images
        return torch.stack(
            [self._equalize(images[..., i]) for i in range(images.shape[-1])], dim=-1
        )

    def _equalize(self, channel):
        low, high = (float(v) for v in self.value_range)
        scaled = (channel - low) * (255.0 / (high - low))
        bins = self.bins
        ids = (scaled * (bins - 1) / 255.0).to(torch.int32).clamp(0, bins - 1)
        hist = torch.bincount(ids.reshape(-1).long(), minlength=bins)
        cdf = torch.cumsum(hist, 0)
        cdf_min = cdf[torch.nonzero(cdf)[0, 0]]
        denominator = cdf[-1] - cdf_min
        denominator = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
        table = torch.round((cdf - cdf_min) * 255 / denominator).clamp(0, 255)
        index = (scaled / 255.0 * (bins - 1)).clamp(0, bins - 1).to(torch.int32)
        equalized = table.to(channel.dtype)[index.long()]
        out = torch.where(torch.count_nonzero(hist) <= 1, scaled, equalized)
        return out * ((high - low) / 255.0) + low

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "bins": self.bins,
                "value_range": list(self.value_range),
                "data_format": self.data_format,
            }
        )
        return config
