"""How a `Layer` is called on symbolic tensors (the functional API): it builds its weights
for the inputs' shapes, infers its output shapes (`compute_output_shape`, or two runs of
`forward` on meta tensors whose unknown sizes differ), records a `Node`, and returns
`SymbolicTensor`s; and what a layer answers about its calls (`input`, `output`,
`get_output_at(i)`, `input_shape`, ...).

`LayerSymbolic` is one of `Layer`'s bases; a layer calls `_symbolic_call` from `__call__`.

    >>> import plait
    >>> x = plait.Input((3,))
    >>> dense = plait.layers.Dense(2)
    >>> y = dense(x)
    >>> dense.input is x, dense.output_shape
    (True, (None, 2))
"""

import functools

import torch
from torch import nn

from plait import config
from plait.graph.node import Node
from plait.graph.tensor import SymbolicTensor, user_location
from plait.layers.input_spec import assert_input_compatibility
from plait.utils import nest

__all__ = ["LayerCallError", "LayerSymbolic"]

_module_call = nn.Module.__call__

# Sizes substituted for unknown dimensions in the two meta runs of shape inference: a
# dimension that differs between the runs depends on an unknown one and stays None.
_BATCH_FILLS = (2, 3)
_OTHER_FILLS = (5, 7)


class LayerCallError(ValueError):
    """A layer cannot be called on the given inputs (raised when the graph is built).

    Example:
        >>> import plait
        >>> try:
        ...     plait.layers.LSTM(2)(plait.Input((3,)))
        ... except LayerCallError as err:
        ...     print(type(err).__name__)
        LayerCallError
    """


class LayerSymbolic:
    """`Layer`'s calls on symbolic tensors: shape inference, nodes, and node access."""

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


class _Spec:
    """The shape and dtype of one output (a leaf, unlike a tuple, for nest)."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype


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
    return getattr(cls, method) is not getattr(LayerSymbolic, method)


def _overrides(layer, method):
    return _class_overrides(type(layer), method)
