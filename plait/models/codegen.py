"""Code generation for functional models.

`compile_forward`: the graph as straight-line Python, generated once through `torch.fx`
(one `call_module` per layer call), so running the model walks no graph. It comes in two
variants: the readable one (`self.dense_1(x)`, what `model.code` shows), and a direct one
(`self.dense_1.forward(x)`) that skips `nn.Module.__call__`'s hook machinery and plait's
`Layer.__call__` dispatch, a few microseconds per layer, which the model runs whenever no
hook is registered (see `Model.forward`). `hooks_registered` tells which variant may run;
`note_failed_layer` names the failing layer when the direct variant raises.

The graph as Keras-style JSON config and back is `plait.models.config`.
"""

import linecache
import operator
import re

import torch.fx
from torch.nn.modules import module as torch_module

from plait.graph.tensor import SymbolicTensor
from plait.layers.layer import _add_layer_note as add_layer_note
from plait.layers.layer import accepts_training, hook_epoch, user_reads_training
from plait.utils import nest

__all__ = ["compile_forward", "hooks_registered", "note_failed_layer"]

_generated = 0


def compile_forward(model):
    """`(forward, direct_forward, source)` for `model._graph`. Both functions take
    `(self, *inputs, training=None)` and return the model's outputs in their structure;
    `direct_forward` calls each layer's `forward` itself (valid only while no hook is
    registered on the model's layers or globally)."""
    graph = model._graph
    fx_graph = torch.fx.Graph()
    env = {}
    for name, tensor in zip(model.input_names, graph.inputs):
        env[id(tensor)] = fx_graph.placeholder(_identifier(name))
    training = fx_graph.placeholder("training", default_value=None)

    def lookup(value):
        return env[id(value)] if isinstance(value, SymbolicTensor) else value

    for node in graph.nodes:
        if node.is_input:
            continue
        args = nest.map_structure(lookup, node.call_args)
        kwargs = nest.map_structure(lookup, node.call_kwargs)
        if "training" not in kwargs and accepts_training(type(node.layer)):
            kwargs["training"] = training
        # A layer with `emit_fx` (a recorded torch op) may write itself inline: `x + 1`.
        emit = getattr(node.layer, "emit_fx", None)
        result = emit(fx_graph, *args) if emit is not None and not kwargs else None
        if result is None:
            result = fx_graph.call_module(model.layer_key(node.layer), tuple(args), kwargs)
        for tensor, path in zip(node.outputs, node.output_paths()):
            value = result
            for key in path:
                value = fx_graph.call_function(operator.getitem, (value, key))
            env[id(tensor)] = value
    fx_graph.output(nest.map_structure(lookup, model._outputs_struct))
    python_code = fx_graph.python_code(root_module="self")
    source = "\n".join(line.rstrip() for line in python_code.src.strip().splitlines()) + "\n"
    # A user's layer whose call reads `training` goes through `Layer.__call__`, which gives
    # it the resolved mode as Keras does (True in fit, False in predict), never None.
    resolving = {
        model.layer_key(node.layer)
        for node in graph.nodes
        if not node.is_input and user_reads_training(type(node.layer))
    }
    direct_source = _DIRECT_CALL.sub(
        lambda m: m[0] if m[2] in resolving else f"{m[1]} = self.{m[2]}.forward(", source
    )
    forward = _exec_code(source, python_code.globals, f"<plait forward of {model.name}")
    direct = _exec_code(
        direct_source, python_code.globals, f"<plait direct forward of {model.name}"
    )
    return forward, direct, source


# A layer call in fx's generated code: `dense_1 = self.dense_1(flatten_1)`.
_DIRECT_CALL = re.compile(r"^(\s*\w+) = self\.([A-Za-z_]\w*)\(", re.MULTILINE)
# The direct variant's layer call, parsed back when a layer fails (`note_failed_layer`).
_DIRECT_LINE = re.compile(r"^\s*\w+ = self\.([A-Za-z_]\w*)\.forward\((.*)\);?")


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
    if (
        torch_module._global_forward_hooks
        or torch_module._global_forward_pre_hooks
        or torch_module._global_backward_hooks
        or torch_module._global_backward_pre_hooks
    ):
        return True
    seen = (hook_epoch(), len(model._modules))
    if model._hooks_seen != seen:
        model._hooked = any(
            m._forward_hooks or m._forward_pre_hooks or m._backward_hooks or m._backward_pre_hooks
            for m in model._modules.values()
        )
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
