"""Core layers: InputLayer (and Input), Dense, Activation, Embedding, Masking, Lambda,
Identity, Rescaling."""

import base64
import builtins
import dis
import inspect
import json
import marshal
import math
import numbers
import sys
import types

import numpy as np
import torch
import torch.nn.functional as F

from plait import activations, constraints, initializers, regularizers
from plait.graph.node import Node
from plait.graph.tensor import SymbolicTensor, user_location
from plait.layers.layer import Layer, LayerCallError, _shapes_to_specs
from plait.layers.masking import PassesMask
from plait.layers.penalties import set_activity_regularizer, weight_penalty_config
from plait.serialization import in_safe_mode, register_serializable
from plait.utils.dtypes import to_torch_dtype
from plait.utils.naming import unique_name

__all__ = [
    "Activation",
    "Dense",
    "Embedding",
    "Identity",
    "Input",
    "InputLayer",
    "Lambda",
    "Masking",
    "Rescaling",
]


@register_serializable(package="plait")
class InputLayer(Layer):
    """The entry point of a model: holds the shape of its input, computes nothing.

    Args:
        shape: one sample's shape, without the batch dimension, e.g. `(10,)` or
            `(64, 64, 1)`; `None` for a dimension that may vary.
        batch_size: a fixed batch size, or None (any).
        dtype: the input's dtype, 'float32' by default.
        batch_shape: the full shape with the batch, instead of `shape` + `batch_size`.
    """

    def __init__(
        self,
        shape=None,
        batch_size=None,
        dtype=None,
        name=None,
        batch_shape=None,
        input_shape=None,
        batch_input_shape=None,
        **kwargs,
    ):
        kwargs.pop("sparse", None)
        kwargs.pop("ragged", None)
        shape = shape if shape is not None else input_shape
        batch_shape = batch_shape if batch_shape is not None else batch_input_shape
        if batch_shape is None:
            batch_shape = (batch_size,) + _check_shape(shape)
        else:
            batch_shape = tuple(batch_shape)
        super().__init__(name=name or unique_name("input"), dtype=dtype, **kwargs)
        self._batch_input_shape = batch_shape
        self.built = True
        self._tensor_dtype = to_torch_dtype(self._dtype if dtype is None else dtype)
        where = user_location()
        tensor = SymbolicTensor(batch_shape, self._tensor_dtype, name=self.name, where=where)
        Node(self, (), {}, tensor, where=where)

    def forward(self, inputs):
        return inputs

    def get_config(self):
        return {
            "batch_shape": list(self._batch_input_shape),
            "dtype": self._dtype,
            "name": self.name,
        }


def Input(shape=None, batch_size=None, name=None, dtype=None, batch_shape=None):
    """A symbolic tensor for one of a model's inputs.

    `Input(shape=(10,))` stands for a batch of 10-feature vectors: shape `(None, 10)`.
    The shape is one sample's shape, a tuple: write `(10,)`, with the comma, for 1-D data.
    """
    layer = InputLayer(
        shape=shape, batch_size=batch_size, name=name, dtype=dtype, batch_shape=batch_shape
    )
    return layer._inbound_nodes[0].outputs[0]


def _check_shape(shape):
    if shape is None:
        raise ValueError(
            "Input needs the shape of one sample, without the batch dimension, e.g. "
            "Input(shape=(10,)) for vectors of 10 features. Received: shape=None"
        )
    if isinstance(shape, int):
        raise TypeError(
            f"`shape` must be a tuple, even for 1-D data: write shape=({shape},) with the "
            f"trailing comma. Received: shape={shape}"
        )
    shape = tuple(shape)
    for d in shape:
        if d is not None and (not isinstance(d, int) or d < 0):
            raise ValueError(
                "Each dimension of `shape` must be a non-negative int or None. "
                f"Received: shape={shape}"
            )
    return shape


