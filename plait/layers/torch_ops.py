"""PyTorch inside the graph: torch operations on symbolic tensors, and any `nn.Module` as
a layer.

Operations on symbolic tensors (`x + 1`, `x[:, 0]`, `x @ w`, `x > 0`, `x.reshape(-1, 4)`,
`torch.cat([x, y], dim=1)`, `F.gelu(x)`) record one `TorchOp` layer each, named after the
operation (`add_1`, `getitem_1`, `cat_1`), whose output shape is found by running the
operation on shape-only (meta) tensors; no `Lambda` is needed:

    >>> x = Input(shape=(4, 8))
    >>> y = torch.cat([x[:, 0], F.gelu(x).mean(dim=1)], dim=-1) * 2
    >>> y.shape
    (None, 16)

A model's generated code runs the operation itself (`add_1 = dense_1 + 1`), at no cost over
hand-written PyTorch. A TorchOp's config names the function (`"torch.cat"`) and its
constant arguments; loading resolves the name only among the functions PyTorch lets tensors
override (`torch.overrides`) and Python's operators, so a config cannot call anything else.

`TorchModule(module)` makes a `torch.nn.Module` a layer: its parameters train, save and
count in the summary.
"""

import functools
import operator

import numpy as np
import torch
from torch import nn

from plait import ops
from plait.graph import tensor as tensor_module
from plait.graph.tensor import SymbolicTensor, format_shape
from plait.layers import layer as layer_module
from plait.layers.layer import Layer, LayerCallError, WeightSpec, _describe_inputs
from plait.serialization import register_serializable
from plait.utils.dtypes import dtype_name, to_torch_dtype
from plait.utils.naming import unique_name

__all__ = ["TorchModule", "TorchOp", "function_name", "record_op", "resolve_function"]

# The Python operators symbolic tensors record; a config may name only these.
_OPERATORS = {
    fn.__name__.rstrip("_"): fn
    for fn in (
        operator.add,
        operator.sub,
        operator.mul,
        operator.truediv,
        operator.floordiv,
        operator.mod,
        operator.pow,
        operator.matmul,
        operator.and_,
        operator.or_,
        operator.xor,
        operator.lshift,
        operator.rshift,
        operator.lt,
        operator.le,
        operator.gt,
        operator.ge,
        operator.eq,
        operator.ne,
        operator.neg,
        operator.pos,
        operator.abs,
        operator.invert,
        operator.getitem,
    )
}


class _Input:
    """Placeholder for the i-th symbolic tensor among an op's arguments."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


class _Constant:
    """Placeholder for the i-th tensor constant (held as a buffer, so it follows `.to()`)."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


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


def _template(value, tensors, constants):
    """`value` with symbolic tensors replaced by `_Input`s (each distinct tensor once) and
    tensor constants by `_Constant`s."""
    if isinstance(value, SymbolicTensor):
        for i, t in enumerate(tensors):
            if t is value:
                return _Input(i)
        tensors.append(value)
        return _Input(len(tensors) - 1)
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    if isinstance(value, torch.Tensor):
        constants.append(value.detach())
        return _Constant(len(constants) - 1)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, slice):
        parts = [_template(v, tensors, constants) for v in (value.start, value.stop, value.step)]
        if any(isinstance(p, (_Input, _Constant)) for p in parts):
            raise TypeError(
                "Slice bounds must be Python ints (or None) when slicing a symbolic tensor. "
                f"Received: {value!r:.200}. Use torch.narrow or a gather for tensor bounds."
            )
        return value
    if isinstance(value, dict):
        return {k: _template(v, tensors, constants) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_template(v, tensors, constants) for v in value)
    if isinstance(value, list):
        return [_template(v, tensors, constants) for v in value]
    return value


def _fill(value, tensors, constants):
    """The inverse of `_template`: placeholders replaced by real values."""
    kind = type(value)
    if kind is _Input:
        return tensors[value.index]
    if kind is _Constant:
        return constants[value.index]
    if kind is list:
        return [_fill(v, tensors, constants) for v in value]
    if kind is tuple:
        return tuple(_fill(v, tensors, constants) for v in value)
    if kind is dict:
        return {k: _fill(v, tensors, constants) for k, v in value.items()}
    return value


