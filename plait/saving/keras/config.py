"""Model configs between Keras's JSON and plait's.

Keras 3 writes every object as `{"module", "class_name", "config", "registered_name"}` (plus
`build_config`, and for a model's layers `name` and `inbound_nodes` whose tensors are
`{"class_name": "__keras_tensor__", "config": {"keras_history": [layer, node, index]}}`);
Keras 2 / tf.keras writes `{"class_name", "config"}` with inbound nodes as lists
`[[layer, node, index, kwargs], ...]`. plait's configs are Keras 3's without the module
fields, and a tensor is `{"class_name": "__tensor__", "config": {"history": [...]}}`.

Reading never imports a module a file names: a class is plait's own built-in of that name
(for Keras's own modules) or one registered with `register_serializable` / passed in
`custom_objects`; anything else is a ValueError naming the layer and its class.
"""

import inspect
import weakref
import json

from torch import nn

from plait import serialization
from plait.saving.keras import layout
from plait.utils.dtypes import dtype_name

__all__ = ["to_plait", "to_keras", "accepted_arguments"]

_ANY = object()
# Keras-only arguments plait leaves out when they hold these values (speed or unused
# features: the computation is the same).
_DROPPABLE = {
    "implementation": _ANY,
    "renorm_momentum": _ANY,
    "quantization_config": (None,),
    "groups": (1,),
    "shared_object_id": _ANY,
    "input_length": _ANY,
    "time_major": (False,),
    "ema_momentum": _ANY,
    "ema_overwrite_frequency": (None,),
    "loss_scale_factor": (None,),
    "gradient_accumulation_steps": (None,),
    "use_ema": (False,),
    "synchronized": (False,),
}
# plait-only arguments Keras 3 does not take, left out when they hold these values.
_PLAIT_ONLY = {
    ("Cropping1D", "data_format"): ("channels_last",),
    ("UpSampling1D", "data_format"): ("channels_last",),
    ("BatchNormalization", "synchronized"): (False,),
}
# Keras 2's SeparableConv layers inherit Conv's kernel_* arguments and write them, but use
# only their depthwise_*/pointwise_* ones.
_UNUSED_BY_CLASS = {
    (c, k): _ANY
    for c in ("SeparableConv1D", "SeparableConv2D")
    for k in ("kernel_initializer", "kernel_regularizer", "kernel_constraint")
}
_MODEL_CLASSES = {"Functional": "Model", "Model": "Model", "Sequential": "Sequential"}
_NOT_EXPRESSIBLE = ("TorchModule", "TorchOp")


# ------------------------------------------------------------------- Keras -> plait


def to_plait(entry, label, custom_objects=None):
    """A plait `{"class_name", "config"}` model tree from a Keras model config."""
    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        raise ValueError(
            f"{label} holds no Keras model config (expected a JSON object with "
            "'class_name' and 'config')."
        )
    try:
        return _layer(entry, label, custom_objects)
    except (TypeError, KeyError, IndexError, AttributeError, RecursionError) as err:
        # a value of the wrong kind where the config's structure needs another (found by
        # tests/saving/test_fuzz_keras.py)
        raise ValueError(
            f"{label} is damaged: its model config is malformed ({type(err).__name__}: {err})."
        ) from None


def _layer(entry, label, custom_objects):
    class_name = entry.get("class_name")
    config = entry.get("config")
    if not isinstance(class_name, str) or not isinstance(config, dict):
        raise ValueError(
            f"{label} is damaged: a layer entry has no class_name/config. "
            f"Received: {json.dumps(entry)[:200]}"
        )
    name = config.get("name", entry.get("name"))
    if class_name in _MODEL_CLASSES and isinstance(config.get("layers"), list):
        return _model(class_name, entry, label, custom_objects)
    cls = _resolve(entry, label, custom_objects, name)
    plait_name = serialization.registered_name(cls)
    out = {}
    for key, value in config.items():
        if key == "dtype":
            value = _dtype(value)
        elif _is_layer_entry(value):  # a wrapped layer, an RNN's cell
            value = _layer(value, label, custom_objects)
        elif isinstance(value, list) and value and all(_is_layer_entry(v) for v in value):
            value = [_layer(v, label, custom_objects) for v in value]
        elif key == "function" or key == "output_shape":
            value = _function(value)
        else:
            value = _object(value)
        out[key] = value
    return {"class_name": plait_name, "config": _fit(cls, out, label, name, class_name)}


