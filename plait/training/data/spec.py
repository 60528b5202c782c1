"""How the training loop calls a module and reads its outputs: `ModelSpec`, read once per call.

Inside the loop everything is flat: `xs`, `ys` and `sws` are lists with one tensor (or None)
per model input / output, in the model's order. `ModelSpec` knows how to build the forward
call from `xs` and how to flatten what forward returns.
"""

import difflib
import itertools

import numpy as np
import torch
import torch.nn.modules.module as torch_module

from plait.utils.string_array import StringArray

__all__ = ["ModelSpec", "module_device", "module_float_dtype", "is_list_of_scalars"]


def _hooked(module):
    return bool(
        module._forward_hooks
        or module._forward_pre_hooks
        or torch_module._global_forward_hooks
        or torch_module._global_forward_pre_hooks
    )


def module_device(module):
    """The device of the module's first parameter or buffer (CPU when it has none)."""
    for tensor in itertools.chain(module.parameters(), module.buffers()):
        return tensor.device
    return torch.device("cpu")


def module_float_dtype(module):
    """The dtype floating data is cast to: the module's first floating parameter's dtype."""
    for tensor in itertools.chain(module.parameters(), module.buffers()):
        if tensor.is_floating_point():
            return tensor.dtype
    return torch.get_default_dtype()


def _format_shape(shape):
    return (
        "("
        + ", ".join("None" if d is None else str(d) for d in shape)
        + ("," if len(shape) == 1 else "")
        + ")"
    )


def _did_you_mean(name, known):
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1)
    return f" Did you mean '{close[0]}'?" if close else ""


