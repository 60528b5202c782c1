"""`ContrastLimitedAdaptiveHistogramEqualization` (CLAHE): histogram equalization per tile
of a grid, with each tile's histogram clipped and its excess spread evenly, and the tiles'
lookup tables blended bilinearly per pixel -- Keras's algorithm, in torch."""

import torch
import torch.nn.functional as F

from plait.layers.preprocessing.base import PreprocessingLayer, as_batched, to_float_image
from plait.layers.preprocessing.image_color import _value_range
from plait.serialization import register_serializable

__all__ = ["ContrastLimitedAdaptiveHistogramEqualization"]


def _to_range(images, source, target):
    if tuple(source) == tuple(target):
        return images
    unit = (images - float(source[0])) / (float(source[1]) - float(source[0]))
    return unit * (float(target[1]) - float(target[0])) + float(target[0])


def _symmetric_pad(images, pad_h, pad_w):
    """Pad the bottom and right of `(n, h, w, c)` by mirroring, edge included (NumPy's
    'symmetric')."""
    if pad_h:
        images = torch.cat([images, images[:, images.shape[1] - pad_h :].flip(1)], 1)
    if pad_w:
        images = torch.cat([images, images[:, :, images.shape[2] - pad_w :].flip(2)], 2)
    return images


def _tile_tables(padded, grid, tile, clip_limit):
    """The `(n, gh, gw, c, 256)` lookup tables of the tiles (clipped, redistributed,
    normalized cumulative histograms)."""
    n, _, _, c = padded.shape
    (gh, gw), (th, tw) = grid, tile
    tiles = padded.reshape(n, gh, th, gw, tw, c).permute(0, 1, 3, 5, 2, 4)
    values = tiles.reshape(n, gh, gw, c, th * tw).to(torch.int32).clamp(0, 255)
    hists = F.one_hot(values.long(), 256).to(padded.dtype).sum(-2)
    if clip_limit > 0:
        limit = clip_limit * (th * tw) / 256.0
        clipped = hists.clamp(0, limit)
        hists = clipped + (hists - clipped).sum(-1, keepdim=True) / 256.0
    cdf = hists.cumsum(-1)
    cdf_min = cdf.min(-1, keepdim=True).values
    denominator = float(th * tw) - cdf_min
    denominator = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
    return ((cdf - cdf_min) * 255.0 / denominator).clamp(0, 255)


def _corners(size, tile, grid, device):
    """Per pixel position: the two neighbouring tile-table indices (in the table padded by
    one tile on each side) and the weight of the second."""
    pos = (torch.arange(size, dtype=torch.float32, device=device) - tile / 2.0) / tile + 1.0
    first = torch.floor(pos)
    weight = pos - first
    low = first.clamp(0, grid + 1).long()
    high = (first + 1.0).clamp(0, grid + 1).long()
    return low, high, weight


@register_serializable(package="plait")
class ContrastLimitedAdaptiveHistogramEqualization(PreprocessingLayer):
    """Contrast Limited Adaptive Histogram Equalization: the image is cut into a
    `tile_grid_size` grid of tiles (padded by mirroring to whole tiles); each tile's
    256-bin histogram per channel is clipped at `clip_limit` times the mean bin count
    (the excess shared by all bins) and turned into an equalizing lookup table; each
    pixel's value is the bilinear blend of the four nearest tiles' tables. Applied in
    training and inference alike, as in Keras.

    plait computes what Keras documents (and its TensorFlow and JAX backends compute): a
    fractional clip limit, and NumPy's 'symmetric' padding. Keras 3.15 on its torch
    backend differs in two places: its histograms are integers, so the limit is truncated
    to an integer (a tile of under `256 / clip_limit` pixels then clips every bin to 0 and
    the layer is close to the identity), and its 'symmetric' padding repeats the edge
    pixel. Where the limit is a whole number and the image divides into whole tiles, the
    outputs are the same.

    Args:
        value_range: the images' range (default (0, 255)); values are mapped to 0..255
            for the histograms and back.
        clip_limit: the histogram clip as a multiple of the mean bin count (default 4.0;
            0 or less: no clipping, plain adaptive equalization).
        tile_grid_size: (rows, columns) of tiles (default (8, 8)).
        data_format: 'channels_last' only.

    Input shape: `(batch, h, w, c)` or `(h, w, c)`. Output shape: the input's (float).

    Raises:
        ValueError: `value_range` is not a pair; channels-first data.

    Example:
        >>> import torch
        >>> layer = ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))
        >>> layer(torch.rand(1, 8, 8, 1) * 50).shape
        torch.Size([1, 8, 8, 1])
    """

    def __init__(
        self,
        value_range=(0, 255),
        clip_limit=4.0,
        tile_grid_size=(8, 8),
        data_format=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if (data_format or "channels_last") != "channels_last":
            raise ValueError(
                "ContrastLimitedAdaptiveHistogramEqualization in plait takes channels-last "
                f"images only. Received: data_format={data_format!r}"
            )
        self.value_range = _value_range(value_range)
        self.clip_limit = clip_limit
        self.tile_grid_size = tuple(tile_grid_size)
        self.data_format = "channels_last"

    def forward(self, inputs, training=None):
        images, squeeze = as_batched(to_float_image(inputs))
        out = _to_range(
            self._clahe(_to_range(images, self.value_range, (0, 255))), (0, 255), self.value_range
        )
        return out[0] if squeeze else out

    def _clahe(self, images):
        n, h, w, c = images.shape
        gh, gw = self.tile_grid_size
        th, tw = -(-h // gh), -(-w // gw)
        padded = _symmetric_pad(images, th * gh - h, tw * gw - w)
        tables = _tile_tables(padded, (gh, gw), (th, tw), self.clip_limit)
        # one tile of edge padding, so border pixels blend with their own tile
        tables = torch.cat([tables[:, :1], tables, tables[:, -1:]], 1)
        tables = torch.cat([tables[:, :, :1], tables, tables[:, :, -1:]], 2)
        y0, y1, wy = _corners(th * gh, th, gh, images.device)
        x0, x1, wx = _corners(tw * gw, tw, gw, images.device)
        pixels = padded.clamp(0, 255).to(torch.int32).long()  # (n, H, W, c)
        batch = torch.arange(n, device=images.device).view(n, 1, 1, 1)
        chan = torch.arange(c, device=images.device).view(1, 1, 1, c)

        def look(ys, xs):
            return tables[batch, ys.view(1, -1, 1, 1), xs.view(1, 1, -1, 1), chan, pixels]

        wx_, wy_ = wx.view(1, 1, -1, 1), wy.view(1, -1, 1, 1)
        top = look(y0, x0) * (1.0 - wx_) + look(y0, x1) * wx_
        bottom = look(y1, x0) * (1.0 - wx_) + look(y1, x1) * wx_
        return (top * (1.0 - wy_) + bottom * wy_)[:, :h, :w, :]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "value_range": list(self.value_range),
                "clip_limit": self.clip_limit,
                "tile_grid_size": list(self.tile_grid_size),
                "data_format": self.data_format,
            }
        )
        return config
