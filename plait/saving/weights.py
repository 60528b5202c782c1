"""A model's weights as a safetensors file, by stable, readable names.

The names are the model's `state_dict` keys (`dense_1.weight`, `lstm_1.weight_hh`,
`model_1.conv2d_1.bias`): PyTorch's layout, the layer's name first, so a weights file loads
into the same architecture by name, into a plain `nn.Module` with `load_state_dict`, and
into the module `to_source` writes. A tensor reachable under several names (a layer shared
by a nested model and its parent) is stored once, under its first name.

    model.save_weights("w.safetensors")
    model.load_weights("w.safetensors", skip_mismatch=False)
"""

import os
import warnings

import torch

from plait.saving import archive as archive_lib, safetensors_io
from plait.saving import keras as keras_files
from plait.utils import atomic, sharding

__all__ = [
    "check_built",
    "format_problems",
    "load_from_stream",
    "load_state_dict_file",
    "load_weights",
    "match",
    "named_weights",
    "save_weights",
]

WEIGHTS_SUFFIX = ".safetensors"


def named_weights(model):
    """`(names, aliases)`: a dict stable name -> tensor, one entry per distinct tensor in
    `model.state_dict()`, and a dict of every other name -> the stable name it aliases."""
    names, aliases, first = {}, {}, {}
    for key, tensor in model.state_dict(keep_vars=True).items():
        if tensor is None:
            continue
        seen = first.get(id(tensor))
        if seen is None:
            first[id(tensor)] = key
            names[key] = tensor
        else:
            aliases[key] = seen
    return names, aliases


def gathered_weights(model):
    """`named_weights(model)[0]` with every sharded (FSDP2) tensor gathered whole: a
    collective, so every process of a sharded model must save alike."""
    names, _ = named_weights(model)
    return {key: sharding.gathered(tensor.detach()) for key, tensor in names.items()}


def check_built(model, action):
    ensure = getattr(model, "_ensure_compiled", None)
    if ensure is not None:
        ensure()  # a Sequential that knows its input shape builds its graph on first use
    if not getattr(model, "built", True):
        raise ValueError(
            f"Model '{getattr(model, 'name', type(model).__name__)}' is not built yet, so it "
            f"has no weights to {action}. Build it first: call it on data, call "
            "model.build(input_shape), or give its first layer an input_shape."
        )


def save_weights(model, filepath, overwrite=True):
    """Write every weight of `model` to `filepath` (must end in `.safetensors`), atomically.

    Args:
        model: a built plait model (or any `nn.Module`).
        filepath: str or os.PathLike ending in `.safetensors` (or Keras's `.weights.h5`,
            or a legacy `.h5`, written in Keras's format).
        overwrite: replace an existing file (default True); False raises if it exists.

    Raises:
        ValueError: a path with another extension, a model not built yet, or a file
            already there with `overwrite=False`.

    Example:
        >>> import pathlib, tempfile
        >>> from plait import Sequential
        >>> from plait.layers import Dense, Input
        >>> from plait.saving import save_weights
        >>> model = Sequential([Input(shape=(2,)), Dense(1)])
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     save_weights(model, pathlib.Path(folder) / "tiny.safetensors")
        ...     [p.name for p in pathlib.Path(folder).iterdir()]
        ['tiny.safetensors']
    """
    filepath = os.fspath(filepath)
    if keras_files.kind(filepath) in ("weights", "legacy"):
        return keras_files.save_weights(model, filepath, overwrite=overwrite)
    if not filepath.endswith(WEIGHTS_SUFFIX):
        raise ValueError(
            "The filepath for save_weights must end in '.safetensors' (plait writes weights "
            f"in the safetensors format). Received: filepath={filepath!r}"
        )
    check_built(model, "save")
    tensors = gathered_weights(model)
    with atomic.atomic_write(filepath, overwrite=overwrite) as f:
        safetensors_io.write(f, tensors, {"format": "pt", "producer": "plait"})


