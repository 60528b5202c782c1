"""The optimizer's state in Keras's files, so training continues where it stopped on either
side: plait continues a Keras model's `fit` and Keras continues plait's.

Keras 3 keeps an optimizer's variables in one list: `iterations`, the learning rate (when it
is a float, not a schedule), then each slot per trainable variable in the model's order
(`model.trainable_variables`: layer by layer), the slots of one variable side by side
(Adam: `m_0, v_0, m_1, v_1, ...`), each in Keras's layout (a Dense kernel `(in, out)`).
`.keras` files store it as `optimizer/vars/0`, `1`, ... in `model.weights.h5`; Keras 3's
legacy `.h5` files as the datasets of group `optimizer_weights` named by its `weight_names`
attribute. plait's optimizer keeps the same variables per torch parameter, in torch layout,
in the order its `build` saw them; this module maps one order and layout onto the other.

    model.fit(x, y); model.save("m.keras")          # keras.saving.load_model(...).fit continues
    model = plait.models.load_model("m.keras")       # Keras wrote it after fit
    model.fit(x, y)                                  # continues Keras's training
"""

import warnings

import numpy as np
import torch

from plait.saving.keras import hdf5, layout
from plait.utils import sharding

__all__ = ["keras_variables", "load_variables", "write_keras3", "read_keras3"]

_GROUP = "optimizer/vars"


def _optimizer(model):
    """The model's plait optimizer when its state has Keras's layout, else None."""
    state = getattr(model, "_compile_state", None)
    opt = getattr(state, "optimizer", None)
    if opt is None or not hasattr(opt, "_slots") or not hasattr(opt, "_full_layout"):
        return None
    if hasattr(opt, "inner_optimizer"):  # LossScaleOptimizer: Keras nests its state
        return None
    return opt


class _Plan:
    """How the optimizer's variables line up with Keras's: `head` (iterations and the
    learning rate), the slot entries `(slot name, parameter index)` in plait's order and in
    Keras's, and each parameter's weight spec (its layout)."""

    def __init__(self, model, opt):
        self.head = 2 if isinstance(opt._learning_rate, float) else 1
        slots, _ = layout.keras3_slots(model)
        trainable = [
            s for s in slots if isinstance(s.tensor, torch.nn.Parameter) and s.tensor.requires_grad
        ]
        order = [opt._index.get(id(s.tensor)) for s in trainable]
        self.ok = sorted(i for i in order if i is not None) == list(range(len(opt._params)))
        self.ok = self.ok and None not in order
        self.specs = {i: s.spec for i, s in zip(order, trainable)}
        self.names = {i: f"{s.layer.name}_{s.keras_name}" for i, s in zip(order, trainable)}
        self.plait = _entries(opt, range(len(opt._params)))
        self.keras = _entries(opt, order) if self.ok else []
        self.where = {entry: k for k, entry in enumerate(self.plait)}


def _entries(opt, order):
    out = []
    for group in opt._full_layout():
        names = [name for name, _ in group]
        for i in order:
            out.extend((name, i) for name in names if opt._slots[name][i] is not None)
    return out


def keras_variables(model):
    """`[(keras path, numpy array)]`: the optimizer's variables in Keras 3's order and
    layout, or None when the model has no plait optimizer whose state Keras can hold."""
    opt = _optimizer(model)
    if opt is None:
        return None
    if not opt.built:
        values = [torch.tensor(opt._iterations, dtype=torch.int64)]
        if isinstance(opt._learning_rate, float):
            values.append(torch.tensor(opt._learning_rate, dtype=torch.float32))
        return [
            (f"{opt.name}/{n}", v.numpy()) for n, v in zip(("iteration", "learning_rate"), values)
        ]
    plan = _Plan(model, opt)
    if not plan.ok:
        return None
    variables = opt.variables
    head, tail = plan.head, plan.head + len(plan.plait)
    out = [(f"{opt.name}/iteration", np.asarray(int(opt._iterations), dtype="int64"))]
    if head == 2:
        out.append((f"{opt.name}/learning_rate", np.asarray(opt._learning_rate, dtype="float32")))
    for name, i in plan.keras:
        value = variables[head + plan.where[(name, i)]]
        value = plan.specs[i].to_keras(sharding.gathered(value.detach()))
        out.append((f"{opt.name}/{plan.names[i]}_{name}", np.array(value.cpu().numpy(), order="C")))
    for k, value in enumerate(variables[tail:]):
        out.append((f"{opt.name}/extra_{k}", torch.as_tensor(value).detach().cpu().numpy()))
    return out


