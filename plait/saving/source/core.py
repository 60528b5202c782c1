"""Source writers (`to_source`) of the core (Dense, Activation, InputLayer, Identity, Embedding,
Rescaling).
"""

from plait.layers.core import Activation, Dense, Embedding, Identity, InputLayer, Rescaling
from plait.saving.source.writer import SourceError, activation_source, writes

__all__ = []


@writes(Dense)
def _dense(ctx, layer, attr, x, shape, kwargs):
    bias = "" if layer.use_bias else ", bias=False"
    ctx.add_module(
        attr,
        f"nn.Linear({layer.weight.shape[1]}, {layer.units}{bias})",
        {"weight": layer.weight, "bias": layer.bias},
    )
    return activation_source(layer, layer.activation, f"self.{attr}({x})")


@writes(Activation)
def _activation_layer(ctx, layer, attr, x, shape, kwargs):
    return activation_source(layer, layer.activation, x)


@writes(InputLayer)
def _input(ctx, layer, attr, x, shape, kwargs):
    return x


@writes(Embedding)
def _embedding(ctx, layer, attr, x, shape, kwargs):
    if layer.mask_zero:
        raise SourceError(
            f"to_source cannot write Embedding layer '{layer.name}' with "
            "mask_zero=True: plain PyTorch modules pass no masks."
        )
    ctx.add_module(
        attr, f"nn.Embedding({layer.input_dim}, {layer.output_dim})", {"weight": layer.weight}
    )
    return f"self.{attr}({x}.long())"


@writes(Rescaling)
def _rescaling(ctx, layer, attr, x, shape, kwargs):
    dtype = str(layer._float_dtype)  # "torch.float32"

    def factor(value):
        return (
            f"torch.tensor({value!r}, dtype={dtype})"
            if isinstance(value, list)
            else (repr(float(value)))
        )

    return f"{x}.to({dtype}) * {factor(layer.scale)} + {factor(layer.offset)}"


@writes(Identity)
def _identity(ctx, layer, attr, x, shape, kwargs):
    return x
