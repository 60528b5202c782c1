"""Where each plait weight lives in Keras's weight files.

Keras 3 (`.weights.h5`, and `model.weights.h5` inside `.keras`) stores a layer's own
variables as datasets `vars/0`, `vars/1`, ... (trainable-created first, then the others, in
creation order) under a path made of attribute names and, inside a model, of snake_case
*class* names made unique per container (`layers/dense`, `layers/dense_1`), never of layer
names. Sub-objects get their attribute's name: an RNN's `cell`, Bidirectional's
`forward_layer`/`backward_layer`, TimeDistributed's `layer`, MultiHeadAttention's
`query_dense`/`key_dense`/`value_dense`/`output_dense`.

Keras 2 (legacy `.h5`) stores one group per top-level layer, named after the layer, whose
`weight_names` attribute lists its weights: trainable ones first, then the others.
"""

import re

from torch import nn

from plait import serialization

__all__ = [
    "keras3_slots",
    "legacy_layers",
    "keras_class_name",
    "keras_snake_case",
    "check_built",
    "Slot",
]

_MHA_PARTS = {
    "query": "query_dense",
    "key": "key_dense",
    "value": "value_dense",
    "attention_output": "output_dense",
}
_RNN_CLASSES = ("SimpleRNN", "GRU", "LSTM")


def keras_snake_case(name):
    """Keras 3's snake case of a class name (`Conv2D` -> `conv2d`, `LSTM` -> `lstm`)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def keras_class_name(layer):
    """The Keras class a plait layer is written as (`Functional` for a graph model)."""
    if is_functional(layer):
        return "Functional"
    return serialization.saved_class(layer).__name__


def is_functional(layer):
    return (
        serialization.saved_class(layer).__name__ != "Sequential"
        and getattr(layer, "_graph", None) is not None
        and hasattr(layer, "layers")
    )


def is_model(layer):
    return hasattr(layer, "layers") and hasattr(layer, "_graph")


class Slot:
    """One weight: its Keras 3 file path, its Keras name, the plait tensor and its spec."""

    __slots__ = ("keras_name", "layer", "path", "spec", "tensor")

    def __init__(self, path, keras_name, tensor, spec, layer):
        self.path, self.keras_name, self.tensor = path, keras_name, tensor
        self.spec, self.layer = spec, layer

    @property
    def keras_shape(self):
        return tuple(self.spec.to_keras(self.tensor).shape)


def own_specs(layer):
    """A layer's own weight specs in Keras's order: Parameters (created trainable) first."""
    specs = list(layer._weight_specs)
    return [s for s in specs if isinstance(getattr(layer, s.attr), nn.Parameter)] + [
        s for s in specs if not isinstance(getattr(layer, s.attr), nn.Parameter)
    ]


def keras3_slots(model):
    """(slots, groups): every weight of `model` with its Keras 3 path, and every group path
    Keras writes (a `vars` group per object, empty for weightless ones).

    Raises:
        ValueError: a layer (a subclassed model, a TorchModule) has no Keras layout.
    """
    slots, groups, seen = [], [], set()
    stack = [(model, "")]
    while stack:
        layer, prefix = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        groups.append((prefix + "vars", layer.name))
        stack.extend(reversed(_children(layer, prefix, slots)))
    return slots, groups


def _children(layer, prefix, slots):
    """Add `layer`'s own weights to `slots`; return its sub-objects with their prefixes."""
    name = keras_class_name(layer)
    if is_model(layer):
        if not is_functional(layer) and name != "Sequential":
            raise ValueError(
                f"Model '{layer.name}' ({type(layer).__name__}) is a subclassed model: Keras "
                "files describe graph models (Model(inputs, outputs)) and Sequential only. "
                "Save it with model.save('x.plait') or save_weights('x.safetensors')."
            )
        used, children = {}, []
        for sub in layer.layers:
            key = keras_snake_case(keras_class_name(sub))
            used[key] = used.get(key, -1) + 1
            key = key if used[key] == 0 else f"{key}_{used[key]}"
            children.append((sub, f"{prefix}layers/{key}/"))
        return children
    if name == "Bidirectional":
        return [
            (layer.forward_layer, prefix + "forward_layer/"),
            (layer.backward_layer, prefix + "backward_layer/"),
        ]
    if name == "TimeDistributed":
        return [(layer.layer, prefix + "layer/")]
    cell = getattr(layer, "cell", None)
    if isinstance(cell, nn.Module) and name not in _RNN_CLASSES:  # RNN(cell)
        return [(cell, prefix + "cell/")]
    subs = [m for m in layer.children() if isinstance(m, nn.Module) and _has_weights(m)]
    if subs:
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) holds sublayers with weights that "
            "Keras's file layout cannot place. Save it with model.save('x.plait') instead."
        )
    specs = own_specs(layer)
    if name == "MultiHeadAttention":
        counters = {}
        for spec in specs:
            part, _, short = spec.keras_name.partition("/")
            group = _MHA_PARTS.get(part, part)
            index = counters.get(group, 0)
            counters[group] = index + 1
            slots.append(
                Slot(
                    f"{prefix}{group}/vars/{index}",
                    f"{part}/{short}",
                    getattr(layer, spec.attr),
                    spec,
                    layer,
                )
            )
        return []
    where = prefix + ("cell/vars/" if name in _RNN_CLASSES else "vars/")
    for index, spec in enumerate(specs):
        slots.append(
            Slot(f"{where}{index}", spec.keras_name, getattr(layer, spec.attr), spec, layer)
        )
    return []


def check_built(model, action):
    """Raise ValueError when `model` has no weights yet (a Sequential that knows its input
    shape builds its graph here)."""
    ensure = getattr(model, "_ensure_compiled", None)
    if ensure is not None:
        ensure()
    if not getattr(model, "built", True):
        raise ValueError(
            f"Model '{getattr(model, 'name', type(model).__name__)}' is not built yet, so it "
            f"has no weights to {action}. Build it first: call it on data, call "
            "model.build(input_shape), or give its first layer an input_shape."
        )


def _has_weights(module):
    return any(True for _ in module.parameters()) or any(True for _ in module.buffers())


def legacy_layers(model):
    """[(layer, [(keras name, tensor, spec)])] for each of the model's top-level layers in
    Keras 2's layout: a layer's trainable weights, then its non-trainable ones."""
    out = []
    for layer in model.layers:
        entries = layer._weight_entries()
        ordered = [e for e in entries if e[3]] + [e for e in entries if not e[3]]
        out.append((layer, [(_legacy_name(layer, e[0]), e[1], e[2]) for e in ordered]))
    return out


def _legacy_name(layer, entry_name):
    """Keras 2's weight name: `dense_1/kernel:0`; inside a wrapper or nested model, the
    path from the top-level layer (`bidirectional/forward_lstm/kernel:0`)."""
    if entry_name.startswith(layer.name + "/"):
        return entry_name + ":0"
    return f"{layer.name}/{entry_name}:0"