def load_variables(model, values, label):
    """Set the model's optimizer from `values`, Keras 3's list of optimizer variables
    (arrays, or HDF5 datasets: each is read only after its declared shape was checked).

    A list of another length (another optimizer, a Keras 2 file, an optimizer saved before
    it was built) warns and leaves the optimizer as it is, as Keras does.

    Raises:
        ValueError: a variable's shape does not fit the model's weight it belongs to.
    """
    opt = _optimizer(model)
    if opt is None:
        return
    if not opt.built:
        opt.build([p for p in model.parameters() if p.requires_grad])
    plan = _Plan(model, opt)
    expected = len(opt.variables)
    if len(values) == plan.head and plan.ok:
        # saved before its first step (unbuilt): the step count and learning rate are all
        # of its state; the slots start at their initial values either way
        _set_head(opt, values, label)
        return
    if not plan.ok or len(values) != expected:
        warnings.warn(
            f"Skipping variable loading for optimizer '{opt.name}' from {label}, because it "
            f"has {expected} variables whereas the saved optimizer has {len(values)} "
            "variables. Training continues with a fresh optimizer state.",
            stacklevel=3,
        )
        return
    head, tail = plan.head, plan.head + len(plan.plait)
    variables = opt.variables
    shapes = [()] * head
    shapes += [
        tuple(plan.specs[i].to_keras(variables[head + plan.where[(n, i)]]).shape)
        for n, i in plan.keras
    ]
    shapes += [tuple(torch.as_tensor(v).shape) for v in variables[tail:]]
    arrays = []
    for k, (value, shape) in enumerate(zip(values, shapes)):
        where = f"{label}: optimizer variable {k}"
        if hdf5.is_dataset(value):
            arrays.append(hdf5.read_dataset(value, shape, where))
        elif tuple(np.shape(value)) != shape:
            raise ValueError(f"{where} has shape {np.shape(value)}; the model expects {shape}.")
        else:
            arrays.append(np.asarray(value))
    ordered = list(arrays[:head]) + [None] * len(plan.plait) + list(arrays[tail:])
    for k, (name, i) in enumerate(plan.keras):
        value = torch.as_tensor(arrays[head + k])
        ordered[head + plan.where[(name, i)]] = plan.specs[i].from_keras(value)
    opt.set_weights(ordered)


def _set_head(opt, values, label):
    arrays = [
        hdf5.read_dataset(v, (), f"{label}: optimizer variable {k}")
        if hdf5.is_dataset(v)
        else np.asarray(v)
        for k, v in enumerate(values)
    ]
    if any(np.shape(a) != () for a in arrays):
        raise ValueError(f"{label}: the optimizer's step count and learning rate must be scalars.")
    opt.iterations.assign(int(arrays[0]))
    if len(arrays) == 2:
        opt.learning_rate = float(arrays[1])


def write_keras3(model, handle):
    """Write the optimizer's variables as `optimizer/vars/N` into the open HDF5 `handle`
    of a `.keras` file (nothing when the model has no plait optimizer)."""
    values = keras_variables(model)
    if values is None:
        return
    group = handle.require_group(_GROUP)
    group.attrs["name"] = _optimizer(model).name
    for index, (_, value) in enumerate(values):
        group.create_dataset(str(index), data=value)


def read_keras3(model, handle, label):
    """Load `optimizer/vars/N` of a `.keras` file's weights into the model's optimizer."""
    group = hdf5.child(handle, _GROUP)
    if not hdf5.is_group(group) or _optimizer(model) is None:
        return
    count = len(group.keys())
    values = []
    for index in range(count):
        node = hdf5.child(group, str(index))
        if not hdf5.is_dataset(node):
            raise ValueError(f"{label} is damaged: '{_GROUP}/{index}' is missing.")
        values.append(node)
    load_variables(model, values, label)


def write_legacy(model, handle):
    """Write Keras 3's `optimizer_weights` group of a legacy `.h5` model file."""
    values = keras_variables(model)
    if not values:
        return
    group = handle.create_group("optimizer_weights")
    group.attrs["weight_names"] = np.array([name.encode("utf8") for name, _ in values])
    for name, value in values:
        group.create_dataset(name, data=value)


def read_legacy(model, handle, label):
    """Load the `optimizer_weights` group of a legacy `.h5` model file, when Keras 3 wrote
    it (a Keras 2 file keeps its optimizer's variables in another order: it warns)."""
    group = hdf5.child(handle, "optimizer_weights")
    if not hdf5.is_group(group) or _optimizer(model) is None:
        return
    names = hdf5.attr_strings(group, "weight_names", f"{label}: 'optimizer_weights'")
    if len(names) == 1 and names[0].rsplit("/", 1)[-1] in ("iteration:0", "iter:0"):
        # a Keras 2 optimizer that was never built: only its step count
        node = hdf5.child(group, names[0])
        if hdf5.is_dataset(node):
            _optimizer(model).iterations.assign(int(hdf5.read_dataset(node, (), label)))
        return
    if any(name.endswith(":0") for name in names):
        warnings.warn(
            f"{label} holds a Keras 2 optimizer's state, which Keras 3's optimizers (and "
            "plait's) cannot continue from: training continues with a fresh optimizer state.",
            stacklevel=3,
        )
        return
    values = []
    for name in names:
        node = hdf5.child(group, name)
        if not hdf5.is_dataset(node):
            raise ValueError(f"{label} is damaged: optimizer weight '{name}' is missing.")
        values.append(node)
    load_variables(model, values, label)
