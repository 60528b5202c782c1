"""`TorchOp`: one recorded torch operation as a layer, its output shape found on meta tensors,
its constant arguments encoded in its config.
"""

import torch

from plait.graph import tensor as tensor_module
from plait.graph.tensor import format_shape
from plait.layers.layer import Layer, LayerCallError, _describe_inputs
from plait.serialization import register_serializable
from plait.utils.dtypes import dtype_name, to_torch_dtype
from plait.utils.naming import unique_name
from plait.layers.torch_ops.recording import (
    _Constant,
    _Input,
    _fill,
    _name_prefix,
    _template,
    function_name,
    resolve_function,
)

__all__ = ["TorchOp", "record_op"]


# ------------------------------------------------------------------ recording


def record_op(func, args, kwargs):
    """Record `func(*args, **kwargs)` on symbolic tensors as a TorchOp node; the handler
    SymbolicTensor's operators and `__torch_function__` call."""
    tensors, constants = [], []
    template_args = _template(args, tensors, constants)
    template_kwargs = _template(kwargs, tensors, constants)
    if not tensors:
        raise TypeError(f"{function_name(func)} was called with no symbolic tensor argument.")
    name = function_name(func)
    prefix = _name_prefix(args[1] if func is getattr else name)
    layer = TorchOp(
        func,
        template_args,
        template_kwargs,
        constants=constants,
        name=unique_name(prefix),
        _name=name,
    )
    outputs = layer(tensors[0] if len(tensors) == 1 else tensors)
    return _as_result_type(layer._result_type, outputs)


def _as_result_type(kind, outputs):
    """`outputs` (a tuple of symbolic tensors) in the named tuple the operation returns
    (`torch.max(x, 1).values`, `x.topk(2).indices`); as they are otherwise."""
    if kind is None or not isinstance(outputs, tuple):
        return outputs
    if hasattr(kind, "_make"):  # a collections.namedtuple
        return kind._make(outputs)
    return kind(outputs)  # a torch.return_types structseq


# ------------------------------------------------------------------ TorchOp


