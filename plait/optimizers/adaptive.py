"""Per-coordinate adaptive optimizers with Keras's update math: `RMSprop`, `Adagrad`,
`Adadelta`, `Ftrl`, `Adafactor`."""

import torch

from plait import serialization
from plait.optimizers import _util
from plait.optimizers._util import keras_signature
from plait.optimizers.base import Optimizer

__all__ = ["Adadelta", "Adafactor", "Adagrad", "Ftrl", "RMSprop"]


@serialization.register_serializable(package="plait")
@keras_signature
class RMSprop(Optimizer):
    """RMSprop, Keras's update (epsilon inside the square root):

        v = rho * v + (1 - rho) * g**2
        centered: a = rho * a + (1 - rho) * g;  denominator = sqrt(v - a**2 + epsilon)
        else:     denominator = sqrt(v + epsilon)
        step = lr * g / denominator
        momentum > 0: mom = momentum * mom + step;  w -= mom
        else: w -= step

    Args:
        learning_rate: default 0.001.
        rho: default 0.9.
        momentum: default 0.0.
        epsilon: default 1e-7.
        centered: default False.
        weight_decay, clipnorm, ...: see `Optimizer`.
        name: default "rmsprop".

    Example: two updates of one weight with the gradient `[0.5, -1.0]` (Keras's values).

        >>> import torch
        >>> from plait import optimizers
        >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optimizers.RMSprop(learning_rate=0.1)
        >>> for _ in range(2): opt.apply([torch.tensor([0.5, -1.0])], [w])
        >>> [round(v, 4) for v in w.tolist()]
        [0.4544, 2.5456]
    """

    _default_name = "rmsprop"

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
        *args,
        **kwargs,
    ):
        super().__init__(learning_rate, *args, **kwargs)
        self.rho = _util.check_range("rho", rho, 0, 1)
        self.momentum = _util.check_range("momentum", momentum, 0, 1)
        self.epsilon = _util.check_range("epsilon", epsilon, 0, float("inf"))
        self.centered = bool(centered)

    def _slot_layout(self):
        layout = [[("velocity", 0.0)]]
        if self.momentum > 0:
            layout.append([("momentum", 0.0)])
        if self.centered:
            layout.append([("average_gradient", 0.0)])
        return layout

    def _update_step(self, params, grads, slots, lr, iterations):
        rho = self.rho
        velocities = slots["velocity"]
        torch._foreach_mul_(velocities, rho)
        torch._foreach_add_(velocities, _util.square(grads), alpha=1 - rho)
        denominators = torch._foreach_add(velocities, self.epsilon)
        if self.centered:
            averages = slots["average_gradient"]
            torch._foreach_mul_(averages, rho)
            torch._foreach_add_(averages, grads, alpha=1 - rho)
            torch._foreach_sub_(denominators, _util.square(averages))
        torch._foreach_sqrt_(denominators)
        increments = torch._foreach_div(torch._foreach_mul(grads, lr), denominators)
        if self.momentum > 0:
            momentums = slots["momentum"]
            torch._foreach_mul_(momentums, self.momentum)
            torch._foreach_add_(momentums, increments)
            increments = momentums
        torch._foreach_sub_(params, increments)

    def get_config(self):
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }


@serialization.register_serializable(package="plait")
@keras_signature
class Adagrad(Optimizer):
    """Adagrad, Keras's update: `acc += g**2`, `w -= lr * g / sqrt(acc + epsilon)`.

    Args:
        learning_rate: default 0.001.
        initial_accumulator_value: default 0.1.
        epsilon: default 1e-7.
        weight_decay, clipnorm, ...: see `Optimizer`.
        name: default "adagrad".

    Example: two updates of one weight with the gradient `[0.5, -1.0]` (Keras's values).

        >>> import torch
        >>> from plait import optimizers
        >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optimizers.Adagrad(learning_rate=0.1)
        >>> for _ in range(2): opt.apply([torch.tensor([0.5, -1.0])], [w])
        >>> [round(v, 4) for v in w.tolist()]
        [0.8509, 2.1644]
    """

    _default_name = "adagrad"

    def __init__(
        self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, *args, **kwargs
    ):
        super().__init__(learning_rate, *args, **kwargs)
        self.initial_accumulator_value = _util.check_range(
            "initial_accumulator_value", initial_accumulator_value, 0, float("inf")
        )
        self.epsilon = _util.check_range("epsilon", epsilon, 0, float("inf"))

    def _slot_layout(self):
        return [[("accumulator", self.initial_accumulator_value)]]

    def _update_step(self, params, grads, slots, lr, iterations):
        accumulators = slots["accumulator"]
        torch._foreach_add_(accumulators, _util.square(grads))
        denominators = torch._foreach_sqrt(torch._foreach_add(accumulators, self.epsilon))
        torch._foreach_sub_(params, torch._foreach_div(torch._foreach_mul(grads, lr), denominators))

    def get_config(self):
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }


