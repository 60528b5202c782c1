"""Code generation for functional models.

`compile_forward`: the graph as straight-line Python, generated once through `torch.fx`
(one `call_module` per layer call), so running the model walks no graph. It comes in two
variants: the readable one (`self.dense_1(x)`, what `model.code` shows), and a direct one
(`self.dense_1.forward(x)`) that skips `nn.Module.__call__`'s hook machinery and plait's
`Layer.__call__` dispatch, a few microseconds per layer, which the model runs whenever no
hook is registered (see `Model.forward`); it also runs a chain of channels-last
convolutions and poolings on one channels-first view, without the two permutes between
each pair. `hooks_registered` tells which variant may run;
`note_failed_layer` names the failing layer when the direct variant raises.

The graph as Keras-style JSON config and back is `plait.models.config`.
"""

import linecache
import operator
import re

import torch.fx

from plait.graph.tensor import SymbolicTensor
from plait.layers.layer import _add_layer_note as add_layer_note
from plait.layers.layer import (
    accepts_training,
    global_hooks_registered,
    hook_epoch,
    module_hooked,
    user_reads_training,
)
from plait.layers.spatial import channels_first_axes, channels_last_axes
from plait.utils import nest

__all__ = ["compile_forward", "hooks_registered", "note_failed_layer"]

_generated = 0


def compile_forward(model):
    """`(forward, direct_forward, source)` for `model._graph`. Both functions take
    `(self, *inputs, training=None)` and return the model's outputs in their structure;
    `direct_forward` calls each layer's `forward` itself (valid only while no hook is
    registered on the model's layers or globally), and runs chains of channels-last
    convolutions and poolings on channels-first views (`_channels_first_ranks`)."""
    python_code = _trace(model, {}).python_code(root_module="self")
    source = _tidy(python_code.src)
    first = _channels_first_ranks(model)
    direct_code = _trace(model, first).python_code(root_module="self") if first else python_code
    # A user's layer whose call reads `training` goes through `Layer.__call__`, which gives
    # it the resolved mode as Keras does (True in fit, False in predict), never None.
    resolving = {
        model.layer_key(node.layer)
        for node in model._graph.nodes
        if not node.is_input and user_reads_training(type(node.layer))
    }

    def direct_call(match):
        key = match[2]
        if key in resolving:
            return match[0]
        method = "forward_channels_first" if key in first else "forward"
        return f"{match[1]} = self.{key}.{method}("

    direct_source = _DIRECT_CALL.sub(direct_call, _tidy(direct_code.src) if first else source)
    forward = _exec_code(source, python_code.globals, f"<plait forward of {model.name}")
    direct = _exec_code(
        direct_source, direct_code.globals, f"<plait direct forward of {model.name}"
    )
    return forward, direct, source


def _tidy(src):
    return "\n".join(line.rstrip() for line in src.strip().splitlines()) + "\n"


def _channels_first_ranks(model):
    """`{key: spatial rank}` of the layers the direct forward calls on channels-first
    views: those with a `channels_first_rank` (plait's channels-last convolutions and
    poolings), each call on one tensor and nothing else."""
    calls = {}
    for node in model._graph.nodes:
        if node.is_input:
            continue
        key = model.layer_key(node.layer)
        single = (
            len(node.call_args) == 1
            and isinstance(node.call_args[0], SymbolicTensor)
            and not node.call_kwargs
        )
        calls[key] = calls.get(key, True) and single
    ranks = {}
    for key, single in calls.items():
        rank_of = getattr(model._modules[key], "channels_first_rank", None)
        rank = rank_of() if single and rank_of is not None else None
        if rank is not None:
            ranks[key] = rank
    return ranks


