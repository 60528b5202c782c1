"""Node: one call of a layer on symbolic tensors.

A layer called twice has two nodes (shared weights). Keras's `name[node_index][tensor_index]`
notation (`lstm_1[0][0]`) reads: the first output of the first call of layer `lstm_1`.
"""

from plait.graph.tensor import SymbolicTensor
from plait.utils import nest

__all__ = ["Node"]


class Node:
    """The record of `layer(*call_args, **call_kwargs) -> outputs`.

    Attributes:
        layer: the called object (anything with `name` and an `_inbound_nodes` list).
        call_args, call_kwargs: the call's arguments, symbolic tensors in place.
        parent_tensors: the symbolic tensors among the arguments, in order.
        outputs: the flat list of symbolic tensors the call returned.
        output_structure: how `outputs` nest (a single tensor, a list, ...).
        where: the user's `file:line` of the call.
    """

    def __init__(self, layer, call_args, call_kwargs, outputs, where=None, attach=True):
        self.layer = layer
        self.call_args = tuple(call_args)
        self.call_kwargs = dict(call_kwargs)
        self.parent_tensors = [
            t
            for t in nest.flatten((self.call_args, self.call_kwargs))
            if isinstance(t, SymbolicTensor)
        ]
        self.output_structure = outputs
        self.outputs = nest.flatten(outputs)
        self.where = where
        if attach:
            layer._inbound_nodes.append(self)
            for i, tensor in enumerate(self.outputs):
                tensor.node = self
                tensor.tensor_index = i

    @property
    def index(self):
        """This node's position among its layer's calls (Keras's node_index); 0 for a
        stand-in node that belongs to no layer's history."""
        for i, node in enumerate(self.layer._inbound_nodes):
            if node is self:
                return i
        return 0

    @property
    def is_input(self):
        return not self.parent_tensors

    def output_paths(self):
        """For each flat output, the index path into `output_structure` (() for a single)."""
        paths = []
        stack = [((), self.output_structure)]
        while stack:
            path, item = stack.pop()
            if isinstance(item, (list, tuple)):
                stack.extend((path + (i,), v) for i, v in reversed(list(enumerate(item))))
            elif isinstance(item, dict):
                stack.extend((path + (k,), item[k]) for k in reversed(list(item)))
            else:
                paths.append(path)
        return paths

    def __repr__(self):
        return f"<Node of {self.layer.name} at {self.where}>"
