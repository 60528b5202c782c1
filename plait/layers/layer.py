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

from plait import config, initializers
from plait.graph.node import Node
from plait.graph.tensor import SymbolicTensor, format_shape, user_location
from plait.layers.masking import with_implicit_mask
from plait.serialization import register_serializable
from plait.utils import nest
from plait.utils.dtypes import dtype_name, to_torch_dtype
from plait.utils.naming import to_snake_case, unique_name

__all__ = [
    "Layer", "LayerCallError", "WeightSpec", "accepts_mask", "accepts_training",
    "hook_epoch"
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

    def __init__(self, *, name=None, trainable=True, dtype=None, input_shape=None,
                 input_dim=None, batch_input_shape=None, batch_size=None, **kwargs):
        super().__init__()
        if kwargs:
            key = next(iter(kwargs))
            raise TypeError(
                f"{type(self).__name__}() got an unexpected keyword argument '{key}'. "
                f"Received: {key}={kwargs[key]!r}")
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
            input_shape, input_dim, batch_input_shape, batch_size)
        # Keras semantics: a layer computes in inference mode unless training is asked for
        # (fit switches to train mode and back).
        self.train(False)

    @classmethod
    def _name_prefix(cls):
        return to_snake_case(cls.__name__)

    # ----------------------------------------------------------------- building
    def build(self, input_shape):
        """Create the weights for inputs of `input_shape` (a tuple, or a list of tuples)."""

    def add_weight(self, name, shape, initializer="glorot_uniform", trainable=True,
                   dtype=None, attr=None, layout=None, regularizer=None, constraint=None):
        """Create a weight of Keras-layout `shape` and register it on this module.

        `attr` is the PyTorch attribute name (default `name`); `layout` the permutation
        from the Keras layout to the stored one (e.g. `(1, 0)` for a Dense kernel stored as
        `(out, in)`). Trainable weights are Parameters; the others are buffers, so
        optimizers never see them. `regularizer` and `constraint` (callables on the
        Keras-layout weight) feed `regularization_losses()` and `apply_constraints()`.
        """
        init = initializers.get(initializer)
        torch_dtype = to_torch_dtype(dtype or self._dtype)
        with torch.no_grad():
            value = init(tuple(shape), dtype=torch_dtype, device=config.device())
            if not isinstance(value, torch.Tensor):
                value = torch.as_tensor(value, dtype=torch_dtype, device=config.device())
            spec = WeightSpec(name, attr or name, layout, regularizer, constraint)
            value = spec.from_keras(value).contiguous()
        if trainable:
            self.register_parameter(spec.attr, nn.Parameter(value, requires_grad=self._trainable))
        else:
            self.register_buffer(spec.attr, value)
        self._weight_specs.append(spec)
        return getattr(self, spec.attr)

    def _ensure_built(self, input_shape):
        if not self.built:
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
        # Fast path for every call inside a model's forward (one tensor into a built layer,
        # at most `training=`): it costs what calling a plain nn.Module costs.
        if not args and self.built and isinstance(inputs, torch.Tensor) and (
                not kwargs or (len(kwargs) == 1 and "training" in kwargs)):
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
            "compute their outputs in one of them.")

    def _symbolic_call(self, args, kwargs):
        where = user_location()
        if not args:
            raise TypeError(f"Layer '{self.name}' was called without inputs (at {where}).")
        inputs = args[0]
        self._check_inputs(inputs, where)
        input_shapes = nest.map_structure(
            lambda t: t.shape if isinstance(t, SymbolicTensor) else None, inputs)
        try:
            self._ensure_built(input_shapes)
        except LayerCallError as err:
            if where in str(err):
                raise
            raise LayerCallError(f"{err} (layer called at {where})") from None
        except (TypeError, ValueError, IndexError) as err:
            raise LayerCallError(
                f"Layer '{self.name}' ({type(self).__name__}) cannot be built for "
                f"{_describe_inputs(inputs)}, at {where}: {err}{_list_hint(self, inputs)}") from err
        specs = self._output_specs(args, kwargs, input_shapes, where)
        outputs = nest.map_structure(
            lambda spec: SymbolicTensor(spec.shape, spec.dtype, where=where), specs)
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
                    f"Received: inputs={t!r:.200}")

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
                f"{_describe_inputs(args[0])}, at {where}: {err}") from err

    def _meta_output_specs(self, args, kwargs):
        weights = {name: torch.empty_like(t, device="meta")
                   for name, t in _named_tensors(self)}
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
                f"no {what}. Call it on one first: y = {self.name}(x).")
        if len(self._inbound_nodes) > 1:
            calls = ", ".join(n.where or "?" for n in self._inbound_nodes)
            raise ValueError(
                f"Layer '{self.name}' has been called {len(self._inbound_nodes)} times (at "
                f"{calls}), so it has several {what}s. Use layer.get_{attr}_at(node_index): "
                f"get_{attr}_at(0) for the first call, and so on.")
        return self._get_node_attr(0, attr)

    def _get_node_attr(self, node_index, attr):
        if not 0 <= node_index < len(self._inbound_nodes):
            raise ValueError(
                f"Layer '{self.name}' has {len(self._inbound_nodes)} call(s) (nodes); "
                f"node_index must be in [0, {len(self._inbound_nodes)}). "
                f"Received: node_index={node_index}")
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
                f"get_{attr}_shape_at(node_index).")
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
        """Direct child layers whose weights count as this layer's, in Keras's order."""
        return [m for m in self.children() if isinstance(m, Layer)]

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
            specs = sorted(layer._weight_specs,  # stable: Parameters, then buffers
                           key=lambda spec, layer=layer: not isinstance(
                               getattr(layer, spec.attr), nn.Parameter))
            for spec in specs:
                tensor = getattr(layer, spec.attr)
                if id(tensor) in seen:
                    continue
                seen.add(id(tensor))
                is_param = isinstance(tensor, nn.Parameter)
                entries.append((f"{layer.name}/{spec.keras_name}", tensor, spec,
                                trainable and is_param))
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
        return [e[2].to_keras(e[1].detach()).cpu().numpy().copy() for e in self._ordered_entries()]

    def set_weights(self, weights):
        """Set the weights from NumPy arrays in Keras's layout and order (`get_weights`)."""
        entries = self._ordered_entries()
        weights = list(weights)
        if len(weights) != len(entries):
            names = [e[0] for e in entries]
            raise ValueError(
                f"Layer '{self.name}' expects {len(entries)} weight arrays ({names}); "
                f"received {len(weights)}.")
        for i, ((name, tensor, spec, _), value) in enumerate(zip(entries, weights)):
            expected = tuple(spec.to_keras(tensor).shape)
            got = tuple(np.shape(value))
            if got != expected:
                raise ValueError(
                    f"Weight #{i} '{name}' of layer '{self.name}' has shape {expected}; "
                    f"received an array of shape {got}.")
        with torch.no_grad():
            for (_, tensor, spec, _), value in zip(entries, weights):
                src = torch.as_tensor(np.asarray(value), dtype=tensor.dtype)
                tensor.copy_(spec.from_keras(src.to(tensor.device)))

    def count_params(self):
        if not self.built:
            raise ValueError(
                f"You called count_params() on layer '{self.name}', but it is not built yet. "
                "Call it on an input first (or build the model) so its weights exist.")
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
        return losses

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
    if not isinstance(name, str) or not name:
        raise TypeError(f"A layer name must be a non-empty string. Received: name={name!r}")
    if "." in name or "/" in name:
        raise ValueError(
            f"A layer name may not contain '.' or '/' (PyTorch uses '.' in parameter names). "
            f"Received: name={name!r}")
    # Names appear in the model's generated forward code and in file paths.
    if any(c in name for c in "\"'\\") or not name.isprintable():
        raise ValueError(
            "A layer name may not contain quotes, backslashes or control characters. "
            f"Received: name={name!r}")


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
            f"input_shape=({input_shape},). Received: input_shape={input_shape}")
    return (batch_size,) + tuple(input_shape)


