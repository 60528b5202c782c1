"""A `Layer`'s weights: `add_weight` (Keras 3's and Keras 2's call styles), the Keras view of
PyTorch-layout tensors (`WeightSpec`), `weights` / `get_weights` / `set_weights` in Keras 3's
order, `trainable`, and the losses and constraints on them (`losses`, `add_loss`,
`apply_constraints`).

`LayerWeights` is one of `Layer`'s bases.

    >>> import plait
    >>> dense = plait.layers.Dense(2)
    >>> dense.build((None, 3))
    >>> [w.shape for w in dense.get_weights()]
    [(3, 2), (2,)]
"""

import numpy as np
import torch
from torch import nn

from plait import config, constraints, initializers, regularizers
from plait.graph.tensor import SymbolicTensor
from plait.utils import sharding, variables
from plait.utils.dtypes import to_torch_dtype
from plait.utils.weight_arrays import array_for_weight

__all__ = ["LayerWeights", "WeightSpec"]


class WeightSpec:
    """How one stored tensor maps to a Keras weight: its Keras name and the permutation
    that takes the Keras layout to the stored (PyTorch) layout."""

    __slots__ = ("keras_name", "attr", "perm", "regularizer", "constraint")

    def __init__(self, keras_name, attr, perm=None, regularizer=None, constraint=None):
        self.keras_name, self.attr, self.perm = keras_name, attr, perm
        self.regularizer, self.constraint = regularizer, constraint

    def to_keras(self, tensor):
        return tensor if self.perm is None else tensor.permute(_inverse(self.perm))

    def from_keras(self, tensor):
        return tensor if self.perm is None else tensor.permute(self.perm)


def _inverse(perm):
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


