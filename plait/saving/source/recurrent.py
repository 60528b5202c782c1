"""Source writers (`to_source`) of the recurrent (LSTM, GRU, SimpleRNN as nn.LSTM, nn.GRU, nn.RNN)."""

import torch

from plait import activations
from plait.layers.recurrent import GRU, LSTM, SimpleRNN
from plait.saving.source.writer import SourceError, writes

__all__ = []


# The torch module of each class, and what it computes (the only activations it can write).
_MODULES = {
    LSTM: ("LSTM", "the default activations (tanh, sigmoid)"),
    GRU: ("GRU", "the default activations (tanh, sigmoid) with reset_after=True"),
    SimpleRNN: ("RNN", "activation 'tanh' or 'relu'"),
}


@writes(LSTM, GRU, SimpleRNN)
def _recurrent(ctx, layer, attr, x, shape, kwargs):
    """nn.LSTM / nn.GRU / nn.RNN, batch-first; their weights are plait's own (PyTorch's gate
    order). Keras has one bias where PyTorch adds two (GRU with reset_after has both)."""
    kind = type(layer)
    module, computes = _MODULES[kind]
    if not layer._fused:
        raise SourceError(
            f"to_source writes {kind.__name__} layers as nn.{module}, which computes only "
            f"{computes}; layer '{layer.name}' uses others."
        )
    bias = layer.bias is not None
    tensors = {"weight_ih_l0": layer.weight_ih, "weight_hh_l0": layer.weight_hh}
    if bias and kind is GRU:
        tensors.update(bias_ih_l0=layer.bias[0], bias_hh_l0=layer.bias[1])
    elif bias:
        tensors.update(bias_ih_l0=layer.bias, bias_hh_l0=torch.zeros_like(layer.bias))
    options = ["batch_first=True"]
    if kind is SimpleRNN and layer.activation is activations.relu:
        options.append("nonlinearity='relu'")
    if not bias:
        options.append("bias=False")
    ctx.add_module(
        attr,
        f"nn.{module}({layer.weight_ih.shape[1]}, {layer.units}, {', '.join(options)})",
        tensors,
    )
    h = f"{x}.flip(1)" if layer.go_backwards else x
    state = kwargs.get("initial_state")
    state = [state] if isinstance(state, str) else state
    if state is None:
        call = f"self.{attr}({h})"
    elif kind is LSTM:
        call = f"self.{attr}({h}, ({state[0]}.unsqueeze(0), {state[1]}.unsqueeze(0)))"
    else:
        call = f"self.{attr}({h}, {state[0]}.unsqueeze(0))"
    plain = layer.return_sequences and not layer.return_state
    seq = ctx.fresh(layer.name if plain else f"{layer.name}_seq")
    parts = ("h", "c") if kind is LSTM else ("h",)
    states = [ctx.fresh(f"{layer.name}_{part}") for part in parts]
    target = f"({', '.join(states)})" if kind is LSTM else states[0]
    ctx.line(f"{seq}, {target} = {call}")
    output = seq if layer.return_sequences else f"{states[0]}[0]"
    if layer.return_state:
        return [output] + [f"{s}[0]" for s in states]
    return output


_recurrent.accepts = ("initial_state",)
