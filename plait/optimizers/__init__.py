"""Optimizers with Keras's names, arguments and defaults, running `torch.optim` kernels.

An optimizer is created without parameters, as in Keras, and bound to them by
`build(params)`; the training loop then calls `zero_grad()`, `backward()` and `step()`.

    opt = plait.optimizers.get("adam")            # Adam(learning_rate=0.001, epsilon=1e-7)
    opt.build(model.parameters())
    loss.backward(); opt.step(); opt.zero_grad()

`step()` clips the gradients (clipnorm, clipvalue or global_clipnorm), sets the
scheduled learning rate for this step, applies Keras's decoupled weight decay, runs the
`torch.optim` update (fused on CPU and CUDA where PyTorch has a fused kernel) and
increments `iterations`, a Python int. Nothing in it waits for the device.

Where Keras's update differs from `torch.optim`'s, plait follows `torch.optim` (users
compare against PyTorch loops) with Keras's default hyper-parameters; each class says
what differs.
"""
import torch

from plait import serialization
from plait.optimizers import schedules
from plait.optimizers.schedules import LearningRateSchedule

_FUSED = (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW)
# The fused kernels update every parameter in one call: on CPU about 3x faster than the
# default per-parameter loop for small models (measured in bench/).
_FUSED_DEVICES = ("cpu", "cuda")


def _check_range(name, value, low, high, high_open=False):
    ok = low <= value < high if high_open else low <= value <= high
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not ok:
        bracket = ")" if high_open else "]"
        raise ValueError(f"Argument `{name}` must be a float in [{low}, {high}{bracket}. "
                         f"Received: {name}={value!r}")


def _check_optional_positive(name, value):
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"Argument `{name}` must be a float or None. "
                        f"Received: {name}={value!r}")
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


def _check_learning_rate(learning_rate):
    if isinstance(learning_rate, LearningRateSchedule) or (
            callable(learning_rate) and not isinstance(learning_rate, torch.Tensor)):
        return learning_rate
    if isinstance(learning_rate, torch.Tensor) and learning_rate.numel() == 1:
        learning_rate = float(learning_rate)
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)):
        raise TypeError(
            "Argument `learning_rate` should be a float, a LearningRateSchedule or a "
            "callable taking no arguments that returns the learning rate. "
            f"Received: learning_rate={learning_rate!r}")
    if learning_rate < 0:
        raise ValueError(
            f"Argument `learning_rate` must be >= 0. Received: learning_rate={learning_rate}")
    return float(learning_rate)


def _grads(params):
    return [p.grad for p in params if p.grad is not None]


def _clip_by_norm(grads, clipnorm):
    """Each gradient scaled to norm <= clipnorm: `g * clipnorm / max(norm(g), clipnorm)`."""
    norms = torch._foreach_norm(grads)
    scales = [clipnorm / torch.clamp(n, min=clipnorm) for n in norms]
    torch._foreach_mul_(grads, scales)


def _clip_by_global_norm(grads, clipnorm):
    """All gradients scaled by `clipnorm / max(global_norm, clipnorm)` (Keras's formula;
    torch's clip_grad_norm_ adds 1e-6 to the norm)."""
    norms = torch._foreach_norm(grads)
    device = grads[0].device
    total = torch.linalg.vector_norm(torch.stack([n.to(device, torch.float32) for n in norms]))
    scale = clipnorm / torch.clamp(total, min=clipnorm)
    torch._foreach_mul_(grads, scale)


