"""Source writers (`to_source`) of the convolutional (Conv1D/2D/3D)."""

from plait.layers.convolutional import Conv1D, Conv2D, Conv3D
from plait.layers.spatial import tf_same_pads
from plait.saving.source.writer import (
    activation_source,
    channels_first_source,
    channels_last_suffix,
    check_static,
    spatial_of,
    tuple_source,
    writes,
)

__all__ = []


@writes(Conv1D, Conv2D, Conv3D)
def _conv(ctx, layer, attr, x, shape, kwargs):
    rank = layer.rank
    channels_last = layer.data_format == "channels_last"
    options = [f"kernel_size={tuple_source(layer.kernel_size)}"]
    if any(v != 1 for v in layer.strides):
        options.append(f"stride={tuple_source(layer.strides)}")
    if layer._kernel_same:
        options.append("padding='same'")
    if any(v != 1 for v in layer.dilation_rate):
        options.append(f"dilation={tuple_source(layer.dilation_rate)}")
    if layer.groups != 1:
        options.append(f"groups={layer.groups}")
    if not layer.use_bias:
        options.append("bias=False")
    ctor = (
        f"nn.Conv{rank}d({layer.weight.shape[1] * layer.groups}, {layer.filters}, "
        f"{', '.join(options)})"
    )
    ctx.add_module(attr, ctor, {"weight": layer.weight, "bias": layer.bias})
    h = channels_first_source(x, rank) if channels_last else x
    if layer.padding == "same" and not layer._kernel_same:
        spatial = spatial_of(shape, channels_last)
        check_static(layer, spatial)
        pads = tf_same_pads(spatial, layer.kernel_size, layer.strides, layer.dilation_rate)
        h = f"F.pad({h}, {list(pads)})"
    elif layer.padding == "causal":
        h = f"F.pad({h}, [{(layer.kernel_size[0] - 1) * layer.dilation_rate[0]}, 0])"
    out = activation_source(layer, layer.activation, f"self.{attr}({h})")
    return f"{out}{channels_last_suffix(rank)}" if channels_last else out
