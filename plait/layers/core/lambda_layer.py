"""`Lambda`: an expression as a layer, and how its function is saved (by name, or as
bytecode only where `safe_mode=False` allows loading it).
"""

import base64
import builtins
import dis
import inspect
import json
import marshal
import math
import sys
import types

import numpy as np
import torch
import torch.nn.functional as F

from plait.graph.tensor import SymbolicTensor
from plait.layers.layer import Layer, LayerCallError, _shapes_to_specs
from plait.serialization import in_safe_mode, register_serializable

__all__ = ["Lambda"]


@register_serializable(package="plait")
class Lambda(Layer):
    """Wraps a function of tensors as a layer: `Lambda(lambda x: x ** 2)`.

    Args:
        function: called as `function(inputs, **arguments)`; it also gets `mask=` and
            `training=` when its signature names them.
        output_shape: when the output shape cannot be inferred by running `function` on
            shape-only (meta) tensors: a tuple without the batch dimension (the input's
            batch size is prepended), a list of such tuples for several outputs, or a
            function from the full input shape to the full output shape.
        mask: None, or a function `(inputs, mask) -> mask`.
        arguments: dict of keyword arguments for `function`.

    Saving stores a Python function's bytecode (with its defaults and the values it closes
    over), as Keras does: it loads only in the same Python version, and only with
    `load_model(..., safe_mode=False)` or inside `plait.saving.safe_mode_scope(False)`,
    because loading it runs code from the file. When loaded, the function sees `torch`,
    `F` (torch.nn.functional), `np`, `math` and the `custom_objects` as its globals.
    Prefer operations on symbolic tensors (`x * 2`, `torch.exp(x)`) or a Layer subclass
    with `get_config`: they save without code.

    Input shape: the function's. Output shape: inferred, or `output_shape`.

        >>> import torch
        >>> from plait.layers import Input
        >>> Lambda(lambda x: x ** 2)(torch.tensor([1.0, 3.0])).tolist()
        [1.0, 9.0]
        >>> Lambda(lambda x: torch.cat([x, x], dim=-1))(Input(shape=(4,))).shape
        (None, 8)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(
                "Lambda needs a callable `function`. "
                f"Received: function={function!r:.200} (type {type(function).__name__})"
            )
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(
                "`arguments` must be a dict of keyword arguments. "
                f"Received: arguments={arguments!r}"
            )
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        if isinstance(output_shape, list) and all(
            isinstance(s, (list, tuple)) for s in output_shape
        ):
            output_shape = [tuple(s) for s in output_shape]
        elif isinstance(output_shape, list):
            output_shape = tuple(output_shape)
        self._output_shape = output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._pass_mask = "mask" in params
        self._pass_training = "training" in params

    def forward(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._pass_mask:
            kwargs["mask"] = mask
        if self._pass_training:
            kwargs["training"] = self.training if training is None else training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def _output_specs(self, args, kwargs, input_shapes, where):
        if self._output_shape is None:
            try:
                return super()._output_specs(args, kwargs, input_shapes, where)
            except LayerCallError as err:
                raise LayerCallError(
                    f"{err} (the output shape of a Lambda is found by running its function "
                    "on shape-only tensors; if that cannot work, pass output_shape=...)"
                ) from err
        if callable(self._output_shape):
            shapes = self._output_shape(input_shapes)
            if isinstance(shapes, list) and all(d is None or isinstance(d, int) for d in shapes):
                shapes = tuple(shapes)
        else:
            batch = next(iter(_flat_shapes(input_shapes)), (None,))[0]
            declared = self._output_shape
            shapes = (
                [(batch,) + s for s in declared]
                if isinstance(declared, list)
                else (batch,) + tuple(declared)
            )
        dtype = next((t.dtype for t in _flat_tensors(args)), torch.float32)
        return _shapes_to_specs(shapes, dtype)

    def get_config(self):
        config = {"function": _dump_function(self.function, self.name, "function")}
        if callable(self._output_shape):
            config["output_shape"] = _dump_function(self._output_shape, self.name, "output_shape")
        elif isinstance(self._output_shape, list):
            config["output_shape"] = [list(shape) for shape in self._output_shape]
        elif self._output_shape is not None:
            config["output_shape"] = list(self._output_shape)
        if self.mask is not None:
            if not callable(self.mask):
                raise ValueError(
                    f"Lambda layer '{self.name}' cannot be saved: its mask is a "
                    f"{type(self.mask).__name__}, not a function or None. "
                    f"Received: mask={self.mask!r:.100}"
                )
            config["mask"] = _dump_function(self.mask, self.name, "mask")
        config["arguments"] = _json_value(self.arguments, self.name, "arguments")
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for key in ("function", "output_shape", "mask"):
            if isinstance(config.get(key), dict):  # a saved function (a shape is a list)
                config[key] = _load_function(config[key], config.get("name"), key, custom_objects)
        return cls(**config)


def _dump_function(fn, layer, what):
    """A Python function as JSON: its marshalled bytecode (base64), defaults and closure."""
    code = getattr(fn, "__code__", None)
    if not isinstance(fn, types.FunctionType) or code is None:
        raise ValueError(
            f"Lambda layer '{layer}' cannot be saved: its {what} is a "
            f"{type(fn).__name__}, and only Python functions (def or lambda) can be. "
            f"Wrap it, e.g. lambda x: f(x). Received: {what}={fn!r:.100}"
        )
    cells = [cell.cell_contents for cell in fn.__closure__ or ()]
    return {
        "class_name": "__lambda__",
        "config": {
            "name": fn.__name__,
            "code": base64.b64encode(marshal.dumps(code)).decode("ascii"),
            "defaults": _json_value(list(fn.__defaults__ or ()), layer, f"{what}'s defaults"),
            "kwdefaults": _json_value(fn.__kwdefaults__ or {}, layer, f"{what}'s defaults"),
            "closure": _json_value(cells, layer, f"the values its {what} closes over")
            if (fn.__closure__)
            else None,
            "python_version": "%d.%d" % sys.version_info[:2],
        },
    }


def _json_value(value, layer, what):
    try:
        json.dumps(value, allow_nan=True)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"Lambda layer '{layer}' cannot be saved: {what} hold a value JSON cannot "
            f"store ({err}). Pass numbers, strings, lists or dicts, or write a Layer "
            f"subclass with get_config(). Received: {value!r:.200}"
        ) from None
    return value


def _load_function(entry, layer, what, custom_objects):
    """Rebuild `_dump_function`'s output; runs code from the file, so only outside safe
    mode. Nothing is imported: the function's globals are a fixed set plus custom_objects."""
    if in_safe_mode():
        raise ValueError(
            f"Lambda layer '{layer}' holds its {what} as Python bytecode, and loading it "
            "would run that code. This is refused by default (safe mode), because a file "
            "can carry arbitrary code. If you trust the file, load it with "
            "safe_mode=False (or inside plait.saving.safe_mode_scope(False))."
        )
    inner = entry.get("config")
    if entry.get("class_name") != "__lambda__" or not isinstance(inner, dict):
        raise ValueError(
            f"Lambda layer '{layer}': its {what} is not a saved function. "
            f"Received: {what}={entry!r:.200}"
        )
    saved_by = inner.get("python_version")
    here = "%d.%d" % sys.version_info[:2]
    if saved_by != here:
        raise ValueError(
            f"Lambda layer '{layer}': its {what} is bytecode of Python {saved_by}, which "
            f"this Python ({here}) cannot run. Load the file with Python {saved_by}, or "
            "rebuild the model in code and load its weights with load_weights()."
        )
    try:
        code = marshal.loads(base64.b64decode(inner["code"], validate=True))
        if not isinstance(code, types.CodeType):
            raise TypeError(f"it holds a {type(code).__name__}")
        closure = inner.get("closure")
        cells = None if closure is None else tuple(types.CellType(v) for v in closure)
        scope = {
            "__builtins__": builtins,
            "torch": torch,
            "F": F,
            "np": np,
            "math": math,
            **(custom_objects or {}),
        }
        fn = types.FunctionType(
            code, scope, code.co_name, tuple(inner.get("defaults") or ()), cells
        )
        fn.__kwdefaults__ = dict(inner.get("kwdefaults") or {}) or None
    except (KeyError, TypeError, ValueError, EOFError) as err:
        raise ValueError(
            f"Lambda layer '{layer}': its saved {what} is damaged ({type(err).__name__}: {err})."
        ) from None
    missing = sorted(n for n in _global_names(code) if n not in scope and not hasattr(builtins, n))
    if missing:
        raise ValueError(
            f"Lambda layer '{layer}': its {what} uses the names {missing}, which are not "
            f"defined when loading. Pass them in custom_objects, e.g. "
            f"custom_objects={{'{missing[0]}': {missing[0]}}}."
        )
    return fn


def _global_names(code):
    """The global names `code` (and the functions defined inside it) reads."""
    names, stack = set(), [code]
    while stack:
        current = stack.pop()
        names.update(
            i.argval
            for i in dis.get_instructions(current)
            if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")
        )
        stack.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
    return names


def _flat_shapes(structure):
    if isinstance(structure, tuple) and all(d is None or isinstance(d, int) for d in structure):
        yield structure
    elif isinstance(structure, (list, tuple)):
        for item in structure:
            yield from _flat_shapes(item)
    elif isinstance(structure, dict):
        for item in structure.values():
            yield from _flat_shapes(item)


def _flat_tensors(structure):
    if isinstance(structure, SymbolicTensor):
        yield structure
    elif isinstance(structure, (list, tuple)):
        for item in structure:
            yield from _flat_tensors(item)
    elif isinstance(structure, dict):
        for item in structure.values():
            yield from _flat_tensors(item)
