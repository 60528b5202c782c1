"""`GRU`: the gated recurrent unit over `(batch, timesteps, features)`, stored in PyTorch's
gate order (r, z, n) so that `torch.gru` runs it; `get_weights` speaks Keras's (z, r, h)."""

import torch
import torch.nn.functional as F

from plait import activations
from plait.layers.layer import WeightSpec
from plait.layers.recurrent.arguments import GRUArgs
from plait.layers.recurrent.base import RNNLayer, active, with_rnn_args_doc
from plait.ops import _recurrent as recurrent_compiled
from plait.serialization import register_serializable

__all__ = ["GRU"]


class _GateSpec(WeightSpec):
    """A GRU weight: Keras orders its gate blocks z, r, h, the stored tensor r, z, n (along
    the stored tensor's `axis`). Swapping the first two blocks is its own inverse."""

    __slots__ = ("units", "axis")

    def __init__(self, spec, units, axis):
        super().__init__(spec.keras_name, spec.attr, spec.perm, spec.regularizer, spec.constraint)
        self.units, self.axis = units, axis

    def _swap(self, tensor):
        first, second, third = tensor.split(self.units, dim=self.axis)
        return torch.cat([second, first, third], dim=self.axis)

    def to_keras(self, tensor):
        return super().to_keras(self._swap(tensor))

    def from_keras(self, tensor):
        return self._swap(super().from_keras(tensor))


def _store_in_torch_gate_order(layer, attr, units, axis):
    """Make weight `attr` (as `add_weight` created it) a GRU weight in PyTorch's gate order."""
    index = next(i for i, spec in enumerate(layer._weight_specs) if spec.attr == attr)
    spec = layer._weight_specs[index]
    gate_spec = _GateSpec(spec, units, axis)
    tensor = getattr(layer, attr)
    with torch.no_grad():
        tensor.copy_(gate_spec.from_keras(spec.to_keras(tensor)))
    layer._weight_specs[index] = gate_spec


@register_serializable(package="plait")
@with_rnn_args_doc
class GRU(GRUArgs, RNNLayer):
    """Gated Recurrent Unit (Cho et al. 2014), Keras's formulas:
    `z = σ(x W_z + h U_z + b_z)`, `r = σ(x W_r + h U_r + b_r)`,
    `h~ = tanh(x W_h + r * (h U_h + b'_h) + b_h)` (reset_after=True; with False,
    `tanh(x W_h + (r * h) U_h + b_h)`), `h_t = z * h + (1 - z) * h~`.

    Args:
        units: size of the hidden state.
        activation: default 'tanh'. recurrent_activation: default 'sigmoid'.
        use_bias: default True.
        kernel_initializer ('glorot_uniform'), recurrent_initializer ('orthogonal'),
        bias_initializer ('zeros').
        reset_after: apply the reset gate after the recurrent matrix product (default True,
            cuDNN's and PyTorch's convention, run by the fused kernel).{rnn_args}

    Weights (Keras's gate order z, r, h): `kernel` `(features, 3 * units)`,
    `recurrent_kernel` `(units, 3 * units)`, `bias` `(2, 3 * units)` (input and recurrent
    biases) with reset_after, else `(3 * units,)`. They are stored in PyTorch's order r, z, n;
    `kernel` and `recurrent_kernel` are Keras-layout copies.

        >>> from plait import Input
        >>> x = Input(shape=(10, 8))
        >>> GRU(4, return_sequences=True)(x).shape
        (None, 10, 4)
    """

    _kernel_fn = torch.gru

    def _fusable(self):
        # PyTorch's kernel computes exactly Keras's cell for these settings.
        return (
            self.activation is activations.tanh
            and self.recurrent_activation is activations.sigmoid
            and self.reset_after
        )

    def _build_weights(self, features):
        units = self.units
        self._add_torch_kernels(features, 3)
        _store_in_torch_gate_order(self, "weight_ih", units, axis=0)
        _store_in_torch_gate_order(self, "weight_hh", units, axis=0)
        shape = (2, 3 * units) if self.reset_after else (3 * units,)
        self._add_bias(shape, self.bias_initializer)
        if self.use_bias:
            _store_in_torch_gate_order(self, "bias", units, axis=len(shape) - 1)

    _scan_kind = "gru"

    def _scan_supported(self):
        # Keras's GRU drops the recurrent state with one mask per gate: the step loop.
        return not active(self.recurrent_dropout)

    def _scan(self, projected, states, keep, recurrent_masks):
        bias = self.bias[1] if self.bias is not None else projected.new_zeros(3 * self.units)
        hs = recurrent_compiled.gru_scan(projected, states[0], self.weight_hh, bias, keep)
        return hs, [hs[-1]]

    def _input_bias(self):
        if self.bias is None:
            return None
        return self.bias[0] if self.reset_after else self.bias

    def _torch_biases(self):
        return [self.bias[0], self.bias[1]]

    def _input_dropout_masks(self, x, training, count=1):
        # Keras splits the kernel per gate, with a mask each, when recurrent_dropout is set.
        count = 3 if active(self.recurrent_dropout) else 1
        return super()._input_dropout_masks(x, training, count)

    def _recurrent_dropout_masks(self, x, training, count=1):
        return super()._recurrent_dropout_masks(x, training, 3)

    def _project_inputs(self, x, input_masks):
        if input_masks is None or input_masks.dim() == 3:
            return super()._project_inputs(x, input_masks)
        bias = self._input_bias()
        return torch.cat(
            [
                F.linear(
                    x * input_masks[g],
                    self.weight_ih[g * self.units : (g + 1) * self.units],
                    None if bias is None else bias[g * self.units : (g + 1) * self.units],
                )
                for g in range(3)
            ],
            dim=-1,
        )

    def _cell(self, projected, states, recurrent_masks):
        units, h = self.units, states[0]
        x_r, x_z, x_n = projected.split(units, dim=-1)
        w_r, w_z, w_n = self.weight_hh.split(units, dim=0)
        if self.bias is not None and self.reset_after:
            b_r, b_z, b_n = self.bias[1].split(units)
        else:
            b_r = b_z = b_n = None
        if recurrent_masks is None:
            h_r = h_z = h_n = h
        else:
            h_r, h_z, h_n = h * recurrent_masks[0], h * recurrent_masks[1], h * recurrent_masks[2]
        r = self.recurrent_activation(x_r + F.linear(h_r, w_r, b_r))
        z = self.recurrent_activation(x_z + F.linear(h_z, w_z, b_z))
        if self.reset_after:
            candidate = self.activation(x_n + r * F.linear(h_n, w_n, b_n))
        else:
            candidate = self.activation(x_n + F.linear(r * h_n, w_n))
        h = z * h + (1 - z) * candidate
        return h, [h]

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config.update(self._rnn_config())
        config["reset_after"] = self.reset_after
        return config