@register_serializable(package="plait")
class TorchOp(Layer):
    """One torch operation on symbolic tensors, recorded in the graph. Made by writing the
    operation (`x + y`, `torch.cat([x, y])`, `x.sum(1)`), not by hand.

    Args:
        function: the operation (a torch function, a `torch.Tensor` method, an `operator`
            function, or `getattr` for a tensor property).
        arguments, keyword_arguments: its arguments, with placeholders for the symbolic
            tensors, which the layer takes as its input (one tensor, or a list in order of
            first appearance).
        constants: tensor constants among the arguments.

    Input shape: the symbolic tensors'. Output shape: found by running the operation on
    shape-only (meta) tensors.

        >>> import torch
        >>> from plait.layers import Input
        >>> y = torch.cat([Input(shape=(3,)), Input(shape=(5,))], dim=1)
        >>> y.shape, type(y.node.layer).__name__
        ((None, 8), 'TorchOp')
    """

    # A recorded op that only feeds masks (`tokens != 0`) is no layer of the summary, plot
    # or `model.layers`, as in Keras (Graph.mask_nodes); a layer the user made always is.
    records_mask_op = True

    def __init__(
        self, function, arguments=(), keyword_arguments=None, constants=(), _name=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.function = function
        self.function_name = _name or function_name(function)
        self.arguments = tuple(arguments)
        self.keyword_arguments = dict(keyword_arguments or {})
        slots = set()
        for leaf in _leaves((self.arguments, self.keyword_arguments)):
            if isinstance(leaf, _Input):
                slots.add(leaf.index)
        self._num_inputs = len(slots)
        self._num_constants = len(constants)
        self._result_type = None  # a named-tuple result's type, seen by shape inference
        for i, value in enumerate(constants):
            self.register_buffer(f"constant_{i}", value, persistent=False)
        self.built = True

    def forward(self, inputs):
        tensors = (inputs,) if self._num_inputs == 1 else inputs
        constants = [getattr(self, f"constant_{i}") for i in range(self._num_constants)]
        args = _fill(self.arguments, tensors, constants)
        kwargs = _fill(self.keyword_arguments, tensors, constants)
        out = self.function(*args, **kwargs)
        if isinstance(out, tuple) and type(out) is not tuple:
            self._result_type = type(out)
        return out

    def _output_specs(self, args, kwargs, input_shapes, where):
        try:
            return super()._output_specs(args, kwargs, input_shapes, where)
        except LayerCallError as err:
            cause = err.__cause__
            inputs = _describe_inputs(args[0])
            if isinstance(cause, TypeError) and "not a tensor" in str(cause):
                kind = str(cause).split("returned a ")[-1].split(",")[0]
                raise LayerCallError(
                    f"{self.function_name} on {inputs}, at {where}, returns a value of type "
                    f"{kind}, not a tensor: only operations whose results are tensors can be "
                    "part of a model's graph. For sizes, read the static `x.shape` (None where "
                    "unknown)."
                ) from None
            problem = self._broadcast_problem(args[0])
            raise LayerCallError(
                f"{self.function_name} ({self.name}) cannot be applied to {inputs}, at "
                f"{where}: {problem or (cause if cause is not None else err)}"
            ) from cause

    def _broadcast_problem(self, inputs):
        """For an element-wise binary op whose operands' shapes do not broadcast, says
        which axis clashes (the meta run's message shows stand-in batch sizes)."""
        last = self.function_name.rsplit(".", 1)[-1].strip("_")
        if last not in _ELEMENTWISE or len(self.arguments) < 2:
            return None
        tensors = (inputs,) if self._num_inputs == 1 else inputs
        shapes = [_operand_shape(a, tensors, self) for a in self.arguments[:2]]
        if None in shapes:
            return None
        a, b = shapes
        for axis in range(-1, -min(len(a), len(b)) - 1, -1):
            x, y = a[axis], b[axis]
            if None not in (x, y) and x != y and 1 not in (x, y):
                return (
                    f"shapes {format_shape(a)} and {format_shape(b)} do not broadcast: "
                    f"axis {axis} has size {x} in one and {y} in the other. Make them "
                    "equal, or 1 in one of them (e.g. with a Reshape or Dense layer)."
                )
        return None

    def emit_fx(self, fx_graph, inputs):
        """The operation as a `torch.fx` node on `inputs` (fx nodes), so a model's
        generated code runs it inline; None when it must stay a module call (tensor
        constants live on the module)."""
        if self._num_constants:
            return None
        tensors = (inputs,) if self._num_inputs == 1 else inputs
        args = _fill(self.arguments, tensors, ())
        kwargs = _fill(self.keyword_arguments, tensors, ())
        fn = self.function
        try:
            if (
                self.function_name.startswith("torch.Tensor.")
                and args
                and isinstance(self.arguments[0], _Input)
                and hasattr(torch.Tensor, fn.__name__)
            ):
                return fx_graph.create_node(
                    "call_method", fn.__name__, args, kwargs, name=self.name
                )
            return fx_graph.create_node("call_function", fn, args, kwargs, name=self.name)
        except (TypeError, ValueError, AttributeError, NotImplementedError):
            return None

    def get_config(self):
        config = super().get_config()
        constants = [getattr(self, f"constant_{i}") for i in range(self._num_constants)]
        config.update(
            {
                "function": self.function_name,
                "arguments": _encode(list(self.arguments), constants, self),
                "keyword_arguments": _encode(self.keyword_arguments, constants, self),
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        function = resolve_function(config.pop("function"))
        constants = []
        arguments = _decode(config.pop("arguments", []), constants)
        keyword_arguments = _decode(config.pop("keyword_arguments", {"__dict__": {}}), constants)
        if function is getattr:
            _check_property(arguments)
        return cls(
            function,
            arguments,
            keyword_arguments,
            constants=[c for _, c in sorted(constants, key=lambda p: p[0])],
            **config,
        )

    def extra_repr(self):
        return f"name={self.name!r}, function={self.function_name}"


# Element-wise binary operations (by the last part of their name, underscores stripped).
_ELEMENTWISE = frozenset(
    (
        "add",
        "sub",
        "mul",
        "truediv",
        "floordiv",
        "mod",
        "pow",
        "and",
        "or",
        "xor",
        "lt",
        "le",
        "gt",
        "ge",
        "eq",
        "ne",
        "radd",
        "rsub",
        "rmul",
        "rtruediv",
        "rfloordiv",
        "rmod",
        "rpow",
        "rand",
        "ror",
        "rxor",
        "div",
        "subtract",
        "multiply",
        "divide",
        "maximum",
        "minimum",
        "fmod",
        "remainder",
        "atan2",
        "hypot",
    )
)


def _operand_shape(value, tensors, layer):
    if isinstance(value, _Input):
        return tuple(tensors[value.index].shape)
    if isinstance(value, _Constant):
        return tuple(getattr(layer, f"constant_{value.index}").shape)
    if isinstance(value, (bool, int, float, complex)):
        return ()
    return None


def _check_property(arguments):
    attr = arguments[1] if len(arguments) == 2 else None
    if not (
        isinstance(attr, str)
        and not attr.startswith("_")
        and hasattr(torch.Tensor, attr)
        and not callable(getattr(torch.Tensor, attr))
    ):
        raise ValueError(
            "A TorchOp config with function 'getattr' may only read a public tensor property "
            f"(such as 'T'). Received: arguments={arguments!r:.200}"
        )


def _leaves(value):
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    else:
        yield value


# JSON form of an op's arguments. Tuples, slices, dtypes and tensors are tagged dicts.
def _encode(value, constants, layer):
    if isinstance(value, _Input):
        return {"__input__": value.index}
    if isinstance(value, _Constant):
        t = constants[value.index]
        return {
            "__tensor__": t.detach().cpu().tolist(),
            "dtype": dtype_name(t.dtype),
            "index": value.index,
        }
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if value is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(value, slice):
        return {"__slice__": [value.start, value.stop, value.step]}
    if isinstance(value, torch.dtype):
        return {"__dtype__": dtype_name(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, constants, layer) for v in value]}
    if isinstance(value, list):
        return [_encode(v, constants, layer) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: _encode(v, constants, layer) for k, v in value.items()}}
    raise ValueError(
        f"TorchOp layer '{layer.name}' ({layer.function_name}) cannot be saved in a config: "
        f"its argument {value!r:.100} (type {type(value).__name__}) has no JSON form. Use "
        "Python numbers, strings, tuples, slices, dtypes or tensors as constant arguments, "
        "or a Layer subclass with get_config()."
    )


def _decode(value, constants):
    if isinstance(value, list):
        return [_decode(v, constants) for v in value]
    if not isinstance(value, dict):
        return value
    if "__input__" in value:
        return _Input(value["__input__"])
    if "__tensor__" in value:
        t = torch.tensor(value["__tensor__"], dtype=to_torch_dtype(value["dtype"]))
        constants.append((value["index"], t))
        return _Constant(value["index"])
    if "__ellipsis__" in value:
        return Ellipsis
    if "__slice__" in value:
        return slice(*value["__slice__"])
    if "__dtype__" in value:
        return to_torch_dtype(value["__dtype__"])
    if "__tuple__" in value:
        return tuple(_decode(v, constants) for v in value["__tuple__"])
    if "__dict__" in value:
        return {k: _decode(v, constants) for k, v in value["__dict__"].items()}
    raise ValueError(f"Unknown tagged value in a TorchOp config: {value!r:.200}")


tensor_module.set_op_handler(record_op)
