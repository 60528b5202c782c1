"""Layer: a `torch.nn.Module` that can also be called on symbolic tensors.

Called on torch tensors it computes, through `nn.Module.__call__` (hooks keep working).
Called on SymbolicTensors it builds its weights if needed, infers its output shape (by
`compute_output_shape`, or by running `forward` on meta tensors), records a Node and
returns SymbolicTensors.

Weights are PyTorch parameters in PyTorch's layout (`weight` `(out, in)`); `get_weights`
and `set_weights` speak Keras's layout and order (`kernel` `(in, out)`, then `bias`).
"""

import functools
import inspect

import numpy as np
import torch
from torch import nn

from plait import config, constraints, initializers, regularizers
from plait.graph.node import Node
from plait.graph.tensor import SymbolicTensor, format_shape, user_location
from plait.utils import variables
from plait.layers.masking import with_implicit_mask
from plait.serialization import register_serializable
from plait.layers.input_spec import assert_input_compatibility
from plait.utils import nest, sharding
from plait.utils.weight_arrays import array_for_weight
from plait.utils.dtypes import dtype_name, to_torch_dtype
from plait.utils.naming import to_snake_case, unique_name

__all__ = [
    "Layer",
    "LayerCallError",
    "WeightSpec",
    "accepts_mask",
    "accepts_training",
    "hook_epoch",
    "user_reads_training",
]

_module_call = nn.Module.__call__
_hook_epoch = 0


def hook_epoch():
    """How many hooks have been registered on plait layers so far."""
    return _hook_epoch


def _bump_hook_epoch():
    global _hook_epoch
    _hook_epoch += 1


_NO_INPUTS = object()  # Layer.__call__'s default: called with no positional input

# Sizes substituted for unknown dimensions in the two meta runs of shape inference: a
# dimension that differs between the runs depends on an unknown one and stays None.
_BATCH_FILLS = (2, 3)
_OTHER_FILLS = (5, 7)


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


