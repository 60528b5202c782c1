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
from plait.layers import torch_ops
from plait.layers.spatial import tf_same_pads
from plait.saving import safetensors_io
from plait.utils import atomic
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
    "hard_sigmoid": "F.hardsigmoid({x})", "hard_silu": "F.hardswish({x})",
    "hard_swish": "F.hardswish({x})",
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
It computes inference: layers that act only in training (dropout, noise) are left out.

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

    def add_buffer(self, name, tensor):
        """A buffer `name` of the module, filled from `tensor` by the weights file."""
        if name in self.modules:
            return
        self.modules.add(name)
        self.init_lines.append(f"self.register_buffer({name!r}, torch.zeros("
                               f"{tuple(tensor.shape)!r}, dtype={tensor.dtype}))")
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
        unknown = sorted(set(kwargs) - set(getattr(fn, "accepts", ())))
        if unknown:
            raise SourceError(
                f"to_source cannot write the call of layer '{layer.name}' "
                f"({type(layer).__name__}) with the argument(s) {unknown} (masks and other "
                "call arguments have no plain-PyTorch form here).")
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
    try:
        builtin = activations.get(name) is fn
    except (ValueError, TypeError):  # a callable of the user's own
        builtin = False
    template = _ACTIVATIONS.get(name) if builtin else None
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
            out = f"({fn}(F.pad({h}, {pads}), {args}) / {fn}({ones}, {args}))"
    else:
        out = f"{fn}({h}, {args})"
    return f"{out}{_channels_last_suffix(rank)}" if channels_last else out


_RNN_DEFAULTS = {"LSTM": "the default activations (tanh, sigmoid)",
                 "GRU": "the default activations (tanh, sigmoid) with reset_after=True",
                 "SimpleRNN": "activation 'tanh' or 'relu'"}


@emitter("LSTM", "GRU", "SimpleRNN")
def _recurrent(ctx, layer, attr, x, shape, kwargs):
    """nn.LSTM / nn.GRU / nn.RNN, batch-first; their weights are plait's own (PyTorch's gate
    order). Keras has one bias where PyTorch adds two (GRU with reset_after has both)."""
    kind = type(layer).__name__
    module = {"LSTM": "LSTM", "GRU": "GRU", "SimpleRNN": "RNN"}[kind]
    if not layer._fused:
        raise SourceError(
            f"to_source writes {kind} layers as nn.{module}, which computes only "
            f"{_RNN_DEFAULTS[kind]}; layer '{layer.name}' uses others.")
    bias = layer.bias is not None
    tensors = {"weight_ih_l0": layer.weight_ih, "weight_hh_l0": layer.weight_hh}
    if bias and kind == "GRU":
        tensors.update(bias_ih_l0=layer.bias[0], bias_hh_l0=layer.bias[1])
    elif bias:
        tensors.update(bias_ih_l0=layer.bias, bias_hh_l0=torch.zeros_like(layer.bias))
    options = ["batch_first=True"]
    if kind == "SimpleRNN" and layer.activation is activations.relu:
        options.append("nonlinearity='relu'")
    if not bias:
        options.append("bias=False")
    ctx.add_module(attr, f"nn.{module}({layer.weight_ih.shape[1]}, {layer.units}, "
                         f"{', '.join(options)})", tensors)
    h = f"{x}.flip(1)" if layer.go_backwards else x
    state = kwargs.get("initial_state")
    state = [state] if isinstance(state, str) else state
    if state is None:
        call = f"self.{attr}({h})"
    elif kind == "LSTM":
        call = f"self.{attr}({h}, ({state[0]}.unsqueeze(0), {state[1]}.unsqueeze(0)))"
    else:
        call = f"self.{attr}({h}, {state[0]}.unsqueeze(0))"
    plain = layer.return_sequences and not layer.return_state
    seq = ctx.fresh(layer.name if plain else f"{layer.name}_seq")
    parts = ("h", "c") if kind == "LSTM" else ("h",)
    states = [ctx.fresh(f"{layer.name}_{part}") for part in parts]
    target = f"({', '.join(states)})" if kind == "LSTM" else states[0]
    ctx.line(f"{seq}, {target} = {call}")
    output = seq if layer.return_sequences else f"{states[0]}[0]"
    if layer.return_state:
        return [output] + [f"{s}[0]" for s in states]
    return output