@register_serializable(package="plait")
class Dense(PassesMask, Layer):
    """Densely connected layer: `activation(inputs @ kernel + bias)`.

    Args:
        units: size of the last output dimension.
        activation: name or function; None means linear.
        use_bias: whether to add a bias (default True).
        kernel_initializer: default 'glorot_uniform'. bias_initializer: default 'zeros'.
        kernel_regularizer, bias_regularizer, activity_regularizer: e.g. 'l2' or
            `regularizers.l1(1e-4)`; their penalties are in `regularization_losses()`.
        kernel_constraint, bias_constraint: e.g. `constraints.max_norm(2)`, applied by
            `apply_constraints()` after each optimizer step.

    Input shape: `(batch, ..., input_dim)`. Output shape: `(batch, ..., units)`.
    Weights: `kernel` `(input_dim, units)` in Keras's layout, stored as PyTorch's `weight`
    `(units, input_dim)`; `bias` `(units,)`.

        >>> x = Input(shape=(10,))
        >>> Dense(32, activation='relu')(x).shape
        (None, 32)
    """

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"`units` must be a positive integer. Received: units={units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        set_activity_regularizer(self, activity_regularizer)
        self._fused_activation = activations.compute_function(self.activation)

    def build(self, input_shape):
        in_features = input_shape[-1] if len(input_shape) else None
        if in_features is None:
            raise LayerCallError(
                f"The last dimension of the input to Dense layer '{self.name}' must be known, "
                f"to size its kernel. Received: input_shape={tuple(input_shape)}"
            )
        self.add_weight(
            "kernel",
            (in_features, self.units),
            self.kernel_initializer,
            attr="weight",
            layout=(1, 0),
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.add_weight(
                "bias",
                (self.units,),
                self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.register_parameter("bias", None)

    def forward(self, inputs):
        out = F.linear(inputs, self.weight, self.bias)
        if self._fused_activation is not None:
            out = self._fused_activation(out)
        return out

    def compute_output_shape(self, input_shape):
        if len(input_shape) < 1:
            raise ValueError(f"Dense needs an input of rank >= 1. Received: {input_shape}")
        if input_shape[-1] != self.weight.shape[1]:
            raise ValueError(
                f"its kernel takes {self.weight.shape[1]} input features, but the input's last "
                f"dimension is {input_shape[-1]}"
            )
        return tuple(input_shape[:-1]) + (self.units,)

    @property
    def kernel(self):
        """The kernel in Keras's layout `(input_dim, units)`: a view of `weight`."""
        return self.weight.T

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
            }
        )
        config.update(weight_penalty_config(self))
        return config


@register_serializable(package="plait")
class Activation(PassesMask, Layer):
    """Applies an activation function: `Activation('relu')(x)`. Output shape = input shape."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def forward(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


@register_serializable(package="plait")
class Embedding(Layer):
    """Turns integer indices into dense vectors: row `i` of `embeddings` for index `i`.

    Args:
        input_dim: vocabulary size (largest index + 1).
        output_dim: size of each vector.
        embeddings_initializer: default 'uniform' (RandomUniform(-0.05, 0.05), as Keras).
        embeddings_regularizer, activity_regularizer, embeddings_constraint: see Dense.
        mask_zero: index 0 is padding; `compute_mask(inputs)` returns `inputs != 0` and
            recurrent layers skip those steps. Index 0 then cannot be a word
            (input_dim = vocabulary + 1).
        weights: optional initial `(input_dim, output_dim)` matrix (or a list holding it).

    Input shape: `(batch, ...)` of integers (floats are truncated). Output shape:
    `(batch, ..., output_dim)`. Weights: `embeddings` `(input_dim, output_dim)`, stored as
    PyTorch's `weight` (the layout of `nn.Embedding`).

        >>> x = Input(shape=(10,), dtype='int64')
        >>> Embedding(1000, 64)(x).shape
        (None, 10, 64)
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        activity_regularizer=None,
        **kwargs,
    ):
        input_length = kwargs.pop("input_length", None)
        if (
            input_length is not None
            and kwargs.get("input_shape") is None
            and kwargs.get("batch_input_shape") is None
        ):
            # Keras 2: the sequence length, which makes the layer a model's first layer
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        if input_length is not None:
            self._input_length = input_length
        for name, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
        self.input_dim, self.output_dim = input_dim, output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        set_activity_regularizer(self, activity_regularizer)
        self.mask_zero = bool(mask_zero)
        if weights is not None:
            self._ensure_built(None)
            is_list = isinstance(weights, list) and len(weights) == 1
            self.set_weights(weights if is_list else [weights])

    def build(self, input_shape):
        self.add_weight(
            "embeddings",
            (self.input_dim, self.output_dim),
            self.embeddings_initializer,
            attr="weight",
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )

    def forward(self, inputs):
        if inputs.dtype not in (torch.int32, torch.int64):
            inputs = inputs.long()
        return F.embedding(inputs, self.weight)

    def compute_mask(self, inputs, mask=None):
        """`inputs != 0` with mask_zero (True where a step holds data), else None."""
        if not self.mask_zero:
            return None
        return inputs != 0

    @property
    def embeddings(self):
        """The `(input_dim, output_dim)` matrix (the `weight` parameter itself)."""
        return self.weight

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "mask_zero": self.mask_zero,
            }
        )
        config.update(weight_penalty_config(self, ("embeddings",)))
        return config


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