def load_weights(model, filepath, skip_mismatch=False, by_name=False):
    """Load weights saved by `save_weights` (or `save`: a `.plait` file) into `model`.

    Weights are matched by name. Without `skip_mismatch`, a name missing on either side or
    a shape that differs raises ValueError before any weight changes; with it, the weights
    that match load and the others are skipped with a warning. Keras's files
    (`.weights.h5`, `.keras`, legacy `.h5` with `by_name`) go to
    `plait.saving.keras.load_weights`.

    Args:
        model: a built plait model (or any `nn.Module`).
        filepath: str or os.PathLike of a `.safetensors`, `.plait` or Keras file.
        skip_mismatch: skip (with a warning) the weights whose name or shape does not
            match, instead of raising. Default False.
        by_name: for legacy Keras `.h5` files: match layers by name. Default False.

    Raises:
        ValueError: no such file, a damaged file, or (without `skip_mismatch`) weights
            that do not match the model's.

    Example:
        >>> import os, tempfile
        >>> from plait import Model
        >>> from plait.layers import Dense, Input
        >>> from plait.saving import load_weights, save_weights
        >>> x = Input(shape=(2,))
        >>> first, second = Model(x, Dense(1)(x)), Model(x, Dense(1)(x))
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     save_weights(first, os.path.join(folder, "w.safetensors"))
        ...     load_weights(second, os.path.join(folder, "w.safetensors"))
        >>> all((a == b).all() for a, b in zip(first.get_weights(), second.get_weights()))
        True
    """
    filepath = os.fspath(filepath)
    if keras_files.kind(filepath) is not None:
        return keras_files.load_weights(model, filepath, skip_mismatch, by_name)
    if by_name:
        raise ValueError(
            "by_name=True applies to legacy Keras '.h5' weight files; plait's "
            f"files always load by name. Received: filepath={filepath!r}"
        )
    check_built(model, "load")
    if filepath.endswith(".plait"):
        with archive_lib.open_archive(filepath) as archive:
            with archive.open_member("model.safetensors") as (stream, size):
                load_from_stream(
                    model, stream, size, f"'{filepath}'", skip_mismatch=skip_mismatch, staged=True
                )
        return
    if not os.path.isfile(filepath):
        raise ValueError(f"No weights file at '{filepath}'. Received: filepath={filepath!r}")
    with open(filepath, "rb") as f:
        load_from_stream(
            model,
            f,
            os.path.getsize(filepath),
            f"'{filepath}'",
            skip_mismatch=skip_mismatch,
            staged=True,
        )


def load_from_stream(
    model, stream, size, source, skip_mismatch=False, context="", staged=False, advice=None
):
    """Load the safetensors data in `stream` (`size` bytes) into `model` by name.

    `staged=True` reads every tensor before changing any weight, so a file found damaged
    half way leaves the model as it was (costs a copy of the weights in memory); without
    it each tensor is copied in as it is read (for a model being built, which nobody
    holds yet)."""
    entries, _ = safetensors_io.read_header(stream, size, source)
    targets, aliases = named_weights(model)
    plan, problems = match(entries, targets, aliases)
    if problems:
        label = getattr(model, "name", type(model).__name__)
        shown = format_problems(problems)
        if not skip_mismatch:
            advice = advice or (
                "Load into the same architecture, or pass "
                "skip_mismatch=True to load the weights that match and skip "
                "the others."
            )
            raise ValueError(
                f"The weights in {source} do not match model '{label}'{context}:"
                f"\n  {shown}\n{advice}"
            )
        warnings.warn(
            f"Skipped weights of {source} that do not match model '{label}':\n  {shown}",
            stacklevel=3,
        )
    pairs = safetensors_io.read_tensors(stream, entries, source)
    if staged:
        pairs = list(pairs)
    with torch.no_grad():
        for entry, tensor in pairs:
            target = plan.get(entry.name)
            if target is not None:
                sharding.assign(target, tensor)


def format_problems(problems, limit=20):
    more = f"\n  ... and {len(problems) - limit} more" if len(problems) > limit else ""
    return "\n  ".join(problems[:limit]) + more


# The only dtype conversions a load makes: float to a wider float, which loses nothing.
_LOSSLESS = {
    (torch.float16, torch.float32),
    (torch.bfloat16, torch.float32),
    (torch.float16, torch.float64),
    (torch.bfloat16, torch.float64),
    (torch.float32, torch.float64),
}


def dtype_problem(name, found, expected):
    """A line of text when a tensor of dtype `found` cannot load into one of `expected`
    without changing its values; None when it can (the same dtype, or a lossless widening
    of floats such as float16 into float32)."""
    if found == expected or (found, expected) in _LOSSLESS:
        return None
    return (
        f"'{name}' has dtype {str(found).removeprefix('torch.')} in the file but the "
        f"model expects {str(expected).removeprefix('torch.')}"
    )


def match(entries, targets, aliases):
    """`(plan, problems)`: file name -> model tensor for the weights that load, and a line of
    text for each name missing on a side, or whose shape differs, or whose dtype would not
    convert losslessly."""
    plan, problems, found = {}, [], set()
    for entry in entries:
        name = aliases.get(entry.name, entry.name)
        target = targets.get(name)
        if target is None or name in found:
            problems.append(f"'{entry.name}' is in the file but not in the model")
            continue
        found.add(name)
        if tuple(target.shape) != entry.shape:
            problems.append(
                f"'{entry.name}' has shape {entry.shape} in the file but "
                f"{tuple(target.shape)} in the model"
            )
            continue
        problem = dtype_problem(entry.name, entry.dtype, target.dtype)
        if problem is not None:
            problems.append(problem)
            continue
        plan[entry.name] = target
    problems += [
        f"'{name}' is in the model but not in the file" for name in targets if name not in found
    ]
    return plan, problems


def load_state_dict_file(filepath):
    """A safetensors file as a dict name -> CPU tensor (no pickle, no model needed)."""
    filepath = os.fspath(filepath)
    with open(filepath, "rb") as f:
        tensors, _ = safetensors_io.load(f, os.path.getsize(filepath), f"'{filepath}'")
    return tensors
