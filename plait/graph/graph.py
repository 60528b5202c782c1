"""Graph(inputs, outputs): every node between them, ordered, validated, with Keras's depths.

Walks are iterative, never recursive, so a 10,000-layer chain is fine. The order of
`layers` is Keras 2's: by depth from the outputs (deepest first), ties broken by the order
a depth-first walk from the outputs first met each layer. The tutorial's summaries show it.

Read API (used by summary and plot): `inputs`, `outputs`, `nodes` (topological: every
node after the nodes it reads), `node_depth`, `nodes_by_depth`, `layers`, `producer(t)`,
`mask_nodes` and `mask_layers` (the layers all of whose calls are mask nodes).
"""

from plait.graph.tensor import SymbolicTensor, format_shape
from plait.utils import nest

__all__ = ["Graph", "GraphError", "describe_shapes", "mask_arguments"]


class GraphError(ValueError):
    """A model's wiring is wrong: disconnected inputs, cycles, clashing names."""


class Graph:
    """The part of the symbolic graph between `inputs` and `outputs` (flat lists).

    `boundary` maps `id(tensor)` of an input that some layer computed (a sub-model cut out
    of a bigger graph) to a parent-less node that stands in for its producer here.
    """

    def __init__(self, inputs, outputs, boundary=None):
        _check_tensors(inputs, "inputs")
        _check_tensors(outputs, "outputs")
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self._boundary = dict(boundary or {})
        self._input_ids = {id(t) for t in self.inputs}
        _check_distinct_inputs(self.inputs)
        self.nodes, layer_order = self._walk()
        self.node_depth, layer_depth = self._depths()
        self.nodes_by_depth = _group(self.node_depth)
        self.layers = _order_layers(layer_depth, layer_order)
        _check_unique_names(self.layers)
        self._nodes_of = {}
        for node in self.nodes:
            self._nodes_of.setdefault(node.layer, []).append(node)
        for nodes in self._nodes_of.values():
            nodes.sort(key=_node_index)
        self.mask_nodes = self._find_mask_nodes()
        self.mask_layers = {
            layer
            for layer, nodes in self._nodes_of.items()
            if all(node in self.mask_nodes for node in nodes)
        }

    def layer_nodes(self, layer):
        """The calls of `layer` inside this graph, in the order they were made."""
        return self._nodes_of.get(layer, [])

    def producer(self, tensor):
        """The node that computes `tensor` inside this graph."""
        return self._boundary.get(id(tensor), tensor.node)

    def parents(self, node):
        """The nodes whose outputs `node` reads inside this graph."""
        if node.is_input:  # InputLayer nodes and boundary stand-ins read nothing
            return []
        return [self.producer(t) for t in node.parent_tensors]

    def connections(self, node):
        """Keras's `(layer, node_index, tensor_index)` for each tensor `node` reads."""
        out = []
        for t in node.parent_tensors if self.parents(node) else []:
            p = self.producer(t)
            out.append((p.layer, _node_index(p), t.tensor_index if p is t.node else 0))
        return out

    def _find_mask_nodes(self):
        """The recorded torch ops that only compute masks (`tokens != 0` of an
        `Embedding(mask_zero=True)`): each of their outputs is read only as a mask argument
        (`mask=`, `query_mask=`, ...) or by another such node. Keras keeps masks out of
        summaries and plots; so do plait's."""
        uses = {}
        for node in self.nodes:
            masks = {id(t) for t in mask_arguments(node)}
            for t in node.parent_tensors:
                uses.setdefault(id(t), []).append((node, id(t) in masks))
        output_ids = {id(t) for t in self.outputs}
        found = set()
        for node in reversed(self.nodes):  # consumers before producers
            if node.is_input or not getattr(node.layer, "records_mask_op", False):
                continue
            reads = [use for t in node.outputs for use in uses.get(id(t), [])]
            if (
                reads
                and not any(id(t) in output_ids for t in node.outputs)
                and all(as_mask or consumer in found for consumer, as_mask in reads)
            ):
                found.add(node)
        return found

    def _walk(self):
        """Depth-first from the outputs: nodes in post-order, layers in first-visit order."""
        finished, in_progress = set(), set()
        post_order, layer_order = [], {}
        for out in self.outputs:
            stack = [(self.producer(out), False, None)]
            while stack:
                node, expanded, consumer = stack.pop()
                if expanded:
                    in_progress.discard(node)
                    finished.add(node)
                    post_order.append(node)
                    continue
                if node in finished:
                    continue
                if node in in_progress:
                    raise GraphError(
                        f"The graph has a cycle through layer '{node.layer.name}' "
                        f"(called at {node.where}). A model must be acyclic."
                    )
                self._check_connected(node, consumer)
                layer_order.setdefault(node.layer, len(layer_order))
                in_progress.add(node)
                stack.append((node, True, None))
                for parent in reversed(self.parents(node)):
                    stack.append((parent, False, node))
        for t in self.inputs:
            node = self.producer(t)
            if node not in finished:  # an input no output depends on: keep it, at depth 0
                layer_order.setdefault(node.layer, len(layer_order))
                post_order.insert(0, node)
                finished.add(node)
        return post_order, layer_order

    def _check_connected(self, node, consumer):
        if not node.is_input or any(id(t) in self._input_ids for t in node.outputs):
            return
        missing = node.outputs[0]
        given = [t.name for t in self.inputs]
        needed_by = (
            (f" It is needed by layer '{consumer.layer.name}' (called at {consumer.where}).")
            if consumer is not None
            else ""
        )
        raise GraphError(
            f"Graph disconnected: the outputs depend on Input {missing.describe()}, which is "
            f"not among the model's inputs.{needed_by} The model's inputs are: {given}. "
            f"Pass it too: Model(inputs=[{', '.join(given + [missing.name])}], ...)."
        )

    def _depths(self):
        """Keras 2's depths: 0 at the outputs, a node one deeper than its deepest consumer."""
        node_depth, layer_depth = {}, {}
        for node in reversed(self.nodes):
            depth = node_depth.setdefault(node, 0)
            # A shared layer takes the deepest of its nodes' depths.
            depth = max(depth, layer_depth.get(node.layer, 0))
            layer_depth[node.layer] = depth
            node_depth[node] = depth
            for parent in self.parents(node):
                node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
        return node_depth, layer_depth


