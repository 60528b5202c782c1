"""Source writers (`to_source`) of the merge (Concatenate, Add, Subtract, Multiply, Average,
Maximum, Minimum).
"""

from plait.layers.merge import Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract
from plait.saving.source.writer import SourceError, writes

__all__ = []


@writes(Concatenate)
def _concatenate(ctx, layer, attr, x, shape, kwargs):
    return f"torch.cat([{', '.join(x)}], dim={layer.axis})"


_MERGES = {Add: " + ", Subtract: " - ", Multiply: " * "}


@writes(Add, Subtract, Multiply, Average, Maximum, Minimum)
def _merge(ctx, layer, attr, x, shape, kwargs):
    if len({len(s) for s in shape}) > 1:
        raise SourceError(
            f"to_source cannot write merge layer '{layer.name}' over inputs of "
            f"different ranks {list(shape)}."
        )
    kind = type(layer)
    if kind in _MERGES:  # (emitted expressions are always assigned to a variable)
        return _MERGES[kind].join(x)
    if kind is Average:
        return f"({' + '.join(x)}) / {len(x)}"
    fn = "torch.maximum" if kind is Maximum else "torch.minimum"
    out = x[0]
    for other in x[1:]:
        out = f"{fn}({out}, {other})"
    return out
