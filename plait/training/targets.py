"""What the loop knows of a module's outputs and targets: binding the compiled losses and
metrics to the outputs (learned once, from the module's attributes or one small forward),
checking that targets exist and that sparse labels are in range, `class_weight` as
per-sample weights, and the warning for a validation split of sorted labels.
"""

import numbers
import warnings

import numpy as np
import torch

from plait import losses
from plait.training.compile import known_output_shapes
from plait.training.modes import mode

__all__ = [
    "ClassWeights",
    "adopt_outputs",
    "bind",
    "check_sparse_labels",
    "check_targets",
    "warn_single_class",
]


def adopt_outputs(state, spec):
    """A plain module's outputs, learned once, are kept in the compiled state."""
    if spec.output_names is None and state.resolved:
        spec.output_names = state.output_names
        spec.output_structure = state.plain_output_structure


def bind(state, spec, xs):
    """Know the module's outputs (names, shapes) and bind the losses and metrics to them."""
    if state.resolved and spec.output_names is not None:
        return
    shapes = _safe_output_shapes(spec.module)
    if spec.output_names is None or shapes is None:
        with torch.no_grad(), mode(spec.module, training=False):
            outputs = spec.call([x[:2] for x in xs])
        spec.learn_outputs(outputs)
        shapes = [(None,) + tuple(t.shape[1:]) for t in spec.flatten_outputs(outputs)]
    state.resolve(spec.output_names, shapes)
    state.plain_output_structure = spec.output_structure


def _safe_output_shapes(module):
    try:
        return known_output_shapes(module)
    except (AttributeError, ValueError):
        return None


def check_targets(state, ys, argument):
    for name, loss, target in zip(state.output_names, state.output_losses, ys):
        if loss is not None and target is None:
            raise ValueError(
                f"Output '{name}' has a loss, but `{argument}` gives no target for it. Pass "
                f"its targets (one per output, or a dict keyed by output name {state.output_names}),"
                f" or compile without a loss for it. Received: {argument} without '{name}'"
            )


def check_sparse_labels(state, ys, host_only=False):
    """Sparse labels out of range fail deep inside the loss (on CUDA: a device assert);
    check the full label arrays once, before training, or each batch of a loader or
    generator as it comes (`host_only`: labels already on a GPU are not read, that would
    wait for the device)."""
    shapes = state.output_shapes or [None] * len(ys)
    for loss, target, shape in zip(state.output_losses, ys, shapes):
        if target is None or not isinstance(loss, losses.SparseCategoricalCrossentropy):
            continue
        if host_only and isinstance(target, torch.Tensor) and target.device.type != "cpu":
            continue
        if not isinstance(target, torch.Tensor):
            target = np.asarray(target)
            if target.dtype.kind not in "biuf":
                continue  # not numbers: converting the batch says so
        axis = getattr(loss, "axis", -1)
        if shape and len(shape) > 0 and shape[axis] is not None:
            losses.check_sparse_labels(
                target, shape[axis], ignore_class=getattr(loss, "ignore_class", None)
            )


class ClassWeights:
    """`class_weight` as per-sample weights: a table lookup on the device, no host sync."""

    def __init__(self, class_weight, state, spec):
        self.class_weight = class_weight
        self.state = state
        self.spec = spec
        self.tables = None

    def bind(self):
        names = self.state.output_names
        per_output = self._per_output(self.class_weight, names)
        shapes = self.state.output_shapes or [None] * len(names)
        self.tables = []
        for mapping, shape in zip(per_output, shapes):
            if not mapping:
                self.tables.append(None)
                continue
            size = max(max(mapping) + 1, 2)
            if shape and shape[-1] is not None:
                size = max(size, shape[-1])
            table = [float(mapping.get(c, 1.0)) for c in range(size)]
            self.tables.append(
                torch.tensor(table, dtype=self.spec.float_dtype, device=self.spec.device)
            )

    @staticmethod
    def _per_output(class_weight, names):
        if isinstance(class_weight, (list, tuple)):
            if len(class_weight) != len(names):
                raise ValueError(
                    f"`class_weight` is a list of {len(class_weight)} dicts, but the model has "
                    f"{len(names)} outputs {names}. Give one dict (or None) per output, or a "
                    f"dict keyed by output name. Received: class_weight={class_weight!r}"
                )
            mappings = list(class_weight)
        elif not isinstance(class_weight, dict):
            raise TypeError(
                "`class_weight` must be a dict {class_index: weight} (for several outputs: a "
                f"dict keyed by output name of such dicts). Received: class_weight={class_weight!r}"
            )
        elif class_weight and all(isinstance(k, str) for k in class_weight):
            unknown = [k for k in class_weight if k not in names]
            if unknown:
                raise ValueError(
                    f"`class_weight` names {unknown}, which are not outputs of the model. The "
                    f"model's outputs are {names}. Received: class_weight={class_weight!r}"
                )
            mappings = [class_weight.get(name) for name in names]
        elif len(names) == 1:
            mappings = [class_weight]
        else:
            raise ValueError(
                f"The model has {len(names)} outputs {names}: give `class_weight` as a dict "
                "keyed by output name (or a list), each value a {class_index: weight} dict. "
                f"Received: class_weight={class_weight!r}"
            )
        for mapping in mappings:
            if mapping is None:
                continue
            for key in mapping:
                if isinstance(key, bool) or not isinstance(key, (numbers.Integral,)) or key < 0:
                    raise ValueError(
                        "The keys of `class_weight` must be class indices (integers >= 0). "
                        f"Received: class_weight={class_weight!r}"
                    )
        return mappings

    def __call__(self, ys, sws):
        if self.tables is None:
            self.bind()
        out = list(sws)
        for i, table in enumerate(self.tables):
            if table is None or ys[i] is None:
                continue
            y = ys[i]
            if y.dim() > 1:
                y = y.argmax(-1) if y.shape[-1] != 1 else y.squeeze(-1)
            classes = (y.round() if y.is_floating_point() else y).long()
            weights = table[classes.clamp(0, table.shape[0] - 1)]
            out[i] = weights if out[i] is None else out[i] * weights
        return out


def warn_single_class(spec, y_train, y_val, validation_split):
    """A validation split of sorted data holds one class: say so, it is a classic trap."""
    try:
        trains, vals = spec.flatten_y(y_train), spec.flatten_y(y_val)
    except (ValueError, TypeError):
        return
    for name, train, val in zip(spec.output_names, trains, vals):
        train_classes, val_classes = _classes(train), _classes(val)
        if train_classes is None or val_classes is None:
            continue
        if len(val_classes) == 1 and len(set(train_classes) | set(val_classes)) > 1:
            label = f" of output '{name}'" if len(spec.output_names) > 1 else ""
            warnings.warn(
                f"validation_split={validation_split} takes the last "
                f"{validation_split:.0%} of the samples before shuffling, and its labels{label} "
                f"hold a single class ({val_classes[0]}): the data looks sorted by label. "
                "Shuffle the arrays before fit (e.g. with one permutation of x and y), or pass "
                "validation_data=.",
                UserWarning,
                stacklevel=3,
            )


def _classes(y):
    """The distinct class labels in `y`, or None when `y` does not look like labels."""
    if y is None:
        return None
    array = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    if array.size == 0:
        return None
    if array.ndim > 1 and array.shape[-1] > 1:
        if array.dtype.kind != "f" or not np.isin(array, (0, 1)).all():
            return None
        array = array.argmax(-1)
    elif array.dtype.kind == "f" and not np.isin(array, (0, 1)).all():
        return None
    elif array.dtype.kind not in "fiub":
        return None
    return np.unique(array).tolist()
