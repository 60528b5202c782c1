"""Source writers (`to_source`) of the wrappers (TimeDistributed)."""

from plait.layers.wrappers import TimeDistributed
from plait.saving.source.writer import SourceError, writes

__all__ = []


@writes(TimeDistributed)
def _time_distributed(ctx, layer, attr, x, shape, kwargs):
    folded = ctx.assign(layer.name + "_folded", f"{x}.reshape((-1,) + tuple({x}.shape[2:]))")
    inner_shape = (None,) + tuple(shape[2:])
    out = ctx.emit(layer.layer, attr, folded, inner_shape, kwargs)
    if not isinstance(out, str):
        raise SourceError(
            f"to_source cannot write TimeDistributed layer '{layer.name}': its "
            "inner layer returns several tensors."
        )
    out = ctx.assign(layer.name + "_inner", out)
    return f"{out}.reshape(({x}.shape[0], {x}.shape[1]) + tuple({out}.shape[1:]))"
