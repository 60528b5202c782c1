"""The `.plait` file: a whole model in one zip, safe to load and written atomically.

Members:
    metadata.json          {"format": "plait", "format_version": 1, "plait_version",
                            "torch_version", "date_saved"}
    config.json            {"class_name", "config": the model's get_config tree,
                            "compile_config": compile()'s arguments, or null}
    model.safetensors      every weight by its state_dict name (`dense_1.weight`)
    optimizer.safetensors  when compiled: the optimizer's tensors; its structure is the
                           JSON in the file's `__metadata__["state"]`

Loading reads JSON and safetensors only: nothing is unpickled, no module named in the file
is imported, and only registered classes (or `custom_objects`) are built. A `Lambda`
layer runs Python code from the file, so it loads only with `safe_mode=False`. Every damaged
or foreign file raises a `ValueError` that names the file and what is wrong.
"""

import contextlib
import datetime
import json
import keyword
import os
import warnings
import zipfile

import torch

from plait import config as config_module
from plait import losses, metrics, optimizers, serialization  # noqa: F401 (registers

# the loss and metric classes that compile configs name)
from plait.saving import keras as keras_files
from plait.saving import safetensors_io, weights
from plait.saving.archive import FORMAT_VERSION, Archive, open_archive  # noqa: F401
from plait.saving.archive import plait_version as _plait_version
from plait.utils import atomic

__all__ = ["build_from_config", "load_model", "model_from_json", "save_model", "to_json"]

SUFFIX = ".plait"
# Classes whose config holds code: loading them runs it.
_CODE_CLASSES = {"Lambda"}
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # members get a fixed date: same model, same bytes


# ---------------------------------------------------------------------------- saving


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Save `model` (architecture, weights and, when compiled, its compile settings and
    optimizer state) to a `.plait` file, atomically.

    Args:
        model: a built plait Model or Sequential.
        filepath: str or os.PathLike ending in `.plait`.
        overwrite: replace an existing file (default True); False raises if it exists.
        include_optimizer: also save compile() settings and the optimizer's state when the
            model is compiled (default True).

    Keras's file kinds (a path ending in `.keras`, `.h5` or `.hdf5`) are written in Keras's
    format instead (`plait.saving.keras`).

    Raises:
        ValueError: another extension, an unbuilt model, or (with `overwrite=False`) a file
            already there.

    Example:
        >>> import os, tempfile
        >>> from plait import Model
        >>> from plait.layers import Dense, Input
        >>> from plait.models import load_model, save_model
        >>> x = Input(shape=(2,))
        >>> model = Model(x, Dense(1)(x))
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     save_model(model, os.path.join(folder, "tiny.plait"))
        ...     sorted(os.listdir(folder))
        ['tiny.plait']
    """
    filepath = os.fspath(filepath)
    if keras_files.kind(filepath) is not None:
        return keras_files.save_model(model, filepath, overwrite, include_optimizer)
    if not filepath.endswith(SUFFIX):
        raise ValueError(
            "Invalid filepath extension for saving: plait saves whole models as '.plait' "
            "files (use save_weights for a '.safetensors' weights file). "
            f"Received: filepath={filepath!r}"
        )
    weights.check_built(model, "save")
    config = {
        "class_name": serialization.registered_name(model),
        "config": model.get_config(),
        "compile_config": None,
    }
    optimizer_tensors, optimizer_meta = {}, None
    if include_optimizer and getattr(model, "_compile_state", None) is not None:
        config["compile_config"], optimizer_tensors, optimizer_meta = _compile_parts(model)
    config_text = json.dumps(config, indent=1)
    metadata_text = json.dumps(_metadata(), indent=1)
    tensors = weights.gathered_weights(model)
    with atomic.atomic_write(filepath, overwrite=overwrite) as f:
        with zipfile.ZipFile(f, "w") as archive:
            _write_text(archive, "metadata.json", metadata_text)
            _write_text(archive, "config.json", config_text)
            _write_tensors(archive, "model.safetensors", tensors, {"format": "pt"})
            if optimizer_meta is not None:
                _write_tensors(
                    archive,
                    "optimizer.safetensors",
                    optimizer_tensors,
                    {"state": json.dumps(optimizer_meta)},
                )


def _metadata():
    return {
        "format": "plait",
        "format_version": FORMAT_VERSION,
        "plait_version": _plait_version(),
        "torch_version": torch.__version__,
        "date_saved": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def _write_text(archive, name, text):
    info = zipfile.ZipInfo(name, _FIXED_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text.encode("utf-8"))


def _write_tensors(archive, name, tensors, metadata):
    info = zipfile.ZipInfo(name, _FIXED_DATE)
    info.compress_type = zipfile.ZIP_STORED  # weights barely compress; stored streams fast
    info.file_size = safetensors_io.total_size(tensors, metadata)  # picks zip64 when large
    with archive.open(info, "w") as member:
        safetensors_io.write(member, tensors, metadata)


def to_json(model, **kwargs):
    """The model's architecture as a JSON string (`model_from_json` reads it back)."""
    return json.dumps(
        {
            "class_name": serialization.registered_name(model),
            "config": model.get_config(),
            "plait_version": _plait_version(),
        },
        **kwargs,
    )