@register_serializable(package="plait")
class Identity(PassesMask, Layer):
    """Returns its input unchanged (a placeholder, e.g. to name a tensor)."""

    def forward(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


@register_serializable(package="plait")
class Masking(Layer):
    """Marks the time steps whose features all equal `mask_value` as padding: the
    recurrent and attention layers after it skip them, and its output is zero there.

    Args:
        mask_value: float, default 0.0.

    Input shape: `(batch, timesteps, ...)`. Output shape: the input's. Mask:
    `(batch, timesteps)`, True where some feature differs from `mask_value`.

        >>> x = Input(shape=(None, 8))
        >>> LSTM(4)(Masking()(x)).shape
        (None, 4)
    """

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, numbers.Real):
            raise TypeError(
                f"Masking's `mask_value` must be a number. Received: mask_value={mask_value!r}"
            )
        self.mask_value = float(mask_value)

    def forward(self, inputs):
        kept = self.compute_mask(inputs)
        return inputs * kept.unsqueeze(-1).to(inputs.dtype)

    def compute_mask(self, inputs, mask=None):
        return (inputs != self.mask_value).any(dim=-1)

    def compute_output_shape(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(
                f"Masking takes `(batch, timesteps, ...)` inputs, but the "
                f"input has shape {input_shape}"
            )
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config


@register_serializable(package="plait")
class Rescaling(Layer):
    """`inputs * scale + offset`, computed in the layer's float dtype (integer images
    become float32): `Rescaling(1 / 255)` maps [0, 255] to [0, 1];
    `Rescaling(1 / 127.5, offset=-1)` to [-1, 1].

    Args:
        scale: a float, or a list of floats broadcast over the last axes (per channel).
        offset: a float or list, default 0.0.

    Output shape: the input's.
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = _check_factor(scale, "scale")
        self.offset = _check_factor(offset, "offset")
        self._float_dtype = to_torch_dtype(self._dtype)
        for name, value in (("_scale", self.scale), ("_offset", self.offset)):
            if isinstance(value, list):
                self.register_buffer(
                    name, torch.tensor(value, dtype=self._float_dtype), persistent=False
                )
            else:
                setattr(self, name, value)

    def forward(self, inputs):
        return inputs.to(self._float_dtype) * self._scale + self._offset

    def get_config(self):
        config = super().get_config()
        config.update({"scale": self.scale, "offset": self.offset})
        return config


def _check_factor(value, name):
    if hasattr(value, "tolist"):  # numpy arrays and tensors
        value = value.tolist()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_check_factor(v, name) for v in value]
    raise TypeError(f"`{name}` must be a float or a list of floats. Received: {name}={value!r}")


# Keras 2 kept these in `keras.layers.core`; old programs import them from here. They are
# looked up in plait.layers when asked for (a family module imports no other family).
_KERAS2_NAMES = (
    "Dropout",
    "Flatten",
    "Reshape",
    "Permute",
    "RepeatVector",
    "ActivityRegularization",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
)


def __getattr__(name):
    if name in _KERAS2_NAMES:
        import plait.layers

        return getattr(plait.layers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
