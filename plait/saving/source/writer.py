"""`model.to_source("my_model.py")`: the model as a standalone, readable PyTorch file.

The file holds one `nn.Module` class per model (nested models get their own), whose
`__init__` creates plain `torch.nn` modules (`nn.Linear`, `nn.Conv2d`, `nn.LSTM`) and
whose `forward` is straight-line code with `torch` / `torch.nn.functional` calls, one line
per layer call, in the channels-last layout plait (and Keras) use. The weights go next to
it as `my_model.safetensors`, keyed by the ejected module's own `state_dict` names, and the
file carries a 15-line safetensors reader, so it needs nothing but torch:

    from my_model import load_model
    model = load_model()              # reads my_model.safetensors beside the file
    y = model(x)

This module is the machinery: the class writer (`_ClassWriter`, the context a writer gets),
the registry and the helpers writers share. Each layer family's writers live beside it
(`plait/saving/source/core.py`, `convolutional.py`, ...) and register by class with
`@writes(Dense)`; a writer writes its layer's construction, its forward line(s) and its
weights. A model holding a layer whose class has no writer raises a ValueError naming it.
A user's own layer class can register one the same way.
"""

import keyword
import os
import re
from typing import Any


from plait import activations
from plait.graph.tensor import SymbolicTensor, format_shape
from plait.saving import safetensors_io
from plait.utils import atomic
from plait.utils import nest

__all__ = [
    "SourceError",
    "activation_source",
    "channels_first_source",
    "channels_last_suffix",
    "check_static",
    "spatial_of",
    "to_source",
    "tuple_source",
    "write_source",
    "writer_for",
    "writes",
]

_RESERVED = {
    "self",
    "torch",
    "nn",
    "F",
    "json",
    "os",
    "struct",
    "load_model",
    "load_safetensors",
    "training",
}

# Activation name -> expression template over "{x}".
_ACTIVATIONS = {
    "linear": "{x}",
    "relu": "torch.relu({x})",
    "sigmoid": "torch.sigmoid({x})",
    "tanh": "torch.tanh({x})",
    "softmax": "torch.softmax({x}, dim=-1)",
    "log_softmax": "torch.log_softmax({x}, dim=-1)",
    "softplus": "F.softplus({x})",
    "softsign": "F.softsign({x})",
    "elu": "F.elu({x})",
    "selu": "F.selu({x})",
    "gelu": "F.gelu({x})",
    "silu": "F.silu({x})",
    "swish": "F.silu({x})",
    "exponential": "torch.exp({x})",
    "mish": "F.mish({x})",
    "leaky_relu": "F.leaky_relu({x}, 0.2)",
    "relu6": "F.relu6({x})",
    "hard_sigmoid": "F.hardsigmoid({x})",
    "hard_silu": "F.hardswish({x})",
    "hard_swish": "F.hardswish({x})",
    "celu": "F.celu({x})",
    "glu": "F.glu({x}, dim=-1)",
    "hard_tanh": "F.hardtanh({x})",
    "hard_shrink": "F.hardshrink({x}, 0.5)",
    "soft_shrink": "F.softshrink({x}, 0.5)",
    "tanh_shrink": "F.tanhshrink({x})",
    "log_sigmoid": "F.logsigmoid({x})",
    "sparse_plus": "torch.where({x} <= -1, torch.zeros_like({x}), "
    "torch.where({x} < 1, 0.25 * ({x} + 1) ** 2, {x}))",
    "sparse_sigmoid": "torch.clamp(0.5 * ({x} + 1), 0.0, 1.0)",
    "squareplus": "({x} + torch.sqrt({x} * {x} + 4)) / 2",
}

_WRITERS: dict[type, Any] = {}  # layer class -> its writer


def writes(*classes):
    """Register `fn(ctx, layer, attr, x, shape, kwargs)` as the source writer of these layer
    classes (exactly these: a subclass needs its own). `ctx` is the class being written (its
    `add_module`, `add_buffer`, `line`, `assign`, `fresh` and `emit`), `x` the source of the
    layer's input (a name, or a list of names), `shape` its static shape(s), `kwargs` the
    call's other arguments as source (those named in `fn.accepts`). `fn` returns the
    output's source (a string, or a list for several outputs).

    Example (a user's layer `MyScale` with a `factor` attribute):

        @writes(MyScale)
        def _my_scale(ctx, layer, attr, x, shape, kwargs):
            return f"{x} * {layer.factor!r}"
    """

    def register(fn):
        for cls in classes:
            _WRITERS[cls] = fn
        return fn

    return register


