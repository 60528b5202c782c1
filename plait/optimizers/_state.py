"""The state side of plait's optimizers: Keras's `variables`, `set_weights`,
`save_own_variables`/`load_own_variables`, and plait's `state_dict`/`load_state_dict`
(what `.plait` files store), plus the int and float that answer Keras's variable methods
for `iterations` and `learning_rate`."""

import warnings

import numpy as np
import torch


class IterationCount(int):
    """`optimizer.iterations`: the step count, an int that also answers Keras's variable
    methods (`numpy()`, `assign()`, `assign_add()`, `value`)."""

    def __new__(cls, value, optimizer=None):
        obj = super().__new__(cls, value)
        obj._optimizer = optimizer
        return obj

    def numpy(self):
        return np.int64(self)

    @property
    def value(self):
        return int(self)

    dtype = "int64"
    shape = ()

    def assign(self, value):
        if self._optimizer is not None:
            self._optimizer._iterations = int(value)

    def assign_add(self, value):
        if self._optimizer is not None:
            self._optimizer._iterations += int(value)


class LearningRateValue(float):
    """`optimizer.learning_rate` of a float learning rate: a float that also answers
    Keras's variable methods (`numpy()`, `assign()`), so `K.set_value(opt.learning_rate,
    v)` and `opt.learning_rate.assign(v)` work."""

    def __new__(cls, value, optimizer=None):
        obj = super().__new__(cls, value)
        obj._optimizer = optimizer
        return obj

    def numpy(self):
        return np.float32(self)

    @property
    def value(self):
        return float(self)

    dtype = "float32"
    shape = ()

    def assign(self, value):
        if self._optimizer is not None:
            self._optimizer.learning_rate = value


class OptimizerState:
    """Mixin of `Optimizer`: its state as Keras's variables and as a state dict. Uses the
    optimizer's `_params`, `_slots`, `_full_layout()`, `_iterations` and
    `_learning_rate`."""

    @property
    def variables(self):
        """The optimizer's state in Keras's order: iterations, the learning rate (a float
        one), then each slot per weight; the first two are copies."""
        out = [torch.tensor(self._iterations, dtype=torch.int64)]
        if isinstance(self._learning_rate, float):
            out.append(torch.tensor(self._learning_rate, dtype=torch.float32))
        for group in self._full_layout():
            names = [name for name, _ in group]
            for i in range(len(self._params)):
                out.extend(self._slots[n][i] for n in names if self._slots[n][i] is not None)
        return out + list(self._extra_variables) + self._extra_state_tensors()

    def _extra_state_tensors(self):
        return []

    def set_weights(self, weights):
        """Set `variables` from arrays (Keras's order and shapes).

        Raises:
            ValueError: before build, or on a count or shape mismatch.
        """
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not "
                "yet been built. Call `optimizer.build(trainable_variables)` "
                "first."
            )
        variables = self.variables
        if len(weights) != len(variables):
            raise ValueError(
                f"Optimizer '{self.name}' has {len(variables)} variables. "
                f"Received: {len(weights)} weights."
            )
        for i, (var, value) in enumerate(zip(variables, weights)):
            value = torch.as_tensor(np.asarray(value))
            if tuple(var.shape) != tuple(value.shape):
                raise ValueError(
                    f"Optimizer variable {i} has shape {tuple(var.shape)}, not "
                    f"compatible with provided weight shape "
                    f"{tuple(value.shape)}."
                )
            if i == 0:
                self._iterations = int(value)
            elif i == 1 and isinstance(self._learning_rate, float):
                self._learning_rate = float(value)
            else:
                with torch.no_grad():
                    var.copy_(value)
        self._after_variables_set()

    def _after_variables_set(self):
        pass

    def save_own_variables(self, store):
        """Keras's saving API: `store[str(i)]` = the i-th variable as a numpy array."""
        for i, var in enumerate(self.variables):
            store[str(i)] = var.detach().cpu().numpy()

    def load_own_variables(self, store):
        """Keras's loading API; a count mismatch warns and loads nothing."""
        if len(store.keys()) != len(self.variables):
            warnings.warn(
                f"Skipping variable loading for optimizer '{self.name}', because "
                f"it has {len(self.variables)} variables whereas the saved "
                f"optimizer has {len(store.keys())} variables.",
                stacklevel=2,
            )
            return
        self.set_weights([store[str(i)] for i in range(len(store.keys()))])

    # --- state -------------------------------------------------------------------------

    def state_dict(self):
        """`{"iterations", "learning_rate", "slots", "extra"}`: the step count, a float
        learning rate (None for a schedule or callable), the state tensors by slot name
        (one per built parameter, in build order) and the optimizer's own extras."""
        if self._pending_state is not None and not self.built:
            return dict(self._pending_state)
        lr = self._learning_rate if isinstance(self._learning_rate, float) else None
        return {
            "iterations": self._iterations,
            "learning_rate": lr,
            "slots": {name: list(values) for name, values in self._slots.items()},
            "extra": {"variables": list(self._extra_variables), **self._extra_state()},
        }

    def _extra_state(self):
        return {}

    def load_state_dict(self, state_dict):
        """Restore `state_dict()`'s output; before `build`, kept until it.

        Raises:
            ValueError: slots or shapes that do not fit this optimizer.
        """
        if "torch" in state_dict and "slots" not in state_dict:
            raise ValueError(
                f"This optimizer state was saved with torch.optim's state (plait before "
                f"Keras's update math); optimizer '{self.name}' cannot continue from it."
            )
        if not self.built:
            self._pending_state = dict(state_dict)
            self._iterations = int(state_dict.get("iterations", self._iterations))
            return
        slots = state_dict.get("slots", {})
        if set(slots) != set(self._slots):
            raise ValueError(
                f"Optimizer '{self.name}' keeps the state {sorted(self._slots)}. "
                f"Received: {sorted(slots)}"
            )
        with torch.no_grad():
            for name, values in slots.items():
                mine = self._slots[name]
                if len(values) != len(mine):
                    raise ValueError(
                        f"Optimizer '{self.name}' holds {len(mine)} parameters; "
                        f"the state has {len(values)} for '{name}'."
                    )
                for target, value in zip(mine, values):
                    _copy_into(target, value, name)
            extra = dict(state_dict.get("extra") or {})
            for target, value in zip(self._extra_variables, extra.pop("variables", [])):
                _copy_into(target, value, "variables")
            self._load_extra_state(extra)
        self._iterations = int(state_dict.get("iterations", self._iterations))
        lr = state_dict.get("learning_rate")
        if lr is not None and isinstance(self._learning_rate, float):
            self._learning_rate = float(lr)

    def _load_extra_state(self, extra):
        pass


def _copy_into(target, value, name):
    if target is None or value is None:
        if (target is None) != (value is None):
            raise ValueError(f"The optimizer state '{name}' does not fit: one entry is missing.")
        return
    value = torch.as_tensor(value)
    if tuple(value.shape) != tuple(target.shape):
        raise ValueError(
            f"The optimizer state '{name}' has shape {tuple(value.shape)}; "
            f"expected {tuple(target.shape)}."
        )
    target.copy_(value)
