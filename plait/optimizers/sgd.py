"""`SGD` (with Keras's momentum form) and `Lion` (sign of an interpolated momentum)."""

import torch

from plait import serialization
from plait.optimizers import _util
from plait.optimizers._util import keras_signature
from plait.optimizers.base import Optimizer

__all__ = ["Lion", "SGD"]


@serialization.register_serializable(package="plait")
@keras_signature
class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, Keras's update:

        velocity = momentum * velocity - learning_rate * g
        w = w + velocity                                   # nesterov=False
        w = w + momentum * velocity - learning_rate * g    # nesterov=True

    The velocity carries the learning rate (torch's `SGD` keeps `b = m * b + g`, and
    differs from Keras once a schedule changes the learning rate).

    Args:
        learning_rate: default 0.01.
        momentum: float in [0, 1]. Default 0.0.
        nesterov: default False.
        **kwargs: the options every optimizer takes (`weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`,
            `ema_overwrite_frequency`, `loss_scale_factor`,
            `gradient_accumulation_steps`): see `Optimizer`.
        name: default "SGD".

    Example: two updates of one weight with the gradient `[0.5, -1.0]` (Keras's values).

        >>> import torch
        >>> from plait import optimizers
        >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
        >>> for _ in range(2): opt.apply([torch.tensor([0.5, -1.0])], [w])
        >>> [round(v, 4) for v in w.tolist()]
        [0.855, 2.29]
    """

    _default_name = "SGD"

    def __init__(
        self,
        learning_rate=0.01,
        momentum=0.0,
        nesterov=False,
        *args,
        **kwargs,
    ):
        super().__init__(learning_rate, *args, **kwargs)
        self.momentum = _util.check_range("momentum", momentum, 0, 1)
        self.nesterov = bool(nesterov)

    def _slot_layout(self):
        return [[("momentum", 0.0)]] if self.momentum != 0 else []

    def _update_step(self, params, grads, slots, lr, iterations):
        if self.momentum == 0:
            _util.add_scaled_(params, grads, -lr)
            return
        velocities = slots["momentum"]
        torch._foreach_mul_(velocities, self.momentum)
        _util.add_scaled_(velocities, grads, -lr)
        if self.nesterov:
            _util.add_scaled_(params, grads, -lr)
            torch._foreach_add_(params, velocities, alpha=self.momentum)
        else:
            torch._foreach_add_(params, velocities)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


@serialization.register_serializable(package="plait")
@keras_signature
class Lion(Optimizer):
    """Lion (evolved sign momentum, Chen et al. 2023), Keras's update:

        w = w - learning_rate * sign(beta_1 * m + (1 - beta_1) * g)
        m = beta_2 * m + (1 - beta_2) * g

    Args:
        learning_rate: default 0.001.
        beta_1: in (0, 1]. Default 0.9.
        beta_2: default 0.99.
        weight_decay, clipnorm, ...: see `Optimizer`.
        name: default "lion".

    Raises:
        ValueError: beta_1 outside (0, 1] (Lion would be SignSGD).

    Example: two updates of one weight with the gradient `[0.5, -1.0]` (Keras's values).

        >>> import torch
        >>> from plait import optimizers
        >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optimizers.Lion(learning_rate=0.1)
        >>> for _ in range(2): opt.apply([torch.tensor([0.5, -1.0])], [w])
        >>> [round(v, 4) for v in w.tolist()]
        [0.8, 2.2]
    """

    _default_name = "lion"

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.99,
        *args,
        **kwargs,
    ):
        super().__init__(learning_rate, *args, **kwargs)
        if isinstance(beta_1, (int, float)) and not 0 < beta_1 <= 1:
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the "
                f"optimizer degenerates to SignSGD. Received: beta_1={beta_1}."
            )
        self.beta_1 = _util.check_range("beta_1", beta_1, 0, 1, low_open=True)
        self.beta_2 = _util.check_range("beta_2", beta_2, 0, 1)

    def _slot_layout(self):
        return [[("momentum", 0.0)]]

    def _update_step(self, params, grads, slots, lr, iterations):
        momentums = slots["momentum"]
        signs = torch._foreach_mul(momentums, self.beta_1)
        torch._foreach_add_(signs, grads, alpha=1 - self.beta_1)
        signs = torch._foreach_sign(signs)
        _util.add_scaled_(params, signs, -lr)
        torch._foreach_mul_(momentums, self.beta_2)
        torch._foreach_add_(momentums, grads, alpha=1 - self.beta_2)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