class Layer(nn.Module):
    """Base class of every plait layer (and of Model).

    Args:
        name: the layer's name, unique in a model; default `<snake_case class>_<n>`.
        trainable: whether fit updates its weights.
        dtype: dtype of its weights ('float32' default).
        input_shape, input_dim, batch_input_shape, batch_size: for the first layer of a
            Sequential, the shape of one sample (Keras's spelling).

    Subclasses create weights in `build(input_shape)` with `add_weight`, compute in
    `forward(inputs, ...)` (Keras's name `call` works too), and list their arguments in
    `get_config`.
    """

    def __init__(
        self,
        *,
        name=None,
        trainable=True,
        dtype=None,
        input_shape=None,
        input_dim=None,
        batch_input_shape=None,
        batch_size=None,
        **kwargs,
    ):
        super().__init__()
        if kwargs:
            key = next(iter(kwargs))
            raise TypeError(
                f"{type(self).__name__}() got an unexpected keyword argument '{key}'. "
                f"Received: {key}={kwargs[key]!r}"
            )
        if name is None:
            name = unique_name(self._name_prefix())
        _check_name(name)
        self.name = name
        self._dtype = dtype_name(to_torch_dtype(dtype if dtype is not None else config.floatx()))
        self._trainable = bool(trainable)
        self.built = False
        self._inbound_nodes = []
        self._weight_specs = []
        self._created_at = user_location()
        self._batch_input_shape = _batch_input_shape(
            input_shape, input_dim, batch_input_shape, batch_size
        )
        # Keras semantics: a layer computes in inference mode unless training is asked for
        # (fit switches to train mode and back).
        self.train(False)

    @classmethod
    def _name_prefix(cls):
        return to_snake_case(cls.__name__)

    # ----------------------------------------------------------------- building
    def build(self, input_shape):
        """Create the weights for inputs of `input_shape` (a tuple, or a list of tuples)."""

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

    def __setattr__(self, name, value):
        # `self.w = self.add_weight(...)`: the weight moves to the attribute `w`.
        if isinstance(value, variables.Variable) or isinstance(value, variables.StateVariable):
            if self._rekey_weight(name, value):
                return
        # Keras tracks layers held in a list or dict attribute (`self.blocks = [Dense(8),
        # Dense(8)]`): they become submodules (a ModuleList / ModuleDict) too.
        elif (
            type(value) in (list, tuple)
            and value
            and all(isinstance(v, nn.Module) for v in value)
            and any(isinstance(v, Layer) for v in value)
            and "_modules" in self.__dict__
        ):
            value = nn.ModuleList(value)
        elif (
            type(value) is dict
            and value
            and all(
                isinstance(k, str) and "." not in k and isinstance(v, nn.Module)
                for k, v in value.items()
            )
            and any(isinstance(v, Layer) for v in value.values())
            and "_modules" in self.__dict__
        ):
            value = nn.ModuleDict(value)
        super().__setattr__(name, value)

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

    def _ensure_built(self, input_shape):
        if not self.built:
            # Weights made on a first call inside predict (inference mode) must still be
            # trainable later.
            with torch.inference_mode(False):
                self.build(input_shape)
            self.built = True

    # ---------------------------------------------------------------- hooks
    # A model runs its layers' `forward` directly while none has a hook (functional.py);
    # registering one anywhere bumps `hook_epoch()`, so models look again.
    def register_forward_hook(self, *args, **kwargs):
        _bump_hook_epoch()
        return super().register_forward_hook(*args, **kwargs)

    def register_forward_pre_hook(self, *args, **kwargs):
        _bump_hook_epoch()
        return super().register_forward_pre_hook(*args, **kwargs)

    def register_full_backward_hook(self, *args, **kwargs):
        _bump_hook_epoch()
        return super().register_full_backward_hook(*args, **kwargs)

    def register_full_backward_pre_hook(self, *args, **kwargs):
        _bump_hook_epoch()
        return super().register_full_backward_pre_hook(*args, **kwargs)

    def register_backward_hook(self, *args, **kwargs):
        _bump_hook_epoch()
        return super().register_backward_hook(*args, **kwargs)

    # ---------------------------------------------------------------- calling
    def __call__(self, inputs=_NO_INPUTS, *args, **kwargs):
        if kwargs and "training" in kwargs and not accepts_training(type(self)):
            kwargs = {k: v for k, v in kwargs.items() if k != "training"}  # as Keras: ignored
        if user_reads_training(type(self)) and not _has_symbolic((inputs, args), kwargs):
            training = kwargs.get("training")
            if training is None:  # the resolved mode, as Keras's call context gives it
                kwargs = {**kwargs, "training": self.training}
            elif bool(training) is not self.training:
                return _call_in_mode(self, bool(training), inputs, args, kwargs)
        # Fast path for every call inside a model's forward (one tensor into a built layer,
        # at most `training=`): it costs what calling a plain nn.Module costs.
        if (
            not args
            and self.built
            and isinstance(inputs, torch.Tensor)
            and (not kwargs or (len(kwargs) == 1 and "training" in kwargs))
        ):
            try:
                return _module_call(self, inputs, **kwargs)
            except (RuntimeError, ValueError, TypeError) as err:
                _add_layer_note(err, self, (inputs,))
                raise
        if inputs is not _NO_INPUTS:
            args = (inputs,) + args
        if _has_symbolic(args, kwargs):
            if accepts_mask(type(self)):  # Keras's implicit masks (see layers/masking.py)
                kwargs = with_implicit_mask(kwargs, args[0])
            return self._symbolic_call(args, kwargs)
        if not self.built:
            _check_concrete_inputs(self, args[0] if args else None)
            self._ensure_built(nest.map_structure(_concrete_shape, args[0] if args else None))
        try:
            return _module_call(self, *args, **kwargs)
        except (RuntimeError, ValueError, TypeError) as err:
            _add_layer_note(err, self, args)
            raise

    def forward(self, *args, **kwargs):
        return self.call(*args, **kwargs)

    def call(self, *args, **kwargs):
        raise NotImplementedError(
            f"Layer {type(self).__name__} defines neither forward() nor call(). Subclasses "
            "compute their outputs in one of them."
        )

    def _symbolic_call(self, args, kwargs):
        where = user_location()
        if not args:
            raise TypeError(f"Layer '{self.name}' was called without inputs (at {where}).")
        inputs = args[0]
        self._check_inputs(inputs, where)
        if self.__dict__.get("input_spec"):  # a user's layer that sets Keras's InputSpec
            try:
                assert_input_compatibility(self.__dict__["input_spec"], inputs, self.name)
            except ValueError as err:
                raise ValueError(f"{err} (layer called at {where})") from None
        input_shapes = nest.map_structure(
            lambda t: t.shape if isinstance(t, SymbolicTensor) else None, inputs
        )
        try:
            self._ensure_built(input_shapes)
        except LayerCallError as err:
            if where in str(err):
                raise
            raise LayerCallError(f"{err} (layer called at {where})") from None
        except (TypeError, ValueError, IndexError) as err:
            raise LayerCallError(
                f"Layer '{self.name}' ({type(self).__name__}) cannot be built for "
                f"{_describe_inputs(inputs)}, at {where}: {err}{_list_hint(self, inputs)}"
            ) from err
        specs = self._output_specs(args, kwargs, input_shapes, where)
        outputs = nest.map_structure(
            lambda spec: SymbolicTensor(spec.shape, spec.dtype, where=where), specs
        )
        flat = nest.flatten(outputs)
        node = Node(self, args, kwargs, outputs, where=where)
        suffix = "" if len(self._inbound_nodes) == 1 else f"_{len(self._inbound_nodes) - 1}"
        for i, tensor in enumerate(flat):
            tensor.name = self.name + suffix + ("" if len(flat) == 1 else f"/{i}")
        assert node.outputs == flat
        return outputs

    def _check_inputs(self, inputs, where):
        for t in nest.flatten(inputs):
            if not isinstance(t, (SymbolicTensor, torch.Tensor, int, float, type(None))):
                raise TypeError(
                    f"Layer '{self.name}' ({type(self).__name__}) was called at {where} with "
                    f"an input of type {type(t).__name__}; expected symbolic tensors. "
                    f"Received: inputs={t!r:.200}"
                )

    def _output_specs(self, args, kwargs, input_shapes, where):
        """A structure of (shape, dtype) for the outputs of calling this layer on `args`."""
        try:
            if _overrides(self, "compute_output_shape"):
                shapes = self.compute_output_shape(input_shapes)
                dtype = _first_dtype(args)
                return _shapes_to_specs(shapes, dtype)
            return self._meta_output_specs(args, kwargs)
        except LayerCallError:
            raise
        except (RuntimeError, ValueError, TypeError, IndexError) as err:
            raise LayerCallError(
                f"Layer '{self.name}' ({type(self).__name__}) cannot be called on "
                f"{_describe_inputs(args[0])}, at {where}: {err}"
            ) from err

    def _meta_output_specs(self, args, kwargs):
        try:
            return self._shape_run_specs(args, kwargs)
        finally:
            self.clear_added_losses()  # the shape runs' add_loss values are not losses

    def _shape_run_specs(self, args, kwargs):
        try:
            return self._meta_run_specs(args, kwargs)
        except (RuntimeError, NotImplementedError) as err:
            if "meta" not in str(err).lower():
                raise
            # A user layer that makes tensors with torch factory functions, calls sublayers
            # built on the way, or uses an op with no meta kernel: run it for real on small
            # zero tensors instead (once, at graph construction).
            try:
                return self._concrete_run_specs(args, kwargs)
            except Exception:  # noqa: BLE001 - the first error says more
                raise err from None

    def _concrete_run_specs(self, args, kwargs):
        device = config.device()
        runs = []
        for run in range(2):

            def to_zeros(value, run=run):
                if not isinstance(value, SymbolicTensor):
                    return value
                return torch.zeros(_fill(value.shape, run), dtype=value.dtype, device=device)

            with torch.no_grad():
                out = _module_call(
                    self,
                    *nest.map_structure(to_zeros, tuple(args)),
                    **nest.map_structure(to_zeros, kwargs),
                )
            runs.append(out)
        specs = [_pair(a, b) for a, b in zip(nest.flatten(runs[0]), nest.flatten(runs[1]))]
        return nest.pack_like(runs[0], specs)

    def _meta_run_specs(self, args, kwargs):
        weights = {name: torch.empty_like(t, device="meta") for name, t in _named_tensors(self)}
        runs = []
        for run in range(2):

            def to_meta(value, run=run):
                if not isinstance(value, SymbolicTensor):
                    return value
                return torch.empty(_fill(value.shape, run), dtype=value.dtype, device="meta")

            meta_args = nest.map_structure(to_meta, args)
            meta_kwargs = nest.map_structure(to_meta, kwargs)
            with torch.no_grad():
                out = torch.func.functional_call(self, weights, tuple(meta_args), meta_kwargs)
            runs.append(out)
        specs = [_pair(a, b) for a, b in zip(nest.flatten(runs[0]), nest.flatten(runs[1]))]
        return nest.pack_like(runs[0], specs)

    def compute_output_shape(self, input_shape):
        """Output shape(s) for `input_shape`; layers override it when meta inference is not
        enough or costs too much."""
        raise NotImplementedError

    # ------------------------------------------------------------ node access
    # Errors here are ValueErrors: an AttributeError from a property would be swallowed by
    # nn.Module.__getattr__ and replaced by a bare "has no attribute".
    def _node_attr(self, attr, what):
        if not self._inbound_nodes:
            raise ValueError(
                f"Layer '{self.name}' has not been called on a symbolic tensor yet, so it has "
                f"no {what}. Call it on one first: y = {self.name}(x)."
            )
        # Keras 3: a layer called several times answers with its first call's tensors
        # (get_output_at(i) reads the others).
        return self._get_node_attr(0, attr)

    def _get_node_attr(self, node_index, attr):
        if not 0 <= node_index < len(self._inbound_nodes):
            raise ValueError(
                f"Layer '{self.name}' has {len(self._inbound_nodes)} call(s) (nodes); "
                f"node_index must be in [0, {len(self._inbound_nodes)}). "
                f"Received: node_index={node_index}"
            )
        node = self._inbound_nodes[node_index]
        if attr == "output":
            return node.output_structure
        inputs = node.call_args[0] if node.call_args else node.output_structure
        return inputs

    @property
    def input(self):
        return self._node_attr("input", "input")

    @property
    def output(self):
        return self._node_attr("output", "output")

    def get_input_at(self, node_index):
        return self._get_node_attr(node_index, "input")

    def get_output_at(self, node_index):
        return self._get_node_attr(node_index, "output")

    def get_input_shape_at(self, node_index):
        return _shapes_of(self.get_input_at(node_index))

    def get_output_shape_at(self, node_index):
        return _shapes_of(self.get_output_at(node_index))

    @property
    def input_shape(self):
        return self._unique_shape("input")

    @property
    def output_shape(self):
        return self._unique_shape("output")

    def _unique_shape(self, attr):
        if not self._inbound_nodes:
            self._node_attr(attr, attr)
        shapes = [_shapes_of(self._get_node_attr(i, attr)) for i in range(len(self._inbound_nodes))]
        if any(s != shapes[0] for s in shapes):
            raise ValueError(
                f"Layer '{self.name}' has several {attr} shapes ({shapes}), one per call. Use "
                f"get_{attr}_shape_at(node_index)."
            )
        return shapes[0]

    # ---------------------------------------------------------------- weights
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
            if isinstance(module, Layer):
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

    # ----------------------------------------------------------------- config
    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def extra_repr(self):
        return f"name={self.name!r}"


