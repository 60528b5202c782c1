"""`TorchOptimizer`: a user's `torch.optim.Optimizer` behind plait's optimizer interface,
keeping PyTorch's own update math."""

import torch

from plait import serialization
from plait.optimizers import _util
from plait.optimizers.base import Optimizer

__all__ = ["TorchOptimizer"]


@serialization.register_serializable(package="plait")
class TorchOptimizer(Optimizer):
    """Any `torch.optim.Optimizer` behind plait's optimizer interface.

    The wrapped optimizer updates the parameters the user gave it, with PyTorch's math;
    `build(params)` only checks that they all belong to `params` (the model's). `step()`
    clips as asked, then calls the torch optimizer's `step()`. The learning rate read and
    set is that of its param groups; torch LR schedulers keep working on it.

    Args:
        optimizer: the `torch.optim.Optimizer` instance.
        clipnorm, clipvalue, global_clipnorm: see `Optimizer`.
        name: default: the torch class name in lower case.

    Raises:
        TypeError: `optimizer` is not a `torch.optim.Optimizer`.

    Example:
        >>> import torch
        >>> from plait import optimizers
        >>> w = torch.nn.Parameter(torch.ones(2))
        >>> opt = optimizers.TorchOptimizer(torch.optim.SGD([w], lr=0.1))
        >>> opt.name, opt.learning_rate
        ('sgd', 0.1)
        >>> (w * 2).sum().backward()
        >>> opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.8, 0.8]

    `model.compile(optimizer=torch.optim.Adam(model.parameters()))` wraps it the same way.
    """

    _graph_ok = False

    def __init__(self, optimizer, clipnorm=None, clipvalue=None, global_clipnorm=None, name=None):
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(
                "TorchOptimizer wraps a torch.optim.Optimizer instance, e.g. "
                "TorchOptimizer(torch.optim.Adam(model.parameters())). "
                f"Received: optimizer={optimizer!r}"
            )
        super().__init__(
            float(_first_lr(optimizer)),
            None,
            clipnorm,
            clipvalue,
            global_clipnorm,
            name=name or type(optimizer).__name__.lower(),
        )
        self._torch = optimizer
        self._owned = [p for group in optimizer.param_groups for p in group["params"]]
        self._params = self._owned
        self._index = {id(p): i for i, p in enumerate(self._owned)}

    @property
    def torch_optimizer(self):
        """The wrapped `torch.optim.Optimizer`."""
        return self._torch

    def build(self, var_list):
        ids = {id(p) for p in var_list}
        foreign = [p for p in self._owned if id(p) not in ids]
        if foreign:
            shapes = [tuple(p.shape) for p in foreign[:3]]
            raise ValueError(
                f"The torch optimizer holds {len(foreign)} parameter(s) that are not the "
                f"model's (shapes {shapes}...). Create it from this model's parameters: "
                f"torch.optim.{type(self._torch).__name__}(model.parameters(), ...)."
            )

    @property
    def learning_rate(self):
        return float(_first_lr(self._torch))

    @learning_rate.setter
    def learning_rate(self, value):
        value = _util.check_learning_rate(value)
        for group in self._torch.param_groups:
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(value)
            else:
                group["lr"] = value

    lr = learning_rate

    def _current_lr(self):
        return float(_first_lr(self._torch))

    @torch.no_grad()
    def step(self):
        """Clip the gradients in place as asked, then the torch optimizer's `step()`."""
        if (
            self.clipnorm is not None
            or self.clipvalue is not None
            or self.global_clipnorm is not None
        ):
            grads = [p.grad for p in self._owned if p.grad is not None]
            if grads:
                torch._foreach_copy_(grads, self._clip(grads))
        self._torch.step()
        self._iterations += 1

    def _apply_indexed(self, indices, grads):
        for i, g in zip(indices, grads):
            self._owned[i].grad = g
        self.step()

    def zero_grad(self):
        self._torch.zero_grad(set_to_none=True)

    def state_dict(self):
        return {
            "iterations": self._iterations,
            "learning_rate": None,
            "torch": self._torch.state_dict(),
        }

    def load_state_dict(self, state_dict):
        self._iterations = int(state_dict.get("iterations", self._iterations))
        if state_dict.get("torch") is not None:
            self._torch.load_state_dict(state_dict["torch"])

    def get_config(self):
        defaults = {
            k: v
            for k, v in self._torch.defaults.items()
            if isinstance(v, (int, float, bool, str, type(None), tuple))
        }
        return {
            "name": self.name,
            "torch_class": type(self._torch).__name__,
            "defaults": defaults,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        raise ValueError(
            "A TorchOptimizer cannot be rebuilt from a config: it wraps an optimizer "
            f"bound to parameters ({config.get('torch_class')}). Create the torch "
            "optimizer again and pass it to compile()."
        )


def _first_lr(optimizer):
    lr = optimizer.param_groups[0]["lr"]
    return float(lr) if isinstance(lr, torch.Tensor) else lr