def writer_for(cls):
    """The source writer registered for layer class `cls`, or None."""
    return _WRITERS.get(cls)


class SourceError(ValueError):
    """The model holds something to_source cannot write as plain PyTorch."""


# ---------------------------------------------------------------------------- entry point


def to_source(model, filepath):
    """Write `model` as a standalone PyTorch file and its weights beside it.

    Args:
        model: a built plait functional model or Sequential.
        filepath: the `.py` file to write; the weights go to the same path with
            `.safetensors` instead of `.py`. Both are written atomically.

    Raises:
        ValueError: the path does not end in `.py`, or a layer has no plain-PyTorch form.
    """
    filepath = os.fspath(filepath)
    if not filepath.endswith(".py"):
        raise ValueError(
            f"to_source writes a Python file: the filepath must end in '.py'. "
            f"Received: filepath={filepath!r}"
        )
    stem = os.path.basename(filepath)[:-3]
    if not stem.isidentifier() or keyword.iskeyword(stem):
        raise ValueError(
            "The file name must be a valid Python module name (letters, digits and '_', not "
            f"starting with a digit) so it can be imported. Received: filepath={filepath!r}"
        )
    text, state = write_source(model, weights_name=stem + ".safetensors")
    weights_path = filepath[:-3] + ".safetensors"
    with atomic.atomic_write(weights_path) as f:
        safetensors_io.write(f, state, {"format": "pt", "producer": "plait.to_source"})
    with atomic.atomic_write(filepath) as f:
        f.write(text.encode("utf-8"))


def write_source(model, weights_name="model.safetensors"):
    """`(source text, state dict)` of the ejected module for `model`."""
    if hasattr(model, "_ensure_graph"):
        model._ensure_graph()
    shared = _Classes()
    main, state = shared.class_of(model)
    parts = [_header(model, main, weights_name), _READER]
    parts += shared.texts
    parts.append(_LOADER.format(cls=main, weights=weights_name))
    return "\n\n\n".join(parts).rstrip("\n") + "\n", state


def _header(model, main, weights_name):
    inputs = ", ".join(
        f"{name} {format_shape(shape)}"
        for name, shape in zip(model.input_names, model._input_shapes)
    )
    outputs = ", ".join(
        f"{name} {format_shape(t.shape)}" for name, t in zip(model.output_names, model.outputs)
    )
    return f'''"""Model '{model.name}' as plain PyTorch, written by plait's to_source.

Inputs (channels-last, None = any size): {inputs}
Outputs: {outputs}
It computes inference: layers that act only in training (dropout, noise) are left out.

    from {weights_name[: -len(".safetensors")]} import load_model
    model = load_model()  # {main} with the weights of {weights_name}, in eval mode
"""
import json
import os
import struct

import torch
import torch.nn.functional as F
from torch import nn'''


_READER = '''def load_safetensors(path):
    """A safetensors file as a state_dict of CPU tensors (the format is a JSON header and
    raw little-endian bytes; no pickle)."""
    dtypes = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16,
              "BF16": torch.bfloat16, "I64": torch.int64, "I32": torch.int32,
              "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = bytearray(f.read())
    state = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = torch.frombuffer(data[begin:end], dtype=torch.uint8) if end > begin else (
            torch.empty(0, dtype=torch.uint8))
        state[name] = raw.view(dtypes[info["dtype"]]).reshape(info["shape"])
    return state'''


_LOADER = '''def load_model(path=None):
    """{cls} with the weights saved beside this file (or at `path`), in eval mode."""
    if path is None:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "{weights}")
    model = {cls}()
    model.load_state_dict(load_safetensors(path))
    return model.eval()'''


# ---------------------------------------------------------------------------- one class


class _Classes:
    """The classes written so far: one per model object, nested ones first."""

    def __init__(self):
        self.texts = []
        self.names = set()
        self.by_model = {}

    def class_of(self, model):
        """`(class name, state)` of `model`'s class, writing it on first use."""
        found = self.by_model.get(id(model))
        if found is not None:
            return found
        writer = _ClassWriter(model, self)
        params = writer.write()
        base = name = _class_name(model.name)
        i = 1
        while name in self.names:
            i += 1
            name = f"{base}{i}"
        self.names.add(name)
        self.texts.append(_class_text(name, model, params, writer.init_lines, writer.body))
        self.by_model[id(model)] = (name, writer.state)
        return name, writer.state


