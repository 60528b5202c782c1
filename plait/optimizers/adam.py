"""The Adam family with Keras's update math: `Adam`, `AdamW`, `Adamax`, `Nadam`, `Lamb`.

Adam adds `epsilon` to the uncorrected `sqrt(v)`, as Keras does:

    alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
    w -= alpha * m / (sqrt(v) + epsilon)

Eager steps on CPU and CUDA run torch's fused Adam kernel with its bias corrections
turned off (its step count held at 2**100, so `1 - beta**step` is exactly 1) and
`alpha`, `epsilon` passed as the step's learning rate and epsilon: torch's formula is then
Keras's.
"""

import torch

from plait import serialization
from plait.optimizers import _util
from plait.optimizers._util import keras_signature
from plait.optimizers.base import Optimizer

__all__ = ["Adam", "AdamW", "Adamax", "Lamb", "Nadam", "ScheduleFreeAdamW"]

_FUSED_DEVICES = ("cpu", "cuda")
_FUSED_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
# torch's fused Adam computes `1 - beta**step`: at this step it is exactly 1 for beta < 1.
_NO_BIAS_CORRECTION_STEP = 2.0**100


class _AdamArgs(Optimizer):
    """beta_1, beta_2, epsilon: shared by Adam, AdamW, Adamax, Nadam and Lamb."""

    def _init_betas(self, beta_1, beta_2, epsilon):
        self.beta_1 = _util.check_range("beta_1", beta_1, 0, 1, high_open=True)
        self.beta_2 = _util.check_range("beta_2", beta_2, 0, 1, high_open=True)
        self.epsilon = _util.check_range("epsilon", epsilon, 0, float("inf"))

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }


def _fusable(params, grads):
    p = params[0]
    return (
        p.device.type in _FUSED_DEVICES
        and p.dtype in _FUSED_DTYPES
        and all(g.dtype == p.dtype and g.device == p.device and not g.is_sparse for g in grads)
    )


@serialization.register_serializable(package="plait")
@keras_signature
class Adam(_AdamArgs):
    """Adam (Kingma & Ba), Keras's update (epsilon added to the uncorrected `sqrt(v)`):

        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2          (amsgrad: v_hat = max(v_hat, v))
        w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)

    Args:
        learning_rate: default 0.001.
        beta_1: default 0.9.
        beta_2: default 0.999.
        epsilon: default 1e-7 (torch's 1e-8 is added after the bias correction).
        amsgrad: default False.
        **kwargs: the options every optimizer takes (`weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`,
            `ema_overwrite_frequency`, `loss_scale_factor`,
            `gradient_accumulation_steps`): see `Optimizer`.
        name: default "adam".

    Example: two updates of one weight with the gradient `[0.5, -1.0]` (Keras's values).

        >>> import torch
        >>> from plait import optimizers
        >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optimizers.Adam(learning_rate=0.1)
        >>> for _ in range(2): opt.apply([torch.tensor([0.5, -1.0])], [w])
        >>> [round(v, 4) for v in w.tolist()]
        [0.8, 2.2]
    """

    _default_name = "adam"

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        *args,
        **kwargs,
    ):
        super().__init__(learning_rate, *args, **kwargs)
        self._init_betas(beta_1, beta_2, epsilon)
        self.amsgrad = bool(amsgrad)
        self._fused_steps = {}

    def _slot_layout(self):
        layout = [[("momentum", 0.0), ("velocity", 0.0)]]
        return layout + [[("velocity_hat", 0.0)]] if self.amsgrad else layout

    def _update_step(self, params, grads, slots, lr, iterations):
        f32, t = _util.f32, iterations + 1
        lr = f32(lr)
        bias_1 = f32(1 - _util.pow32(self.beta_1, t))
        bias_2 = f32(1 - _util.pow32(self.beta_2, t))
        alpha = f32(f32(lr * _util.sqrt(bias_2)) / bias_1)
        m, v = slots["momentum"], slots["velocity"]
        v_hat = slots["velocity_hat"] if self.amsgrad else []
        if not _util.is_tensor(alpha) and _fusable(params, grads):
            device = params[0].device
            step = self._fused_steps.get(device)
            if step is None:
                step = self._fused_steps[device] = torch.tensor(
                    _NO_BIAS_CORRECTION_STEP, dtype=torch.float32, device=device
                )
            torch._fused_adam_(
                params,
                grads,
                m,
                v,
                v_hat,
                [step] * len(params),
                lr=alpha,
                beta1=self.beta_1,
                beta2=self.beta_2,
                weight_decay=0.0,
                eps=self.epsilon,
                amsgrad=self.amsgrad,
                maximize=False,
            )
            return
        torch._foreach_mul_(m, self.beta_1)
        torch._foreach_add_(m, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(v, self.beta_2)
        torch._foreach_add_(v, _util.square(grads), alpha=1 - self.beta_2)
        if self.amsgrad:
            torch._foreach_maximum_(v_hat, v)
            v = v_hat
        denominators = torch._foreach_add(torch._foreach_sqrt(v), self.epsilon)
        updates = torch._foreach_div(torch._foreach_mul(m, alpha), denominators)
        torch._foreach_sub_(params, updates)

    def get_config(self):
        return {**super().get_config(), "amsgrad": self.amsgrad}


@serialization.register_serializable(package="plait")
@keras_signature
class AdamW(Adam):
    """Adam with decoupled weight decay: `w -= w * weight_decay * lr` before each Adam
    update (Keras's `weight_decay` of any optimizer, on by default here).

    Args:
        learning_rate: default 0.001.
        weight_decay: default 0.004 (torch's AdamW default is 0.01).
        beta_1, beta_2, epsilon (default 1e-7), amsgrad: as `Adam`.
        clipnorm, ...: see `Optimizer`.
        name: default "adamw".

    Raises:
        ValueError: weight_decay=None.

    Example: two updates of one weight with the gradient `[0.5, -1.0]` (Keras's values).

        >>> import torch
        >>> from plait import optimizers
        >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
        >>> for _ in range(2): opt.apply([torch.tensor([0.5, -1.0])], [w])
        >>> [round(v, 4) for v in w.tolist()]
        [0.7075, 2.0]
    """

    _default_name = "adamw"

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        *args,
        **kwargs,
    ):
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
        super().__init__(
            learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay, *args, **kwargs
        )