def _has_symbolic(args, kwargs):
    for value in args:
        if isinstance(value, SymbolicTensor):
            return True
        if isinstance(value, (list, tuple, dict)) and any(
                isinstance(v, SymbolicTensor) for v in nest.flatten(value)):
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
    err.add_note(f"  in layer '{layer.name}' ({type(layer).__name__}), called on input of "
                 f"shape {shown}{wanted}")


def _check_concrete_inputs(layer, inputs):
    """A clear error for an unbuilt layer called on data it cannot size itself from."""
    for value in nest.flatten(inputs):
        if isinstance(value, np.ndarray):
            raise TypeError(
                f"Layer '{layer.name}' ({type(layer).__name__}) was called on a NumPy array of "
                f"shape {value.shape}; layers compute on torch tensors. Convert it first "
                "(torch.as_tensor(x)), or use model.predict(x), which takes NumPy arrays.")
        if isinstance(value, nn.Module):
            raise TypeError(
                f"Layer '{layer.name}' ({type(layer).__name__}) was called on a "
                f"{type(value).__name__} object, not on a tensor. To stack it on a model, call "
                f"it on the model's output: {layer.name}(model.output). Received: inputs="
                f"{type(value).__name__} {getattr(value, 'name', '')!r}")


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
        for i, d in enumerate(shape))


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
    return (f". It was given a list of {len(inputs)} tensors: if {type(layer).__name__} takes "
            "one input, pass one tensor, or merge them first (e.g. concatenate([...])).")


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