class _ClassWriter:
    """Writes the class of one functional model; nested models write their own first."""

    def __init__(self, model, shared):
        self.model = model
        self.shared = shared
        self.init_lines = []
        self.body = []
        self.state = {}
        self.modules = set()
        self.used = set(_RESERVED)

    # -- the context writers use - -----------------------------------------------------
    def add_module(self, attr, ctor, tensors):
        """`self.<attr> = <ctor>` in __init__, once; `tensors` maps the module's own
        state_dict keys to the plait tensors that fill them."""
        if attr in self.modules:
            return
        self.modules.add(attr)
        self.init_lines.append(f"self.{attr} = {ctor}")
        for key, tensor in tensors.items():
            if tensor is not None:
                self.state[f"{attr}.{key}"] = tensor.detach()

    def add_buffer(self, name, tensor):
        """A buffer `name` of the module, filled from `tensor` by the weights file."""
        if name in self.modules:
            return
        self.modules.add(name)
        self.init_lines.append(
            f"self.register_buffer({name!r}, torch.zeros("
            f"{tuple(tensor.shape)!r}, dtype={tensor.dtype}))"
        )
        self.state[name] = tensor.detach()

    def line(self, text):
        self.body.append(text)

    def assign(self, base, expr):
        """Assign `expr` to a new variable named after `base`; returns the name."""
        name = self.fresh(base)
        self.line(f"{name} = {expr}")
        return name

    def fresh(self, base):
        name = re.sub(r"\W", "_", str(base)) or "x"
        if name[0].isdigit() or keyword.iskeyword(name):
            name = "t_" + name
        candidate, i = name, 1
        while candidate in self.used:
            candidate = f"{name}_{i}"
            i += 1
        self.used.add(candidate)
        return candidate

    # -- the class ------------------------------------------------------------------------
    def write(self):
        model = self.model
        graph = model._graph
        env = {}
        params = []
        for name, tensor in zip(model.input_names, graph.inputs):
            env[id(tensor)] = self.fresh(name)
            params.append(env[id(tensor)])

        def src(value):
            if isinstance(value, SymbolicTensor):
                return env[id(value)]
            return value

        for node in graph.nodes:
            if node.is_input:
                continue
            layer = node.layer
            x = nest.map_structure(src, node.call_args[0]) if node.call_args else None
            shape = (
                nest.map_structure(
                    lambda t: t.shape if isinstance(t, SymbolicTensor) else None, node.call_args[0]
                )
                if node.call_args
                else None
            )
            kwargs = {
                k: nest.map_structure(src, v)
                for k, v in node.call_kwargs.items()
                if k != "training"
            }
            result = self.emit(layer, layer.name, x, shape, kwargs)
            self._bind(node, result, env)

        outputs = nest.map_structure(src, model._outputs_struct)
        self.line(f"return {_literal(outputs)}")
        return params

    def emit(self, layer, attr, x, shape, kwargs):
        """The source of `layer`'s call (its registered writer, or a nested model's class)."""
        if _is_model(layer):
            return self._emit_nested(layer, attr, x, kwargs)
        fn = _WRITERS.get(type(layer))
        if fn is None:
            raise SourceError(
                f"to_source cannot write layer '{layer.name}' ({type(layer).__name__}) as "
                f"plain PyTorch: plait has no PyTorch form for this layer class yet. "
                f"Supported: {sorted({cls.__name__ for cls in _WRITERS})}. The model still "
                "saves with "
                "model.save(), and exports with model.export()."
            )
        unknown = sorted(set(kwargs) - set(getattr(fn, "accepts", ())))
        if unknown:
            raise SourceError(
                f"to_source cannot write the call of layer '{layer.name}' "
                f"({type(layer).__name__}) with the argument(s) {unknown} (masks and other "
                "call arguments have no plain-PyTorch form here)."
            )
        return fn(self, layer, attr, x, shape, kwargs)

    def _emit_nested(self, model, attr, x, kwargs):
        if kwargs:
            raise SourceError(
                f"to_source cannot write the call of nested model "
                f"'{model.name}' with arguments {sorted(kwargs)}."
            )
        cls_name, state = self.shared.class_of(model)
        self.add_module(attr, f"{cls_name}()", {})
        for key, tensor in state.items():
            self.state.setdefault(f"{attr}.{key}", tensor)
        if isinstance(x, dict):
            args = [x[name] for name in model.input_names]
        elif isinstance(x, (list, tuple)):
            args = list(x)
        else:
            args = [x]
        return f"self.{attr}({', '.join(args)})"

    def _bind(self, node, result, env):
        """Name the node's outputs: `result` is one expression for the whole output
        structure, or a list with one expression per flat output."""
        if (
            isinstance(result, list)
            and len(result) == len(node.outputs)
            and (len(node.outputs) > 1 or not isinstance(node.output_structure, (list, tuple)))
        ):
            for tensor, expr in zip(node.outputs, result):
                env[id(tensor)] = self.assign(tensor.name or node.layer.name, expr)
            return
        if len(node.outputs) == 1 and node.output_paths() == [()]:
            if isinstance(result, str) and result.isidentifier() and result in self.used:
                env[id(node.outputs[0])] = result  # already a variable of its own
                return
            env[id(node.outputs[0])] = self.assign(node.outputs[0].name or node.layer.name, result)
            return
        whole = self.assign(node.layer.name + "_out", result)
        for tensor, path in zip(node.outputs, node.output_paths()):
            index = "".join(f"[{key!r}]" for key in path)
            env[id(tensor)] = self.assign(tensor.name or node.layer.name, whole + index)


