"""Weights in Keras's HDF5 layouts: Keras 3 (`.weights.h5`, and the `model.weights.h5`
inside a `.keras` file) and Keras 2 (legacy `.h5`, also the `model_weights` group of a
legacy whole-model file). See `layout` for where each weight lives.

Loading checks every weight the model needs (present, right shape, numeric) before it
changes any: a file that does not fit raises ValueError and leaves the model as it was,
unless `skip_mismatch=True`, which loads what fits and warns about the rest.
"""

import warnings

import numpy as np
import torch

from plait.saving.keras import hdf5, layout
from plait.utils import sharding

__all__ = ["write_keras3", "read_keras3", "write_legacy", "read_legacy"]

KERAS_VERSION = "3.15.1"  # the Keras file version plait writes (read by Keras's loaders)


# ----------------------------------------------------------------------- Keras 3


def write_keras3(model, handle):
    """Write `model`'s weights into the open HDF5 `handle` in Keras 3's layout."""
    slots, groups = layout.keras3_slots(model)
    for path, name in groups:
        group = handle.require_group(path)
        group.attrs["name"] = name
    for slot in slots:
        value = slot.spec.to_keras(sharding.gathered(slot.tensor.detach())).cpu().numpy()
        handle.create_dataset(slot.path, data=np.array(value, order="C"))


def read_keras3(model, handle, label, skip_mismatch=False, check_only=False):
    """Load the Keras 3 layout weights in the open HDF5 `handle` into `model`.

    `check_only=True` checks the declared shapes and reads nothing (for a model built on
    the meta device, before the real one is built).

    Raises:
        ValueError: a weight is missing, has another shape, or the file holds weights the
            model has no place for (unless `skip_mismatch`); the file is damaged.
    """
    slots, _ = layout.keras3_slots(model)
    plan, problems, used = [], [], set()
    index = _datasets(handle)
    for slot in slots:
        node = index.get(slot.path) if index is not None else hdf5.child(handle, slot.path)
        where = f"'{slot.path}' ({slot.layer.name}/{slot.keras_name})"
        if not hdf5.is_dataset(node):
            problems.append(f"{where} is missing from the file")
            continue
        used.add(slot.path)
        shape = tuple(node.shape) if node.shape is not None else None
        if shape != slot.keras_shape:
            problems.append(
                f"{where} has shape {shape} in the file but {slot.keras_shape} in the model"
            )
            continue
        plan.append((slot, node))
    problems += [
        f"'{path}' is in the file but not in the model"
        for path in (index if index is not None else _dataset_paths(handle))
        if path not in used
    ]
    _report(model, label, problems, skip_mismatch)
    if check_only:
        return
    values = [
        (slot, hdf5.read_dataset(node, slot.keras_shape, f"{label}: '{slot.path}'"))
        for slot, node in plan
    ]
    _assign((slot.tensor, slot.spec, value) for slot, value in values)


def _datasets(handle):
    """{path: dataset} of the weight datasets of a Keras 3 file (the optimizer's state
    aside), found in one walk of the file (looking paths up one by one is many times
    slower); None when the file's tree is damaged (then each path is looked up)."""
    found = {}

    def visit(name, node):
        if hdf5.is_dataset(node) and not name.startswith("optimizer/"):
            found[name] = node

    try:
        handle.visititems(visit)
    except (OSError, ValueError, RuntimeError, KeyError):
        return None
    return found


def _dataset_paths(handle):
    """Paths of the weight datasets in a Keras 3 file (the optimizer's state aside)."""
    paths = []

    def visit(name, node):
        if hdf5.is_dataset(node) and not name.startswith("optimizer/"):
            paths.append(name)

    try:
        handle.visititems(visit)
    except (OSError, ValueError, RuntimeError):
        pass  # a damaged tree: the datasets the model needs are checked one by one
    return paths


# ----------------------------------------------------------------------- Keras 2


