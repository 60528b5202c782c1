"""`LossScaleOptimizer`: Keras's dynamic loss scaling around another optimizer."""

import torch

from plait import serialization
from plait.utils import compiler
from plait.optimizers.base import Optimizer

__all__ = ["LossScaleOptimizer"]

_BASE_DEFAULTS = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


@serialization.register_serializable(package="plait")
class LossScaleOptimizer(Optimizer):
    """Dynamic loss scaling (Keras's `LossScaleOptimizer`): `scale_loss(loss)` multiplies
    the loss by the current scale; `apply(grads, vars)` checks the gradients: all finite,
    they are divided by the scale and the inner optimizer updates (after
    `dynamic_growth_steps` such steps in a row the scale doubles); any inf or NaN, the
    update is skipped and the scale halves.

    In `fit` the loop's `step()` passes the gradients of the unscaled loss: the update is
    skipped on non-finite gradients and the scale bookkeeping is Keras's, but nothing is
    divided.

    Args:
        inner_optimizer: the plait `Optimizer` to wrap (its `loss_scale_factor` is
            cleared).
        initial_scale: default 2.0**15.
        dynamic_growth_steps: default 2000.
        name: default "loss_scale_optimizer".

    Raises:
        ValueError: `dynamic=False`, or one of the base optimizer's arguments (set them on
            the inner optimizer).

    Example:
        >>> import torch
        >>> from plait import optimizers
        >>> opt = optimizers.LossScaleOptimizer(optimizers.SGD(0.1), initial_scale=8.0)
        >>> w = torch.nn.Parameter(torch.ones(2))
        >>> opt.scale_loss((w * 2).sum()).backward()  # gradients 8 * [2, 2]
        >>> opt.apply([w.grad], [w])  # divided by 8 before the SGD update
        >>> [round(v, 4) for v in w.tolist()]
        [0.8, 0.8]
        >>> opt.apply([torch.tensor([float("inf"), 1.0])], [w])  # skipped; the scale halves
        >>> [round(v, 4) for v in w.tolist()], float(opt.dynamic_scale)
        ([0.8, 0.8], 4.0)
    """

    _default_name = "loss_scale_optimizer"
    _graph_ok = False

    def __init__(
        self, inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000, name=None, **kwargs
    ):
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`. Instead, "
                "simply set `loss_scale_factor` directly on the "
                "`inner_optimizer`."
            )
        for arg, default in _BASE_DEFAULTS.items():
            if arg in kwargs and kwargs.pop(arg) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{arg}`. Instead, set "
                    f"`{arg}` on the `inner_optimizer`."
                )
        if kwargs:
            raise ValueError(
                f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`."
            )
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(
                "LossScaleOptimizer wraps a plait optimizer. Received: "
                f"inner_optimizer={inner_optimizer!r}"
            )
        super().__init__(0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = int(dynamic_growth_steps)
        inner_optimizer.loss_scale_factor = None
        self.dynamic_scale = torch.tensor(self.initial_scale, dtype=torch.float32)
        self.step_counter = 0

    def build(self, var_list):
        var_list = list(var_list)
        self.inner_optimizer.build(var_list)
        super().build(var_list)
        self.dynamic_scale = self.dynamic_scale.to(self._params[0].device)

    @property
    def variables(self):
        own = [
            torch.tensor(self._iterations, dtype=torch.int64),
            torch.tensor(0.0, dtype=torch.float32),
            torch.tensor(self.step_counter, dtype=torch.int64),
            self.dynamic_scale,
        ]
        return own + self.inner_optimizer.variables

    def set_weights(self, weights):
        self._iterations = int(weights[0])
        self.step_counter = int(weights[2])
        with torch.no_grad():
            self.dynamic_scale.copy_(torch.as_tensor(weights[3]))
        self.inner_optimizer.set_weights(list(weights[4:]))

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if hasattr(self, "inner_optimizer"):
            self.inner_optimizer.learning_rate = value
        else:
            self._learning_rate = value

    lr = learning_rate

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def scale_loss(self, loss):
        return loss * self.dynamic_scale.to(loss.device, loss.dtype)

    def _finite(self, grads):
        grads = [g for g in grads if g is not None]
        return bool(torch.stack([torch.isfinite(g).all() for g in grads]).all())

    @compiler.disable
    @torch.no_grad()
    def step(self):
        self._check_built()
        grads = [p.grad for p in self._params]
        if self._finite(grads):
            self.inner_optimizer.step()
            self._grow()
        else:
            self._shrink()

    @torch.no_grad()
    def apply(self, grads, trainable_variables=None):
        grads = list(grads)
        if not self.built:
            self.build(trainable_variables)
        if self._finite(grads):
            scale = self.dynamic_scale
            unscaled = [None if g is None else g / scale.to(g.device, g.dtype) for g in grads]
            self.inner_optimizer.apply(unscaled, trainable_variables)
            self._grow()
        else:
            self._shrink()

    def _grow(self):
        if self.step_counter == self.dynamic_growth_steps - 1:
            self.step_counter = 0
            self.dynamic_scale.mul_(2.0)
        else:
            self.step_counter += 1

    def _shrink(self):
        self.step_counter = 0
        self.dynamic_scale.mul_(0.5)

    def zero_grad(self):
        self.inner_optimizer.zero_grad()

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def state_dict(self):
        return {
            "iterations": self._iterations,
            "learning_rate": None,
            "slots": {},
            "extra": {
                "step_counter": self.step_counter,
                "dynamic_scale": float(self.dynamic_scale),
            },
            "inner": self.inner_optimizer.state_dict(),
        }

    def load_state_dict(self, state_dict):
        extra = state_dict.get("extra") or {}
        self.step_counter = int(extra.get("step_counter", 0))
        self.dynamic_scale.fill_(float(extra.get("dynamic_scale", self.initial_scale)))
        self._iterations = int(state_dict.get("iterations", 0))
        if "inner" in state_dict:
            self.inner_optimizer.load_state_dict(state_dict["inner"])

    def get_config(self):
        return {
            "name": self.name,
            "inner_optimizer": serialization.serialize(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        inner = serialization.deserialize(
            config.pop("inner_optimizer"), custom_objects, kind="optimizer"
        )
        return cls(inner, **config)
