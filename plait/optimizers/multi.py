"""`OptimizerMap` and `MultiOptimizer`: different optimizers for different weights,
chosen by weight path (Keras 3's `keras.optimizers.MultiOptimizer`)."""

import re
from collections.abc import MutableMapping

import torch

from plait import serialization
from plait.optimizers.base import Optimizer
from plait.optimizers.loss_scale import LossScaleOptimizer
from plait.utils import compiler

__all__ = ["MultiOptimizer", "OptimizerMap"]


def _path(variable):
    return str(getattr(variable, "path", None) or getattr(variable, "name", None) or "")


def _check_inner(optimizer, what):
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"{what} must be a plait Optimizer instance. Received: {optimizer!r}")
    if isinstance(optimizer, LossScaleOptimizer):
        raise ValueError("LossScaleOptimizer cannot be used inside a MultiOptimizer.")
    if isinstance(optimizer, MultiOptimizer):
        raise ValueError("MultiOptimizer cannot be used inside a MultiOptimizer.")


@serialization.register_serializable(package="plait")
class OptimizerMap(MutableMapping):
    """Weight paths (or regular expressions of them) -> optimizers, with a default.

    `optimizer_map[path]`: the optimizer of an exact key, else of the one key that
    `re.fullmatch`es `path` ("encoder/.*" covers the encoder's weights; "encoder" only a
    weight of that exact path), else `default_optimizer`. Calling the map on a weight
    looks up its `path` (`'dense_1/kernel'`).

    Args:
        default_optimizer: the optimizer of unmatched weights.
        optimizer_map: a dict `{path or pattern: optimizer}`. Default None.

    Raises:
        TypeError: `default_optimizer` not an optimizer; `optimizer_map` not a dict.
        ValueError: (on lookup) a path matching two patterns; (on assignment) a key
            already set, a non-string key, or a LossScaleOptimizer/MultiOptimizer.

    Example:
        >>> from plait import optimizers
        >>> m = optimizers.OptimizerMap(optimizers.RMSprop(), {"decoder": optimizers.Adam()})
        >>> m["encoder/.*"] = optimizers.SGD()
        >>> m["encoder/dense/kernel"].name, m["decoder"].name, m["head/bias"].name
        ('SGD', 'adam', 'rmsprop')
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(
                "default_optimizer must be a plait Optimizer instance. "
                f"Received: {default_optimizer!r}"
            )
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"optimizer_map must be a dictionary. Received: {optimizer_map!r}")
        self._default_optimizer = default_optimizer
        self._optimizer_map = dict(optimizer_map or {})

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [p for p in self._optimizer_map if re.fullmatch(p, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Multiple optimizers assigned to variable {key}: the patterns {matches} "
                "all match it. Make the patterns exclusive."
            )
        return self._optimizer_map[matches[0]] if matches else self._default_optimizer

    def __setitem__(self, key, optimizer):
        if key in self._optimizer_map:
            raise ValueError(
                f"'{key}' already exists in the OptimizerMap with value "
                f"{self._optimizer_map[key]}. Please make sure to not use duplicated keys."
            )
        if not isinstance(key, str):
            raise ValueError(f"key must be a string. Received: {key!r}")
        _check_inner(optimizer, "optimizer")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[_path(variable)]

    def get_config(self):
        return {
            "default_optimizer": serialization.serialize(self._default_optimizer),
            "optimizer_map": {
                k: serialization.serialize(v) for k, v in self._optimizer_map.items()
            },
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        def load(c):
            return serialization.deserialize(c, custom_objects, kind="optimizer")

        mapping = {k: load(v) for k, v in (config.get("optimizer_map") or {}).items()}
        return cls(load(config["default_optimizer"]), mapping)


def _load_map(mapping, custom_objects=None):
    """An `OptimizerMap` or function from its saved form (a config or a function name)."""
    if isinstance(mapping, dict):
        if mapping.get("class_name") == "function":
            mapping = mapping.get("config")
        else:
            mapping = serialization.deserialize(mapping, custom_objects, kind="OptimizerMap")
    if isinstance(mapping, str):
        found = serialization.get_function(mapping, custom_objects)
        if found is None:
            raise ValueError(
                f"Unknown optimizer_map function '{mapping}': register it with "
                "@plait.saving.register_serializable() or pass it in custom_objects."
            )
        mapping = found
    return mapping


@serialization.register_serializable(package="plait")
class MultiOptimizer(Optimizer):
    """Delegates each weight to the optimizer an `OptimizerMap` (or a function of the
    weight) gives it; each sub-optimizer keeps its own learning rate, state and
    `iterations`.

        MultiOptimizer(OptimizerMap(optimizers.SGD(), {"encoder/.*": optimizers.Adam()}))
        MultiOptimizer(lambda w: adam if "encoder" in w.path else sgd)

    `learning_rate` is not defined on it (the sub-optimizers' may differ): reading or
    setting it raises AttributeError; use `optimizers` (the sub-optimizers: the map's in
    order, then the default, then any a function returned). `iterations` counts the
    MultiOptimizer's own updates.

    Args:
        optimizer_map: an `OptimizerMap`, or a callable `(weight) -> Optimizer` (or
            the saved form of either: `get_config()["optimizer_map"]`).
        loss_scale_factor: set on every sub-optimizer (their `apply` divides gradients by
            it). Default None.
        name: default "multi_optimizer".

    Raises:
        ValueError: (on build) a weight mapped to something not an optimizer, to a
            LossScaleOptimizer or to a MultiOptimizer.

    Example:
        >>> import torch
        >>> from plait import optimizers
        >>> sgd, adam = optimizers.SGD(0.1), optimizers.Adam()
        >>> opt = optimizers.MultiOptimizer(lambda w: sgd if w.ndim == 1 else adam)
        >>> b, k = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2, 2))
        >>> opt.apply([torch.ones(2), torch.ones(2, 2)], [b, k])
        >>> b.tolist(), int(sgd.iterations), int(adam.iterations)
        ([0.8999999761581421, 0.8999999761581421], 1, 1)
    """

    _default_name = "multi_optimizer"
    _graph_ok = False

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        if isinstance(optimizer_map, (dict, str)):  # a saved config (a .keras file's)
            optimizer_map = _load_map(optimizer_map)
        if not callable(optimizer_map):
            raise TypeError(
                "optimizer_map must be an OptimizerMap or a callable (weight) -> Optimizer. "
                f"Received: optimizer_map={optimizer_map!r}"
            )
        self._inner_optimizers = []
        super().__init__(0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        self._owner = {}
        if isinstance(optimizer_map, OptimizerMap):
            for opt in [*optimizer_map.values(), optimizer_map.default_optimizer]:
                self._adopt(opt)

    def _adopt(self, opt):
        if all(opt is not o for o in self._inner_optimizers):
            opt.loss_scale_factor = self.loss_scale_factor
            self._inner_optimizers.append(opt)
        return next(i for i, o in enumerate(self._inner_optimizers) if o is opt)

    @property
    def optimizers(self):
        """The sub-optimizers."""
        return self._inner_optimizers

    @property  # type: ignore[override]
    def loss_scale_factor(self):
        return self.__dict__.get("_loss_scale_factor")

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for opt in self.__dict__.get("_inner_optimizers", ()):
            opt.loss_scale_factor = value

    @property
    def learning_rate(self):
        raise AttributeError(
            "Learning rate cannot be accessed on a MultiOptimizer. Access the learning "
            "rate on the individual sub-optimizers (`optimizer.optimizers`) instead."
        )

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError(
            "Learning rate cannot be set on a MultiOptimizer. Set the learning rate on "
            "the individual sub-optimizers (`optimizer.optimizers`) instead."
        )

    lr = learning_rate

    def build(self, var_list):
        """Give each weight to its optimizer and build them (new weights only, when
        called again)."""
        var_list = [v for v in var_list if id(v) not in self._owner]
        per_optimizer = {}
        for var in var_list:
            opt = self._optimizer_map(var)
            _check_inner(opt, f"The optimizer of variable '{_path(var)}'")
            index = self._adopt(opt)
            self._owner[id(var)] = index
            per_optimizer.setdefault(index, []).append(var)
        for index, variables in per_optimizer.items():
            self._inner_optimizers[index].build(variables)
        super().build(var_list)

    @property
    def variables(self):
        own = [torch.tensor(self._iterations, dtype=torch.int64), torch.tensor(0.0)]
        return own + [v for opt in self._inner_optimizers for v in opt.variables]

    def set_weights(self, weights):
        """Set the state from arrays in `variables`' order.

        Raises:
            ValueError: before build, or a count mismatch.
        """
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been "
                "built. Call `optimizer.build(trainable_variables)` first."
            )
        if len(weights) != len(self.variables):
            raise ValueError(
                f"Optimizer '{self.name}' has {len(self.variables)} variables. "
                f"Received: {len(weights)} weights."
            )
        self._iterations = int(weights[0])
        start = 2
        for opt in self._inner_optimizers:
            count = len(opt.variables)
            if count and opt.built:
                opt.set_weights(list(weights[start : start + count]))
            start += count

    def _split(self, pairs):
        groups = {}
        for grad, var in pairs:
            index = self._owner.get(id(var))
            if index is None:
                raise ValueError(
                    f"Unknown variable '{_path(var)}' of shape {tuple(var.shape)}: this "
                    "MultiOptimizer was not built with it."
                )
            groups.setdefault(index, []).append((grad, var))
        return groups

    @torch.no_grad()
    def apply(self, grads, trainable_variables=None):
        """Each sub-optimizer's `apply` on its weights' gradients; `iterations += 1`.

        Raises:
            ValueError: no variables and not built; a count mismatch; an unknown weight.
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
            trainable_variables = self._params
        variables = list(trainable_variables)
        if not self.built:
            self.build(variables)
        if len(grads) != len(variables):
            raise ValueError(
                "Gradients must match trainable variables one-to-one. Received "
                f"{len(grads)} gradients and {len(variables)} variables."
            )
        for index, pairs in self._split(zip(grads, variables)).items():
            sub_grads, sub_vars = zip(*pairs)
            self._inner_optimizers[index].apply(list(sub_grads), list(sub_vars))
        self._iterations += 1

    @compiler.disable  # lazily: importing plait does not import torch._dynamo
    @torch.no_grad()
    def step(self):
        """The training loop's update: each built sub-optimizer's `step()`."""
        self._check_built()
        for opt in self._inner_optimizers:
            if opt.built:
                opt.step()
        self._iterations += 1

    def finalize_variable_values(self, var_list):
        for index, pairs in self._split((None, v) for v in var_list).items():
            self._inner_optimizers[index].finalize_variable_values([v for _, v in pairs])

    def state_dict(self):
        return {
            "iterations": self._iterations,
            "learning_rate": None,
            "slots": {},
            "extra": {},
            "inner": [opt.state_dict() for opt in self._inner_optimizers],
        }

    def load_state_dict(self, state_dict):
        """Restore `state_dict()`'s output.

        Raises:
            ValueError: a state of a different number of sub-optimizers.
        """
        inner = state_dict.get("inner", [])
        if len(inner) != len(self._inner_optimizers):
            raise ValueError(
                f"MultiOptimizer '{self.name}' has {len(self._inner_optimizers)} "
                f"sub-optimizers; the state has {len(inner)}."
            )
        for opt, state in zip(self._inner_optimizers, inner):
            opt.load_state_dict(state)
        self._iterations = int(state_dict.get("iterations", 0))

    def get_config(self):
        mapping = self._optimizer_map
        if isinstance(mapping, OptimizerMap):
            mapping = serialization.serialize(mapping)
        else:
            mapping = serialization.function_name(mapping)
        return {
            "optimizer_map": mapping,
            "loss_scale_factor": self.loss_scale_factor,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild from `get_config()`; a function map is found by its registered name.

        Raises:
            ValueError: a function map that is not registered nor in `custom_objects`.
        """
        config = dict(config)
        mapping = _load_map(config.pop("optimizer_map"), custom_objects)
        return cls(mapping, **config)

    def __repr__(self):
        names = [opt.name for opt in self._inner_optimizers]
        return f"<MultiOptimizer name={self.name!r} optimizers={names}>"
