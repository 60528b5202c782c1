"""`Optimizer`: the base of plait's optimizers, with Keras 3's update pipeline.

Per update, as Keras applies it: gradients divided by `loss_scale_factor` (in `apply`),
accumulated over `gradient_accumulation_steps` calls, clipped (`clipnorm`, `clipvalue` or
`global_clipnorm`), weights decayed (`w -= w * weight_decay * lr`), the optimizer's own rule
(`_update_step`, on `torch._foreach_*` or fused kernels), the EMA of the weights updated,
then `iterations += 1`. Everything runs on the device without a host sync; the per-step
scalars (learning rate, bias corrections) are Python floats computed on the host.
"""

import re

import torch

from plait.utils import compiler
from plait.optimizers import _util, schedules
from plait.optimizers._state import IterationCount, LearningRateValue, OptimizerState
from plait.optimizers.schedules import LearningRateSchedule

__all__ = ["Optimizer"]


class Optimizer(OptimizerState):
    """Base class of plait's optimizers (Keras 3's `keras.optimizers.Optimizer`).

    Args:
        learning_rate: a float, a `schedules.LearningRateSchedule` (evaluated at the
            number of `apply` calls so far) or a callable with no arguments.
        weight_decay: if set, before each update every weight (but those excluded with
            `exclude_from_weight_decay`) becomes `w - w * weight_decay * learning_rate`.
        clipnorm: clip each gradient to this norm. Default None.
        clipvalue: clip each gradient element to [-clipvalue, clipvalue]. Default None.
        global_clipnorm: clip all gradients together to this global norm. Default None.
            At most one of the three clipping arguments may be set.
        use_ema: keep an exponential moving average of the weights. Default False.
        ema_momentum: `average = ema_momentum * average + (1 - ema_momentum) * w`.
            Default 0.99.
        ema_overwrite_frequency: every this many updates the weights are overwritten by
            their average; None (default): only by `finalize_variable_values()`, which
            `fit` calls after its last epoch.
        loss_scale_factor: `scale_loss(loss)` multiplies the loss by it and `apply`
            divides the gradients by it. Default None.
        gradient_accumulation_steps: update every this many calls (>= 2) with the mean
            of the gradients since the last update. Default None.
        name: default: the class's Keras name.

    Raises:
        ValueError: two clipping arguments, an out-of-range value, an unknown keyword.

    Subclasses implement Keras's `update_step(gradient, variable, learning_rate)` (per
    weight, under `torch.no_grad()`; `build` may make state with
    `add_variable_from_reference`), or, for speed, `_update_step` over lists.

    Example:
        >>> import torch
        >>> from plait import optimizers
        >>> opt = optimizers.SGD(learning_rate=0.1)
        >>> w = torch.nn.Parameter(torch.ones(2))
        >>> opt.apply([torch.ones(2)], [w])
        >>> [round(v, 4) for v in w.tolist()], int(opt.iterations)
        ([0.9, 0.9], 1)
    """

    _default_name = "optimizer"
    # The update can join jit_compile's one-graph step (jit_step.py).
    _graph_ok = True

    def __init__(
        self,
        learning_rate,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        learning_rate = _util.legacy_arguments(learning_rate, kwargs)
        _util.check_options(
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
        )
        self._learning_rate = _util.check_learning_rate(learning_rate)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = bool(use_ema)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.name = name or self._default_name
        self._init_state()

    def _init_state(self):
        """No weights bound yet: empty slots, step 0."""
        self._iterations = 0
        self._params = []
        self._index = {}
        self._slots = {}
        self._extra_variables = []
        self._groups = None
        self._state_version = 0
        self._pending_state = None
        self._exclude_ids = set()
        self._exclude_pattern = None
        self._decay_cache = {}

    # --- building ----------------------------------------------------------------------

    def build(self, var_list):
        """Bind the optimizer to `var_list` (torch Parameters) and make its state.

        Calling it again adds only parameters not seen before (a model unfrozen or
        grown after compile keeps its optimizer state).

        Raises:
            TypeError: an element is not a tensor.
        """
        new = []
        for p in var_list:
            if not isinstance(p, torch.Tensor):
                raise TypeError(
                    f"Optimizer '{self.name}'.build() expects torch Parameters, e.g. "
                    f"model.parameters(). Received an element of type {type(p).__name__}."
                )
            if id(p) not in self._index and all(p is not q for q in new):
                new.append(p)
        if not new:
            return
        for p in new:
            self._index[id(p)] = len(self._params)
            self._params.append(p)
        for group in self._full_layout():
            for name, init in group:
                slot = self._slots.setdefault(name, [])
                slot.extend(self._make_slot(p, init) for p in new)
        self._groups = None
        self._state_version += 1
        if self._pending_state is not None:
            state, self._pending_state = self._pending_state, None
            self.load_state_dict(state)

    def _slot_layout(self):
        """Groups of `(slot name, initial value or callable(param) -> tensor)`: each
        group's slots are made per weight, interleaved, in Keras's order of variables."""
        return []

    def _full_layout(self):
        layout = []
        if self.use_ema:
            layout.append([("average", 0.0)])
        if self.gradient_accumulation_steps:
            layout.append([("gradient_accumulator", 0.0)])
        return layout + list(self._slot_layout())

    @staticmethod
    def _make_slot(p, init):
        if init is None:
            return None
        if callable(init):
            return init(p)
        return torch.full_like(p, init, memory_format=torch.preserve_format).detach()

    @property
    def built(self):
        return bool(self._params)

    @property
    def torch_optimizer(self):
        """None: plait's optimizers run their own kernels (see `TorchOptimizer`)."""
        return None

    def add_variable(
        self, shape, initializer="zeros", dtype=None, aggregation="none", layout=None, name=None
    ):
        """A state tensor of the optimizer (Keras's API, for custom optimizers)."""
        value = (
            initializer
            if isinstance(initializer, (int, float))
            else {"zeros": 0.0, "ones": 1.0}.get(initializer, 0.0)
        )
        dtype = getattr(torch, dtype) if isinstance(dtype, str) else dtype
        device = self._params[0].device if self._params else None
        tensor = torch.full(tuple(shape), float(value), dtype=dtype or torch.float32, device=device)
        self._extra_variables.append(tensor)
        return tensor

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A state tensor shaped like `reference_variable` (Keras's API)."""
        value = (
            initializer
            if isinstance(initializer, (int, float))
            else {"zeros": 0.0, "ones": 1.0}.get(initializer, 0.0)
        )
        tensor = torch.full_like(reference_variable, float(value)).detach()
        self._extra_variables.append(tensor)
        return tensor

    def _get_variable_index(self, variable):
        return self._index[id(variable)]

    # --- learning rate and step count --------------------------------------------------

    def _current_lr(self):
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            return float(lr(self._iterations))
        if callable(lr):
            return float(lr())
        return lr

    @property
    def learning_rate(self):
        """The learning rate of the next update (a schedule's value at `iterations`)."""
        if isinstance(self._learning_rate, float):
            return LearningRateValue(self._learning_rate, self)
        return self._current_lr()

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, LearningRateSchedule) or (
            callable(value) and not isinstance(value, (torch.Tensor, float))
        ):
            self._learning_rate = value
            return
        if isinstance(self._learning_rate, LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not "
                "settable. If you need the learning rate to be settable, you should "
                "instantiate the optimizer with a float `learning_rate` argument."
            )
        self._learning_rate = _util.check_learning_rate(value)

    lr = learning_rate  # Keras 2 name

    @property
    def iterations(self):
        """Updates so far (with gradient accumulation: calls // steps), an int."""
        count = self._iterations
        if self.gradient_accumulation_steps:
            count //= self.gradient_accumulation_steps
        return IterationCount(count, self)

    # --- weight decay ------------------------------------------------------------------

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exclude weights from `weight_decay`: those in `var_list`, and those whose
        `path` or `name` contains one of the strings in `var_names`."""
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None
        self._decay_cache = {}
        self._groups = None

    def _use_weight_decay(self, variable):
        key = id(variable)
        if key not in self._decay_cache:
            use = key not in self._exclude_ids
            if use and self._exclude_pattern is not None:
                name = getattr(variable, "path", None) or getattr(variable, "name", None)
                use = not (isinstance(name, str) and self._exclude_pattern.search(name))
            self._decay_cache[key] = use
        return self._decay_cache[key]

    # --- the update --------------------------------------------------------------------

    def scale_loss(self, loss):
        """`loss * loss_scale_factor` (the loss as it is when no factor is set)."""
        return loss * self.loss_scale_factor if self.loss_scale_factor is not None else loss

    def _check_built(self):
        if not self._params:
            raise ValueError(
                f"Optimizer '{self.name}' has no parameters: call "
                "optimizer.build(model.parameters()) before step()."
            )

    @compiler.disable
    @torch.no_grad()
    def step(self):
        """The training loop's update: each built parameter's `.grad` (the gradient of
        the unscaled loss) goes through Keras's pipeline (see `apply`); parameters
        without a gradient are left alone."""
        self._check_built()
        params = self._params
        indices = [i for i, p in enumerate(params) if p.grad is not None]
        if indices:
            self._apply_indexed(indices, [params[i].grad for i in indices])
        else:
            self._finish_apply()

    def zero_grad(self):
        """Drop the gradients of the built parameters (set them to None)."""
        for p in self._params:
            p.grad = None

    def apply_gradients(self, grads_and_vars):
        """Keras's `apply_gradients(zip(grads, vars))`; returns `iterations`."""
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs)
            self.apply(list(grads), list(variables))
        return self.iterations

    @torch.no_grad()
    def apply(self, grads, trainable_variables=None):
        """Update `trainable_variables` (default: those of `build`) with `grads`, Keras's
        way: None gradients skipped, gradients divided by `loss_scale_factor`, then
        accumulation, clipping, weight decay, the update, EMA, `iterations += 1`.

        Raises:
            ValueError: no variables and not built; a variable not built with; a count
                mismatch.
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already "
                    "be built on a list of variables. Call "
                    "`optimizer.build(trainable_variables)` first."
                )
            if len(grads) != len(self._params):
                raise ValueError(
                    f"When passing `grads` as a list of gradient tensors, the gradients "
                    f"must match the optimizer's variables one-to-one. Received a list of "
                    f"{len(grads)} gradients, but the optimizer is tracking "
                    f"{len(self._params)} trainable variables."
                )
            variables = self._params
        else:
            variables = list(trainable_variables)
            if len(variables) != len(grads):
                raise ValueError(
                    f"Received {len(grads)} gradients for {len(variables)} "
                    "variables: give one gradient (or None) per variable."
                )
            if not self.built:
                self.build(variables)
        indices, kept = [], []
        for g, v in zip(grads, variables):
            index = self._index.get(id(v))
            if index is None:
                raise ValueError(
                    f"Unknown variable: shape {tuple(v.shape)}. This optimizer can only be "
                    "called for the variables it was originally built with. When working "
                    "with a new set of variables, you should recreate a new optimizer "
                    "instance."
                )
            if g is not None:
                indices.append(index)
                kept.append(torch.as_tensor(g).detach())
        if not kept:
            raise ValueError("No gradients provided for any variable.")
        if self.loss_scale_factor is not None:
            kept = torch._foreach_div(kept, self.loss_scale_factor)
        self._apply_indexed(indices, kept)
        for index in indices:
            constraint = getattr(self._params[index], "constraint", None)
            if callable(constraint):
                p = self._params[index]
                p.copy_(constraint(p))

    def _apply_indexed(self, indices, grads):
        """Accumulation, then `_update`, then EMA and the step count."""
        steps = self.gradient_accumulation_steps
        if steps:
            accs = [self._slots["gradient_accumulator"][i] for i in indices]
            if (self._iterations + 1) % steps == 0:
                grads = torch._foreach_div(torch._foreach_add(grads, accs), steps)
                self._update(indices, grads)
                torch._foreach_mul_(accs, 0.0)
            else:
                torch._foreach_add_(accs, grads)
        else:
            self._update(indices, grads)
        self._finish_apply()

    def _finish_apply(self):
        if self.use_ema and self._params:
            self._update_ema()
        self._iterations += 1

    def _clip(self, grads):
        if self.clipnorm is not None:
            return _util.clip_by_norm(grads, self.clipnorm)
        if self.global_clipnorm is not None:
            return _util.clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue is not None:
            return _util.clip_by_value(grads, self.clipvalue)
        return grads

    def _decay(self, params, lr):
        if self.weight_decay is None:
            return
        decayed = [p for p in params if self._use_weight_decay(p)]
        if decayed:
            torch._foreach_mul_(decayed, 1 - self.weight_decay * lr)

    def _update(self, indices, grads):
        lr = self._current_lr()
        grads = self._clip(grads)
        params = self._params
        self._decay([params[i] for i in indices], lr)
        iterations = int(self.iterations)
        for positions, group_params, group_slots in self._grouped(indices):
            group_grads = [grads[k] for k in positions]
            self._update_step(group_params, group_grads, group_slots, lr, iterations)

    def _grouped(self, indices):
        """[(positions in `indices`, params, {slot: list})] per device and dtype."""
        full = len(indices) == len(self._params)
        if full and self._groups is not None:
            return self._groups
        params = [self._params[i] for i in indices]
        out = []
        for positions in _util.group_by_device_and_dtype(params).values():
            chosen = [indices[k] for k in positions]
            slots = {name: [values[i] for i in chosen] for name, values in self._slots.items()}
            out.append((positions, [self._params[i] for i in chosen], slots))
        if full:
            self._groups = out
        return out

    def _update_step(self, params, grads, slots, lr, iterations):
        """The rule over lists (one device and dtype). `lr` and `iterations` (the count
        before this update) are Python numbers, or 0-d tensors inside a compiled graph.
        The default calls Keras's per-weight `update_step`."""
        for g, p in zip(grads, params):
            self.update_step(g, p, lr)

    def update_step(self, gradient, variable, learning_rate):
        raise NotImplementedError(
            f"Optimizer '{type(self).__name__}' must implement "
            "update_step(gradient, variable, learning_rate)."
        )

    def _update_ema(self):
        averages = self._slots["average"]
        rate = self.ema_momentum if int(self.iterations) != 0 else 0.0
        _util.ema_(averages, self._params, rate)
        frequency = self.ema_overwrite_frequency
        if frequency and (int(self.iterations) + 1) % frequency == 0:
            torch._foreach_copy_(self._params, averages)

    def finalize_variable_values(self, var_list):
        """With `use_ema`, set the weights in `var_list` to their moving averages (`fit`
        calls it after the last epoch)."""
        if not self.use_ema or not self._params:
            return
        with torch.no_grad():
            for v in var_list:
                index = self._index.get(id(v))
                if index is not None:
                    v.copy_(self._slots["average"][index])

    # --- assignment helpers of Keras's custom optimizers --------------------------------

    def assign(self, variable, value):
        variable.copy_(torch.as_tensor(value, dtype=variable.dtype, device=variable.device))

    def assign_add(self, variable, value):
        variable.add_(torch.as_tensor(value, dtype=variable.dtype, device=variable.device))

    def assign_sub(self, variable, value):
        variable.sub_(torch.as_tensor(value, dtype=variable.dtype, device=variable.device))

    # --- the compiled one-graph step (plait/training/jit_step.py) -----------------------

    def _graph_supported(self):
        """Whether `_graph_apply` can run inside one compiled graph."""
        return (
            self._graph_ok
            and type(self)._update_step is not Optimizer._update_step
            and not self.gradient_accumulation_steps
            and not (self.use_ema and self.ema_overwrite_frequency)
        )

    def _graph_slots(self, params):
        """The slot lists of `params`, the tensors a compiled step updates in place."""
        indices = [self._index[id(p)] for p in params]
        return {name: [values[i] for i in indices] for name, values in self._slots.items()}

    def _graph_apply(self, params, grads, slots, lr, iterations):
        """`step()`'s update with `lr` and `iterations` as 0-d tensors, traceable by
        torch.compile(fullgraph=True); the caller increments `_iterations`."""
        grads = self._clip(grads)
        if self.weight_decay is not None:
            decayed = [p for p in params if self._use_weight_decay(p)]
            if decayed:
                torch._foreach_mul_(decayed, 1 - self.weight_decay * lr)
        count = iterations
        self._update_step(
            params, grads, {k: v for k, v in slots.items() if k not in ("average",)}, lr, count
        )
        if self.use_ema:
            rate = self.ema_momentum * (count != 0).to(lr.dtype)
            _util.ema_(slots["average"], params, rate)

    # --- config ------------------------------------------------------------------------

    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            lr = schedules.serialize(lr)
        elif callable(lr):
            lr = float(lr())
        return {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for key in _util.LEGACY_CONFIG_KEYS:
            config.pop(key, None)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} learning_rate={self.learning_rate}>"