_recurrent.accepts = ("initial_state",)


@emitter("PReLU")
def _prelu(ctx, layer, attr, x, shape, kwargs):
    ctx.add_buffer(f"{attr}_alpha", layer.alpha)
    return f"torch.where({x} >= 0, {x}, {x} * self.{attr}_alpha)"


@emitter("UnitNormalization")
def _unit_norm(ctx, layer, attr, x, shape, kwargs):
    axis = layer.axis if isinstance(layer.axis, int) else tuple(layer.axis)
    return f"{x} * torch.rsqrt({x}.square().sum(dim={axis!r}, keepdim=True).clamp_min(1e-12))"


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


@emitter("InputLayer")
def _input(ctx, layer, attr, x, shape, kwargs):
    return x


@emitter("Identity", "Dropout", "ActivityRegularization", "SpatialDropout1D", "SpatialDropout2D",
         "SpatialDropout3D", "GaussianNoise", "GaussianDropout")
def _inference_identity(ctx, layer, attr, x, shape, kwargs):
    return x  # identity at inference (the ejected module computes inference)


@emitter("Embedding")
def _embedding(ctx, layer, attr, x, shape, kwargs):
    if layer.mask_zero:
        raise SourceError(f"to_source cannot write Embedding layer '{layer.name}' with "
                          "mask_zero=True: plain PyTorch modules pass no masks.")
    ctx.add_module(attr, f"nn.Embedding({layer.input_dim}, {layer.output_dim})",
                   {"weight": layer.weight})
    return f"self.{attr}({x}.long())"


@emitter("Rescaling")
def _rescaling(ctx, layer, attr, x, shape, kwargs):
    dtype = str(layer._float_dtype)  # "torch.float32"

    def factor(value):
        return f"torch.tensor({value!r}, dtype={dtype})" if isinstance(value, list) else (
            repr(float(value)))

    return f"{x}.to({dtype}) * {factor(layer.scale)} + {factor(layer.offset)}"


@emitter("Reshape")
def _reshape(ctx, layer, attr, x, shape, kwargs):
    return f"{x}.reshape(({x}.shape[0],) + {tuple(layer.target_shape)!r})"


@emitter("Permute")
def _permute(ctx, layer, attr, x, shape, kwargs):
    return f"{x}.permute{(0,) + tuple(layer.dims)!r}"


@emitter("RepeatVector")
def _repeat_vector(ctx, layer, attr, x, shape, kwargs):
    return f"{x}.unsqueeze(1).expand(-1, {layer.n}, -1)"


@emitter("ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D")
def _zero_padding(ctx, layer, attr, x, shape, kwargs):
    return f"F.pad({x}, {list(layer._pads)!r})"


@emitter("Cropping1D", "Cropping2D", "Cropping3D")
def _cropping(ctx, layer, attr, x, shape, kwargs):
    index = [":"] * len(shape)
    for axis, (before, after) in zip(layer._axes, layer.cropping):
        index[axis] = f"{before}:{x}.shape[{axis}] - {after}" if after else f"{before}:"
    while index and index[-1] == ":":
        index.pop()
    return f"{x}[{', '.join(index)}]"


@emitter("UpSampling1D", "UpSampling2D", "UpSampling3D")
def _upsampling(ctx, layer, attr, x, shape, kwargs):
    if layer.interpolation == "nearest":
        out = x
        for axis, size in zip(layer._axes, layer.size):
            if size > 1:
                out = f"{out}.repeat_interleave({size}, dim={axis})"
        return out
    rank, channels_last = layer.rank, layer._channels_last
    h = _to_channels_first(x, rank) if channels_last else x
    out = (f"F.interpolate({h}, scale_factor={tuple(layer.size)!r}, mode='bilinear', "
           "align_corners=False)")
    return f"{out}{_channels_last_suffix(rank)}" if channels_last else out