class _Spec:
    """The shape and dtype of one output (a leaf, unlike a tuple, for nest)."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype


class LayerCallError(ValueError):
    """A layer cannot be called on the given inputs (raised when the graph is built)."""


register_serializable(package="plait")(Layer)


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


def _check_name(name):
    """Keras's rule: any string without '/'; plait also refuses the empty string."""
    if not isinstance(name, str) or "/" in name or not name:
        raise ValueError(
            "Argument `name` must be a non-empty string and cannot contain character `/`. "
            f"Received: name={name} (of type {type(name)})"
        )


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


def _batch_input_shape(input_shape, input_dim, batch_input_shape, batch_size):
    if batch_input_shape is not None:
        return tuple(batch_input_shape)
    if input_shape is None and input_dim is not None:
        input_shape = (input_dim,)
    if input_shape is None:
        return None
    if isinstance(input_shape, int):
        raise TypeError(
            "input_shape must be a tuple (one sample's shape, without the batch), e.g. "
            f"input_shape=({input_shape},). Received: input_shape={input_shape}"
        )
    return (batch_size,) + tuple(input_shape)


def _has_symbolic(args, kwargs):
    for value in args:
        if isinstance(value, SymbolicTensor):
            return True
        if isinstance(value, (list, tuple, dict)) and any(
            isinstance(v, SymbolicTensor) for v in nest.flatten(value)
        ):
            return True
    if kwargs:
        return any(isinstance(v, SymbolicTensor) for v in nest.flatten(kwargs))
    return False