class LayerWeights:
    """`Layer`'s weights API (see the module's docstring)."""

    def add_weight(
        self,
        *args,
        shape=None,
        initializer=None,
        dtype=None,
        trainable=True,
        regularizer=None,
        constraint=None,
        name=None,
        attr=None,
        layout=None,
        **kwargs,
    ):
        """Create a weight of Keras-layout `shape`, register it on this module, return it.

        Keras 3's call style `add_weight(shape, initializer, dtype, ..., name=None)` and
        Keras 2's `add_weight(name, shape, ...)` (name first, then shape, initializer,
        trainable) both work. Trainable weights are `nn.Parameter`s, the others buffers
        (optimizers never see them); both answer Keras's variable API (`assign`,
        `assign_add`, `numpy()`, `name`, `path`, see `plait.layers.variables`).

        Args:
            shape: the weight's shape in Keras's layout. Default `()`.
            initializer: an initializer, its name, or a callable `(shape, dtype)`.
                Default "glorot_uniform" (float weights).
            dtype: the weight's dtype. Default the layer's.
            trainable: a Parameter (True) or a buffer (False). Default True.
            regularizer, constraint: callables on the Keras-layout weight, feeding
                `losses` and the projection after each optimizer step.
            name: the weight's Keras name (its `path` is `<layer>/<name>`). Default
                "variable", "variable_1", ...
            attr: the PyTorch attribute (and `state_dict`) name. Default the name (made a
                valid, free attribute name); `self.w = self.add_weight(...)` renames it
                to `w`.
            layout: the permutation from the Keras layout to the stored one (a Dense
                kernel `(in, out)` is stored as `(out, in)`: `(1, 0)`).

        Returns:
            The registered `Variable` (trainable) or `StateVariable`.

        Example:
            self.w = self.add_weight(shape=(input_shape[-1], 4), initializer="random_normal")
        """
        shape, initializer, dtype, trainable, name = _add_weight_args(
            self, args, kwargs, shape, initializer, dtype, trainable, name
        )
        init = initializers.get("glorot_uniform" if initializer is None else initializer)
        torch_dtype = to_torch_dtype(dtype or self._dtype)
        if name is None:
            name = _free_name(
                self, "variable", lambda n: any(s.keras_name == n for s in self._weight_specs)
            )
        with torch.no_grad():
            value = init(tuple(shape), dtype=torch_dtype, device=config.device())
            if not isinstance(value, torch.Tensor):
                value = torch.as_tensor(value, dtype=torch_dtype, device=config.device())
            value = value.to(torch_dtype)
            spec = WeightSpec(
                name,
                attr or _attr_name(self, name),
                layout,
                _get_penalty(regularizer, "regularizer"),
                _get_penalty(constraint, "constraint"),
            )
            value = spec.from_keras(value).contiguous()
        grad = bool(trainable) and self._trainable and torch_dtype.is_floating_point
        var = variables.make_variable(value, bool(trainable), grad, name, f"{self.name}/{name}")
        if trainable:
            self.register_parameter(spec.attr, var)
        else:
            self.register_buffer(spec.attr, var)
        self._weight_specs.append(spec)
        return getattr(self, spec.attr)

    def _rekey_weight(self, name, value):
        """Move the weight `value` registered under another attribute to `name`; True when
        done (the caller then sets nothing more)."""
        for spec in self.__dict__.get("_weight_specs", ()):
            if spec.attr == name:
                continue
            store = self._parameters if spec.attr in self._parameters else self._buffers
            if store.get(spec.attr) is not value:
                continue
            del store[spec.attr]
            spec.attr = name
            if store is self._buffers:
                self.__dict__.pop(name, None)
                self._buffers[name] = value
                return True
            return False
        return False

    def _apply(self, fn, *args, **kwargs):
        # torch replaces buffers on `.to()`; keep Keras's variable API on them.
        olds = {
            key: buf
            for key, buf in self._buffers.items()
            if isinstance(buf, variables.StateVariable)
        }
        result = super()._apply(fn, *args, **kwargs)
        for key, old in olds.items():
            new = self._buffers.get(key)
            if new is not None and new is not old:
                self._buffers[key] = variables.rewrap(new, old)
        return result

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for spec in self._weight_specs:
            tensor = getattr(self, spec.attr)
            if isinstance(tensor, nn.Parameter):
                tensor.requires_grad_(self._trainable)
        for layer in self._sublayers():
            layer.trainable = value

    @property
    def dtype(self):
        return self._dtype

    def _sublayers(self):
        """Direct child layers whose weights count as this layer's, in Keras's order (the
        layers held in a list or dict attribute, or a torch container, included)."""
        found, stack = [], list(reversed(list(self.children())))
        while stack:
            module = stack.pop()
            if isinstance(module, LayerWeights):
                found.append(module)
            else:
                stack.extend(reversed(list(module.children())))
        return found

    def _weight_entries(self):
        """(keras name, tensor, spec, trainable) for every weight in Keras 3's order (see
        `_ordered_entries`), deduplicated."""
        entries, seen = [], set()
        stack = [(self, True)]
        order = []
        while stack:  # iterative: models may nest deeply
            layer, parent_trainable = stack.pop()
            order.append((layer, parent_trainable and layer._trainable))
            for child in reversed(layer._sublayers()):
                stack.append((child, parent_trainable and layer._trainable))
        for layer, trainable in order:
            specs = sorted(
                layer._weight_specs,  # stable: Parameters, then buffers
                key=lambda spec, layer=layer: (
                    not isinstance(getattr(layer, spec.attr), nn.Parameter)
                ),
            )
            for spec in specs:
                tensor = getattr(layer, spec.attr)
                if id(tensor) in seen:
                    continue
                seen.add(id(tensor))
                is_param = isinstance(tensor, nn.Parameter)
                entries.append(
                    (f"{layer.name}/{spec.keras_name}", tensor, spec, trainable and is_param)
                )
        return entries

    def _ordered_entries(self):
        """Keras 3's order: layer by layer (this layer, then its sublayers depth first), each
        layer's weights created trainable first, then its non-trainable ones, each group in
        creation order (BatchNormalization: gamma, beta, moving_mean, moving_variance)."""
        return self._weight_entries()

    @property
    def weights(self):
        """Every weight tensor (PyTorch layout) in Keras 3's order: layer by layer, each
        layer's trainable-created weights then its non-trainable ones."""
        return [e[1] for e in self._ordered_entries()]

    @property
    def trainable_weights(self):
        return [e[1] for e in self._weight_entries() if e[3]]

    @property
    def non_trainable_weights(self):
        return [e[1] for e in self._weight_entries() if not e[3]]

    def get_weights(self):
        """The weights as NumPy arrays in Keras's layout and Keras 3's order: layer by layer
        (as `model.layers` lists them, nested models depth first), each layer's weights in
        creation order with the non-trainable ones after the trainable ones, e.g.
        BatchNormalization's `gamma, beta, moving_mean, moving_variance` together (Keras 2
        put every trainable weight of the model first)."""
        return [
            e[2].to_keras(sharding.gathered(e[1].detach())).cpu().numpy().copy()
            for e in self._ordered_entries()
        ]

    def set_weights(self, weights):
        """Set the weights from NumPy arrays in Keras's layout and order (`get_weights`)."""
        entries = self._ordered_entries()
        weights = list(weights)
        if len(weights) != len(entries):
            names = [e[0] for e in entries]
            raise ValueError(
                f"Layer '{self.name}' expects {len(entries)} weight arrays ({names}); "
                f"received {len(weights)}."
            )
        for i, ((name, tensor, spec, _), value) in enumerate(zip(entries, weights)):
            expected = tuple(spec.to_keras(tensor).shape)
            got = tuple(np.shape(value))
            if got != expected:
                raise ValueError(
                    f"Weight #{i} '{name}' of layer '{self.name}' has shape {expected}; "
                    f"received an array of shape {got}."
                )
        arrays = [
            array_for_weight(value, tensor.dtype, self.name, name)
            for (name, tensor, _, _), value in zip(entries, weights)
        ]
        with torch.no_grad():
            for (_, tensor, spec, _), src in zip(entries, arrays):
                sharding.assign(tensor, spec.from_keras(src.to(tensor.device)))

    def count_params(self):
        if not self.built:
            raise ValueError(
                f"You called count_params() on layer '{self.name}', but it is not built yet. "
                "Call it on an input first (or build the model) so its weights exist."
            )
        return sum(e[1].numel() for e in self._weight_entries())

    # ---------------------------------------------- regularization, constraints
    # Layers with an activity regularizer hold their last call's penalty here, in an
    # object with a `.value` (see layers/regularization.py).
    _activity_penalty = None

    def regularization_losses(self):
        """The penalty tensors of this layer and its sublayers: every weight regularizer
        on its weight as it is now, and every activity regularizer's penalty of its layer's
        last call. The training loop adds their sum to the loss."""
        losses = []
        for layer in _walk_layers(self):
            for spec in layer._weight_specs:
                if spec.regularizer is not None:
                    losses.append(spec.regularizer(spec.to_keras(getattr(layer, spec.attr))))
            holder = layer._activity_penalty
            if holder is not None and holder.value is not None:
                losses.append(holder.value)
            losses.extend(layer._added_losses)
        losses.extend(self.__dict__.get("_symbolic_loss_values", ()))
        return losses

    _added_losses = ()

    def add_loss(self, loss):
        """Add a loss tensor (a scalar, or a tensor that is averaged) to the training loss,
        from inside `call` (`self.add_loss(0.01 * torch.sum(x ** 2))`). fit adds the
        losses of the step's forward to the loss it minimizes; `losses` lists them."""
        if isinstance(loss, SymbolicTensor):
            raise ValueError(
                f"Layer '{self.name}'.add_loss() got a symbolic tensor; call add_loss on the "
                "Model built from it (model.add_loss(expression)), or inside call()."
            )
        if callable(loss) and not isinstance(loss, torch.Tensor):
            loss = loss()
        if not isinstance(loss, torch.Tensor):
            loss = torch.as_tensor(loss, dtype=torch.float32)
        if "_added_losses" not in self.__dict__:
            self.__dict__["_added_losses"] = []
        added = self.__dict__["_added_losses"]
        added.append(loss if loss.dim() == 0 else loss.mean())
        if len(added) > 64:  # called many times with no training step reading them
            del added[:-64]

    @property
    def losses(self):
        """The loss tensors of this layer and its sublayers: `add_loss` losses of the last
        call, activity and weight regularization penalties."""
        return self.regularization_losses()

    def clear_added_losses(self):
        """Forget the `add_loss` losses read by a training step."""
        for layer in _walk_layers(self):
            if layer._added_losses:
                layer._added_losses.clear()
            layer.__dict__.pop("_symbolic_loss_values", None)

    def clear_activity_penalties(self):
        """Forget the activity penalties of the last call (a compiled train step reads them
        inside its trace; a traced value must not outlive it)."""
        for layer in _walk_layers(self):
            holder = layer._activity_penalty
            if holder is not None:
                holder.value = None

    def apply_constraints(self):
        """Project every constrained weight of this layer and its sublayers (the training
        loop calls it after each optimizer step, as Keras does)."""
        with torch.no_grad():
            for layer in _walk_layers(self):
                for spec in layer._weight_specs:
                    if spec.constraint is not None:
                        tensor = getattr(layer, spec.attr)
                        tensor.copy_(spec.from_keras(spec.constraint(spec.to_keras(tensor))))


