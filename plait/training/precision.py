"""Mixed precision as the training loop applies it.

`plait.mixed_precision.global_policy()` is read once per fit/evaluate/`*_on_batch` call
(`set_precision`): the forward runs under `torch.autocast` in the compute dtype, the outputs
are cast to float32 for the losses and metrics, and float16 gets a gradient scaler that is
kept in the compiled state, so its scale carries over between calls.
"""

import contextlib

import torch

from plait import mixed_precision

__all__ = ["Precision", "set_precision"]


def set_precision(state, spec):
    """Read the global dtype policy once per fit/evaluate/*_on_batch call; the float16
    loss scaler lives in the compiled state, so its scale carries over between calls."""
    precision = Precision(spec.device)
    if precision.needs_scaler:
        scaler = getattr(state, "grad_scaler", None)
        if scaler is None:
            scaler = state.grad_scaler = mixed_precision.grad_scaler(spec.device.type)
        precision.scaler = scaler
    state.precision = precision


class Precision:
    """`plait.mixed_precision.global_policy()` as the loop applies it: the forward under
    `torch.autocast` in the compute dtype, the outputs cast to float32 for the losses and
    metrics (Keras computes losses in float32), and for float16 a gradient scaler."""

    def __init__(self, device):
        policy = mixed_precision.global_policy()
        self.key = policy.name
        self.mixed = policy.is_mixed
        self.device_type = device.type
        self.compute_dtype = policy.torch_compute_dtype
        self.needs_scaler = self.mixed and policy.compute_dtype == "float16"
        self.scaler = None

    def autocast(self):
        if not self.mixed:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.compute_dtype)

    def to_float32(self, outputs):
        if not self.mixed:
            return outputs
        return [
            o.float() if isinstance(o, torch.Tensor) and o.dtype == self.compute_dtype else o
            for o in outputs
        ]

    def scaled_update(self, total, optimizer, module):
        """backward on the scaled loss; the update runs on the unscaled gradients, and is
        skipped (the scale lowered) when they hold inf or NaN. The check reads one value
        on the host per step, as PyTorch's own GradScaler.step does."""
        scaler = self.scaler
        scaler.scale(total).backward()
        shim = ScalerOptimizer(optimizer, module)
        scaler.step(shim)
        scaler.update()


class ScalerOptimizer:
    """What `torch.amp.GradScaler.step` needs of an optimizer: `param_groups` and `step`.
    The step is plait's own (clipping and learning-rate schedules included)."""

    def __init__(self, optimizer, module):
        self.param_groups = [{"params": [p for p in module.parameters() if p.requires_grad]}]
        self.optimizer = optimizer

    def step(self, *args, **kwargs):
        return self.optimizer.step()