# ----------------------------------------------------------------------- compile state


def _compile_parts(model):
    """(compile_config, optimizer tensors, optimizer structure) of a compiled model; the
    optimizer parts are ({}, None) when its state cannot be written as JSON + tensors."""
    state = model._compile_state
    compile_config = {
        "optimizer": _serialize_spec(state.optimizer),
        "loss": _serialize_spec(state.loss),
        "metrics": _serialize_spec(state.metrics),
        "loss_weights": _serialize_spec(state.loss_weights),
        "weighted_metrics": _serialize_spec(state.weighted_metrics),
        "run_eagerly": state.run_eagerly,
        "jit_compile": state.jit_compile,
        "steps_per_execution": state.steps_per_execution,
    }
    tensors = {}
    try:
        structure = _encode(state.optimizer.state_dict(), tensors, "optimizer")
    except TypeError as err:
        warnings.warn(f"The optimizer's state was not saved: {err}", stacklevel=3)
        return compile_config, {}, None
    return compile_config, tensors, structure


def _serialize_spec(value):
    """compile()'s arguments as JSON: names stay names, objects become class configs,
    plain functions their names."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_serialize_spec(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _serialize_spec(v) for k, v in value.items()}
    if hasattr(value, "get_config"):
        try:
            return serialization.serialize(value)
        except (TypeError, ValueError, NotImplementedError) as err:
            return _unserializable(value, err)
    if callable(value) and hasattr(value, "__name__"):
        # loads from the built-in names, the registry ("Custom>my_loss") or custom_objects
        return serialization.function_name(value)
    return _unserializable(value, None)


def _unserializable(value, err):
    reason = f": {err}" if err else ""
    warnings.warn(
        f"compile() argument {value!r:.100} cannot be saved{reason}. The loaded "
        "model will need compile() again.",
        stacklevel=4,
    )
    return {"class_name": "__unserializable__", "config": {"repr": repr(value)[:200]}}


def _encode(value, tensors, path):
    """A nested state as JSON; its tensors go into `tensors` under '/'-joined paths."""
    if isinstance(value, torch.Tensor):
        tensors[path] = value.detach()
        return {"__tensor__": path}
    if isinstance(value, dict):
        return {
            "__dict__": [
                [k, _encode(v, tensors, f"{path}/{k}")] for k, v in value.items() if _check_key(k)
            ]
        }
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, tensors, f"{path}/{i}") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, tensors, f"{path}/{i}") for i, v in enumerate(value)]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # numpy scalars
        return value.item()
    raise TypeError(f"cannot store a {type(value).__name__} ({value!r:.100}) at '{path}'")


def _check_key(key):
    if not isinstance(key, (str, int)) or isinstance(key, bool):
        raise TypeError(f"cannot store the dict key {key!r}")
    return True


def _decode(value, tensors):
    if isinstance(value, list):
        return [_decode(v, tensors) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tensor__" in value:
        return tensors[value["__tensor__"]]
    if "__tuple__" in value:
        return tuple(_decode(v, tensors) for v in value["__tuple__"])
    if "__dict__" in value:
        return {k: _decode(v, tensors) for k, v in value["__dict__"]}
    raise ValueError(f"unexpected entry {value!r:.100} in the optimizer state")


def _deserialize_compile_config(config, custom_objects):
    def names(value):
        if isinstance(value, str) and custom_objects and value in custom_objects:
            return custom_objects[value]
        if isinstance(value, str) and ">" in value:  # a registered function
            return serialization.get_function(value, custom_objects) or value
        if isinstance(value, list):
            return [names(v) for v in value]
        if isinstance(value, dict) and "class_name" in value:
            if value["class_name"] == "__unserializable__":
                raise ValueError(f"compile() argument {value['config'].get('repr')} was not saved")
            return serialization.deserialize(value, custom_objects, kind="compile argument")
        if isinstance(value, dict):
            return {k: names(v) for k, v in value.items()}
        return value

    args = {key: config.get(key) for key in ("loss", "metrics", "loss_weights", "weighted_metrics")}
    args = {key: names(value) for key, value in args.items()}
    args["optimizer"] = optimizers.deserialize(config["optimizer"], custom_objects)
    for key in ("run_eagerly", "jit_compile", "steps_per_execution"):
        if key in config:
            args[key] = config[key]
    return args


def _restore_compile(model, archive, config, custom_objects):
    """compile() the loaded model as it was and restore its optimizer's state. A compile
    config this plait cannot rebuild (e.g. a custom loss not passed in custom_objects)
    leaves the model uncompiled, with a warning, as Keras does."""
    try:
        args = _deserialize_compile_config(config, custom_objects)
        model.compile(**args)
    except (
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        RuntimeError,
        RecursionError,
    ) as err:
        if isinstance(err, KeyError):
            err = f"missing {err}"
        warnings.warn(
            f"{archive.label} was saved compiled, but its compile() settings cannot be "
            f"restored ({err}). The model is loaded uncompiled: call compile() again, or "
            "pass the missing objects in custom_objects.",
            stacklevel=4,
        )
        return
    if not archive.has("optimizer.safetensors"):
        return
    with archive.open_member("optimizer.safetensors") as (stream, size):
        tensors, meta = safetensors_io.load(
            stream, size, archive.member_label("optimizer.safetensors")
        )
    try:
        structure = json.loads(meta["state"])
        state = _decode(structure, tensors)
        model._compile_state.optimizer.load_state_dict(state)
    except (KeyError, TypeError, ValueError, IndexError, RecursionError) as err:
        raise ValueError(
            f"{archive.label} is damaged: its optimizer state does not load into the "
            f"model's optimizer ({type(err).__name__}: {err}). Load with compile=False to "
            "skip it."
        ) from None


# ---------------------------------------------------------------------------- loading


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved with `model.save` (or `save_model`).

    Args:
        filepath: str or os.PathLike of a `.plait` file.
        custom_objects: a dict name -> class or function for your own layers, losses, ...
            that are not registered with `@register_serializable`. Default None.
        compile: compile the model as it was saved and restore the optimizer's state, so
            `fit` continues where it stopped. Default True.
        safe_mode: refuse configs that would run code from the file (Lambda layers).
            Default True; pass False only for files you trust. Inside
            `plait.saving.safe_mode_scope(False)` it is False whatever is passed.

    Returns:
        The model, with the saved weights.

    Raises:
        ValueError: the file is missing, not a `.plait` file, damaged, from a newer plait,
            names a class that is neither registered nor in `custom_objects`, or holds
            weights that do not fit its config.

    Example:
        >>> import os, tempfile
        >>> from plait import Model
        >>> from plait.layers import Dense, Input
        >>> from plait.models import load_model
        >>> x = Input(shape=(2,))
        >>> model = Model(x, Dense(1, name="out")(x))
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     model.save(os.path.join(folder, "tiny.plait"))
        ...     restored = load_model(os.path.join(folder, "tiny.plait"))
        >>> restored.get_layer("out").units
        1
        >>> all((a == b).all() for a, b in zip(model.get_weights(), restored.get_weights()))
        True
    """
    if keras_files.kind(filepath) is not None:  # .keras, .h5, .hdf5: Keras's own files
        return keras_files.load_model(
            filepath, custom_objects, compile, safe_mode, build=build_from_config
        )
    with open_archive(filepath) as archive:
        config = archive.read_json("config.json")
        if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
            raise ValueError(f"{archive.label} is damaged: its config.json holds no model config.")
        tree = {"class_name": config.get("class_name"), "config": config["config"]}
        _check_weights_fit(archive, tree, custom_objects, safe_mode)
        model = build_from_config(tree, custom_objects, safe_mode, archive.label)
        with archive.open_member("model.safetensors") as (stream, size):
            weights.load_from_stream(
                model,
                stream,
                size,
                archive.member_label("model.safetensors"),
                context=" built from its config",
                advice="The file's config and weights disagree: it is damaged or was edited.",
            )
        compile_config = config.get("compile_config")
        if compile and isinstance(compile_config, dict):
            _restore_compile(model, archive, compile_config, custom_objects)
    return model