def function_name(func):
    """A stable, importable name: `operator.add`, `torch.cat`, `torch.Tensor.reshape`,
    `torch.nn.functional.gelu`, or `getattr` (a tensor property such as `x.T`)."""
    if func is getattr:
        return "getattr"
    if ops.lookup(getattr(func, "plait_op_name", None)) is func:
        return func.plait_op_name
    for name, fn in _OPERATORS.items():
        if func is fn:
            return f"operator.{name}"
    name = torch.overrides.resolve_name(func)
    if name is None:
        qualified = getattr(func, "__qualname__", repr(func))
        raise TypeError(
            f"{qualified} cannot be recorded on a symbolic tensor: it is not a torch "
            "function PyTorch lets tensors override. Use a Lambda layer for it."
        )
    return name


def _name_prefix(name):
    last = name.rsplit(".", 1)[-1].strip("_").lower()
    return last or "torch_op"


@functools.lru_cache(maxsize=1)
def _overridable_by_name():
    table = {}
    for functions in torch.overrides.get_overridable_functions().values():
        for fn in functions:
            name = torch.overrides.resolve_name(fn)
            if name is not None:
                table.setdefault(name, fn)
    return table


# Overridable tensor methods a config may not name: they take callables, register hooks,
# run autograd, rebuild or share state, or leave the tensor world. No op needs them.
_REFUSED = frozenset(
    (
        "apply_",
        "map_",
        "map2_",
        "register_hook",
        "register_post_accumulate_grad_hook",
        "backward",
        "retain_grad",
        "requires_grad_",
        "__setstate__",
        "__reduce__",
        "__reduce_ex__",
        "__deepcopy__",
        "__setitem__",
        "__delitem__",
        "share_memory_",
        "storage",
        "untyped_storage",
        "data_ptr",
        "numpy",
        "tolist",
        "item",
        "pin_memory",
        "record_stream",
        "__array__",
        "__array_wrap__",
        "__dlpack__",
        "__format__",
    )
)


def resolve_function(name):
    """The function `function_name` named, looked up only among Python's operators and
    the torch functions tensors may override; anything else raises ValueError."""
    if not isinstance(name, str):
        raise ValueError(
            f"A TorchOp config names its function by a string. Received: function={name!r:.100}"
        )
    if name == "getattr":
        return getattr
    if name.startswith("operator."):
        fn = _OPERATORS.get(name[len("operator.") :])
    elif name.startswith("plait.ops."):
        fn = ops.lookup(name)
    elif name.rsplit(".", 1)[-1] in _REFUSED:
        fn = None
    else:
        fn = _overridable_by_name().get(name)
    if fn is None:
        raise ValueError(
            f"Unknown torch operation {name!r} in a TorchOp config. A TorchOp may call only "
            "Python operators and torch functions that tensors can override "
            "(torch.overrides.get_overridable_functions())."
        )
    return fn


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


# ------------------------------------------------------------------ TorchModule


