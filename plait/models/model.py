"""Model(inputs, outputs): a graph of layers as one layer, compiled to straight-line code.

    visible = Input(shape=(10,))
    hidden = Dense(10, activation='relu')(visible)
    output = Dense(1, activation='sigmoid')(hidden)
    model = Model(inputs=visible, outputs=output)

Construction walks the graph once: it checks the wiring, orders the layers as Keras does,
registers each layer as a submodule under a model-local key (`layer_key`: `state_dict`
keys `dense_1.weight`, stable for a given architecture) and
generates `forward` (see `model.code`). Training and summaries delegate to `plait.training`
and `plait.models.summary`.
"""

import functools
import inspect
import keyword
import re

import numpy as np
import torch

from plait import config, serialization
from plait.graph.graph import Graph
from plait.graph.node import Node
from plait.graph.tensor import SymbolicTensor, format_shape
from plait.layers.core import InputLayer
from plait.layers.layer import Layer, LayerCallError
from plait.models import codegen, config as model_config, per_sample, summary as summary_module
from plait.models.keras_methods import KerasMethods
from plait.models.train_steps import TrainingSteps
from plait.utils import nest
from plait.utils.naming import unique_name
from plait.utils.string_array import StringArray, is_string_data

__all__ = ["Model"]


@serialization.register_serializable(package="plait")
class Model(KerasMethods, TrainingSteps, Layer):
    """A model: `Model(inputs, outputs)` on symbolic tensors (one, a list or a dict each).

    Called on torch tensors it computes (one tensor for one input, else a list or a dict
    keyed by input name); called on symbolic tensors it nests like a layer. `inputs` may be
    tensors in the middle of a bigger graph: the model then shares those layers (feature
    extraction). With neither, it is a subclassed model: its own `call`/`forward` computes.

    Args:
        inputs: the model's `Input` tensors: one, a list, or a dict keyed by input name.
        outputs: symbolic tensors computed from `inputs`: one, a list, or a dict.
        name: the model's name. Default None (`model`, `model_1`, ...).
        trainable: whether its weights are trained. Default True.

    Raises:
        ValueError: only one of `inputs` and `outputs` given, or outputs that do not
            depend on the inputs.

    Example:
        >>> import torch
        >>> from plait import Model
        >>> from plait.layers import Dense, Input
        >>> x = Input(shape=(4,))
        >>> model = Model(x, Dense(2)(x))
        >>> model.output_shape
        (None, 2)
        >>> model(torch.ones(3, 4)).shape
        torch.Size([3, 2])
    """

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._graph = None
        self._forward_code = None
        self._direct_forward = None
        self._code = None
        self._hooks_seen = None  # (hook epoch, module count) of the last look for hooks
        self._hooked = True
        self._sample_bytes = None  # per_sample.py: read when the graph is made
        if inputs is None and outputs is None:
            return  # a subclassed model: the user's forward/call computes
        if inputs is None or outputs is None:
            raise ValueError(
                "A functional Model needs both `inputs` and `outputs`. Received: "
                f"inputs={inputs!r:.100}, outputs={outputs!r:.100}"
            )
        self._init_graph(inputs, outputs)

    def _init_graph(self, inputs, outputs):
        self._input_structure, self._inputs_struct, flat_inputs = _structure(inputs, "inputs")
        self._output_structure, self._outputs_struct, flat_outputs = _structure(outputs, "outputs")
        boundary = {
            id(t): _stand_in(t)
            for t in flat_inputs
            if isinstance(t, SymbolicTensor) and t.node is not None and not t.node.is_input
        }
        self._graph = Graph(flat_inputs, flat_outputs, boundary)
        for layer in self._graph.layers:
            self._register(layer)
        self._sample_bytes = per_sample.largest_sample_bytes(self)
        self.input_names = _names(inputs, [self._graph.producer(t).layer.name for t in flat_inputs])
        self.output_names = _names(outputs, _unique([t.node.layer.name for t in flat_outputs]))
        self._input_shapes = [t.shape for t in flat_inputs]
        self._input_dtypes = [t.dtype for t in flat_inputs]
        self._forward_code, self._direct_forward, self._code = codegen.compile_forward(self)
        self.built = True

    def _register(self, layer):
        """Register `layer` as a submodule under its model-local key (see `layer_key`)."""
        keys = self.__dict__.setdefault("_layer_keys", {})
        if id(layer) in keys and self._modules.get(keys[id(layer)]) is layer:
            return keys[id(layer)]
        key = _free_key(self, type(layer)._name_prefix())
        keys[id(layer)] = key
        self._modules[key] = layer
        return key

    def _unregister(self, layer):
        key = self.__dict__.get("_layer_keys", {}).pop(id(layer), None)
        if key is not None:
            self._modules.pop(key, None)

    def layer_key(self, layer):
        """The submodule key of `layer` in this model: its `state_dict` prefix and the
        attribute the generated forward calls (`self.dense_1(x)`).

        Keys are model-local and structural, so rebuilding the same architecture gives the
        same keys whatever the layers' printed names: the snake_case class name plus a
        counter from 1 over the layers of that class, in the model's layer order
        (`dense_1`, `dense_2`, `conv2d_1`). A key is never a Python keyword, nor an
        attribute of the model, so names like `output` or `layers` stay Keras's. Layers of
        a subclassed model keep the attribute names the user gave them.
        """
        keys = self.__dict__.get("_layer_keys", {})
        if id(layer) in keys:
            return keys[id(layer)]
        for key, module in self._modules.items():
            if module is layer:
                return key
        raise ValueError(f"Layer '{layer.name}' is not a layer of model '{self.name}'.")

    def build(self, input_shape=None):
        """Create the weights of a subclassed model for inputs of `input_shape` (with the
        batch dimension; a list or dict of shapes for several inputs) by running it once,
        in inference mode, on zeros. A functional model is built already."""
        if self._graph is not None or input_shape is None:
            return
        device = next(self.parameters(), torch.empty(0, device=config.device())).device

        def zeros(shape):
            return torch.zeros(tuple(1 if d is None else d for d in shape), device=device)

        if isinstance(input_shape, dict):
            inputs = {k: zeros(v) for k, v in input_shape.items()}
        elif (
            isinstance(input_shape, (list, tuple))
            and input_shape
            and all(isinstance(s, (list, tuple)) for s in input_shape)
        ):
            inputs = [zeros(s) for s in input_shape]
        else:
            inputs = zeros(input_shape)
        previous = [(m, m.training) for m in self.modules()]
        self.train(False)
        try:
            with torch.no_grad(), torch.inference_mode(False):
                self.forward(inputs)
        finally:
            self.clear_added_losses()
            for m, mode in previous:
                m.training = mode
        self.built = True

    # ---------------------------------------------------------------- calling
    # fit/evaluate/predict pass a list or dict of inputs as one argument, as Keras does.
    _keras_call_convention = True

    def forward(self, inputs, training=None, **kwargs):
        if self._forward_code is None:  # a subclassed model: the user's call computes
            if training is not None and _call_takes_training(type(self)):
                kwargs["training"] = training
            return self.call(inputs, **kwargs)
        if kwargs:
            key = next(iter(kwargs))
            raise TypeError(
                f"Model '{self.name}' got an unexpected keyword argument '{key}'. "
                f"Received: {key}={kwargs[key]!r:.100}"
            )
        if self._input_structure == "single" and isinstance(inputs, torch.Tensor):
            args = (inputs,)
        else:
            args = self._flat_call_inputs(inputs)
        if codegen.hooks_registered(self):
            return self._forward_code(self, *args, training=training)
        try:
            return self._direct_forward(self, *args, training=training)
        except (RuntimeError, ValueError, TypeError) as err:
            codegen.note_failed_layer(err, self)
            raise

    def _check_inputs(self, inputs, where):
        """Called on symbolic tensors: each must fit the input it feeds (rank, known sizes)."""
        super()._check_inputs(inputs, where)
        if self._graph is None:
            return
        if isinstance(inputs, dict):
            given = [inputs.get(name) for name in self.input_names]
        else:
            given = nest.flatten(inputs)
        if len(given) != len(self.input_names):
            return  # forward says how many inputs the model takes
        for name, expected, tensor in zip(self.input_names, self._input_shapes, given):
            if isinstance(tensor, SymbolicTensor) and not _shapes_fit(tensor.shape, expected):
                raise LayerCallError(
                    f"Model '{self.name}' input '{name}' expects tensors of shape "
                    f"{format_shape(expected)}; it was called at {where} on "
                    f"{tensor.describe()}. Pass a tensor of that shape (None matches any size)."
                )

    def _flat_call_inputs(self, inputs):
        expected = ", ".join(
            f"{n}: {format_shape(s)}" for n, s in zip(self.input_names, self._input_shapes)
        )
        count = len(self.input_names)
        if isinstance(inputs, dict):
            unknown = sorted(set(inputs) - set(self.input_names))
            missing = [n for n in self.input_names if n not in inputs]
            if unknown or missing:
                raise ValueError(
                    f"Model '{self.name}' takes inputs {self.input_names} ({expected}). "
                    f"Received a dict with unknown keys {unknown} and missing keys {missing}."
                )
            return [self._as_tensor(inputs[n], i) for i, n in enumerate(self.input_names)]
        if isinstance(inputs, (list, tuple)):
            if len(inputs) != count:
                raise ValueError(
                    f"Model '{self.name}' expects {count} input(s) ({expected}); received a "
                    f"{type(inputs).__name__} of {len(inputs)}."
                    + (
                        " Pass the one input's data as a tensor, not a list of its rows."
                        if count == 1
                        else ""
                    )
                )
            return [self._as_tensor(x, i) for i, x in enumerate(inputs)]
        if count != 1:
            raise ValueError(
                f"Model '{self.name}' expects {count} inputs ({expected}); received one "
                f"{type(inputs).__name__}. Pass a list of {count} tensors or a dict keyed by "
                "input name."
            )
        return [self._as_tensor(inputs, 0)]

    def _as_tensor(self, value, index):
        """NumPy arrays (and lists of numbers) become tensors of the input's dtype, on the
        model's device; tensors pass as they are."""
        if isinstance(value, torch.Tensor):
            return value
        if self._input_dtypes[index] == "string" and is_string_data(value):
            return StringArray(value)  # text stays on the host for the string layers
        if isinstance(value, (np.ndarray, np.generic, list, float, int)):
            device = next(self.parameters(), torch.empty(0)).device
            return torch.as_tensor(
                np.asarray(value), dtype=self._input_dtypes[index], device=device
            )
        raise TypeError(
            f"Model '{self.name}' input '{self.input_names[index]}' must be a tensor or an "
            f"array. Received: {type(value).__name__}"
        )

    @property
    def code(self):
        """The generated Python source of `forward`."""
        self._ensure_graph()
        return self._code

    def _ensure_graph(self):
        if self._graph is None:
            raise ValueError(
                f"Model '{self.name}' has no graph yet: build it from Input tensors "
                "(Model(inputs, outputs)) or give a Sequential's first layer an input_shape."
            )

    # ------------------------------------------------------------- structure
    @property
    def layers(self):
        """The model's layers in Keras's order (InputLayers included, by depth); the
        weightless ops that only compute masks (`tokens != 0`) are not among them, as in
        Keras, though they are submodules."""
        if self._graph is None:
            return Layer._sublayers(self)
        hidden = self._graph.mask_layers
        return [layer for layer in self._graph.layers if layer not in hidden]

    def _sublayers(self):
        return self.layers

    def get_layer(self, name=None, index=None):
        """The layer called `name`, or at position `index` of `layers`."""
        if (name is None) == (index is None):
            raise ValueError(
                "Provide exactly one of `name` or `index`. "
                f"Received: name={name!r}, index={index!r}"
            )
        layers = self.layers
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int):
                raise TypeError(
                    f"index must be an int (a position in model.layers). Received: index={index!r}"
                )
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"Model '{self.name}' has {len(layers)} layers; index {index} is out of "
                    f"range. Received: index={index}"
                )
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No layer named '{name}' in model '{self.name}'. Its layers are: "
            f"{[layer.name for layer in layers]}"
        )

    @property
    def inputs(self):
        self._ensure_graph()
        return list(self._graph.inputs)

    @property
    def outputs(self):
        self._ensure_graph()
        return list(self._graph.outputs)

    @property
    def input(self):
        self._ensure_graph()
        return self._inputs_struct

    @property
    def output(self):
        self._ensure_graph()
        return self._outputs_struct

    # Keras 2 counts a model's own graph as its node 0 and its calls as nodes 1, 2, ...:
    # a summary shows `encoder[1][0]`, and get_output_at(0) is the model's own output.
    def _get_node_attr(self, node_index, attr):
        self._ensure_graph()
        count = len(self._inbound_nodes) + 1
        if not 0 <= node_index < count:
            raise ValueError(
                f"Model '{self.name}' has {count} node(s): node 0 is its own graph, node i "
                f"its i-th call. node_index must be in [0, {count}). "
                f"Received: node_index={node_index}"
            )
        if node_index == 0:
            return self._inputs_struct if attr == "input" else self._outputs_struct
        return super()._get_node_attr(node_index - 1, attr)

    @property
    def input_shape(self):
        return nest.map_structure(lambda t: t.shape, self.input)

    @property
    def output_shape(self):
        return nest.map_structure(lambda t: t.shape, self.output)

    # ------------------------------------------------------------------ views
    def summary(self, line_length=None, positions=None, print_fn=None, **kwargs):
        """Print Keras's classic table of layers, output shapes and parameter counts.

        Args:
            line_length: the table's width in characters. Default None (65, or 98 for a
                graph that is not a plain stack).
            positions: the column stops, as fractions of `line_length` or character
                positions. Default None (Keras's).
            print_fn: called with each line (and nothing else). Default None (`print`).
            **kwargs: Keras's `expand_nested` (list a nested model's layers under it),
                `show_trainable` (a Trainable column: Y, N, or - without weights) and
                `layer_range` (two name patterns: the first and last layer shown); see
                `plait.models.summary`. Any other keyword raises TypeError.

        Raises:
            ValueError: the model is not built yet; a `layer_range` that is not two
                patterns or matches no layer.
            TypeError: an unsupported keyword argument.

        Example:
            >>> import plait
            >>> model = plait.Sequential([plait.layers.Dense(1, input_shape=(4,))])
            >>> lines = []
            >>> model.summary(print_fn=lines.append)
            >>> any("Total params: 5" in line for line in lines)
            True
        """
        summary_module.print_summary(
            self, line_length=line_length, positions=positions, print_fn=print_fn, **kwargs
        )

    # ------------------------------------------------------- training, saving
    # compile, fit, evaluate, predict, *_on_batch, save, save_weights, load_weights:
    # KerasMethods (keras_methods.py).

    # ----------------------------------------------------------------- export
    def to_json(self, **kwargs):
        """The architecture as JSON text; `plait.models.model_from_json` rebuilds it."""
        from plait import saving  # saving sits above models (docs/architecture.md)

        return saving.saving_lib.to_json(self, **kwargs)

    def to_source(self, filepath):
        """Write the model as a standalone PyTorch file (an `nn.Module`, no plait import)
        and its weights next to it as `<name>.safetensors`."""
        from plait import saving  # saving sits above models (docs/architecture.md)

        saving.source.to_source(self, filepath)

    def export(self, filepath, format="onnx", **kwargs):
        """Export for inference: `format="onnx"` writes ONNX through `torch.onnx`."""
        from plait import saving  # saving sits above models (docs/architecture.md)

        saving.export.export(self, filepath, format=format, **kwargs)

    def add_loss(self, loss):
        """Add a loss to the training loss. Inside `call` (subclassed models, layers) it
        takes a tensor; on a functional model it also takes a symbolic expression of the
        model's tensors (Keras 2's VAE pattern, `vae.add_loss(kl)` then
        `compile(optimizer)` with no loss): the model then computes it in every forward."""
        if not isinstance(loss, SymbolicTensor):
            return super().add_loss(loss)
        self._ensure_graph()
        losses = self.__dict__.setdefault("_symbolic_losses", [])
        losses.append(loss)
        graph = Graph(
            list(self._graph.inputs), list(self._graph.outputs) + losses, self._graph._boundary
        )
        for layer in graph.layers:
            self._register(layer)
        saved = self._graph, self._outputs_struct
        self._graph, self._outputs_struct = graph, [saved[1], list(losses)]
        try:
            forward, direct, _ = codegen.compile_forward(self)
        finally:
            self._graph, self._outputs_struct = saved
        self._forward_code = _with_losses(forward)
        self._direct_forward = _with_losses(direct)

    # ----------------------------------------------------------------- config
    def get_config(self):
        self._ensure_graph()
        return model_config.graph_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        inputs, outputs = model_config.rebuild_from_config(config, custom_objects)
        return cls(
            inputs=inputs,
            outputs=outputs,
            name=config.get("name"),
            trainable=config.get("trainable", True),
        )

    # ----------------------------------------------------------------- pickle
    def __getstate__(self):
        state = self.__dict__.copy()
        # generated functions do not pickle; rebuilt on load
        state["_forward_code"] = state["_direct_forward"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if self._graph is not None:
            self._forward_code, self._direct_forward, self._code = codegen.compile_forward(self)


@functools.lru_cache(maxsize=None)
def _call_takes_training(cls):
    """Whether a subclassed model's `call` takes `training` (Keras lets it leave it out)."""
    try:
        params = inspect.signature(cls.call).parameters
    except (TypeError, ValueError):
        return False
    return "training" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _with_losses(forward):
    """A generated forward that also computes the model's symbolic losses, kept for the
    training step (`regularization_losses`)."""

    def run(self, *args, training=None):
        outputs, values = forward(self, *args, training=training)
        self.__dict__["_symbolic_loss_values"] = [v if v.dim() == 0 else v.mean() for v in values]
        return outputs

    return run


def _free_key(model, prefix):
    """The first of `prefix_1`, `prefix_2`, ... that is free on `model`: not a submodule,
    parameter, buffer or attribute, and a Python identifier that is no keyword."""
    prefix = re.sub(r"\W", "_", prefix) or "layer"
    if prefix[0].isdigit():
        prefix = "layer_" + prefix
    counts = model.__dict__.setdefault("_key_counts", {})
    i = counts.get(prefix, 0)
    while True:
        i += 1
        key = f"{prefix}_{i}"
        if not (
            key in model._modules
            or key in model._parameters
            or key in model._buffers
            or key in model.__dict__
            or hasattr(type(model), key)
            or keyword.iskeyword(key)
        ):
            counts[prefix] = i
            return key


def _structure(value, argument):
    """('single' | 'list' | 'dict', the structure, its flat tensors)."""
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(
                    f"The keys of a dict of {argument} must be strings. Received key {key!r}"
                )
        return "dict", dict(value), list(value.values())
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError(f"Model {argument} must not be empty. Received: {argument}={value!r}")
        if len(value) == 1 and argument == "inputs":
            return "single", value[0], [value[0]]
        return "list", list(value), list(value)
    return "single", value, [value]


def _shapes_fit(shape, expected):
    return len(shape) == len(expected) and all(
        a is None or b is None or a == b for a, b in zip(shape, expected)
    )


def _names(structure, default):
    return list(structure) if isinstance(structure, dict) else default


def _unique(names):
    seen, out = {}, []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name] - 1}")
    return out


def _stand_in(tensor):
    """A parent-less node standing in for the producer of a mid-graph tensor used as input."""
    layer = InputLayer(batch_shape=tensor.shape, dtype=tensor.dtype, name=unique_name("input"))
    return Node(layer, (), {}, tensor, where=tensor.where, attach=False)