def _trace(model, first):
    """The graph as a `torch.fx.Graph`, one `call_module` per layer call; a layer in
    `first` (`{key: spatial rank}`) gets and gives a channels-first view, and a tensor is
    permuted only where a consumer needs the other layout."""
    graph = model._graph
    fx_graph = torch.fx.Graph()
    env, env_first = {}, {}
    for name, tensor in zip(model.input_names, graph.inputs):
        env[id(tensor)] = fx_graph.placeholder(_identifier(name))
    training = fx_graph.placeholder("training", default_value=None)

    def lookup(value):
        if not isinstance(value, SymbolicTensor):
            return value
        if id(value) not in env:
            node, rank = env_first[id(value)]
            env[id(value)] = fx_graph.call_method("permute", (node, *channels_last_axes(rank)))
        return env[id(value)]

    def lookup_first(value, rank):
        if id(value) not in env_first:
            node = fx_graph.call_method("permute", (lookup(value), *channels_first_axes(rank)))
            env_first[id(value)] = (node, rank)
        return env_first[id(value)][0]

    for node in graph.nodes:
        if node.is_input:
            continue
        key = model.layer_key(node.layer)
        if key in first:
            rank = first[key]
            result = fx_graph.call_module(key, (lookup_first(node.call_args[0], rank),))
            env_first[id(node.outputs[0])] = (result, rank)
            continue
        args = nest.map_structure(lookup, node.call_args)
        kwargs = nest.map_structure(lookup, node.call_kwargs)
        if "training" not in kwargs and accepts_training(type(node.layer)):
            kwargs["training"] = training
        # A layer with `emit_fx` (a recorded torch op) may write itself inline: `x + 1`.
        emit = getattr(node.layer, "emit_fx", None)
        result = emit(fx_graph, *args) if emit is not None and not kwargs else None
        if result is None:
            result = fx_graph.call_module(key, tuple(args), kwargs)
        for tensor, path in zip(node.outputs, node.output_paths()):
            value = result
            for step in path:
                value = fx_graph.call_function(operator.getitem, (value, step))
            env[id(tensor)] = value
    fx_graph.output(nest.map_structure(lookup, model._outputs_struct))
    return fx_graph


# A layer call in fx's generated code: `dense_1 = self.dense_1(flatten_1)`.
_DIRECT_CALL = re.compile(r"^(\s*\w+) = self\.([A-Za-z_]\w*)\(", re.MULTILINE)
# The direct variant's layer call, parsed back when a layer fails (`note_failed_layer`).
_DIRECT_LINE = re.compile(r"^\s*\w+ = self\.([A-Za-z_]\w*)\.forward(?:_channels_first)?\((.*)\);?")


def _exec_code(source, globals_, label):
    global _generated
    _generated += 1
    filename = f"{label} #{_generated}>"
    # Registered so tracebacks and debuggers show the generated lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = dict(globals_)
    exec(compile(source, filename, "exec"), namespace)
    return namespace["forward"]


def hooks_registered(model):
    """Whether a forward or backward hook is registered globally or on one of `model`'s
    direct submodules: then only `nn.Module.__call__` runs the layers correctly. The
    submodules are looked at again only after a hook was registered on some layer (or the
    model's modules changed); a removed hook is noticed at the next look."""
    if global_hooks_registered():
        return True
    seen = (hook_epoch(), len(model._modules))
    if model._hooks_seen != seen:
        model._hooked = any(module_hooked(m) for m in model._modules.values())
        model._hooks_seen = seen
    return model._hooked


def note_failed_layer(err, model):
    """Add to `err` which layer of the direct forward failed and on what input, as
    `Layer.__call__` does on the other path."""
    code = model._direct_forward.__code__
    tb = err.__traceback__
    while tb is not None and tb.tb_frame.f_code is not code:
        tb = tb.tb_next
    if tb is None:
        return
    line = linecache.getline(code.co_filename, tb.tb_lineno)
    match = _DIRECT_LINE.match(line)
    layer = model._modules.get(match.group(1)) if match else None
    if layer is None:
        return
    try:
        args = eval(f"(lambda *a, **k: a)({match.group(2)})", {}, dict(tb.tb_frame.f_locals))
    except Exception:  # noqa: BLE001 - the note is a courtesy; the error itself stands
        args = ()
    add_layer_note(err, layer, args)


def _identifier(name):
    ident = re.sub(r"\W", "_", name)
    return ident if ident and not ident[0].isdigit() else "input_" + ident