def _check_weights_fit(archive, tree, custom_objects, safe_mode):
    """Build the model on the meta device (shapes only, no memory) and check that its
    weights are exactly those of the file, before building it for real: a damaged or
    hostile config cannot make the loader allocate more than the file holds."""
    label = archive.member_label("model.safetensors")
    with archive.open_member("model.safetensors") as (stream, size):
        entries, _ = safetensors_io.read_header(stream, size, label)
    previous = config_module._device  # not device(): that would pin the automatic choice
    config_module.set_device("meta")
    try:
        skeleton = build_from_config(tree, custom_objects, safe_mode, archive.label)
    except ValueError:
        return  # the real build below reports it (or, for code that cannot run on meta
        # tensors, succeeds: then the weights are checked as they load)
    finally:
        config_module._device = previous
    targets, aliases = weights.named_weights(skeleton)
    _, problems = weights.match(entries, targets, aliases)
    if problems:
        shown = weights.format_problems(problems)
        raise ValueError(
            f"The weights in {label} do not match model '{skeleton.name}' built from its "
            f"config:\n  {shown}\nThe file's config and weights disagree: it is damaged or "
            "was edited."
        )


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """A new model (fresh weights) from `model.to_json()`'s output.

    Args:
        json_string: the JSON text `model.to_json()` returned.
        custom_objects: a dict name -> class or function for your own layers, losses, ...
            that are not registered with `@register_serializable`. Default None.
        safe_mode: refuse configs that would run code (Lambda layers). Default True.

    Returns:
        The model, built, with freshly initialized weights.

    Raises:
        ValueError: the text is not JSON of a model config, or names a class that is
            neither registered nor in `custom_objects`.

    Example:
        >>> from plait import Model
        >>> from plait.layers import Dense, Input
        >>> from plait.models import model_from_json
        >>> x = Input(shape=(2,))
        >>> model = Model(x, Dense(3, name="out")(x))
        >>> model_from_json(model.to_json()).get_layer("out").units
        3
    """
    try:
        config = json.loads(json_string)
    except (TypeError, ValueError, RecursionError) as err:
        raise ValueError(
            f"model_from_json needs the JSON text of model.to_json(); it could "
            f"not be parsed: {err}. Received: {str(json_string)[:100]!r}"
        ) from None
    if not isinstance(config, dict):
        raise ValueError(
            "model_from_json needs the JSON object of model.to_json(). "
            f"Received: {str(json_string)[:100]!r}"
        )
    return build_from_config(config, custom_objects, safe_mode, "the JSON config")