def _is_layer_entry(value):
    return (
        isinstance(value, dict)
        and isinstance(value.get("config"), dict)
        and "class_name" in value
        and "trainable" in value["config"]
    )


def _model(class_name, entry, label, custom_objects):
    config = entry["config"]
    layers = []
    for sub in config["layers"]:
        if not isinstance(sub, dict):
            raise ValueError(f"{label} is damaged: a layer entry is not an object.")
        out = _layer(sub, label, custom_objects)
        if class_name != "Sequential":
            out["name"] = sub.get("name", out["config"].get("name"))
            out["inbound_nodes"] = [_node(n, label) for n in sub.get("inbound_nodes") or []]
        layers.append(out)
    result = {
        "name": config.get("name"),
        "trainable": config.get("trainable", True),
        "layers": layers,
    }
    if class_name == "Sequential":
        build = entry.get("build_config") or {}
        shape = build.get("input_shape") if isinstance(build, dict) else None
        first = layers[0]["class_name"] if layers else None
        if (
            first != "InputLayer"
            and isinstance(shape, list)
            and (not layers or "batch_input_shape" not in layers[0]["config"])
        ):
            layers.insert(0, {"class_name": "InputLayer", "config": {"batch_shape": shape}})
    else:
        result["input_layers"] = _refs(config.get("input_layers"))
        result["output_layers"] = _refs(config.get("output_layers"))
    return {"class_name": _MODEL_CLASSES[class_name], "config": result}


def _refs(value):
    """Keras writes one input as `[name, 0, 0]` or `[[name, 0, 0]]`; plait's structure of
    refs takes both, and Keras 2's 4-element refs lose their kwargs."""
    if isinstance(value, list) and len(value) in (3, 4) and isinstance(value[0], str):
        return list(value[:3])
    if isinstance(value, dict):
        return {k: _refs(v) for k, v in value.items()}
    return [_refs(v) for v in value] if isinstance(value, list) else value


def _node(node, label):
    """One inbound node, Keras 3's `{"args", "kwargs"}` or Keras 2's list of refs."""
    if isinstance(node, dict):
        kwargs = {k: _tensors(v) for k, v in (node.get("kwargs") or {}).items() if v is not None}
        return {"args": _tensors(node.get("args") or []), "kwargs": kwargs}
    if isinstance(node, list):  # Keras 2: [[layer, node, index, kwargs], ...]
        refs, kwargs = [], {}
        for ref in node:
            if not (isinstance(ref, list) and len(ref) >= 3 and isinstance(ref[0], str)):
                raise ValueError(
                    f"{label} is damaged: an inbound node is malformed. "
                    f"Received: {json.dumps(node)[:200]}"
                )
            refs.append(_tensor(ref[:3]))
            if len(ref) > 3 and isinstance(ref[3], dict):
                kwargs.update({k: _legacy_tensors(v) for k, v in ref[3].items() if v is not None})
        return {"args": [refs[0] if len(refs) == 1 else refs], "kwargs": kwargs}
    raise ValueError(
        f"{label} is damaged: an inbound node is malformed. Received: {json.dumps(node)[:200]}"
    )


def _tensor(history):
    return {"class_name": "__tensor__", "config": {"history": list(history)}}