class ModelSpec:
    """What the training loop needs to know about a module, read once per call.

    A plait Model says how it wants its inputs through the optional attributes
    `input_names`, `output_names`, `_input_structure`, `_output_structure`
    ("single" | "list" | "dict") and `_input_shapes` (tuples with None). A plain
    `nn.Module` has none of them; it is called `module(x)` for one tensor, `module(*x)` for
    a list or tuple and `module(**x)` for a dict, and its output names are learned from what
    forward returns (`output_1`, `output_2`, ... or the keys of a returned dict).
    """

    def __init__(self, module):
        self.module = module
        self.input_names = _names_or_none(getattr(module, "input_names", None))
        self.input_structure = getattr(module, "_input_structure", None)
        self.output_names = _names_or_none(getattr(module, "output_names", None))
        self.output_structure = getattr(module, "_output_structure", None)
        self.input_shapes = getattr(module, "_input_shapes", None)
        self.input_dtypes = getattr(module, "_input_dtypes", None)
        self.device = module_device(module)
        self.float_dtype = module_float_dtype(module)
        # How a plain module is called, learned from the data: "single", "args" or "kwargs".
        self.call_kind = None
        self.call_keys = None
        self.keras_call = bool(getattr(module, "_keras_call_convention", False))

    @property
    def structured(self):
        return self.input_structure is not None

    # -- inputs --------------------------------------------------------------------------

    def flatten_x(self, x, argument="x"):
        """`x` as a list with one entry per model input, checked against the model's inputs."""
        if self.structured:
            return self._flatten_structured_x(x, argument)
        return self._flatten_plain_x(x)

    def _flatten_structured_x(self, x, argument):
        names = self.input_names or [f"input_{i + 1}" for i in range(self._num_inputs())]
        if isinstance(x, dict):
            unknown = [k for k in x if k not in names]
            if unknown:
                raise ValueError(
                    f"`{argument}` has keys that name no input of the model: {unknown}."
                    f"{_did_you_mean(unknown[0], names)} The model's inputs are {names}. "
                    f"Received: {argument} with keys {list(x)}"
                )
            missing = [n for n in names if n not in x]
            if missing:
                raise ValueError(
                    f"`{argument}` gives no data for the model input(s) {missing}. The model's "
                    f"inputs are {names}; pass a dict with all of them. "
                    f"Received: {argument} with keys {list(x)}"
                )
            return [x[n] for n in names]
        if isinstance(x, (list, tuple)) and not is_list_of_scalars(x):
            if len(x) != len(names):
                raise ValueError(
                    f"The model expects {len(names)} input(s) {names}, but `{argument}` is a "
                    f"{type(x).__name__} of {len(x)} arrays. Pass one array per input, in this "
                    f"order, or a dict keyed by input name. Received: {argument} with "
                    f"{len(x)} entries"
                )
            return list(x)
        if len(names) != 1:
            raise ValueError(
                f"The model expects {len(names)} inputs {names}, but `{argument}` is a single "
                f"array. Pass a list with one array per input, or a dict keyed by input name. "
                f"Received: {argument} of type {type(x).__name__}"
            )
        return [x]

    def _num_inputs(self):
        if self.input_shapes is not None:
            return len(self.input_shapes)
        return 1 if self.input_structure == "single" else 0

    def _flatten_plain_x(self, x):
        if isinstance(x, dict):
            kind, keys, flat = "kwargs", list(x), list(x.values())
        elif isinstance(x, (list, tuple)) and not is_list_of_scalars(x):
            kind, keys, flat = "args", None, list(x)
        else:
            kind, keys, flat = "single", None, [x]
        if self.call_kind is None:
            self.call_kind, self.call_keys = kind, keys
        return flat

    def call(self, xs):
        """Run the module on the flat inputs `xs`."""
        args, kwargs = self.call_args(xs)
        return self.module(*args, **kwargs)

    def predict_call(self, xs):
        """`call` for predict: a plait graph model's own forward, without `nn.Module.__call__`
        (3-4 µs a batch, a tenth of a small model's) while nothing hooks the model itself;
        the forward itself honours its layers' hooks."""
        module = self.module
        if getattr(module, "_forward_code", None) is None or _hooked(module):
            return self.call(xs)
        args, kwargs = self.call_args(xs)
        return module.forward(*args, **kwargs)

    def call_args(self, xs):
        """(args, kwargs) for the forward call on the flat inputs `xs`."""
        structure = self.input_structure
        if structure == "single":
            return (xs[0],), {}
        if structure == "list":
            return (list(xs),), {}
        if structure == "dict":
            return (dict(zip(self.input_names, xs)),), {}
        if self.call_kind == "kwargs":
            if self.keras_call:  # a subclassed plait model takes the dict as one argument
                return (dict(zip(self.call_keys, xs)),), {}
            return (), dict(zip(self.call_keys, xs))
        if self.call_kind == "args":
            return ((list(xs),), {}) if self.keras_call else (tuple(xs), {})
        return (xs[0],), {}

    def input_label(self, index):
        if self.input_names:
            return f"'{self.input_names[index]}'"
        if self.call_kind == "kwargs":
            return f"'{self.call_keys[index]}'"
        return str(index)

    def check_input_shapes(self, xs, argument="x"):
        """Compare the data's shapes with `module._input_shapes`; raise naming the input."""
        if self.input_shapes is None:
            return
        for i, (data, expected) in enumerate(zip(xs, self.input_shapes)):
            if data is None or expected is None:
                continue
            shape = tuple(data.shape)
            if len(shape) == len(expected) and all(
                e is None or e == s for s, e in zip(shape[1:], expected[1:])
            ):
                continue
            raise ValueError(
                f"Input {self.input_label(i)} of the model expects data of shape "
                f"{_format_shape(expected)}, but `{argument}` gives shape "
                f"{_format_shape(shape)}. Reshape the data to match the model's input "
                f"(the first dimension is the batch). Received: {argument} with shape "
                f"{_format_shape(shape)}"
            )

    def expand_1d(self, xs):
        """Give 1-D data a trailing axis where the model expects `(None, 1)`."""
        if self.input_shapes is None:
            return xs
        out = []
        for data, expected in zip(xs, self.input_shapes):
            if (
                data is not None
                and expected is not None
                and data.dim() == 1
                and len(expected) == 2
                and expected[-1] == 1
            ):
                data = data.unsqueeze(-1)
            out.append(data)
        return out

    def cast_to_input_dtypes(self, xs):
        """Integer or boolean data for a floating input becomes floating, as Keras converts
        data to its Input's dtype (an Embedding after a float Input casts back itself)."""
        if self.input_dtypes is None:
            return xs
        out = []
        for i, (data, expected) in enumerate(zip(xs, self.input_dtypes)):
            if isinstance(data, StringArray) and expected != "string":
                raise TypeError(
                    f"Input {self.input_label(i)} of the model takes numbers "
                    f"({expected}); it was given strings. Text goes to an "
                    "Input(dtype='string') followed by a string layer (TextVectorization, "
                    f"StringLookup, Hashing). Received: {data!r:.120}"
                )
            if (
                data is not None
                and isinstance(expected, torch.dtype)
                and expected.is_floating_point
                and not data.is_floating_point()
                and not data.is_complex()
            ):
                data = data.to(dtype=self.float_dtype)
            out.append(data)
        return out

    # -- outputs -------------------------------------------------------------------------

    def flatten_outputs(self, outputs):
        """What forward returned, as a list in output order."""
        structure = self.output_structure
        if structure == "single":
            return [outputs]
        if structure == "list":
            return list(outputs)
        if structure == "dict":
            return [outputs[n] for n in self.output_names]
        if isinstance(outputs, dict):
            return list(outputs.values())
        if isinstance(outputs, (list, tuple)):
            return list(outputs)
        return [outputs]

    def learn_outputs(self, outputs):
        """For a plain module: take the output names and structure from a forward result."""
        if self.output_structure is not None and self.output_names is not None:
            return
        if isinstance(outputs, dict):
            self.output_structure, names = "dict", [str(k) for k in outputs]
        elif isinstance(outputs, (list, tuple)):
            self.output_structure = "list"
            names = [f"output_{i + 1}" for i in range(len(outputs))]
        else:
            self.output_structure, names = "single", ["output_1"]
        if self.output_names is None:
            self.output_names = names

    def pack_outputs(self, flat):
        """Predictions in the model's output structure: one array, a list or a dict."""
        structure = self.output_structure
        if structure == "dict":
            return dict(zip(self.output_names, flat))
        if structure == "list":
            return list(flat)
        return flat[0]

    # -- targets and weights -------------------------------------------------------------

    def flatten_y(self, y, argument="y"):
        """`y` as a list with one entry (or None) per model output."""
        names = self.output_names
        n = len(names)
        if y is None:
            return [None] * n
        if isinstance(y, dict):
            unknown = [k for k in y if k not in names]
            if unknown:
                raise ValueError(
                    f"`{argument}` has keys that name no output of the model: {unknown}."
                    f"{_did_you_mean(unknown[0], names)} The model's outputs are {names}. "
                    f"Received: {argument} with keys {list(y)}"
                )
            return [y.get(name) for name in names]
        if isinstance(y, (list, tuple)) and not is_list_of_scalars(y):
            if len(y) != n:
                if n == 1:
                    return [y]
                raise ValueError(
                    f"The model has {n} outputs {names}, but `{argument}` is a "
                    f"{type(y).__name__} of {len(y)} entries. Pass one entry per output, in "
                    f"this order, or a dict keyed by output name. Received: {argument} with "
                    f"{len(y)} entries"
                )
            return list(y)
        if n != 1:
            raise ValueError(
                f"The model has {n} outputs {names}, but `{argument}` is a single array. "
                f"Pass a list with one entry per output, or a dict keyed by output name. "
                f"Received: {argument} of type {type(y).__name__}"
            )
        return [y]

    def flatten_sample_weight(self, sample_weight, argument="sample_weight"):
        """One weight array per output; a single array applies to every output."""
        n = len(self.output_names)
        if sample_weight is None:
            return [None] * n
        if isinstance(sample_weight, (dict, list, tuple)) and not is_list_of_scalars(sample_weight):
            return self.flatten_y(sample_weight, argument)
        return [sample_weight] * n


def _names_or_none(names):
    if names is None:
        return None
    return [str(n) for n in names]


def is_list_of_scalars(value):
    """`[0.5, 1.0]` is one array given as a list; `[array, array]` is several arrays."""
    return (
        isinstance(value, (list, tuple))
        and len(value) > 0
        and all(isinstance(v, (int, float, bool, np.number)) for v in value)
    )


# ---------------------------------------------------------------------------- tensors