@serialization.register_serializable(package="plait")
@keras_signature
class Adadelta(Optimizer):
    """Adadelta, Keras's update:

        acc_g = rho * acc_g + (1 - rho) * g**2
        delta = -sqrt(acc_d + epsilon) * g / sqrt(acc_g + epsilon)
        acc_d = rho * acc_d + (1 - rho) * delta**2
        w += lr * delta

    Args:
        learning_rate: default 0.001 (torch's default is 1.0).
        rho: default 0.95.
        epsilon: default 1e-7.
        weight_decay, clipnorm, ...: see `Optimizer`.
        name: default "adadelta".

    Example: two updates of one weight with the gradient `[0.5, -1.0]` (Keras's values).

        >>> import torch
        >>> from plait import optimizers
        >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optimizers.Adadelta(learning_rate=1.0)
        >>> for _ in range(2): opt.apply([torch.tensor([0.5, -1.0])], [w])
        >>> [round(v, 4) for v in w.tolist()]
        [0.9972, 2.0028]
    """

    _default_name = "adadelta"

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, *args, **kwargs):
        super().__init__(learning_rate, *args, **kwargs)
        self.rho = _util.check_range("rho", rho, 0, 1)
        self.epsilon = _util.check_range("epsilon", epsilon, 0, float("inf"))

    def _slot_layout(self):
        return [[("accumulated_grad", 0.0), ("accumulated_delta_var", 0.0)]]

    def _update_step(self, params, grads, slots, lr, iterations):
        rho, eps = self.rho, self.epsilon
        acc_g, acc_d = slots["accumulated_grad"], slots["accumulated_delta_var"]
        torch._foreach_mul_(acc_g, rho)
        torch._foreach_add_(acc_g, _util.square(grads), alpha=1 - rho)
        numerators = torch._foreach_mul(torch._foreach_sqrt(torch._foreach_add(acc_d, eps)), grads)
        deltas = torch._foreach_div(numerators, torch._foreach_sqrt(torch._foreach_add(acc_g, eps)))
        torch._foreach_mul_(deltas, -1)
        torch._foreach_mul_(acc_d, rho)
        torch._foreach_add_(acc_d, _util.square(deltas), alpha=1 - rho)
        _util.add_scaled_(params, deltas, lr)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


@serialization.register_serializable(package="plait")
@keras_signature
class Ftrl(Optimizer):
    """FTRL-proximal (McMahan et al. 2013), Keras's update with L1, L2 and L2-shrinkage
    regularization:

        g' = g + 2 * l2_shrinkage * w;   n' = n + g**2
        z += g' - (n'**-p - n**-p) / lr * w
        w = (clip(z, -l1, l1) - z) / (n'**-p / lr + 2 * (l2 + beta / (2 * lr)));  n = n'

    Args:
        learning_rate: default 0.001.
        learning_rate_power: <= 0. Default -0.5.
        initial_accumulator_value: >= 0. Default 0.1.
        l1_regularization_strength: >= 0. Default 0.0.
        l2_regularization_strength: >= 0. Default 0.0.
        l2_shrinkage_regularization_strength: >= 0. Default 0.0.
        beta: default 0.0.
        weight_decay, clipnorm, ...: see `Optimizer`.
        name: default "ftrl".

    Raises:
        ValueError: a value out of its range.

    Example: two updates of one weight with the gradient `[0.5, -1.0]` (Keras's values).

        >>> import torch
        >>> from plait import optimizers
        >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optimizers.Ftrl(learning_rate=0.1)
        >>> for _ in range(2): opt.apply([torch.tensor([0.5, -1.0])], [w])
        >>> [round(v, 4) for v in w.tolist()]
        [0.3164, 1.5613]
    """

    _default_name = "ftrl"

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        l2_shrinkage_regularization_strength=0.0,
        beta=0.0,
        *args,
        **kwargs,
    ):
        super().__init__(learning_rate, *args, **kwargs)
        checks = (
            ("initial_accumulator_value", initial_accumulator_value, "positive or zero"),
            ("l1_regularization_strength", l1_regularization_strength, "positive or zero"),
            ("l2_regularization_strength", l2_regularization_strength, "positive or zero"),
            (
                "l2_shrinkage_regularization_strength",
                l2_shrinkage_regularization_strength,
                "positive or zero",
            ),
            ("learning_rate_power", -learning_rate_power, "negative or zero"),
        )
        for arg, value, what in checks:
            if value < 0.0:
                shown = -value if arg == "learning_rate_power" else value
                raise ValueError(f"`{arg}` needs to be {what}. Received: {arg}={shown}.")
        self.learning_rate_power = float(learning_rate_power)
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.l1_regularization_strength = float(l1_regularization_strength)
        self.l2_regularization_strength = float(l2_regularization_strength)
        self.l2_shrinkage_regularization_strength = float(l2_shrinkage_regularization_strength)
        self.beta = float(beta)

    def _slot_layout(self):
        return [[("accumulator", self.initial_accumulator_value), ("linear", 0.0)]]

    def _update_step(self, params, grads, slots, lr, iterations):
        power = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        accumulators, linears = slots["accumulator"], slots["linear"]
        shrunk = grads
        if self.l2_shrinkage_regularization_strength:
            shrunk = torch._foreach_add(
                grads, torch._foreach_mul(params, 2 * self.l2_shrinkage_regularization_strength)
            )
        new_acc = torch._foreach_add(accumulators, _util.square(grads))
        new_pow = torch._foreach_pow(new_acc, power)
        sigma = torch._foreach_div(
            torch._foreach_sub(new_pow, torch._foreach_pow(accumulators, power)), lr
        )
        torch._foreach_add_(linears, torch._foreach_sub(shrunk, torch._foreach_mul(sigma, params)))
        quadratic = torch._foreach_add(torch._foreach_div(new_pow, lr), 2 * l2)
        clipped = [z.clamp(-l1, l1) for z in linears]
        torch._foreach_copy_(
            params, torch._foreach_div(torch._foreach_sub(clipped, linears), quadratic)
        )
        torch._foreach_copy_(accumulators, new_acc)

    def get_config(self):
        return {
            **super().get_config(),
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }


def _rms(x):
    return x.square().mean().sqrt()


@serialization.register_serializable(package="plait")
@keras_signature
class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern 2018), Keras's update: second moments factored into row
    and column means for weights of rank >= 2, relative step size
    `max(epsilon_2, rms(w)) * min(lr, 1 / sqrt(t))`, updates clipped to RMS
    `clip_threshold`.

    Args:
        learning_rate: default 0.001.
        beta_2_decay: default -0.8 (`beta_2 = 1 - t**beta_2_decay`).
        epsilon_1: default 1e-30, added to `g**2`.
        epsilon_2: default 1e-3, the least relative step scale.
        clip_threshold: default 1.0.
        relative_step: default True (Keras's update takes `min(lr, 1 / sqrt(t))` either
            way).
        weight_decay, clipnorm, ...: see `Optimizer`.
        name: default "adafactor".

    Example: two updates of one weight with the gradient `[0.5, -1.0]` (Keras's values).

        >>> import torch
        >>> from plait import optimizers
        >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optimizers.Adafactor(learning_rate=0.1)
        >>> for _ in range(2): opt.apply([torch.tensor([0.5, -1.0])], [w])
        >>> [round(v, 4) for v in w.tolist()]
        [0.6781, 2.3219]
    """

    _default_name = "adafactor"

    def __init__(
        self,
        learning_rate=0.001,
        beta_2_decay=-0.8,
        epsilon_1=1e-30,
        epsilon_2=1e-3,
        clip_threshold=1.0,
        relative_step=True,
        *args,
        **kwargs,
    ):
        super().__init__(learning_rate, *args, **kwargs)
        self.beta_2_decay = float(beta_2_decay)
        self.epsilon_1 = float(epsilon_1)
        self.epsilon_2 = float(epsilon_2)
        self.clip_threshold = _util.check_range(
            "clip_threshold", clip_threshold, 0, float("inf"), low_open=True
        )
        self.relative_step = bool(relative_step)

    def _slot_layout(self):
        def rows(p):
            if p.dim() < 2:
                return torch.zeros((), dtype=p.dtype, device=p.device)
            return torch.zeros(p.shape[:-1], dtype=p.dtype, device=p.device)

        def cols(p):
            if p.dim() < 2:
                return torch.zeros((), dtype=p.dtype, device=p.device)
            return torch.zeros(p.shape[:-2] + p.shape[-1:], dtype=p.dtype, device=p.device)

        return [[("row", rows), ("column", cols), ("velocity", 0.0)]]

    def _update_step(self, params, grads, slots, lr, iterations):
        t = iterations + 1
        rho = _util.minimum(lr, 1 / _util.sqrt(t))
        beta = 1 - t**self.beta_2_decay
        for p, g, r, c, v in zip(params, grads, slots["row"], slots["column"], slots["velocity"]):
            alpha = torch.clamp(_rms(p), min=self.epsilon_2) * rho
            squared = g.square() + self.epsilon_1
            if p.dim() >= 2:
                r.copy_(beta * r + (1 - beta) * squared.mean(dim=-1))
                c.copy_(beta * c + (1 - beta) * squared.mean(dim=-2))
                v.copy_((r / r.mean(dim=-1, keepdim=True)).unsqueeze(-1) * c.unsqueeze(-2))
            else:
                v.copy_(beta * v + (1 - beta) * squared)
            u = g / v.sqrt()
            u_hat = u / torch.clamp(_rms(u) / self.clip_threshold, min=1.0)
            p.sub_(alpha * u_hat)

    def get_config(self):
        return {
            **super().get_config(),
            "beta_2_decay": self.beta_2_decay,
            "epsilon_1": self.epsilon_1,
            "epsilon_2": self.epsilon_2,
            "clip_threshold": self.clip_threshold,
            "relative_step": self.relative_step,
        }