_MERGES = {"Add": " + ", "Subtract": " - ", "Multiply": " * "}


@emitter("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")
def _merge(ctx, layer, attr, x, shape, kwargs):
    if len({len(s) for s in shape}) > 1:
        raise SourceError(f"to_source cannot write merge layer '{layer.name}' over inputs of "
                          f"different ranks {list(shape)}.")
    kind = type(layer).__name__
    if kind in _MERGES:  # (emitted expressions are always assigned to a variable)
        return _MERGES[kind].join(x)
    if kind == "Average":
        return f"({' + '.join(x)}) / {len(x)}"
    fn = "torch.maximum" if kind == "Maximum" else "torch.minimum"
    out = x[0]
    for other in x[1:]:
        out = f"{fn}({out}, {other})"
    return out


@emitter("ReLU")
def _relu(ctx, layer, attr, x, shape, kwargs):
    if layer.negative_slope == 0.0 and layer.max_value is None and layer.threshold == 0.0:
        return f"torch.relu({x})"
    out = f"torch.where({x} >= {layer.threshold!r}, {x}, {layer.negative_slope!r} * ({x} - " \
          f"{layer.threshold!r}))"
    return out if layer.max_value is None else f"{out}.clamp(max={layer.max_value!r})"


@emitter("LeakyReLU")
def _leaky_relu(ctx, layer, attr, x, shape, kwargs):
    return f"F.leaky_relu({x}, {layer.negative_slope!r})"


@emitter("ELU")
def _elu(ctx, layer, attr, x, shape, kwargs):
    return f"F.elu({x}, {layer.alpha!r})"


@emitter("Softmax")
def _softmax(ctx, layer, attr, x, shape, kwargs):
    if not isinstance(layer.axis, int):
        raise SourceError(f"to_source writes Softmax over one axis; layer '{layer.name}' has "
                          f"axis={layer.axis}.")
    return f"torch.softmax({x}, dim={layer.axis})"


_GLOBAL_NAMES = [f"Global{kind}Pooling{r}D" for kind in ("Max", "Average") for r in (1, 2, 3)]


@emitter(*_GLOBAL_NAMES)
def _global_pool(ctx, layer, attr, x, shape, kwargs):
    fn = "amax" if layer.mode == "max" else "mean"
    keep = ", keepdim=True" if layer.keepdims else ""
    return f"{x}.{fn}(dim={tuple(layer._dims)!r}{keep})"


@emitter("BatchNormalization")
def _batch_norm(ctx, layer, attr, x, shape, kwargs):
    rank = len(shape)
    kind = {2: 1, 3: 1, 4: 2, 5: 3}.get(rank)
    if kind is None:
        raise SourceError(f"to_source cannot write BatchNormalization layer '{layer.name}' "
                          f"for inputs of rank {rank}.")
    channels = layer.running_mean.shape[0]
    affine = layer.weight is not None or layer.bias is not None
    tensors = {"running_mean": layer.running_mean, "running_var": layer.running_var,
               "num_batches_tracked": torch.tensor(0)}
    if affine:  # nn.BatchNorm has both or neither: the missing one is the identity
        tensors["weight"] = layer.weight if layer.weight is not None else torch.ones(channels)
        tensors["bias"] = layer.bias if layer.bias is not None else torch.zeros(channels)
    ctor = f"nn.BatchNorm{kind}d({channels}, eps={layer.epsilon!r}"
    ctor += ")" if affine else ", affine=False)"
    ctx.add_module(attr, ctor, tensors)
    axis = layer._axis
    if axis == 1:
        return f"self.{attr}({x})"
    return f"self.{attr}({x}.movedim({axis}, 1)).movedim(1, {axis})"


@emitter("LayerNormalization")
def _layer_norm(ctx, layer, attr, x, shape, kwargs):
    if not layer._fused:
        raise SourceError(f"to_source writes LayerNormalization over trailing axes only; "
                          f"layer '{layer.name}' normalizes axes {layer._axes}.")
    normalized = tuple(shape[a] for a in layer._axes)
    options = [f"eps={layer.epsilon!r}"]
    tensors = {}
    if layer.weight is None and layer.bias is None:
        options.append("elementwise_affine=False")
    else:
        tensors["weight"] = layer.weight if layer.weight is not None else torch.ones(normalized)
        if layer.bias is None:
            options.append("bias=False")
        else:
            tensors["bias"] = layer.bias
    ctx.add_module(attr, f"nn.LayerNorm({normalized!r}, {', '.join(options)})", tensors)
    return f"self.{attr}({x})"


