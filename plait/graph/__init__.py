"""The symbolic world: tensors without data, the nodes that made them, and graphs of them.
Knows no layer: a node's `layer` is any object with a `name` and an `_inbound_nodes` list."""

from plait.graph.graph import Graph  # noqa: F401
from plait.graph.node import Node  # noqa: F401
from plait.graph.tensor import SymbolicTensor, is_symbolic  # noqa: F401

__all__ = ["Graph", "Node", "SymbolicTensor", "is_symbolic"]
