"""Source writers (`to_source`) of the activation (ReLU, LeakyReLU, PReLU, ELU, Softmax)."""

from plait.layers.activation import ELU, LeakyReLU, PReLU, ReLU, Softmax
from plait.saving.source.writer import SourceError, writes

__all__ = []


@writes(PReLU)
def _prelu(ctx, layer, attr, x, shape, kwargs):
    ctx.add_buffer(f"{attr}_alpha", layer.alpha)
    return f"torch.where({x} >= 0, {x}, {x} * self.{attr}_alpha)"


@writes(ReLU)
def _relu(ctx, layer, attr, x, shape, kwargs):
    if layer.negative_slope == 0.0 and layer.max_value is None and layer.threshold == 0.0:
        return f"torch.relu({x})"
    out = (
        f"torch.where({x} >= {layer.threshold!r}, {x}, {layer.negative_slope!r} * ({x} - "
        f"{layer.threshold!r}))"
    )
    return out if layer.max_value is None else f"{out}.clamp(max={layer.max_value!r})"


@writes(LeakyReLU)
def _leaky_relu(ctx, layer, attr, x, shape, kwargs):
    return f"F.leaky_relu({x}, {layer.negative_slope!r})"


@writes(ELU)
def _elu(ctx, layer, attr, x, shape, kwargs):
    return f"F.elu({x}, {layer.alpha!r})"


@writes(Softmax)
def _softmax(ctx, layer, attr, x, shape, kwargs):
    if not isinstance(layer.axis, int):
        raise SourceError(
            f"to_source writes Softmax over one axis; layer '{layer.name}' has axis={layer.axis}."
        )
    return f"torch.softmax({x}, dim={layer.axis})"