def _add_layer_note(err, layer, args):
    """Say which layer, on what input, failed: the traceback's last lines are torch's own."""
    if not hasattr(err, "add_note"):  # Python < 3.11
        return
    shapes = [tuple(t.shape) for t in nest.flatten(args) if isinstance(t, torch.Tensor)]
    shown = shapes[0] if len(shapes) == 1 else shapes
    expected = getattr(layer, "_input_shapes", None)
    wanted = "" if not expected else f" (it expects {', '.join(map(format_shape, expected))})"
    err.add_note(
        f"  in layer '{layer.name}' ({type(layer).__name__}), called on input of "
        f"shape {shown}{wanted}"
    )


def _check_concrete_inputs(layer, inputs):
    """A clear error for an unbuilt layer called on data it cannot size itself from."""
    for value in nest.flatten(inputs):
        if isinstance(value, np.ndarray):
            raise TypeError(
                f"Layer '{layer.name}' ({type(layer).__name__}) was called on a NumPy array of "
                f"shape {value.shape}; layers compute on torch tensors. Convert it first "
                "(torch.as_tensor(x)), or use model.predict(x), which takes NumPy arrays."
            )
        if isinstance(value, nn.Module):
            raise TypeError(
                f"Layer '{layer.name}' ({type(layer).__name__}) was called on a "
                f"{type(value).__name__} object, not on a tensor. To stack it on a model, call "
                f"it on the model's output: {layer.name}(model.output). Received: inputs="
                f"{type(value).__name__} {getattr(value, 'name', '')!r}"
            )


