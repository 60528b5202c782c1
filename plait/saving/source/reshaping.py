"""Source writers (`to_source`) of the reshaping (Flatten, Reshape, Permute, RepeatVector,
ZeroPadding, Cropping, UpSampling).
"""

from plait.layers.reshaping import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Flatten,
    Permute,
    RepeatVector,
    Reshape,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from plait.saving.source.writer import channels_first_source, channels_last_suffix, writes

__all__ = []


@writes(Flatten)
def _flatten(ctx, layer, attr, x, shape, kwargs):
    if layer.data_format == "channels_first" and len(shape) > 2:
        x = ctx.assign(layer.name + "_last", f"{x}.movedim(1, -1)")
    return f"{x}.reshape({x}.shape[0], -1)"


@writes(Reshape)
def _reshape(ctx, layer, attr, x, shape, kwargs):
    return f"{x}.reshape(({x}.shape[0],) + {tuple(layer.target_shape)!r})"


@writes(Permute)
def _permute(ctx, layer, attr, x, shape, kwargs):
    return f"{x}.permute{(0,) + tuple(layer.dims)!r}"


@writes(RepeatVector)
def _repeat_vector(ctx, layer, attr, x, shape, kwargs):
    return f"{x}.unsqueeze(1).expand(-1, {layer.n}, -1)"


@writes(ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)
def _zero_padding(ctx, layer, attr, x, shape, kwargs):
    return f"F.pad({x}, {list(layer._pads)!r})"


@writes(Cropping1D, Cropping2D, Cropping3D)
def _cropping(ctx, layer, attr, x, shape, kwargs):
    index = [":"] * len(shape)
    for axis, (before, after) in zip(layer._axes, layer.cropping):
        index[axis] = f"{before}:{x}.shape[{axis}] - {after}" if after else f"{before}:"
    while index and index[-1] == ":":
        index.pop()
    return f"{x}[{', '.join(index)}]"


@writes(UpSampling1D, UpSampling2D, UpSampling3D)
def _upsampling(ctx, layer, attr, x, shape, kwargs):
    if layer.interpolation == "nearest":
        out = x
        for axis, size in zip(layer._axes, layer.size):
            if size > 1:
                out = f"{out}.repeat_interleave({size}, dim={axis})"
        return out
    rank, channels_last = layer.rank, layer._channels_last
    h = channels_first_source(x, rank) if channels_last else x
    out = (
        f"F.interpolate({h}, scale_factor={tuple(layer.size)!r}, mode='bilinear', "
        "align_corners=False)"
    )
    return f"{out}{channels_last_suffix(rank)}" if channels_last else out