def _class_text(cls_name, model, params, init_lines, body):
    lines = [
        f"class {cls_name}(nn.Module):",
        f'    """plait model \'{model.name}\': inputs '
        + ", ".join(
            f"{n} {format_shape(s)}" for n, s in zip(model.input_names, model._input_shapes)
        )
        + '."""',
        "",
        "    def __init__(self):",
        "        super().__init__()",
    ]
    lines += [f"        {line}" for line in init_lines]
    lines += ["", f"    def forward(self, {', '.join(params)}):"]
    lines += [f"        {line}" for line in body]
    return "\n".join(lines)


def _class_name(name):
    parts = re.split(r"[^0-9a-zA-Z]+", name)
    text = "".join(p[:1].upper() + p[1:] for p in parts if p) or "Model"
    return text if not text[0].isdigit() else "Model" + text


def _is_model(layer):
    return hasattr(layer, "_graph") and hasattr(layer, "input_names")


def _literal(structure):
    if isinstance(structure, dict):
        return "{" + ", ".join(f"{k!r}: {_literal(v)}" for k, v in structure.items()) + "}"
    if isinstance(structure, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in structure) + "]"
    return str(structure) if isinstance(structure, str) else repr(structure)


def activation_source(layer, fn, x):
    """Source applying the built-in activation `fn` of `layer` to the source `x`."""
    name = activations.serialize(fn)
    try:
        builtin = activations.get(name) is fn
    except (ValueError, TypeError):  # a callable of the user's own
        builtin = False
    template = _ACTIVATIONS.get(name) if builtin else None
    if template is None:
        raise SourceError(
            f"to_source cannot write the activation {name!r} of layer '{layer.name}': only "
            f"plait's built-in activations have a PyTorch form ({sorted(_ACTIVATIONS)})."
        )
    return template.format(x=x)


def tuple_source(values):
    """`3` for `(3, 3)`, else the tuple's repr."""
    values = tuple(values)
    return repr(values[0]) if len(set(values)) == 1 else repr(values)


def channels_first_source(x, rank):
    """Source viewing channels-last `x` as channels-first."""
    return f"{x}.permute(0, {rank + 1}, {', '.join(str(i) for i in range(1, rank + 1))})"


def channels_last_suffix(rank):
    """The `.permute(...)` that views a channels-first result as channels-last."""
    return f".permute(0, {', '.join(str(i) for i in range(2, rank + 2))}, 1)"


def spatial_of(shape, channels_last):
    """The spatial dimensions of a static `shape`."""
    return tuple(shape[1:-1] if channels_last else shape[2:])


def check_static(layer, spatial):
    """Raises SourceError unless every spatial size is known ('same' padding needs it)."""
    if any(d is None for d in spatial):
        raise SourceError(
            f"to_source needs the spatial size of the input to layer '{layer.name}' for its "
            f"'same' padding; it is {spatial}. Give the model's Input a fixed shape."
        )
