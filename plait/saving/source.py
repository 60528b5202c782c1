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

Each layer class has an emitter here that writes its construction, its forward line(s) and
its weights; a model holding a layer with no emitter raises a ValueError naming it.
"""
import keyword
import os
import re

import torch

from plait import activations
from plait.graph.tensor import SymbolicTensor, format_shape
from plait.layers.convolutional import tf_same_pads
from plait.saving import atomic, safetensors_io
from plait.utils import nest

_RESERVED = {"self", "torch", "nn", "F", "json", "os", "struct", "load_model",
             "load_safetensors", "training"}

# Activation name -> expression template over "{x}".
_ACTIVATIONS = {
    "linear": "{x}", "relu": "torch.relu({x})", "sigmoid": "torch.sigmoid({x})",
    "tanh": "torch.tanh({x})", "softmax": "torch.softmax({x}, dim=-1)",
    "log_softmax": "torch.log_softmax({x}, dim=-1)", "softplus": "F.softplus({x})",
    "softsign": "F.softsign({x})", "elu": "F.elu({x})", "selu": "F.selu({x})",
    "gelu": "F.gelu({x})", "silu": "F.silu({x})", "swish": "F.silu({x})",
    "exponential": "torch.exp({x})", "mish": "F.mish({x})",
    "leaky_relu": "F.leaky_relu({x}, 0.2)", "relu6": "F.relu6({x})",
    "hard_sigmoid": "F.hardsigmoid({x})",
}

_EMITTERS = {}


def emitter(*class_names):
    """Register `fn(ctx, layer, attr, x, shape, kwargs)` as the writer of these layer
    classes. `x` is the source of the layer's input (a name, or a list of names), `shape`
    its static shape(s), `kwargs` the call's other arguments as source. It returns the
    output's source (a string, or a list for several outputs)."""

    def register(fn):
        for name in class_names:
            _EMITTERS[name] = fn
        return fn

    return register


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
        raise ValueError(f"to_source writes a Python file: the filepath must end in '.py'. "
                         f"Received: filepath={filepath!r}")
    stem = os.path.basename(filepath)[:-3]
    if not stem.isidentifier() or keyword.iskeyword(stem):
        raise ValueError(
            "The file name must be a valid Python module name (letters, digits and '_', not "
            f"starting with a digit) so it can be imported. Received: filepath={filepath!r}")
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
    inputs = ", ".join(f"{name} {format_shape(shape)}" for name, shape in zip(
        model.input_names, model._input_shapes))
    outputs = ", ".join(f"{name} {format_shape(t.shape)}" for name, t in zip(
        model.output_names, model.outputs))
    return f'''"""Model '{model.name}' as plain PyTorch, written by plait's to_source.

Inputs (channels-last, None = any size): {inputs}
Outputs: {outputs}

    from {weights_name[:-len('.safetensors')]} import load_model
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

    # -- the context emitters use -----------------------------------------------------
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
            shape = nest.map_structure(
                lambda t: t.shape if isinstance(t, SymbolicTensor) else None,
                node.call_args[0]) if node.call_args else None
            kwargs = {k: nest.map_structure(src, v) for k, v in node.call_kwargs.items()
                      if k != "training"}
            result = self._emit(layer, layer.name, x, shape, kwargs)
            self._bind(node, result, env)

        outputs = nest.map_structure(src, model._outputs_struct)
        self.line(f"return {_literal(outputs)}")
        return params

    def _emit(self, layer, attr, x, shape, kwargs):
        if _is_model(layer):
            return self._emit_nested(layer, attr, x, kwargs)
        fn = _EMITTERS.get(type(layer).__name__)
        if fn is None:
            raise SourceError(
                f"to_source cannot write layer '{layer.name}' ({type(layer).__name__}) as "
                f"plain PyTorch: plait has no PyTorch form for this layer class yet. "
                f"Supported: {sorted(_EMITTERS)}. The model still saves with "
                "model.save(), and exports with model.export().")
        return fn(self, layer, attr, x, shape, kwargs)

    def _emit_nested(self, model, attr, x, kwargs):
        if kwargs:
            raise SourceError(f"to_source cannot write the call of nested model "
                              f"'{model.name}' with arguments {sorted(kwargs)}.")
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
        if isinstance(result, list) and len(result) == len(node.outputs) and (
                len(node.outputs) > 1 or not isinstance(node.output_structure, (list, tuple))):
            for tensor, expr in zip(node.outputs, result):
                env[id(tensor)] = self.assign(tensor.name or node.layer.name, expr)
            return
        if len(node.outputs) == 1 and node.output_paths() == [()]:
            if isinstance(result, str) and result.isidentifier() and result in self.used:
                env[id(node.outputs[0])] = result  # already a variable of its own
                return
            env[id(node.outputs[0])] = self.assign(node.outputs[0].name or node.layer.name,
                                                   result)
            return
        whole = self.assign(node.layer.name + "_out", result)
        for tensor, path in zip(node.outputs, node.output_paths()):
            index = "".join(f"[{key!r}]" for key in path)
            env[id(tensor)] = self.assign(tensor.name or node.layer.name, whole + index)


def _class_text(cls_name, model, params, init_lines, body):
    lines = [f"class {cls_name}(nn.Module):",
             f'    """plait model \'{model.name}\': inputs '
             + ", ".join(f"{n} {format_shape(s)}" for n, s in zip(
                 model.input_names, model._input_shapes)) + '."""',
             "",
             "    def __init__(self):",
             "        super().__init__()"]
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


def _activation(layer, fn, x):
    name = activations.serialize(fn)
    template = _ACTIVATIONS.get(name) if activations.get(name) is fn else None
    if template is None:
        raise SourceError(
            f"to_source cannot write the activation {name!r} of layer '{layer.name}': only "
            f"plait's built-in activations have a PyTorch form ({sorted(_ACTIVATIONS)}).")
    return template.format(x=x)


def _tuple(values):
    values = tuple(values)
    return repr(values[0]) if len(set(values)) == 1 else repr(values)


def _to_channels_first(x, rank):
    return f"{x}.permute(0, {rank + 1}, {', '.join(str(i) for i in range(1, rank + 1))})"


def _channels_last_suffix(rank):
    return f".permute(0, {', '.join(str(i) for i in range(2, rank + 2))}, 1)"


def _spatial(shape, channels_last):
    return tuple(shape[1:-1] if channels_last else shape[2:])


def _check_static(layer, spatial):
    if any(d is None for d in spatial):
        raise SourceError(
            f"to_source needs the spatial size of the input to layer '{layer.name}' for its "
            f"'same' padding; it is {spatial}. Give the model's Input a fixed shape.")


# ---------------------------------------------------------------------------- emitters

@emitter("Dense")
def _dense(ctx, layer, attr, x, shape, kwargs):
    bias = "" if layer.use_bias else ", bias=False"
    ctx.add_module(attr, f"nn.Linear({layer.weight.shape[1]}, {layer.units}{bias})",
                   {"weight": layer.weight, "bias": layer.bias})
    return _activation(layer, layer.activation, f"self.{attr}({x})")


@emitter("Activation")
def _activation_layer(ctx, layer, attr, x, shape, kwargs):
    return _activation(layer, layer.activation, x)


@emitter("Flatten")
def _flatten(ctx, layer, attr, x, shape, kwargs):
    if layer.data_format == "channels_first" and len(shape) > 2:
        x = ctx.assign(layer.name + "_last", f"{x}.movedim(1, -1)")
    return f"{x}.reshape({x}.shape[0], -1)"


@emitter("Concatenate")
def _concatenate(ctx, layer, attr, x, shape, kwargs):
    return f"torch.cat([{', '.join(x)}], dim={layer.axis})"


@emitter("Conv1D", "Conv2D", "Conv3D")
def _conv(ctx, layer, attr, x, shape, kwargs):
    rank = layer.rank
    channels_last = layer.data_format == "channels_last"
    options = [f"kernel_size={_tuple(layer.kernel_size)}"]
    if any(v != 1 for v in layer.strides):
        options.append(f"stride={_tuple(layer.strides)}")
    if layer._kernel_same:
        options.append("padding='same'")
    if any(v != 1 for v in layer.dilation_rate):
        options.append(f"dilation={_tuple(layer.dilation_rate)}")
    if layer.groups != 1:
        options.append(f"groups={layer.groups}")
    if not layer.use_bias:
        options.append("bias=False")
    ctor = (f"nn.Conv{rank}d({layer.weight.shape[1] * layer.groups}, {layer.filters}, "
            f"{', '.join(options)})")
    ctx.add_module(attr, ctor, {"weight": layer.weight, "bias": layer.bias})
    h = _to_channels_first(x, rank) if channels_last else x
    if layer.padding == "same" and not layer._kernel_same:
        spatial = _spatial(shape, channels_last)
        _check_static(layer, spatial)
        pads = tf_same_pads(spatial, layer.kernel_size, layer.strides, layer.dilation_rate)
        h = f"F.pad({h}, {list(pads)})"
    elif layer.padding == "causal":
        h = f"F.pad({h}, [{(layer.kernel_size[0] - 1) * layer.dilation_rate[0]}, 0])"
    out = _activation(layer, layer.activation, f"self.{attr}({h})")
    return f"{out}{_channels_last_suffix(rank)}" if channels_last else out


_POOL_NAMES = {f"{kind}Pooling{r}D": (kind, r) for kind in ("Max", "Average")
               for r in (1, 2, 3)}


@emitter(*_POOL_NAMES)
def _pool(ctx, layer, attr, x, shape, kwargs):
    rank = layer.rank
    channels_last = layer.data_format == "channels_last"
    fn = f"F.{'max' if layer.mode == 'max' else 'avg'}_pool{rank}d"
    args = f"kernel_size={_tuple(layer.pool_size)}, stride={_tuple(layer.strides)}"
    h = _to_channels_first(x, rank) if channels_last else x
    if layer.padding == "same":
        spatial = _spatial(shape, channels_last)
        _check_static(layer, spatial)
        pads = list(tf_same_pads(spatial, layer.pool_size, layer.strides, (1,) * rank))
        if layer.mode == "max":
            out = f"{fn}(F.pad({h}, {pads}, value=float('-inf')), {args})"
        else:  # TensorFlow divides by the number of real (unpadded) cells
            h = ctx.assign(layer.name + "_in", h)
            ones = f"F.pad(torch.ones_like({h}[:1, :1]), {pads})"
            out = f"{fn}(F.pad({h}, {pads}), {args}) / {fn}({ones}, {args})"
    else:
        out = f"{fn}({h}, {args})"
    return f"{out}{_channels_last_suffix(rank)}" if channels_last else out


@emitter("LSTM")
def _lstm(ctx, layer, attr, x, shape, kwargs):
    if not layer._fused:
        raise SourceError(
            f"to_source writes LSTM layers as nn.LSTM, which computes only the default "
            f"activations (tanh, sigmoid); layer '{layer.name}' uses others.")
    unknown = sorted(set(kwargs) - {"initial_state"})
    if unknown:
        raise SourceError(f"to_source cannot write the call argument(s) {unknown} of LSTM "
                          f"layer '{layer.name}'.")
    bias = layer.bias is not None
    tensors = {"weight_ih_l0": layer.weight_ih, "weight_hh_l0": layer.weight_hh}
    if bias:  # Keras has one bias; nn.LSTM adds two, so the second is zero
        tensors.update(bias_ih_l0=layer.bias, bias_hh_l0=torch.zeros_like(layer.bias))
    ctx.add_module(attr, f"nn.LSTM({layer.weight_ih.shape[1]}, {layer.units}, "
                         f"batch_first=True{'' if bias else ', bias=False'})", tensors)
    h = f"{x}.flip(1)" if layer.go_backwards else x
    state = kwargs.get("initial_state")
    call = f"self.{attr}({h})" if state is None else (
        f"self.{attr}({h}, ({state[0]}.unsqueeze(0), {state[1]}.unsqueeze(0)))")
    plain = layer.return_sequences and not layer.return_state
    seq = ctx.fresh(layer.name if plain else f"{layer.name}_seq")
    hn, cn = (ctx.fresh(f"{layer.name}_{part}") for part in ("h", "c"))
    ctx.line(f"{seq}, ({hn}, {cn}) = {call}")
    output = seq if layer.return_sequences else f"{hn}[0]"
    if layer.return_state:
        return [output, f"{hn}[0]", f"{cn}[0]"]
    return output


@emitter("TimeDistributed")
def _time_distributed(ctx, layer, attr, x, shape, kwargs):
    folded = ctx.assign(layer.name + "_folded", f"{x}.reshape((-1,) + tuple({x}.shape[2:]))")
    inner_shape = (None,) + tuple(shape[2:])
    out = ctx._emit(layer.layer, attr, folded, inner_shape, kwargs)
    if not isinstance(out, str):
        raise SourceError(f"to_source cannot write TimeDistributed layer '{layer.name}': its "
                          "inner layer returns several tensors.")
    out = ctx.assign(layer.name + "_inner", out)
    return f"{out}.reshape(({x}.shape[0], {x}.shape[1]) + tuple({out}.shape[1:]))"


@emitter("Dropout")
def _dropout(ctx, layer, attr, x, shape, kwargs):
    if getattr(layer, "noise_shape", None) is not None:
        raise SourceError(f"to_source cannot write Dropout layer '{layer.name}' with a "
                          "noise_shape.")
    return f"F.dropout({x}, p={float(layer.rate)!r}, training=self.training)"


@emitter("InputLayer")
def _input(ctx, layer, attr, x, shape, kwargs):
    return x