_BINARY = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "floordiv": "//", "mod": "%",
           "pow": "**", "matmul": "@", "and": "&", "or": "|", "xor": "^", "lshift": "<<",
           "rshift": ">>", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==",
           "ne": "!="}
_UNARY = {"neg": "-{}", "pos": "+{}", "abs": "abs({})", "invert": "~{}"}


@emitter("TorchOp")
def _torch_op(ctx, layer, attr, x, shape, kwargs):
    """An operation written on symbolic tensors (`x + 1`, `torch.cat`, `x.sum(1)`) is
    written back as that operation."""
    inputs = [x] if layer._num_inputs == 1 else list(x)
    constants = []
    for i in range(layer._num_constants):
        tensor = getattr(layer, f"constant_{i}")
        buffer = f"{attr}_constant_{i}"
        ctx.add_buffer(buffer, tensor)
        constants.append(f"self.{buffer}")
    render = _OpRenderer(inputs, constants)
    args = [render(a) for a in layer.arguments]
    options = [f"{k}={render(v)}" for k, v in layer.keyword_arguments.items()]
    name = layer.function_name
    short = name.rpartition(".")[2]
    if name.startswith("operator.") and short in _BINARY and len(args) == 2 and not options:
        return f"{args[0]} {_BINARY[short]} {args[1]}"
    if name.startswith("operator.") and short in _UNARY and len(args) == 1 and not options:
        return _UNARY[short].format(args[0])
    if name == "operator.getitem" and len(args) == 2 and not options:
        return f"{args[0]}[{render.index(layer.arguments[1])}]"
    if name == "getattr" and len(args) == 2:
        return f"{args[0]}.{layer.arguments[1]}"
    if name.startswith("torch.Tensor.") and args and isinstance(layer.arguments[0],
                                                                 torch_ops._Input):
        return f"{args[0]}.{short}({', '.join(args[1:] + options)})"
    if name.startswith("torch.nn.functional."):
        name = "F." + short
    if not name.startswith(("torch.", "F.")):
        raise SourceError(f"to_source cannot write operation {name} of layer '{layer.name}'.")
    return f"{name}({', '.join(args + options)})"


class _OpRenderer:
    """Source text for a TorchOp argument template."""

    def __init__(self, inputs, constants):
        self.inputs, self.constants = inputs, constants

    def __call__(self, value):
        if isinstance(value, torch_ops._Input):
            return self.inputs[value.index]
        if isinstance(value, torch_ops._Constant):
            return self.constants[value.index]
        if isinstance(value, torch.dtype):
            return str(value)
        if value is Ellipsis:
            return "..."
        if isinstance(value, slice):
            return f"slice({value.start!r}, {value.stop!r}, {value.step!r})"
        if isinstance(value, tuple):
            items = [self(v) for v in value]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if isinstance(value, list):
            return "[" + ", ".join(self(v) for v in value) + "]"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k!r}: {self(v)}" for k, v in value.items()) + "}"
        if isinstance(value, float) and (value != value or value in (float("inf"),
                                                                     float("-inf"))):
            return f"float({str(value)!r})"
        if value is None or isinstance(value, (bool, int, float, str)):
            return repr(value)
        raise SourceError(f"to_source cannot write the argument {value!r:.100}.")

    def index(self, value):
        """A subscript: slices as `a:b:c`, tuples without parentheses."""
        if isinstance(value, tuple):
            return ", ".join(self.index(v) for v in value) if value else "()"
        if isinstance(value, slice):
            parts = ["" if p is None else self(p) for p in (value.start, value.stop)]
            text = ":".join(parts)
            return text + (f":{self(value.step)}" if value.step is not None else "")
        return self(value)
