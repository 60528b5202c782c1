"""Source writers (`to_source`) of the normalization (BatchNormalization, LayerNormalization,
UnitNormalization).
"""

import torch

from plait.layers.normalization import BatchNormalization, LayerNormalization, UnitNormalization
from plait.saving.source.writer import SourceError, writes

__all__ = []


@writes(UnitNormalization)
def _unit_norm(ctx, layer, attr, x, shape, kwargs):
    axis = layer.axis if isinstance(layer.axis, int) else tuple(layer.axis)
    return f"{x} * torch.rsqrt({x}.square().sum(dim={axis!r}, keepdim=True).clamp_min(1e-12))"


@writes(BatchNormalization)
def _batch_norm(ctx, layer, attr, x, shape, kwargs):
    rank = len(shape)
    kind = {2: 1, 3: 1, 4: 2, 5: 3}.get(rank)
    if kind is None:
        raise SourceError(
            f"to_source cannot write BatchNormalization layer '{layer.name}' "
            f"for inputs of rank {rank}."
        )
    channels = layer.running_mean.shape[0]
    affine = layer.weight is not None or layer.bias is not None
    tensors = {
        "running_mean": layer.running_mean,
        "running_var": layer.running_var,
        "num_batches_tracked": torch.tensor(0),
    }
    if affine:  # nn.BatchNorm has both or neither: the missing one is the identity
        tensors["weight"] = layer.weight if layer.weight is not None else torch.ones(channels)
        tensors["bias"] = layer.bias if layer.bias is not None else torch.zeros(channels)
    ctor = f"nn.BatchNorm{kind}d({channels}, eps={layer.epsilon!r}"
    ctor += ")" if affine else ", affine=False)"
    ctx.add_module(attr, ctor, tensors)
    axis = layer._axis
    if axis == 1:
        return f"self.{attr}({x})"
    return f"self.{attr}({x}.movedim({axis}, 1)).movedim(1, {axis})"


@writes(LayerNormalization)
def _layer_norm(ctx, layer, attr, x, shape, kwargs):
    if not layer._fused:
        raise SourceError(
            f"to_source writes LayerNormalization over trailing axes only; "
            f"layer '{layer.name}' normalizes axes {layer._axes}."
        )
    normalized = tuple(shape[a] for a in layer._axes)
    options = [f"eps={layer.epsilon!r}"]
    tensors = {}
    if layer.weight is None and layer.bias is None:
        options.append("elementwise_affine=False")
    else:
        tensors["weight"] = layer.weight if layer.weight is not None else torch.ones(normalized)
        if layer.bias is None:
            options.append("bias=False")
        else:
            tensors["bias"] = layer.bias
    ctx.add_module(attr, f"nn.LayerNorm({normalized!r}, {', '.join(options)})", tensors)
    return f"self.{attr}({x})"