def _concrete_shape(value):
    if isinstance(value, torch.Tensor):
        return (None,) + tuple(value.shape[1:]) if value.dim() else ()
    return None


def _named_tensors(module):
    yield from module.named_parameters(remove_duplicate=False)
    yield from module.named_buffers(remove_duplicate=False)


def _fill(shape, run):
    return tuple(
        (_BATCH_FILLS[run] if i == 0 else _OTHER_FILLS[run]) if d is None else d
        for i, d in enumerate(shape)
    )


def _pair(first, second):
    if not isinstance(first, torch.Tensor):
        raise TypeError(f"forward returned a {type(first).__name__}, not a tensor")
    shape = tuple(d1 if d1 == d2 else None for d1, d2 in zip(first.shape, second.shape))
    return _Spec(shape, first.dtype)


def _first_dtype(args):
    for value in nest.flatten(args):
        if isinstance(value, SymbolicTensor):
            return value.dtype
    return torch.float32


def _is_shape(value):
    return isinstance(value, tuple) and all(d is None or isinstance(d, int) for d in value)


def _shapes_to_specs(shapes, dtype):
    if _is_shape(shapes):
        return _Spec(tuple(shapes), dtype)
    return [_shapes_to_specs(s, dtype) for s in shapes]


def _shapes_of(structure):
    return nest.map_structure(lambda t: t.shape, structure)