@keras_signature
class _BetasOnly(_AdamArgs):
    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        *args,
        **kwargs,
    ):
        super().__init__(learning_rate, *args, **kwargs)
        self._init_betas(beta_1, beta_2, epsilon)


@serialization.register_serializable(package="plait")
class Adamax(_BetasOnly):
    """Adamax (Adam with the infinity norm), Keras's update:

        m = beta_1 * m + (1 - beta_1) * g
        u = max(beta_2 * u, |g|)
        w -= lr * m / ((u + epsilon) * (1 - beta_1**t))

    Args:
        learning_rate: default 0.001.
        beta_1: default 0.9.
        beta_2: default 0.999.
        epsilon: default 1e-7.
        weight_decay, clipnorm, ...: see `Optimizer`.
        name: default "adamax".

    Example: two updates of one weight with the gradient `[0.5, -1.0]` (Keras's values).

        >>> import torch
        >>> from plait import optimizers
        >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optimizers.Adamax(learning_rate=0.1)
        >>> for _ in range(2): opt.apply([torch.tensor([0.5, -1.0])], [w])
        >>> [round(v, 4) for v in w.tolist()]
        [0.8, 2.2]
    """

    _default_name = "adamax"

    def _slot_layout(self):
        return [[("momentum", 0.0), ("norm", 0.0)]]

    def _update_step(self, params, grads, slots, lr, iterations):
        correction = _util.f32(1 - _util.pow32(self.beta_1, iterations + 1))
        lr = _util.f32(lr)
        m, u = slots["momentum"], slots["norm"]
        torch._foreach_mul_(m, self.beta_1)
        torch._foreach_add_(m, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(u, self.beta_2)
        torch._foreach_maximum_(u, torch._foreach_abs(grads))
        denominators = torch._foreach_mul(torch._foreach_add(u, self.epsilon), correction)
        torch._foreach_sub_(params, torch._foreach_div(torch._foreach_mul(m, lr), denominators))


@serialization.register_serializable(package="plait")
@keras_signature
class Nadam(_BetasOnly):
    """Nadam (Adam with Nesterov momentum, Dozat 2016), Keras's update with the momentum
    schedule `u_t = beta_1 * (1 - 0.5 * 0.96**t)`:

        m_hat = u_{t+1} * m / (1 - prod u_1..u_{t+1}) + (1 - u_t) * g / (1 - prod u_1..u_t)
        w -= lr * m_hat / (sqrt(v / (1 - beta_2**t)) + epsilon)

    Args:
        learning_rate: default 0.001.
        beta_1: default 0.9.
        beta_2: default 0.999.
        epsilon: default 1e-7.
        weight_decay, clipnorm, ...: see `Optimizer`.
        name: default "nadam".

    Example: two updates of one weight with the gradient `[0.5, -1.0]` (Keras's values).

        >>> import torch
        >>> from plait import optimizers
        >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optimizers.Nadam(learning_rate=0.1)
        >>> for _ in range(2): opt.apply([torch.tensor([0.5, -1.0])], [w])
        >>> [round(v, 4) for v in w.tolist()]
        [0.8164, 2.1836]
    """

    _default_name = "nadam"
    _graph_ok = False  # the running product of u_t lives on the host

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._u_product = 1.0
        self._scalars = None

    def _slot_layout(self):
        return [[("momentum", 0.0), ("velocity", 0.0)]]

    def _update(self, indices, grads):
        f32, pow32, t = _util.f32, _util.pow32, int(self.iterations) + 1
        beta_1 = f32(self.beta_1)
        u_t = f32(beta_1 * f32(1.0 - f32(0.5 * pow32(0.96, t))))
        u_t_1 = f32(beta_1 * f32(1.0 - f32(0.5 * pow32(0.96, t + 1))))
        u_product_t = f32(self._u_product * u_t)
        u_product_t_1 = f32(u_product_t * u_t_1)
        self._scalars = (u_t, u_t_1, u_product_t, u_product_t_1, f32(1 - pow32(self.beta_2, t)))
        super()._update(indices, grads)
        self._u_product = u_product_t

    def _update_step(self, params, grads, slots, lr, iterations):
        u_t, u_t_1, u_product_t, u_product_t_1, correction_2 = self._scalars
        m, v = slots["momentum"], slots["velocity"]
        torch._foreach_mul_(m, self.beta_1)
        torch._foreach_add_(m, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(v, self.beta_2)
        torch._foreach_add_(v, _util.square(grads), alpha=1 - self.beta_2)
        f32, lr = _util.f32, _util.f32(lr)
        m_hat = torch._foreach_div(torch._foreach_mul(m, u_t_1), f32(1 - u_product_t_1))
        torch._foreach_add_(
            m_hat, torch._foreach_div(torch._foreach_mul(grads, f32(1 - u_t)), f32(1 - u_product_t))
        )
        v_hat = torch._foreach_div(v, correction_2)
        denominators = torch._foreach_add(torch._foreach_sqrt(v_hat), self.epsilon)
        torch._foreach_sub_(params, torch._foreach_div(torch._foreach_mul(m_hat, lr), denominators))

    def _extra_state(self):
        return {"u_product": self._u_product}

    def _load_extra_state(self, extra):
        if "u_product" in extra:
            self._u_product = float(extra["u_product"])

    def _extra_state_tensors(self):
        return [torch.tensor(self._u_product, dtype=torch.float32)]

    def set_weights(self, weights):
        super().set_weights(weights)
        self._u_product = float(weights[-1])


@serialization.register_serializable(package="plait")
class Lamb(_BetasOnly):
    """LAMB (layer-wise adaptive moments, You et al. 2019), Keras's update: Adam's
    bias-corrected step `r = m_hat / (sqrt(v_hat) + epsilon)`, scaled per weight by the
    trust ratio `||w|| / ||r||` (1 where either norm is 0): `w -= ratio * lr * r`.

    Args:
        learning_rate: default 0.001.
        beta_1: default 0.9.
        beta_2: default 0.999.
        epsilon: default 1e-7.
        weight_decay, clipnorm, ...: see `Optimizer`.
        name: default "lamb".

    Example: two updates of one weight with the gradient `[0.5, -1.0]` (Keras's values).

        >>> import torch
        >>> from plait import optimizers
        >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optimizers.Lamb(learning_rate=0.1)
        >>> for _ in range(2): opt.apply([torch.tensor([0.5, -1.0])], [w])
        >>> [round(v, 4) for v in w.tolist()]
        [0.6781, 2.3219]
    """

    _default_name = "lamb"

    def _slot_layout(self):
        return [[("momentum", 0.0), ("velocity", 0.0)]]

    def _update_step(self, params, grads, slots, lr, iterations):
        f32, t = _util.f32, iterations + 1
        m, v = slots["momentum"], slots["velocity"]
        torch._foreach_add_(m, torch._foreach_mul(torch._foreach_sub(grads, m), 1 - self.beta_1))
        torch._foreach_add_(
            v, torch._foreach_mul(torch._foreach_sub(_util.square(grads), v), 1 - self.beta_2)
        )
        m_hat = torch._foreach_div(m, f32(1.0 - _util.pow32(self.beta_1, t)))
        v_sqrt = torch._foreach_add(
            torch._foreach_sqrt(torch._foreach_div(v, f32(1.0 - _util.pow32(self.beta_2, t)))),
            self.epsilon,
        )
        updates = torch._foreach_div(m_hat, v_sqrt)
        w_norms = torch._foreach_norm(params)
        u_norms = torch._foreach_norm(updates)
        for p, update, w_norm, u_norm in zip(params, updates, w_norms, u_norms):
            ratio = torch.where(w_norm > 0, torch.where(u_norm > 0, w_norm / u_norm, 1.0), 1.0)
            p.sub_(ratio * lr * update)


@serialization.register_serializable(package="plait")
@keras_signature
class ScheduleFreeAdamW(_BetasOnly):
    """Schedule-free AdamW (Defazio et al. 2024), Keras's update: Adam steps on an auxiliary
    sequence `z` (the "momentum" slot, starting at the weights), the weights an
    interpolation of `z` and the running average `x` of past `z` (no learning-rate schedule
    needed; `warmup_steps` ramps the learning rate up linearly).

        v = beta_2 * v + (1 - beta_2) * g**2
        z -= lr * g / (sqrt(v / (1 - beta_2**t)) + epsilon)
        x_old = (w - (1 - beta_1) * z_old) / beta_1;  x = (1 - 1/t) * x_old + z / t
        w = (1 - beta_1) * z + beta_1 * x

    Args:
        learning_rate: default 0.0025.
        beta_1: default 0.9.
        beta_2: default 0.999.
        epsilon: default 1e-8.
        warmup_steps: default 0.
        weight_decay, clipnorm, ...: see `Optimizer`.
        name: default "schedule_free_adamw".

    Example: two updates of one weight with the gradient `[0.5, -1.0]` (Keras's values).

        >>> import torch
        >>> from plait import optimizers
        >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optimizers.ScheduleFreeAdamW(learning_rate=0.1)
        >>> for _ in range(2): opt.apply([torch.tensor([0.5, -1.0])], [w])
        >>> [round(v, 4) for v in w.tolist()]
        [0.85, 2.15]
    """

    _default_name = "schedule_free_adamw"

    def __init__(
        self,
        learning_rate=0.0025,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        warmup_steps=0,
        *args,
        **kwargs,
    ):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, *args, **kwargs)
        if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, int) or warmup_steps < 0:
            raise ValueError(
                "Argument `warmup_steps` must be an integer >= 0. "
                f"Received: warmup_steps={warmup_steps!r}"
            )
        self.warmup_steps = warmup_steps

    def _slot_layout(self):
        return [[("momentum", lambda p: p.detach().clone()), ("velocity", 0.0)]]

    def _update_step(self, params, grads, slots, lr, iterations):
        f32, t = _util.f32, iterations + 1
        lr = f32(lr)
        if self.warmup_steps > 0:
            lr = f32(lr * _util.minimum(f32(t / self.warmup_steps), 1.0))
        beta_1 = f32(self.beta_1)
        keep = f32(1 - beta_1)
        correction = f32(1 - _util.pow32(self.beta_2, t))
        weight = f32(1.0 / t)
        z, v = slots["momentum"], slots["velocity"]
        torch._foreach_add_(
            v,
            torch._foreach_mul(
                torch._foreach_sub(_util.square(grads), v), f32(1 - f32(self.beta_2))
            ),
        )
        denominators = torch._foreach_add(
            torch._foreach_sqrt(torch._foreach_div(v, correction)), self.epsilon
        )
        torch._foreach_sub_(z, torch._foreach_div(torch._foreach_mul(grads, lr), denominators))
        x_old = torch._foreach_div(torch._foreach_sub(params, torch._foreach_mul(z, keep)), beta_1)
        x_new = torch._foreach_add(
            torch._foreach_mul(x_old, f32(1 - weight)), torch._foreach_mul(z, weight)
        )
        torch._foreach_copy_(
            params,
            torch._foreach_add(torch._foreach_mul(z, keep), torch._foreach_mul(x_new, beta_1)),
        )

    def get_config(self):
        return {**super().get_config(), "warmup_steps": self.warmup_steps}