@register_serializable(package="plait")
class TorchModule(Layer):
    """Makes any `torch.nn.Module` a layer: `TorchModule(nn.Linear(8, 4))(x)`.

    The module computes on the tensors as they come (it is called as `module(*inputs)`;
    mind that plait's data is channels-last, so an `nn.Conv2d` needs a permute first). Its
    parameters are the layer's trainable weights and its persistent buffers (e.g.
    BatchNorm's running statistics) the non-trainable ones, in `module.parameters()` then
    `module.buffers()` order; they train with `fit`, save with the model's weights, count in
    `summary()`, and `get_weights()` returns them as they are (PyTorch layout). Lazy modules
    (`nn.LazyLinear`) are materialized on the first call. The output shape is found by
    running the module on shape-only (meta) tensors.

    Args:
        module: the `torch.nn.Module` to wrap (not a plait layer: call those directly).

    Call arguments: the module's inputs; `training`: None (default) runs the module in the
    layer's mode (inference, or training inside `fit`); True or False runs it in that mode
    for this call. `trainable=False` freezes its parameters.

    A module is Python code, so a model holding a TorchModule saves its weights but not its
    config: `get_config()` raises, as it does for Lambda.
    """

    def __init__(self, module, **kwargs):
        if not isinstance(module, nn.Module):
            raise TypeError(
                "TorchModule wraps a torch.nn.Module. "
                f"Received: module={module!r:.200} (type {type(module).__name__})"
            )
        if isinstance(module, Layer):
            raise TypeError(
                f"TorchModule wraps plain torch modules; {module.name!r} is already a plait "
                f"layer: call it directly. Received: module={type(module).__name__}"
            )
        super().__init__(**kwargs)
        self.module = module
        self.train(False)  # Keras semantics: inference until fit trains

    def build(self, input_shape):
        if _has_lazy(self.module):
            self._materialize(input_shape)
        persistent = set(self.module.state_dict(keep_vars=True))
        for name, _ in self.module.named_parameters():
            self._weight_specs.append(WeightSpec(name, "module." + name))
        for name, _ in self.module.named_buffers():
            if name in persistent:
                self._weight_specs.append(WeightSpec(name, "module." + name))
        if not self._trainable:  # TorchModule(m, trainable=False): fit must not move them
            for param in self.module.parameters():
                param.requires_grad_(False)

    def _materialize(self, input_shape):
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        for shape in shapes:
            if shape is None or any(d is None for d in shape[1:]):
                raise LayerCallError(
                    f"TorchModule layer '{self.name}' wraps a lazy module, which needs every "
                    f"input dimension but the batch to be known. Received: "
                    f"input_shape={input_shape}"
                )
        param = next(iter(self.module.parameters()), None)
        device = param.device if param is not None else None
        samples = [torch.zeros((1,) + tuple(s[1:]), device=device) for s in shapes]
        with torch.no_grad():
            self.module(*samples)

    def __getattr__(self, name):
        # Weight specs name the module's tensors by dotted path ("module.0.weight").
        if "." in name:
            owner, _, leaf = name.rpartition(".")
            return getattr(self.get_submodule(owner), leaf)
        return super().__getattr__(name)

    def forward(self, *inputs, training=None):
        if training is None or bool(training) == self.module.training:
            return self.module(*inputs)
        # `training=` given at the call (e.g. Monte-Carlo dropout): that mode, for this call.
        previous = self.module.training
        self.module.train(bool(training))
        try:
            return self.module(*inputs)
        finally:
            self.module.train(previous)

    def get_config(self):
        raise ValueError(
            f"TorchModule layer '{self.name}' cannot be saved in a config: it holds a "
            f"{type(self.module).__name__}, which is Python code, and plait's configs never "
            "hold code. Save the weights (model.save_weights) and rebuild the model in "
            "Python, or write a Layer subclass with get_config()."
        )


def _has_lazy(module):
    return any(isinstance(p, nn.parameter.UninitializedParameter) for p in module.parameters())


@register_serializable(package="plait")
class TorchModuleWrapper(TorchModule):
    """Keras 3's name for wrapping a `torch.nn.Module` as a layer: `TorchModule` with
    Keras's arguments.

    Args:
        module: the `torch.nn.Module` to wrap.
        name: the layer's name.
        output_shape: the output's shape with the batch axis (e.g. `(None, 4)`), for a
            module that cannot run on shape-only tensors; default None (found by running
            the module on meta tensors).

    Differences from Keras: the config holds no pickled module (plait never pickles), so
    `get_config()` raises as `TorchModule`'s does; save the weights instead.

    Example:
        >>> layer = TorchModuleWrapper(torch.nn.Linear(8, 4))
        >>> layer(plait.Input((8,))).shape
        (None, 4)
    """

    def __init__(self, module, name=None, output_shape=None, **kwargs):
        super().__init__(module, name=name, **kwargs)
        self.output_shape_hint = None if output_shape is None else tuple(output_shape)

    def _output_specs(self, args, kwargs, input_shapes, where):
        if self.output_shape_hint is None:
            return super()._output_specs(args, kwargs, input_shapes, where)
        return layer_module._shapes_to_specs(
            self.output_shape_hint, layer_module._first_dtype(args)
        )