@serialization.register_serializable(package="plait")
class Optimizer:
    """Base class of plait optimizers.

    Args:
        learning_rate: a float, a `schedules.LearningRateSchedule` (evaluated at
            `iterations` before each update) or a callable with no arguments.
        weight_decay: decoupled weight decay as in Keras: before each update every
            parameter with a gradient becomes `p - p * weight_decay * learning_rate`.
            Default None (none). (torch.optim's `weight_decay` of SGD, Adam, ... is an L2
            term added to the gradient instead; plait does not use it.)
        clipnorm: clip each gradient to this norm. Default None.
        clipvalue: clip each gradient element to [-clipvalue, clipvalue]. Default None.
        global_clipnorm: clip all gradients together to this global norm. Default None.
            At most one of the three clipping arguments may be set.
        name: default: the class's Keras name.

    Subclasses either name a `torch.optim` class (`_torch_class` and
    `_torch_kwargs()`) or, like a Keras custom optimizer, implement
    `update_step(gradient, variable, learning_rate)`, called under `torch.no_grad()`
    for every parameter with a gradient.
    """

    _torch_class = None
    _default_name = "optimizer"

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None):
        set_clips = [c for c in (clipnorm, clipvalue, global_clipnorm) if c is not None]
        if len(set_clips) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}")
        for arg, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                           ("global_clipnorm", global_clipnorm)):
            _check_optional_positive(arg, value)
        if weight_decay is not None:
            if isinstance(weight_decay, bool) or not isinstance(weight_decay, (int, float)):
                raise TypeError("Argument `weight_decay` must be a float. "
                                f"Received: weight_decay={weight_decay!r}")
            if weight_decay < 0:
                raise ValueError("Argument `weight_decay` must be >= 0. "
                                 f"Received: weight_decay={weight_decay}")
        self._learning_rate = _check_learning_rate(learning_rate)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.name = name or self._default_name
        self._iterations = 0
        self._params = []
        self._param_ids = set()
        self._torch = None
        self._group_lr = None
        self._pending_state = None

    # --- binding to parameters ---------------------------------------------------------

    def build(self, params):
        """Bind the optimizer to `params` (an iterable of torch Parameters).

        Calling it again with the same parameters does nothing; parameters not seen
        before are added (as a new param group with the same hyper-parameters), so a
        model rebuilt or unfrozen after compile keeps its optimizer state.
        """
        new = []
        for p in params:
            if not isinstance(p, torch.Tensor):
                raise TypeError(
                    f"Optimizer '{self.name}'.build() expects torch Parameters, e.g. "
                    f"model.parameters(). Received an element of type {type(p).__name__}.")
            if id(p) not in self._param_ids:
                self._param_ids.add(id(p))
                new.append(p)
        if not new:
            return
        self._params.extend(new)
        if self._torch_class is not None:
            if self._torch is None:
                self._torch = self._torch_class(new, **self._kwargs_for(new))
                self._group_lr = self._torch.param_groups[0]["lr"]
            else:
                self._torch.add_param_group({"params": new})
        if self._pending_state is not None:
            state, self._pending_state = self._pending_state, None
            self.load_state_dict(state)

    @property
    def built(self):
        return bool(self._params)

    def _kwargs_for(self, params):
        kwargs = {"lr": self._current_lr(), **self._torch_kwargs()}
        if self._torch_class in _FUSED and all(
                p.device.type in _FUSED_DEVICES and p.is_floating_point() for p in params):
            kwargs["fused"] = True
        return kwargs

    def _torch_kwargs(self):
        return {}

    @property
    def torch_optimizer(self):
        """The underlying `torch.optim.Optimizer` (None before `build`)."""
        return self._torch

    # --- learning rate -----------------------------------------------------------------

    def _current_lr(self):
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            return float(lr(self._iterations))
        if callable(lr):
            return float(lr())
        return lr

    @property
    def learning_rate(self):
        """The learning rate of the next step, a float (a schedule's current value)."""
        return self._current_lr()

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(self._learning_rate, LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not "
                "settable. If you need the learning rate to be settable, you should "
                "instantiate the optimizer with a float `learning_rate` argument.")
        self._learning_rate = _check_learning_rate(value)
        if self._torch is not None:
            self._set_group_lr(self._current_lr())

    def _set_group_lr(self, lr):
        if lr == self._group_lr:
            return
        for group in self._torch.param_groups:
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(lr)
            else:
                group["lr"] = lr
        self._group_lr = lr

    @property
    def iterations(self):
        """The number of steps taken, a Python int."""
        return self._iterations

    # --- the update --------------------------------------------------------------------

    def _check_built(self):
        if not self._params:
            raise ValueError(
                f"Optimizer '{self.name}' has no parameters: call "
                "optimizer.build(model.parameters()) before step().")

    def _clip(self, grads):
        if self.clipvalue is not None:
            torch._foreach_clamp_min_(grads, -self.clipvalue)
            torch._foreach_clamp_max_(grads, self.clipvalue)
        elif self.clipnorm is not None:
            _clip_by_norm(grads, self.clipnorm)
        elif self.global_clipnorm is not None:
            _clip_by_global_norm(grads, self.global_clipnorm)

    def _decay_weights(self, lr):
        if self.weight_decay:
            params = [p for p in self._params if p.grad is not None]
            if params:
                torch._foreach_mul_(params, 1.0 - lr * self.weight_decay)

    @torch.no_grad()
    def step(self):
        """Clip, decay and update every parameter that has a gradient; then
        `iterations += 1`."""
        self._check_built()
        if self.clipvalue is not None or self.clipnorm is not None or \
                self.global_clipnorm is not None:
            grads = _grads(self._params)
            if grads:
                self._clip(grads)
        lr = self._current_lr()
        self._apply(lr)
        self._iterations += 1

    def _apply(self, lr):
        if self._torch is None:
            self._decay_weights(lr)
            for p in self._params:
                if p.grad is not None:
                    self.update_step(p.grad, p, lr)
            return
        self._set_group_lr(lr)
        self._decay_weights(lr)
        self._torch.step()

    def update_step(self, gradient, variable, learning_rate):
        raise NotImplementedError(
            f"Optimizer '{type(self).__name__}' names no torch.optim class, so it must "
            "implement update_step(gradient, variable, learning_rate).")

    def zero_grad(self):
        """Drop the gradients (set them to None)."""
        if self._torch is not None:
            self._torch.zero_grad(set_to_none=True)
        else:
            for p in self._params:
                p.grad = None

    def apply(self, grads, trainable_variables=None):
        """Keras 3's API: apply `grads` to `trainable_variables` (default: the parameters
        the optimizer was built with, in order)."""
        grads = list(grads)
        variables = list(trainable_variables) if trainable_variables is not None \
            else list(self._params)
        if len(grads) != len(variables):
            raise ValueError(
                f"Optimizer '{self.name}'.apply() got {len(grads)} gradients for "
                f"{len(variables)} variables. Received: len(grads)={len(grads)}")
        self.apply_gradients(zip(grads, variables))

    def apply_gradients(self, grads_and_vars):
        """Keras's API: set each variable's gradient, then `step()`.

        Args:
            grads_and_vars: pairs `(gradient, parameter)`.
        """
        pairs = list(grads_and_vars)
        self.build(v for _, v in pairs)
        for g, v in pairs:
            v.grad = None if g is None else g.detach()
        self.step()

    # --- state -------------------------------------------------------------------------

    def state_dict(self):
        """`{"iterations", "learning_rate", "torch"}`: the step count, the float learning
        rate (None for a schedule or callable) and the torch optimizer's state_dict."""
        learning_rate = self._learning_rate if isinstance(self._learning_rate, float) else None
        torch_state = self._torch.state_dict() if self._torch is not None else None
        if torch_state is None and self._pending_state is not None:
            torch_state = self._pending_state.get("torch")
        return {"iterations": self._iterations, "learning_rate": learning_rate,
                "torch": torch_state}

    def load_state_dict(self, state_dict):
        """Restore `state_dict()`'s output. Before `build`, the torch state is kept and
        loaded when the optimizer is built."""
        if "iterations" in state_dict:
            self._iterations = int(state_dict["iterations"])
        learning_rate = state_dict.get("learning_rate")
        if learning_rate is not None and not isinstance(self._learning_rate,
                                                        LearningRateSchedule):
            self._learning_rate = float(learning_rate)
        torch_state = state_dict.get("torch")
        if torch_state is None:
            return
        if self._torch is None:
            self._pending_state = {"torch": torch_state}
            return
        self._torch.load_state_dict(torch_state)
        self._group_lr = None
        self._set_group_lr(self._current_lr())

    # --- config ------------------------------------------------------------------------

    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            lr = schedules.serialize(lr)
        elif callable(lr):
            lr = float(lr())
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                "clipvalue": self.clipvalue}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"],
                                                            custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} learning_rate={self.learning_rate}>"