def write_legacy(model, group):
    """Write `model`'s weights into the HDF5 `group` in Keras 2's layout."""
    entries = layout.legacy_layers(model)
    group.attrs["layer_names"] = np.array([layer.name.encode("utf8") for layer, _ in entries])
    group.attrs["backend"] = b"torch"
    group.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
    for layer, weights in entries:
        sub = group.create_group(layer.name)
        sub.attrs["weight_names"] = np.array([name.encode("utf8") for name, _, _ in weights])
        for name, tensor, spec in weights:
            value = spec.to_keras(sharding.gathered(tensor.detach())).cpu().numpy()
            sub.create_dataset(name, data=np.array(value, order="C"))


def read_legacy(model, group, label, by_name=False, skip_mismatch=False, check_only=False):
    """Load Keras 2 layout weights (`layer_names`/`weight_names`) from the HDF5 `group`.

    Layers are matched by their order among the layers that have weights, or by name with
    `by_name=True` (then layers absent from the file keep their weights).
    """
    if "layer_names" not in group.attrs and hdf5.is_group(hdf5.child(group, "model_weights")):
        group = group["model_weights"]
    file_layers = []
    for name in hdf5.attr_strings(group, "layer_names", label):
        sub = hdf5.child(group, name)
        if not hdf5.is_group(sub):
            raise ValueError(
                f"{label} is damaged: it lists layer '{name}' but holds no group for it."
            )
        names = hdf5.attr_strings(sub, "weight_names", f"{label}: layer '{name}'")
        file_layers.append((name, sub, names))
    model_layers = [(layer, w) for layer, w in layout.legacy_layers(model) if w]
    problems, plan = [], []
    if by_name:
        found = {name: (sub, names) for name, sub, names in file_layers}
        pairs = [(layer, w, found.get(layer.name)) for layer, w in model_layers]
        pairs = [(layer, w, f) for layer, w, f in pairs if f is not None]
    else:
        with_weights = [(sub, names) for _, sub, names in file_layers if names]
        if len(with_weights) != len(model_layers):
            problems.append(
                f"the file has {len(with_weights)} layers with weights "
                f"({[n for n, _, w in file_layers if w]}) but the model has "
                f"{len(model_layers)} ({[layer.name for layer, _ in model_layers]})"
            )
        pairs = [(layer, w, f) for (layer, w), f in zip(model_layers, with_weights)]
    for layer, weights, (sub, names) in pairs:
        if len(names) != len(weights):
            problems.append(
                f"layer '{layer.name}' has {len(weights)} weights in the model "
                f"but {len(names)} in the file"
            )
            continue
        layer_plan = []
        for (_keras_name, tensor, spec), name in zip(weights, names):
            node = hdf5.child(sub, name)
            expected = tuple(spec.to_keras(tensor).shape)
            shape = tuple(node.shape) if hdf5.is_dataset(node) else None
            if shape != expected:
                problems.append(
                    f"weight '{name}' of layer '{layer.name}' has shape {shape} "
                    f"in the file but {expected} in the model"
                )
                break
            layer_plan.append((tensor, spec, node, f"{label}: '{sub.name}/{name}'", expected))
        else:
            plan.extend(layer_plan)
    _report(model, label, problems, skip_mismatch)
    if check_only:
        return
    values = [
        (tensor, spec, hdf5.read_dataset(node, shape, where))
        for tensor, spec, node, where, shape in plan
    ]
    _assign(values)


# ----------------------------------------------------------------------- shared


def _report(model, label, problems, skip_mismatch):
    if not problems:
        return
    shown = "\n  ".join(problems[:20])
    if len(problems) > 20:
        shown += f"\n  ... and {len(problems) - 20} more"
    name = getattr(model, "name", type(model).__name__)
    if not skip_mismatch:
        raise ValueError(
            f"The weights in {label} do not match model '{name}':\n  {shown}\nLoad them into "
            "the architecture that saved them, or pass skip_mismatch=True to load the weights "
            "that match and skip the others."
        )
    warnings.warn(
        f"Skipped weights of {label} that do not match model '{name}':\n  {shown}", stacklevel=4
    )


def _assign(values):
    with torch.no_grad():
        for tensor, spec, value in values:
            src = torch.as_tensor(np.asarray(value), dtype=tensor.dtype)
            sharding.assign(tensor, spec.from_keras(src.to(tensor.device)))
