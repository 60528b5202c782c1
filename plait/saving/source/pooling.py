"""Source writers (`to_source`) of the pooling (Max/AveragePooling1D/2D/3D, their Global forms)."""

from plait.layers import pooling
from plait.layers.spatial import tf_same_pads
from plait.saving.source.writer import (
    channels_first_source,
    channels_last_suffix,
    check_static,
    spatial_of,
    tuple_source,
    writes,
)

__all__ = []


@writes(*(getattr(pooling, f"{kind}Pooling{r}D") for kind in ("Max", "Average") for r in (1, 2, 3)))
def _pool(ctx, layer, attr, x, shape, kwargs):
    rank = layer.rank
    channels_last = layer.data_format == "channels_last"
    fn = f"F.{'max' if layer.mode == 'max' else 'avg'}_pool{rank}d"
    args = f"kernel_size={tuple_source(layer.pool_size)}, stride={tuple_source(layer.strides)}"
    h = channels_first_source(x, rank) if channels_last else x
    if layer.padding == "same":
        spatial = spatial_of(shape, channels_last)
        check_static(layer, spatial)
        pads = list(tf_same_pads(spatial, layer.pool_size, layer.strides, (1,) * rank))
        if layer.mode == "max":
            out = f"{fn}(F.pad({h}, {pads}, value=float('-inf')), {args})"
        else:  # TensorFlow divides by the number of real (unpadded) cells
            h = ctx.assign(layer.name + "_in", h)
            ones = f"F.pad(torch.ones_like({h}[:1, :1]), {pads})"
            out = f"({fn}(F.pad({h}, {pads}), {args}) / {fn}({ones}, {args}))"
    else:
        out = f"{fn}({h}, {args})"
    return f"{out}{channels_last_suffix(rank)}" if channels_last else out


@writes(
    *(
        getattr(pooling, f"Global{kind}Pooling{r}D")
        for kind in ("Max", "Average")
        for r in (1, 2, 3)
    )
)
def _global_pool(ctx, layer, attr, x, shape, kwargs):
    fn = "amax" if layer.mode == "max" else "mean"
    keep = ", keepdim=True" if layer.keepdims else ""
    return f"{x}.{fn}(dim={tuple(layer._dims)!r}{keep})"