@serialization.register_serializable(package="plait")
class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, on `torch.optim.SGD`.

    Args:
        learning_rate: default 0.01.
        momentum: in [0, 1]. Default 0.0.
        nesterov: default False.
        weight_decay, clipnorm, clipvalue, global_clipnorm: see `Optimizer`.
        name: default "SGD".

    Keras keeps the velocity scaled by the learning rate (`v = m * v - lr * g`,
    `p += v`), torch keeps it unscaled (`b = m * b + g`, `p -= lr * b`): the same while
    the learning rate is constant, different when a schedule changes it.
    """

    _torch_class = torch.optim.SGD
    _default_name = "SGD"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name)
        _check_range("momentum", momentum, 0, 1)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def _torch_kwargs(self):
        # torch refuses nesterov without momentum; Keras ignores it.
        return {"momentum": self.momentum, "nesterov": self.nesterov and self.momentum > 0}

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class _AdamBase(Optimizer):
    _default_name = "adam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name)
        _check_range("beta_1", beta_1, 0, 1, high_open=True)
        _check_range("beta_2", beta_2, 0, 1, high_open=True)
        _check_range("epsilon", epsilon, 0, float("inf"))
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.amsgrad = bool(amsgrad)

    def _torch_kwargs(self):
        return {"betas": (self.beta_1, self.beta_2), "eps": self.epsilon,
                "amsgrad": self.amsgrad}

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


@serialization.register_serializable(package="plait")
class Adam(_AdamBase):
    """Adam, on `torch.optim.Adam` with Keras's defaults.

    Args:
        learning_rate: default 0.001.
        beta_1: default 0.9.
        beta_2: default 0.999.
        epsilon: default 1e-7 (torch's default is 1e-8).
        amsgrad: default False.
        weight_decay, clipnorm, clipvalue, global_clipnorm: see `Optimizer`.
        name: default "adam".

    Keras adds epsilon to the uncorrected `sqrt(v)` (`eps_hat` of the paper); torch
    adds it to the bias-corrected `sqrt(v / (1 - beta_2**t))`, as here. The two differ
    by a factor `sqrt(1 - beta_2**t)` on epsilon only.
    """

    _torch_class = torch.optim.Adam
    _default_name = "adam"


@serialization.register_serializable(package="plait")
class AdamW(_AdamBase):
    """Adam with decoupled weight decay, on `torch.optim.AdamW` (the same decay as
    Keras: `p -= lr * weight_decay * p` before the Adam update).

    Args:
        learning_rate: default 0.001.
        weight_decay: default 0.004 (torch's default is 0.01).
        beta_1, beta_2, epsilon (default 1e-7), amsgrad: as `Adam`.
        clipnorm, clipvalue, global_clipnorm: see `Optimizer`.
        name: default "adamw".
    """

    _torch_class = torch.optim.AdamW
    _default_name = "adamw"

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None):
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float for AdamW. "
                             "Received: weight_decay=None. Use Adam for no decay.")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay,
                         clipnorm, clipvalue, global_clipnorm, name)

    def _torch_kwargs(self):
        return {**super()._torch_kwargs(), "weight_decay": self.weight_decay}

    def _decay_weights(self, lr):
        pass  # torch.optim.AdamW applies the same decoupled decay itself


@serialization.register_serializable(package="plait")
class RMSprop(Optimizer):
    """RMSprop, on `torch.optim.RMSprop` (`alpha` is Keras's `rho`).

    Args:
        learning_rate: default 0.001.
        rho: decay of the squared-gradient average. Default 0.9 (torch's is 0.99).
        momentum: default 0.0.
        epsilon: default 1e-7.
        centered: default False.
        weight_decay, clipnorm, clipvalue, global_clipnorm: see `Optimizer`.
        name: default "rmsprop".

    Keras divides by `sqrt(v + epsilon)`, torch (and plait) by `sqrt(v) + epsilon`;
    with momentum Keras keeps the velocity scaled by the learning rate (see `SGD`).
    """

    _torch_class = torch.optim.RMSprop
    _default_name = "rmsprop"

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name)
        _check_range("rho", rho, 0, 1)
        _check_range("momentum", momentum, 0, 1)
        _check_range("epsilon", epsilon, 0, float("inf"))
        self.rho = float(rho)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.centered = bool(centered)

    def _torch_kwargs(self):
        return {"alpha": self.rho, "eps": self.epsilon, "momentum": self.momentum,
                "centered": self.centered}

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}


@serialization.register_serializable(package="plait")
class Adagrad(Optimizer):
    """Adagrad, on `torch.optim.Adagrad`.

    Args:
        learning_rate: default 0.001.
        initial_accumulator_value: default 0.1.
        epsilon: default 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm: see `Optimizer`.
        name: default "adagrad".

    Keras divides by `sqrt(accumulator + epsilon)`, torch by `sqrt(accumulator) + epsilon`.
    """

    _torch_class = torch.optim.Adagrad
    _default_name = "adagrad"

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name)
        _check_range("initial_accumulator_value", initial_accumulator_value, 0, float("inf"))
        _check_range("epsilon", epsilon, 0, float("inf"))
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = float(epsilon)

    def _torch_kwargs(self):
        return {"initial_accumulator_value": self.initial_accumulator_value,
                "eps": self.epsilon}

    def get_config(self):
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


@serialization.register_serializable(package="plait")
class Adadelta(Optimizer):
    """Adadelta, on `torch.optim.Adadelta` (the same math as Keras).

    Args:
        learning_rate: default 0.001 (torch's default is 1.0).
        rho: default 0.95.
        epsilon: default 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm: see `Optimizer`.
        name: default "adadelta".
    """

    _torch_class = torch.optim.Adadelta
    _default_name = "adadelta"

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name)
        _check_range("rho", rho, 0, 1)
        _check_range("epsilon", epsilon, 0, float("inf"))
        self.rho = float(rho)
        self.epsilon = float(epsilon)

    def _torch_kwargs(self):
        return {"rho": self.rho, "eps": self.epsilon}

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class _BetasBase(Optimizer):
    """Shared arguments of Adamax and Nadam."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name)
        _check_range("beta_1", beta_1, 0, 1, high_open=True)
        _check_range("beta_2", beta_2, 0, 1, high_open=True)
        _check_range("epsilon", epsilon, 0, float("inf"))
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)

    def _torch_kwargs(self):
        return {"betas": (self.beta_1, self.beta_2), "eps": self.epsilon}

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


@serialization.register_serializable(package="plait")
class Adamax(_BetasBase):
    """Adamax (Adam with the infinity norm), on `torch.optim.Adamax`.

    Args:
        learning_rate: default 0.001.
        beta_1: default 0.9.
        beta_2: default 0.999.
        epsilon: default 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm: see `Optimizer`.
        name: default "adamax".

    Keras keeps `u = max(beta_2 * u, |g|)` and divides by `u + epsilon`; torch keeps
    `u = max(beta_2 * u, |g| + epsilon)` and divides by `u`.
    """

    _torch_class = torch.optim.Adamax
    _default_name = "adamax"


@serialization.register_serializable(package="plait")
class Nadam(_BetasBase):
    """Nadam (Adam with Nesterov momentum), on `torch.optim.NAdam`.

    Args:
        learning_rate: default 0.001.
        beta_1: default 0.9.
        beta_2: default 0.999.
        epsilon: default 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm: see `Optimizer`.
        name: default "nadam".

    Keras's momentum schedule is `beta_1 * (1 - 0.5 * 0.96**t)`; torch's default is
    `0.96**(0.004 * t)` in the exponent. plait passes `momentum_decay=1.0`, which makes
    torch's update exactly Keras's.
    """

    _torch_class = torch.optim.NAdam
    _default_name = "nadam"

    def _torch_kwargs(self):
        return {**super()._torch_kwargs(), "momentum_decay": 1.0}


@serialization.register_serializable(package="plait")
class TorchOptimizer(Optimizer):
    """Any `torch.optim.Optimizer` behind plait's optimizer interface.

    The wrapped optimizer updates the parameters the user gave it; `build(params)` only
    checks that they all belong to `params` (the model's). `step()` clips as asked, then
    calls the torch optimizer's `step()`. The learning rate read and set is that of its
    param groups; torch LR schedulers keep working on it.

    Args:
        optimizer: the `torch.optim.Optimizer` instance.
        clipnorm, clipvalue, global_clipnorm: see `Optimizer`.
        name: default: the torch class name in lower case.
    """

    def __init__(self, optimizer, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None):
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(
                "TorchOptimizer wraps a torch.optim.Optimizer instance, e.g. "
                "TorchOptimizer(torch.optim.Adam(model.parameters())). "
                f"Received: optimizer={optimizer!r}")
        super().__init__(float(_first_lr(optimizer)), None, clipnorm, clipvalue,
                         global_clipnorm, name or type(optimizer).__name__.lower())
        self._torch = optimizer
        self._owned = [p for group in optimizer.param_groups for p in group["params"]]
        self._params = self._owned
        self._param_ids = {id(p) for p in self._owned}

    def build(self, params):
        ids = {id(p) for p in params}
        foreign = [p for p in self._owned if id(p) not in ids]
        if foreign:
            shapes = [tuple(p.shape) for p in foreign[:3]]
            raise ValueError(
                f"The torch optimizer holds {len(foreign)} parameter(s) that are not the "
                f"model's (shapes {shapes}...). Create it from this model's parameters: "
                f"torch.optim.{type(self._torch).__name__}(model.parameters(), ...).")

    @property
    def learning_rate(self):
        return float(_first_lr(self._torch))

    @learning_rate.setter
    def learning_rate(self, value):
        self._group_lr = None
        self._set_group_lr(_check_learning_rate(value))

    def _apply(self, lr):
        self._torch.step()

    def _current_lr(self):
        return float(_first_lr(self._torch))

    def get_config(self):
        defaults = {k: v for k, v in self._torch.defaults.items()
                    if isinstance(v, (int, float, bool, str, type(None), tuple))}
        return {"name": self.name, "torch_class": type(self._torch).__name__,
                "defaults": defaults, "clipnorm": self.clipnorm,
                "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        raise ValueError(
            "A TorchOptimizer cannot be rebuilt from a config: it wraps an optimizer "
            f"bound to parameters ({config.get('torch_class')}). Create the torch "
            "optimizer again and pass it to compile().")


def _first_lr(optimizer):
    return optimizer.param_groups[0]["lr"]


ALL_OPTIMIZERS = {cls.__name__.lower(): cls for cls in (
    SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam)}
CLASSES = {cls.__name__: cls for cls in (Optimizer, TorchOptimizer, *ALL_OPTIMIZERS.values())}


def get(identifier):
    """An `Optimizer` for `identifier`.

    Args:
        identifier: a name ('adam', 'SGD', 'rmsprop', ...; any case) giving the class
            with Keras's defaults, a config dict from `serialize`, a plait `Optimizer`
            (returned as it is) or class, or a `torch.optim.Optimizer` instance (wrapped
            in `TorchOptimizer`). None gives None.

    Raises:
        ValueError: for an unknown name.
        TypeError: for anything else.
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, torch.optim.Optimizer):
        return TorchOptimizer(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, str):
        key = identifier.lower() if identifier.lower() in ALL_OPTIMIZERS else identifier
        return serialization.get_from_registry(key, ALL_OPTIMIZERS, "optimizer")()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    hint = ""
    if isinstance(identifier, type) and issubclass(identifier, torch.optim.Optimizer):
        hint = (f" Pass an instance, e.g. torch.optim.{identifier.__name__}"
                "(model.parameters()), or the name of a plait optimizer.")
    raise TypeError(
        f"Could not interpret optimizer identifier: {identifier!r}. Expected a name (one "
        f"of {sorted(ALL_OPTIMIZERS)}), a config dict, a plait Optimizer or a "
        f"torch.optim.Optimizer instance.{hint}")


def serialize(optimizer):
    """`{"class_name": ..., "config": ...}` for an optimizer."""
    return serialization.serialize(optimizer)


def deserialize(config, custom_objects=None):
    """Rebuild an optimizer from `serialize`'s output; class names in any case."""
    if isinstance(config, dict) and isinstance(config.get("class_name"), str):
        lower = config["class_name"].lower()
        if lower in ALL_OPTIMIZERS:
            config = {**config, "class_name": ALL_OPTIMIZERS[lower].__name__}
    return serialization.deserialize(config, {**CLASSES, **(custom_objects or {})},
                                     kind="optimizer")