def _tensors(value):
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return _tensor(value.get("config", {}).get("keras_history", [None, 0, 0]))
        return {k: _tensors(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tensors(v) for v in value]
    return value


def _legacy_tensors(value):
    if (
        isinstance(value, list)
        and len(value) in (3, 4)
        and isinstance(value[0], str)
        and all(isinstance(v, int) for v in value[1:3])
    ):
        return _tensor(value[:3])
    return value


def _resolve(entry, label, custom_objects, name):
    """The plait class for a Keras layer entry; never imports the module it names."""
    class_name, module = entry["class_name"], entry.get("module")
    registered = entry.get("registered_name")
    builtin = module is None or (
        isinstance(module, str) and module.split(".")[0] in ("keras", "tensorflow", "tf_keras")
    )
    candidates = [registered] if isinstance(registered, str) and registered != class_name else []
    if builtin:
        candidates.append(class_name)
    for candidate in candidates:
        cls = serialization.get_registered_object(candidate, custom_objects)
        if isinstance(cls, type):
            return cls
    where = f" from module '{module}'" if module else ""
    raise ValueError(
        f"{label}: layer '{name}' is a {class_name}{where}, which plait does not have. "
        "plait builds only its own built-in layers and classes registered with "
        "@plait.saving.register_serializable() or given in custom_objects; it never imports "
        f"a module a file names. Received: class_name={class_name!r}, "
        f"registered_name={registered!r}"
    )


def _dtype(value):
    if isinstance(value, dict):  # Keras 3's DTypePolicy
        inner = value.get("config")
        return inner.get("name") if isinstance(inner, dict) else None
    return value


def _function(value):
    """An activation/Lambda function entry: Keras 3's `{"class_name": "function",
    "config": "relu"}` becomes the name; a `__lambda__` keeps its bytecode (refused in safe
    mode when the Lambda is built)."""
    if isinstance(value, dict) and value.get("class_name") == "__lambda__":
        inner = dict(value.get("config") or {})
        if isinstance(inner.get("code"), str):
            inner["code"] = "".join(inner["code"].split())
        inner.setdefault("python_version", _python_version())
        inner["defaults"] = inner.get("defaults") or []
        return {"class_name": "__lambda__", "config": inner}
    if isinstance(value, dict) and value.get("class_name") == "function":
        return value.get("config")
    return value


def _python_version():
    import sys

    return "%d.%d" % sys.version_info[:2]


def _object(value):
    """Initializers, regularizers, constraints and activations, Keras's way -> plait's."""
    if isinstance(value, list):
        return [_object(v) for v in value]
    if not isinstance(value, dict) or "class_name" not in value:
        return value
    if value.get("class_name") in ("function", "__lambda__"):
        return _function(value)
    inner = value.get("config")
    if isinstance(inner, dict):
        inner = {k: _object(v) for k, v in inner.items() if v is not None and k not in _DROPPABLE}
    return {"class_name": value["class_name"], "config": inner if inner is not None else {}}


_ACCEPTED: "weakref.WeakKeyDictionary[type, frozenset | None]" = weakref.WeakKeyDictionary()


def accepted_arguments(cls):
    """The keyword arguments `cls(...)` takes, following `**kwargs` up the bases; None when
    it takes any (remembered per class: signatures are slow to read)."""
    try:
        return _ACCEPTED[cls]
    except (KeyError, TypeError):
        pass
    known = _accepted_arguments(cls)
    known = frozenset(known) if known is not None else None
    try:
        _ACCEPTED[cls] = known
    except TypeError:
        pass
    return known


def _accepted_arguments(cls):
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            return None
        names.update(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            return names
    return names


def _fit(cls, config, label, name, class_name):
    """`config` without the Keras-only arguments plait has no use for; one that would change
    the computation raises ValueError naming the layer."""
    if _MODEL_CLASSES.get(class_name) or not isinstance(cls, type):
        return config
    known = accepted_arguments(cls)
    if known is None:
        return config
    out = {}
    for key, value in config.items():
        if (
            key == "axis"
            and class_name == "BatchNormalization"
            and isinstance(value, list)
            and len(value) == 1
        ):
            value = value[0]  # Keras 2 writes BatchNormalization's axis as a list
        if key in known:
            out[key] = value
            continue
        allowed = _UNUSED_BY_CLASS.get((class_name, key)) or _DROPPABLE.get(key, (None, False))
        if allowed is _ANY or value in allowed or value in ([], {}):
            continue
        raise ValueError(
            f"{label}: layer '{name}' ({class_name}) sets {key}={value!r}, which plait's "
            f"{class_name} does not support, so it cannot be loaded faithfully. "
            f"Received: {key}={value!r}"
        )
    return out


# ------------------------------------------------------------------- plait -> Keras


def to_keras(model):
    """Keras 3's config entry for a plait graph model or Sequential (raises ValueError for
    a layer Keras cannot rebuild)."""
    return _keras_entry(model, serialization.serialize(model))


def _keras_entry(layer, entry, inbound=None):
    class_name = entry["class_name"]
    name = entry["config"].get("name")
    if class_name in _NOT_EXPRESSIBLE:
        raise ValueError(
            f"Layer '{name}' is a plait {class_name}, which wraps PyTorch code that Keras "
            "cannot rebuild, so it cannot be written to a Keras file. Save the model as "
            "'.plait' instead (or its weights alone with save_weights('x.weights.h5'))."
        )
    if layer is not None and layout.is_model(layer):
        return _keras_model(layer, entry)
    config = {}
    for key, value in entry["config"].items():
        if _PLAIT_ONLY.get((class_name, key), ()) and value in _PLAIT_ONLY[(class_name, key)]:
            continue
        if _is_layer_entry(value):  # a wrapped layer, an RNN's cell
            sub = getattr(
                layer,
                "forward_layer" if key == "layer" and hasattr(layer, "forward_layer") else key,
                None,
            )
            value = _keras_entry(sub if isinstance(sub, nn.Module) else None, value)
        elif isinstance(value, list) and value and all(_is_layer_entry(v) for v in value):
            value = [_keras_entry(None, v) for v in value]
        config[key] = value
    registered = class_name if ">" in class_name else None
    # no build_config: Keras builds a model's layers by calling them as the graph is
    # rebuilt, and wrappers build the layers they wrap
    return {
        "module": None if registered else "keras.layers",
        "class_name": class_name.rpartition(">")[2],
        "config": config,
        "registered_name": registered,
    }


def _keras_model(model, entry):
    config = dict(entry["config"])
    sublayers = {sub.name: sub for sub in model.layers}
    produced = _produced(model)
    layers = []
    for sub_entry in config["layers"]:
        sub = sublayers.get(sub_entry["config"].get("name"))
        out = _keras_entry(
            sub, {"class_name": sub_entry["class_name"], "config": sub_entry["config"]}
        )
        if "inbound_nodes" in sub_entry:
            out["name"] = sub_entry["name"]
            out["inbound_nodes"] = [
                {
                    "args": _keras_tensors(n["args"], produced),
                    "kwargs": _keras_tensors(n["kwargs"], produced),
                }
                for n in sub_entry["inbound_nodes"]
            ]
        layers.append(out)
    config["layers"] = layers
    if layout.is_functional(model):
        return {
            "module": "keras.src.models.functional",
            "class_name": "Functional",
            "config": config,
            "registered_name": "Functional",
            "build_config": {"input_shape": None},
        }
    return {
        "module": "keras",
        "class_name": "Sequential",
        "config": config,
        "registered_name": None,
        "build_config": {"input_shape": _input_shape(model)},
    }


def _produced(model):
    """(layer name, node index) -> that node's output tensors, numbered as in the config."""
    from plait.utils import nest

    graph = getattr(model, "_graph", None)
    produced = {}
    if graph is None or not layout.is_functional(model):
        return produced
    for layer in graph.layers:
        for i, node in enumerate(graph.layer_nodes(layer)):
            produced[(layer.name, i)] = nest.flatten(node.outputs)
    return produced


def _keras_tensors(value, produced):
    if isinstance(value, dict):
        if value.get("class_name") == "__tensor__":
            name, node_index, index = value["config"]["history"]
            tensor = produced[(name, node_index)][index]
            return {
                "class_name": "__keras_tensor__",
                "config": {
                    "shape": list(tensor.shape),
                    "dtype": dtype_name(tensor.dtype),
                    "keras_history": [name, node_index, index],
                },
            }
        return {k: _keras_tensors(v, produced) for k, v in value.items()}
    if isinstance(value, list):
        return [_keras_tensors(v, produced) for v in value]
    return value


def _input_shape(layer):
    nodes = getattr(layer, "_inbound_nodes", None) or []
    for node in nodes:
        shapes = [list(t.shape) for t in _flat_inputs(node)]
        if shapes:
            return shapes[0] if len(shapes) == 1 else shapes
    return None


def _flat_inputs(node):
    from plait.graph.tensor import SymbolicTensor
    from plait.utils import nest

    args = getattr(node, "call_args", ())
    return [t for t in nest.flatten(list(args)) if isinstance(t, SymbolicTensor)]