def build_from_config(config, custom_objects=None, safe_mode=True, label="the config"):
    """Build the model a `{"class_name", "config"}` tree describes, refusing code in safe
    mode (safe_mode=False, or a `safe_mode_scope(False)` around the call, allows it); every
    failure is a ValueError naming `label`."""
    safe_mode = bool(safe_mode) and serialization.in_safe_mode()
    _check_config(config, label, safe_mode)
    try:
        with serialization.safe_mode_scope(safe_mode), _rng_untouched():
            model = serialization.deserialize(config, custom_objects, kind="model")
    except (
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        RecursionError,
        RuntimeError,
        OverflowError,
        NotImplementedError,
    ) as err:
        message = str(err) if isinstance(err, ValueError) else f"{type(err).__name__}: {err}"
        raise ValueError(f"Cannot build the model of {label}: {message}") from err
    if not isinstance(model, torch.nn.Module) or not hasattr(model, "get_config"):
        raise ValueError(f"{label} does not describe a model: it builds a {type(model).__name__}.")
    return model


def _check_config(config, label, safe_mode):
    """Walk the tree (iteratively: a hostile file may nest deeply) and refuse what would run
    code: in safe mode, a class whose config is Python code; always, a call argument name
    that is not a Python identifier (the generated forward would spell it out)."""
    stack = [config]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            name = value.get("class_name")
            name = name if isinstance(name, str) else None
            cls = serialization.get_registered_object(name) if name else None
            if safe_mode and (
                name in _CODE_CLASSES or getattr(cls, "unsafe_deserialization", False)
            ):
                layer = value.get("config", {})
                layer = layer.get("name") if isinstance(layer, dict) else None
                raise ValueError(
                    f"{label} holds a {name} layer ('{layer}'), whose config is Python code "
                    "that loading would run. This is refused by default (safe_mode=True), "
                    "because a file can carry arbitrary code. If you trust the file, pass "
                    "safe_mode=False (or load inside plait.saving.safe_mode_scope(False))."
                )
            _check_call_arguments(value, label)
            _check_name(value.get("name"), label)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _check_name(name, label):
    """Layer names never reach generated code (layers are called by their model-local
    keys), so any name a layer may have is fine: Keras's rule, no '/'."""
    if isinstance(name, str) and "/" in name:
        raise ValueError(
            f"{label} is damaged or hostile: it names a layer {name[:100]!r}, with a '/', "
            "which plait never writes."
        )


def _check_call_arguments(entry, label):
    nodes = entry.get("inbound_nodes")
    for node in nodes if isinstance(nodes, list) else []:
        kwargs = node.get("kwargs") if isinstance(node, dict) else None
        for key in kwargs if isinstance(kwargs, dict) else []:
            if not key.isidentifier() or keyword.iskeyword(key):
                raise ValueError(
                    f"{label} is damaged or hostile: layer '{str(entry.get('name'))[:100]}' is "
                    f"called with an argument named {key[:100]!r}, which is not a Python "
                    "identifier."
                )


@contextlib.contextmanager
def _rng_untouched():
    """Building initializes weights that the file then overwrites; keep the global random
    state as it was, so a load does not shift the shuffling of a later fit."""
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    with torch.random.fork_rng(devices=devices):
        yield