def mask_arguments(node):
    """The tensors a call takes as masks: its `mask=` and `*_mask=` arguments."""
    return nest.flatten(
        [value for key, value in node.call_kwargs.items() if key == "mask" or key.endswith("_mask")]
    )


def _node_index(node):
    return node.index


def _group(depths):
    by_depth = {}
    for item, depth in depths.items():
        by_depth.setdefault(depth, []).append(item)
    return by_depth


def _order_layers(layer_depth, layer_order):
    by_depth = _group(layer_depth)
    layers = []
    for depth in sorted(by_depth, reverse=True):
        layers.extend(sorted(by_depth[depth], key=layer_order.__getitem__))
    return layers


def _check_tensors(tensors, argument):
    for i, t in enumerate(tensors):
        if not isinstance(t, SymbolicTensor):
            kind = type(t).__module__ + "." + type(t).__qualname__
            raise TypeError(
                f"Model {argument} must be symbolic tensors: the outputs of Input(...) or of "
                f"layers called on them. {argument}[{i}] is a {kind}. "
                f"Received: {argument}[{i}]={t!r:.200}"
            )


def _check_distinct_inputs(inputs):
    seen = {}
    for t in inputs:
        if id(t) in seen:
            raise GraphError(
                f"The input {t.describe()} is passed to the model twice. Each input tensor "
                "may appear once in `inputs`."
            )
        seen[id(t)] = t


def _check_unique_names(layers):
    by_name = {}
    for layer in layers:
        other = by_name.setdefault(layer.name, layer)
        if other is not layer:
            where = [getattr(x, "_created_at", "?") for x in (other, layer)]
            raise GraphError(
                f'The name "{layer.name}" is used 2 times in the model. All operation names '
                f"should be unique. The two layers: a "
                f"{type(other).__name__} (made at {where[0]}) and a {type(layer).__name__} "
                f"(made at {where[1]}). Pass a different `name=` to one of them."
            )


def describe_shapes(tensors):
    return ", ".join(format_shape(t.shape) for t in tensors)