def _walk_layers(root):
    """`root` and every layer below it, each once (iterative: models may nest deeply)."""
    seen, stack, order = set(), [root], []
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        order.append(layer)
        stack.extend(reversed(layer._sublayers()))
    return order


def _add_weight_args(layer, args, kwargs, shape, initializer, dtype, trainable, name):
    """Sort `add_weight`'s positional arguments: Keras 3's `(shape, initializer, dtype)`,
    or Keras 2's (and plait's own) `(name, shape, initializer, trainable)`."""
    if kwargs:
        key = next(iter(kwargs))
        if key in (
            "autocast",
            "aggregation",
            "overwrite_with_gradient",
            "synchronization",
            "use_resource",
            "caching_device",
            "partitioner",
        ):
            kwargs = {}  # Keras arguments with no meaning on PyTorch
        else:
            raise TypeError(
                f"add_weight() of layer '{layer.name}' got an unexpected keyword argument "
                f"'{key}'. Received: {key}={kwargs[key]!r}"
            )
    args = list(args)
    if args and isinstance(args[0], str):
        keys = ["name", "shape", "initializer", "trainable", "dtype"]
    else:
        keys = ["shape", "initializer", "dtype"]
    if len(args) > len(keys):
        raise TypeError(
            f"add_weight() of layer '{layer.name}' takes at most {len(keys)} positional "
            f"arguments ({', '.join(keys)}). Received {len(args)}."
        )
    given = dict(shape=shape, initializer=initializer, dtype=dtype, trainable=trainable, name=name)
    for key, value in zip(keys, args):
        given[key] = value
    shape = given["shape"]
    if shape is None:
        shape = ()
    elif isinstance(shape, int):
        shape = (shape,)
    shape = tuple(int(d) for d in shape)
    return shape, given["initializer"], given["dtype"], given["trainable"], given["name"]


def _free_name(layer, base, taken):
    """`base`, else `base_1`, `base_2`, ...: the first for which `taken(name)` is false."""
    name, i = base, 0
    while taken(name):
        i += 1
        name = f"{base}_{i}"
    return name


def _attr_name(layer, name):
    """A PyTorch attribute name for the weight `name`: no '.', not empty, and free on
    `layer` (a weight called `kernel` on a layer with a `kernel` property gets `kernel_1`)."""
    base = name.replace(".", "_").replace("/", "_") or "variable"
    return _free_name(
        layer,
        base,
        lambda n: (
            n in layer._parameters
            or n in layer._buffers
            or n in layer._modules
            or n in layer.__dict__
            or hasattr(type(layer), n)
        ),
    )


def _get_penalty(value, kind):
    """A regularizer or constraint given by name or object, as a callable (or None)."""
    if value is None or (callable(value) and not isinstance(value, (str, dict))):
        return value
    return regularizers.get(value) if kind == "regularizer" else constraints.get(value)
