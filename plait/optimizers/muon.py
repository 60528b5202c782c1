"""`Muon`: momentum orthogonalized by Newton-Schulz iterations for 2-D weights, AdamW for
the rest, with Keras 3's update math."""

import math
import re

import numpy as np
import torch

from plait import serialization
from plait.optimizers import _util
from plait.optimizers.base import Optimizer

__all__ = ["Muon"]


def _float32_alpha(lr, beta_1, beta_2, step):
    """`lr * sqrt(1 - beta_2**step) / (1 - beta_1**step)` rounded as Keras computes it, in
    float32 (a Python float: no device sync)."""
    f = np.float32
    one = f(1)
    alpha = f(lr) * np.sqrt(one - f(beta_2) ** f(step)) / (one - f(beta_1) ** f(step))
    return float(alpha)


@serialization.register_serializable(package="plait")
class Muon(Optimizer):
    """Muon (Keras's `keras.optimizers.Muon`): 2-D weights take the Muon step, the
    others (and excluded ones) an AdamW step.

    Muon step (momentum `mu`):

        m = m + g + m * (mu - 1)                    (m = mu * m + g)
        u = g + mu * m if nesterov else m
        u = newton_schulz5(u, ns_steps)              (close to U V^T of u's SVD)
        w -= lr * u * sqrt(max(rows, cols)) * rms_rate   (no rescale if rms_rate is None)

    AdamW step (learning rate `lr * adam_lr_ratio`, step `t = iterations + 1`):

        m += (g - m) * (1 - adam_beta_1);  v += (g**2 - v) * (1 - adam_beta_2)
        w -= m * lr * sqrt(1 - adam_beta_2**t) / (1 - adam_beta_1**t) / (sqrt(v) + epsilon)

    Weight decay before the step: `w -= w * wd * lr` with `adam_weight_decay` for AdamW
    weights and `weight_decay` for Muon weights.

    A weight takes the AdamW step when it is not 2-D, when `exclude_embeddings` and its
    `path` contains "embedding", or when one of the `exclude_layers` patterns matches its
    path (`re.search`). Weights are in PyTorch's layout (a Dense kernel `(out, in)`):
    Newton-Schulz orthogonalizes either orientation alike, and plait runs it in the
    orientation Keras runs it in (fewer rows than columns).

    Args:
        learning_rate: default 0.001.
        adam_beta_1: default 0.9.
        adam_beta_2: default 0.999.
        adam_weight_decay: default 0.004.
        epsilon: AdamW's epsilon, default 1e-7.
        weight_decay: Muon weights' decay, default 0.004.
        exclude_layers: regular expressions of weight paths that take the AdamW step.
        exclude_embeddings: default True.
        muon_a, muon_b, muon_c: the quintic's coefficients, default 3.4445, -4.7750,
            2.0315.
        adam_lr_ratio: AdamW's learning rate over `learning_rate`, default 1.
        momentum: default 0.95.
        ns_steps: Newton-Schulz iterations, default 5.
        nesterov: default True.
        rms_rate: default 0.2 (None: no rescale by the weight's size).
        clipnorm, clipvalue, global_clipnorm, use_ema, ...: see `Optimizer`.
        name: default "muon".

    Example:
        >>> import plait, torch
        >>> opt = plait.optimizers.Muon(learning_rate=0.02)
        >>> w = torch.nn.Parameter(torch.ones(3, 4))
        >>> opt.apply([torch.randn(3, 4)], [w])
        >>> w.shape
        torch.Size([3, 4])
    """

    _default_name = "muon"
    _graph_ok = False  # per-weight branches and matrix products: the eager step

    def __init__(
        self,
        learning_rate=0.001,
        adam_beta_1=0.9,
        adam_beta_2=0.999,
        adam_weight_decay=0.004,
        epsilon=1e-7,
        weight_decay=0.004,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        exclude_layers=None,
        exclude_embeddings=True,
        muon_a=3.4445,
        muon_b=-4.7750,
        muon_c=2.0315,
        adam_lr_ratio=1,
        momentum=0.95,
        ns_steps=5,
        nesterov=True,
        rms_rate=0.2,
        **kwargs,
    ):
        super().__init__(
            learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name,
            **kwargs,
        )
        if isinstance(ns_steps, bool) or not isinstance(ns_steps, int) or ns_steps < 0:
            raise ValueError(f"`ns_steps` must be an integer >= 0. Received: ns_steps={ns_steps!r}")
        if isinstance(exclude_layers, str):
            raise TypeError(
                "`exclude_layers` must be a list of strings (regular expressions of weight "
                f"paths). Received: exclude_layers={exclude_layers!r}"
            )
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = _util.check_range("momentum", momentum, 0, 1)
        self.ns_steps = ns_steps
        self.nesterov = bool(nesterov)
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = list(exclude_layers or [])
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    # --- which rule a weight takes ------------------------------------------------------

    @staticmethod
    def _path(variable):
        return str(getattr(variable, "path", None) or getattr(variable, "name", None) or "")

    def _should_use_adamw(self, variable):
        """True when `variable` takes the AdamW step (Keras's rule)."""
        if variable.ndim != 2:
            return True
        path = self._path(variable)
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(keyword, path) for keyword in self.exclude_layers)

    def _slot_layout(self):
        def velocity(p):
            return torch.zeros_like(p).detach() if self._should_use_adamw(p) else None

        return [[("momentum", 0.0), ("velocity", velocity)]]

    # --- the update ---------------------------------------------------------------------

    def _decay(self, params, lr):
        for p in params:
            if not self._use_weight_decay(p):
                continue
            wd = self.adam_weight_decay if self._should_use_adamw(p) else self.weight_decay
            if wd is not None:
                p.sub_(p * wd * lr)

    def _update_step(self, params, grads, slots, lr, iterations):
        for p, g, m, v in zip(params, grads, slots["momentum"], slots["velocity"]):
            g = g.to(p.dtype)
            if v is not None:
                self._adamw_step(p, g, m, v, lr * self.adam_lr_ratio, iterations + 1)
            else:
                self._muon_step(p, g, m, lr)

    def _adamw_step(self, p, g, m, v, lr, step):
        alpha = _float32_alpha(lr, self.adam_beta_1, self.adam_beta_2, step)
        m.add_((g - m) * (1 - self.adam_beta_1))
        v.add_((g.square() - v) * (1 - self.adam_beta_2))
        p.sub_((m * alpha) / (v.sqrt() + self.epsilon))

    def _muon_step(self, p, g, m, lr):
        m.add_(g + m * (self.momentum - 1))
        direction = g + self.momentum * m if self.nesterov else m
        update = lr * self.zeropower_via_newtonschulz5(direction, self.ns_steps)
        p.sub_(self.lr_adjust(update))

    def lr_adjust(self, x):
        """`x * sqrt(max(rows, cols)) * rms_rate` (Moonlight's rescale, so Muon can use
        AdamW's learning rate and weight decay); `x` when `rms_rate` is None."""
        if self.rms_rate is None:
            return x
        return x * math.sqrt(max(x.shape[0], x.shape[1])) * self.rms_rate

    def zeropower_via_newtonschulz5(self, x, steps):
        """`ns_steps` quintic Newton-Schulz iterations from `x / ||x||_F`: an
        approximation of `U V^T` of `x`'s SVD.

        Raises:
            ValueError: `x` of rank < 2.
        """
        if x.ndim < 2:
            raise ValueError(
                "Expected gradient or momentum to have at least 2 dimensions. "
                f"Received: shape={tuple(x.shape)}"
            )
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        tall = x.shape[-2] > x.shape[-1]
        if tall:
            x = x.transpose(-2, -1)
        x = x / (torch.linalg.norm(x, dim=(-2, -1), keepdim=True) + 1e-7)
        for _ in range(steps):
            gram = x @ x.transpose(-2, -1)
            poly = b * gram + (c * gram) @ gram
            x = a * x + poly @ x
        return x.transpose(-2, -1) if tall else x

    def get_config(self):
        return {
            **super().get_config(),
            "adam_beta_1": self.adam_beta_1,
            "adam_beta_2": self.adam_beta_2,
            "epsilon": self.epsilon,
            "exclude_layers": self.exclude_layers,
            "muon_a": self.muon_a,
            "muon_b": self.muon_b,
            "muon_c": self.muon_c,
            "adam_lr_ratio": self.adam_lr_ratio,
            "momentum": self.momentum,
            "ns_steps": self.ns_steps,
            "nesterov": self.nesterov,
            "exclude_embeddings": self.exclude_embeddings,
            "adam_weight_decay": self.adam_weight_decay,
            "rms_rate": self.rms_rate,
        }