def _list_hint(layer, inputs):
    """For a layer given a list of tensors where it may take one: say so, and the fix."""
    if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
        return ""
    return (
        f". It was given a list of {len(inputs)} tensors: if {type(layer).__name__} takes "
        "one input, pass one tensor, or merge them first (e.g. concatenate([...]))."
    )


def _describe_inputs(inputs):
    flat = [t for t in nest.flatten(inputs) if isinstance(t, SymbolicTensor)]
    if len(flat) == 1:
        return f"input {flat[0].describe()}"
    return "inputs " + ", ".join(t.describe() for t in flat)


@functools.lru_cache(maxsize=None)
def _class_overrides(cls, method):
    return getattr(cls, method) is not getattr(Layer, method)


def _overrides(layer, method):
    return _class_overrides(type(layer), method)


@functools.lru_cache(maxsize=None)
def accepts_mask(cls):
    """Whether `cls.forward` (or `call`) takes a `mask` argument by name."""
    fn = cls.call if cls.forward is Layer.forward else cls.forward
    try:
        return "mask" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


@functools.lru_cache(maxsize=None)
def accepts_training(cls):
    """Whether `cls.forward` (or `call`) takes a `training` argument."""
    fn = cls.call if cls.forward is Layer.forward else cls.forward
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "training" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


@functools.lru_cache(maxsize=None)
def user_reads_training(cls) -> bool:
    """Whether `cls` is a user's layer or model (defined outside plait) whose `call` or
    `forward` declares `training`. Such a call gets the resolved mode as a bool, as Keras's
    call context gives it (plait's own layers read `self.training` when given None)."""
    for fn in (cls.call, cls.forward):
        if getattr(fn, "__module__", "plait.").startswith("plait."):
            continue
        try:
            return "training" in inspect.signature(fn).parameters
        except (TypeError, ValueError):
            return False
    return False


def _call_in_mode(layer, training, inputs, args, kwargs):
    """Call a user's `layer` with an explicit `training` that differs from its mode: the
    layer and its sublayers run in that mode (so sublayers it calls without `training`
    follow it, as in Keras), and get their own modes back afterwards."""
    modes = [(module, module.training) for module in layer.modules()]
    layer.train(training)
    try:
        return layer(inputs, *args, **kwargs)
    finally:
        for module, mode in modes:
            module.training = mode


def _on_module_registration(module, name, submodule):
    """A plait layer put inside a plain `nn.Module` (a LightningModule, a user's wrapper)
    takes that module's mode, as every PyTorch submodule would (plait layers start in
    inference mode, Keras's default); a plain torch module put inside a plait layer takes
    the layer's mode."""
    if not isinstance(submodule, nn.Module):
        return None
    parent_is_layer = isinstance(module, Layer)
    if isinstance(submodule, Layer) == parent_is_layer:
        return None
    mode = module.__dict__.get("training")  # a wrapper may not hold one of its own
    if isinstance(mode, bool) and submodule.__dict__.get("training") is not mode:
        submodule.train(mode)
    return None


torch.nn.modules.module.register_module_module_registration_hook(_on_module_registration)
