"""Sequential: a plain stack of single-input, single-output layers.

    model = Sequential([Dense(2, input_dim=1), Dense(1)])

Once the input shape is known (from the first layer's `input_shape`/`input_dim`, an
`Input`, `build(input_shape)` or the first batch of data) it is a functional model.
"""

import torch

from plait import serialization
from plait.graph.tensor import SymbolicTensor
from plait.layers.core import Input, InputLayer
from plait.layers.layer import Layer
from plait.models.model import Model

__all__ = ["Sequential"]


@serialization.register_serializable(package="plait")
class Sequential(Model):
    """A linear stack of layers, built from a list or by `add()`.

    Args:
        layers: the layers, in order (the first may be an `Input`). Default None (empty).
        name: the model's name. Default None (`sequential`, `sequential_1`, ...).
        trainable: whether its weights are trained. Default True.

    Example:
        >>> import torch
        >>> from plait import Sequential
        >>> from plait.layers import Dense, Input
        >>> model = Sequential([Input(shape=(3,)), Dense(4), Dense(1)])
        >>> model.output_shape
        (None, 1)
        >>> model(torch.ones(2, 3)).shape
        torch.Size([2, 1])
    """

    _always_sequential_summary = True

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._stack = []
        self._stack_names = set()  # a name check per add() in O(1): 100,000 layers build
        self._input_tensor = None
        self._output_tensor = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Append `layer` (or set the input with an `Input` tensor or an `InputLayer`)."""
        if isinstance(layer, SymbolicTensor):
            if layer.node is None or not layer.node.is_input:
                raise TypeError(
                    "Sequential.add() takes layers, or an Input(...) tensor as the first "
                    f"element. Received: {layer!r}"
                )
            layer = layer.node.layer
        if not isinstance(layer, Layer):
            raise TypeError(
                "Sequential.add() takes a plait layer. "
                f"Received: layer={layer!r:.200} (type {type(layer).__name__})"
            )
        if isinstance(layer, InputLayer):
            if self._input_tensor is not None or self._stack:
                raise ValueError(
                    f"An InputLayer can only be the first element of Sequential '{self.name}'."
                )
            self._input_tensor = self._output_tensor = layer._inbound_nodes[0].outputs[0]
            return
        if layer.name in self._stack_names:
            raise ValueError(
                "All layers added to a Sequential model should have unique names. Name "
                f"'{layer.name}' is already the name of a layer in this model "
                f"('{self.name}'). Update the `name` argument to pass a unique name."
            )
        if self._output_tensor is None and not self._stack and layer._batch_input_shape:
            # Keras 2 names it after the layer, and leaves the `input_N` names to Input().
            self._input_tensor = self._output_tensor = Input(
                batch_shape=layer._batch_input_shape, dtype=layer.dtype, name=f"{layer.name}_input"
            )
        if self._output_tensor is not None:
            self._output_tensor = self._call_layer(layer, self._output_tensor)
        self._stack.append(layer)
        self._stack_names.add(layer.name)
        self._register(layer)
        self._graph = self._sample_bytes = None
        self._forward_code = self._direct_forward = None
        # As in Keras: built once the input shape is known (the graph compiles on first use).
        self.built = self._output_tensor is not None

    def pop(self):
        """Remove the last layer."""
        if not self._stack:
            raise TypeError(f"There are no layers in Sequential '{self.name}' to pop.")
        layer = self._stack.pop()
        self._stack_names.discard(layer.name)
        self._unregister(layer)
        if self._input_tensor is not None:
            self._output_tensor = self._input_tensor
            for kept in self._stack:
                self._output_tensor = self._call_layer(kept, self._output_tensor)
        self._graph = self._sample_bytes = None
        self._forward_code = self._direct_forward = None
        self.built = self._output_tensor is not None and bool(self._stack)
        return layer

    def _call_layer(self, layer, tensor):
        out = layer(tensor)
        if not isinstance(out, SymbolicTensor):
            raise ValueError(
                f"All layers in a Sequential model should have a single output tensor; layer "
                f"'{layer.name}' ({type(layer).__name__}) returns {type(out).__name__}. Use "
                "the functional API (Model(inputs, outputs)) for multi-output layers."
            )
        return out

    def build(self, input_shape=None):
        """Fix the input shape (with the batch dimension, e.g. `(None, 10)`) and build."""
        if self._input_tensor is None:
            if input_shape is None:
                raise ValueError(
                    f"Sequential '{self.name}' does not know its input shape: pass "
                    "build(input_shape=(None, ...)) or give the first layer an input_shape."
                )
            name = f"{self._stack[0].name}_input" if self._stack else f"{self.name}_input"
            self._input_tensor = self._output_tensor = Input(
                batch_shape=tuple(input_shape), name=name
            )
            for layer in self._stack:
                self._output_tensor = self._call_layer(layer, self._output_tensor)
        self._ensure_compiled()

    def _ensure_compiled(self):
        if self._forward_code is None and self._input_tensor is not None:
            self._init_graph(self._input_tensor, self._output_tensor)
            # The InputLayer is a submodule of the functional graph, not one of the stack's.
            self._unregister(self._input_tensor.node.layer)

    def _ensure_graph(self):
        self._ensure_compiled()
        super()._ensure_graph()

    def forward(self, inputs, training=None):
        if self._forward_code is None:
            if self._input_tensor is None and isinstance(inputs, torch.Tensor):
                self.build((None,) + tuple(inputs.shape[1:]))
            self._ensure_compiled()
            if self._forward_code is None:
                raise ValueError(f"Sequential '{self.name}' has no layers to run.")
        return super().forward(inputs, training=training)

    # Known once the input shape is: asking compiles the graph, as `inputs` does.
    @property
    def input_names(self):
        return self._graph_attr("_input_names")

    @input_names.setter
    def input_names(self, names):
        self._input_names = names

    @property
    def output_names(self):
        return self._graph_attr("_output_names")

    @output_names.setter
    def output_names(self, names):
        self._output_names = names

    def _graph_attr(self, attr):
        if attr not in self.__dict__:
            self._ensure_compiled()
        if attr not in self.__dict__:
            raise AttributeError(
                f"Sequential '{self.name}' does not know its input shape yet, so it has no "
                f"{attr[1:]}: give the first layer an input_shape, or build(input_shape)."
            )
        return self.__dict__[attr]

    @property
    def layers(self):
        """The stacked layers (Keras leaves the InputLayer out of a Sequential's layers)."""
        return list(self._stack)

    def _sublayers(self):
        return list(self._stack)

    def summary(self, *args, **kwargs):
        self._ensure_compiled()
        super().summary(*args, **kwargs)

    def get_config(self):
        layers = []
        if self._input_tensor is not None:
            layers.append(serialization.serialize(self._input_tensor.node.layer))
        layers.extend(serialization.serialize(layer) for layer in self._stack)
        return {"name": self.name, "trainable": self.trainable, "layers": layers}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for entry in config["layers"]:
            model.add(serialization.deserialize(entry, custom_objects, kind="layer"))
        return model
