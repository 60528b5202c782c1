"""A functional model's graph as Keras-style JSON config, and back.

`graph_config(model)` gives Keras's functional config (layers with their inbound nodes,
input and output refs); `rebuild_from_config(config)` creates the layers anew from it and
calls them in an order their inputs allow, giving the `(inputs, outputs)` to build a model.
"""

import collections

from plait import serialization
from plait.graph.tensor import SymbolicTensor
from plait.layers.core import InputLayer
from plait.utils import nest

__all__ = ["graph_config", "rebuild_from_config"]


def graph_config(model):
    """Keras's functional config: layers with their inbound nodes, input and output refs."""
    graph = model._graph
    node_ids = {}
    for layer in graph.layers:
        for i, node in enumerate(graph.layer_nodes(layer)):
            node_ids[node] = i

    def ref(tensor):
        node = graph.producer(tensor)
        index = tensor.tensor_index if node is tensor.node else 0
        return [node.layer.name, node_ids[node], index]

    def encode(value):
        if isinstance(value, SymbolicTensor):
            return {"class_name": "__tensor__", "config": {"history": ref(value)}}
        return value

    layers = []
    for layer in graph.layers:
        nodes = (
            []
            if _is_input_layer(layer)
            else [
                {
                    "args": nest.map_structure(encode, list(node.call_args)),
                    "kwargs": nest.map_structure(encode, node.call_kwargs),
                }
                for node in graph.layer_nodes(layer)
            ]
        )
        entry = serialization.serialize(layer)
        entry.update(name=layer.name, inbound_nodes=nodes)
        layers.append(entry)
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": nest.map_structure(ref, model._inputs_struct),
        "output_layers": nest.map_structure(ref, model._outputs_struct),
    }


def rebuild_from_config(config, custom_objects=None):
    """`(inputs, outputs)` structures rebuilt from `graph_config`'s output, layers created
    anew from their configs and called in an order their inputs allow."""
    layers, pending, produced = {}, {}, {}
    for entry in config["layers"]:
        layer = serialization.deserialize(entry, custom_objects, kind="layer")
        layers[entry["name"]] = layer
        pending[entry["name"]] = collections.deque(entry.get("inbound_nodes", []))
        if _is_input_layer(layer):
            produced[(entry["name"], 0)] = layer._inbound_nodes[0].outputs

    def decode(value):
        if isinstance(value, dict) and value.get("class_name") == "__tensor__":
            name, node_index, tensor_index = value["config"]["history"]
            outputs = produced.get((name, node_index))
            if outputs is None:
                raise _Unresolved()
            return outputs[tensor_index]
        if isinstance(value, dict):
            return {k: decode(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [decode(v) for v in value]
        return value

    while any(pending.values()):
        progressed = False
        for name, queue in pending.items():
            while queue:
                try:
                    args = decode(queue[0]["args"])
                    kwargs = decode(queue[0]["kwargs"])
                except _Unresolved:
                    break
                out = layers[name](*args, **kwargs)
                produced[(name, len(produced_nodes(produced, name)))] = nest.flatten(out)
                queue.popleft()
                progressed = True
        if not progressed:
            stuck = [n for n, q in pending.items() if q]
            raise ValueError(
                f"The model config is inconsistent: the inbound nodes of layers {stuck} refer "
                "to tensors no layer in the config produces."
            )

    def resolve(ref):
        name, node_index, tensor_index = ref
        if (name, node_index) not in produced:
            raise ValueError(f"The model config names an unknown input/output tensor {ref}.")
        return produced[(name, node_index)][tensor_index]

    inputs = _map_refs(resolve, config["input_layers"])
    outputs = _map_refs(resolve, config["output_layers"])
    return inputs, outputs


class _Unresolved(Exception):
    pass


def produced_nodes(produced, name):
    return [key for key in produced if key[0] == name]


def _map_refs(fn, structure):
    """Apply `fn` to every `[name, node_index, tensor_index]` leaf of a refs structure."""
    if isinstance(structure, list) and len(structure) == 3 and isinstance(structure[0], str):
        return fn(structure)
    if isinstance(structure, dict):
        return {k: _map_refs(fn, v) for k, v in structure.items()}
    return [_map_refs(fn, s) for s in structure]


def _is_input_layer(layer):
    return isinstance(layer, InputLayer)
