"""Layer: a `torch.nn.Module` that can also be called on symbolic tensors.

Called on torch tensors it computes, through `nn.Module.__call__` (hooks keep working).
Called on SymbolicTensors it builds its weights if needed, infers its output shape (by
`compute_output_shape`, or by running `forward` on meta tensors), records a Node and
returns SymbolicTensors (`layer_symbolic.py`).

Weights are PyTorch parameters in PyTorch's layout (`weight` `(out, in)`); `get_weights`
and `set_weights` speak Keras's layout and order (`kernel` `(in, out)`, then `bias`)
(`layer_weights.py`).

This module holds the class (its naming, building, hooks, `__call__` and config) and the
call-context rules (`training`, `mask`) every layer follows.
"""

import functools
import inspect

import numpy as np
import torch
from torch import nn
from torch.nn.modules import module as _torch_module

from plait import config
from plait.graph.tensor import SymbolicTensor, format_shape, user_location
from plait.layers.layer_symbolic import (  # noqa: F401 - other modules import them from here
    LayerCallError,
    LayerSymbolic,
    _describe_inputs,
    _first_dtype,
    _shapes_to_specs,
    _Spec,
)
from plait.layers.layer_weights import LayerWeights, WeightSpec
from plait.layers.masking import with_implicit_mask
from plait.serialization import register_serializable
from plait.utils import nest, variables
from plait.utils.dtypes import dtype_name, to_torch_dtype
from plait.utils.naming import to_snake_case, unique_name

__all__ = [
    "Layer",
    "LayerCallError",
    "WeightSpec",
    "accepts_mask",
    "accepts_training",
    "call_inner",
    "global_hooks_registered",
    "hook_epoch",
    "module_hooked",
    "user_reads_training",
]

_module_call = nn.Module.__call__
_hook_epoch = 0


def hook_epoch():
    """How many hooks have been registered on plait layers so far."""
    return _hook_epoch


def _bump_hook_epoch():
    global _hook_epoch
    _hook_epoch += 1


_NO_INPUTS = object()  # Layer.__call__'s default: called with no positional input


class Layer(LayerWeights, LayerSymbolic, nn.Module):
    """Base class of every plait layer (and of Model).

    Args:
        name: the layer's name, unique in a model; default `<snake_case class>_<n>`.
        trainable: whether fit updates its weights.
        dtype: dtype of its weights ('float32' default).
        input_shape, input_dim, batch_input_shape, batch_size: for the first layer of a
            Sequential, the shape of one sample (Keras's spelling).

    Subclasses create weights in `build(input_shape)` with `add_weight`, compute in
    `forward(inputs, ...)` (Keras's name `call` works too), and list their arguments in
    `get_config`. The weights API is `LayerWeights`'s (`layer_weights.py`), the calls on
    symbolic tensors `LayerSymbolic`'s (`layer_symbolic.py`).

    Raises:
        TypeError: an unknown keyword argument. ValueError: a name that is empty or holds
            '/'.

    Example:
        >>> import torch
        >>> import plait
        >>> class Scale(Layer):
        ...     def build(self, input_shape):
        ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
        ...     def call(self, x):
        ...         return x * self.w
        >>> layer = Scale(name="scale")
        >>> layer(plait.Input((3,))).shape
        (None, 3)
        >>> layer(torch.ones(1, 3)).tolist()
        [[1.0, 1.0, 1.0]]
        >>> [w.shape for w in layer.get_weights()]
        [(3,)]
    """

    def __init__(
        self,
        *,
        name=None,
        trainable=True,
        dtype=None,
        input_shape=None,
        input_dim=None,
        batch_input_shape=None,
        batch_size=None,
        **kwargs,
    ):
        super().__init__()
        if kwargs:
            key = next(iter(kwargs))
            raise TypeError(
                f"{type(self).__name__}() got an unexpected keyword argument '{key}'. "
                f"Received: {key}={kwargs[key]!r}"
            )
        if name is None:
            name = unique_name(self._name_prefix())
        _check_name(name)
        self.name = name
        self._dtype = dtype_name(to_torch_dtype(dtype if dtype is not None else config.floatx()))
        self._trainable = bool(trainable)
        self.built = False
        self._inbound_nodes = []
        self._weight_specs = []
        self._created_at = user_location()
        self._batch_input_shape = _batch_input_shape(
            input_shape, input_dim, batch_input_shape, batch_size
        )
        # Keras semantics: a layer computes in inference mode unless training is asked for
        # (fit switches to train mode and back).
        self.train(False)

    @classmethod
    def _name_prefix(cls):
        return to_snake_case(cls.__name__)

    # ----------------------------------------------------------------- building
    def build(self, input_shape):
        """Create the weights for inputs of `input_shape` (a tuple, or a list of tuples)."""

    def __setattr__(self, name, value):
        # `self.w = self.add_weight(...)`: the weight moves to the attribute `w`.
        if isinstance(value, variables.Variable) or isinstance(value, variables.StateVariable):
            if self._rekey_weight(name, value):
                return
        # Keras tracks layers held in a list or dict attribute (`self.blocks = [Dense(8),
        # Dense(8)]`): they become submodules (a ModuleList / ModuleDict) too.
        elif (
            type(value) in (list, tuple)
            and value
            and all(isinstance(v, nn.Module) for v in value)
            and any(isinstance(v, Layer) for v in value)
            and "_modules" in self.__dict__
        ):
            value = nn.ModuleList(value)
        elif (
            type(value) is dict
            and value
            and all(
                isinstance(k, str) and "." not in k and isinstance(v, nn.Module)
                for k, v in value.items()
            )
            and any(isinstance(v, Layer) for v in value.values())
            and "_modules" in self.__dict__
        ):
            value = nn.ModuleDict(value)
        super().__setattr__(name, value)

    def _ensure_built(self, input_shape):
        if not self.built:
            # Weights made on a first call inside predict (inference mode) must still be
            # trainable later.
            with torch.inference_mode(False):
                self.build(input_shape)
            self.built = True

    def __init_subclass__(cls, **kwargs):
        """A built-in layer computes in `forward`; Keras code subclasses it and overrides
        `call`, reaching the built-in computation with `super().call(x)`. So a built-in's
        `forward` is also its `call`, and a subclass that defines `call` (and no `forward`)
        is run through that `call`."""
        super().__init_subclass__(**kwargs)
        own = cls.__dict__
        if cls.__module__.startswith("plait.layers."):
            if "call" not in own and cls.forward is not Layer.forward:
                cls.call = cls.forward
        elif "call" in own and "forward" not in own and _builtin_forward(cls):
            cls.forward = Layer.forward

    # ---------------------------------------------------------------- hooks
    # A model runs its layers' `forward` directly while none has a hook (functional.py);
    # registering one anywhere bumps `hook_epoch()`, so models look again.
    def register_forward_hook(self, *args, **kwargs):
        _bump_hook_epoch()
        return super().register_forward_hook(*args, **kwargs)

    def register_forward_pre_hook(self, *args, **kwargs):
        _bump_hook_epoch()
        return super().register_forward_pre_hook(*args, **kwargs)

    def register_full_backward_hook(self, *args, **kwargs):
        _bump_hook_epoch()
        return super().register_full_backward_hook(*args, **kwargs)

    def register_full_backward_pre_hook(self, *args, **kwargs):
        _bump_hook_epoch()
        return super().register_full_backward_pre_hook(*args, **kwargs)

    def register_backward_hook(self, *args, **kwargs):
        _bump_hook_epoch()
        return super().register_backward_hook(*args, **kwargs)

    # ---------------------------------------------------------------- calling
    def __call__(self, inputs=_NO_INPUTS, *args, **kwargs):
        if kwargs and "training" in kwargs and not accepts_training(type(self)):
            kwargs = {k: v for k, v in kwargs.items() if k != "training"}  # as Keras: ignored
        if user_reads_training(type(self)) and not _has_symbolic((inputs, args), kwargs):
            training = kwargs.get("training")
            if training is None:  # the resolved mode, as Keras's call context gives it
                kwargs = {**kwargs, "training": self.training}
            elif bool(training) is not self.training:
                return _call_in_mode(self, bool(training), inputs, args, kwargs)
        # Fast path for every call inside a model's forward (one tensor into a built layer,
        # at most `training=`): it costs what calling a plain nn.Module costs.
        if (
            not args
            and self.built
            and isinstance(inputs, torch.Tensor)
            and (not kwargs or (len(kwargs) == 1 and "training" in kwargs))
        ):
            try:
                return _module_call(self, inputs, **kwargs)
            except (RuntimeError, ValueError, TypeError) as err:
                _add_layer_note(err, self, (inputs,))
                raise
        if inputs is not _NO_INPUTS:
            args = (inputs,) + args
        if _has_symbolic(args, kwargs):
            if accepts_mask(type(self)):  # Keras's implicit masks (see layers/masking.py)
                kwargs = with_implicit_mask(kwargs, args[0])
            return self._symbolic_call(args, kwargs)
        if not self.built:
            _check_concrete_inputs(self, args[0] if args else None)
            self._ensure_built(nest.map_structure(_concrete_shape, args[0] if args else None))
        try:
            return _module_call(self, *args, **kwargs)
        except (RuntimeError, ValueError, TypeError) as err:
            _add_layer_note(err, self, args)
            raise

    def forward(self, *args, **kwargs):
        return self.call(*args, **kwargs)

    def call(self, *args, **kwargs):
        raise NotImplementedError(
            f"Layer {type(self).__name__} defines neither forward() nor call(). Subclasses "
            "compute their outputs in one of them."
        )

    # ----------------------------------------------------------------- config
    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def extra_repr(self):
        return f"name={self.name!r}"


register_serializable(package="plait")(Layer)


def _check_name(name):
    """Keras's rule: any string without '/'; plait also refuses the empty string."""
    if not isinstance(name, str) or "/" in name or not name:
        raise ValueError(
            "Argument `name` must be a non-empty string and cannot contain character `/`. "
            f"Received: name={name} (of type {type(name)})"
        )


def _batch_input_shape(input_shape, input_dim, batch_input_shape, batch_size):
    if batch_input_shape is not None:
        return tuple(batch_input_shape)
    if input_shape is None and input_dim is not None:
        input_shape = (input_dim,)
    if input_shape is None:
        return None
    if isinstance(input_shape, int):
        raise TypeError(
            "input_shape must be a tuple (one sample's shape, without the batch), e.g. "
            f"input_shape=({input_shape},). Received: input_shape={input_shape}"
        )
    return (batch_size,) + tuple(input_shape)


def _has_symbolic(args, kwargs):
    for value in args:
        if isinstance(value, SymbolicTensor):
            return True
        if isinstance(value, (list, tuple, dict)) and any(
            isinstance(v, SymbolicTensor) for v in nest.flatten(value)
        ):
            return True
    if kwargs:
        return any(isinstance(v, SymbolicTensor) for v in nest.flatten(kwargs))
    return False


def _add_layer_note(err, layer, args):
    """Say which layer, on what input, failed: the traceback's last lines are torch's own."""
    if not hasattr(err, "add_note"):  # Python < 3.11
        return
    shapes = [tuple(t.shape) for t in nest.flatten(args) if isinstance(t, torch.Tensor)]
    shown = shapes[0] if len(shapes) == 1 else shapes
    expected = getattr(layer, "_input_shapes", None)
    wanted = "" if not expected else f" (it expects {', '.join(map(format_shape, expected))})"
    err.add_note(
        f"  in layer '{layer.name}' ({type(layer).__name__}), called on input of "
        f"shape {shown}{wanted}"
    )


def _check_concrete_inputs(layer, inputs):
    """A clear error for an unbuilt layer called on data it cannot size itself from."""
    for value in nest.flatten(inputs):
        if isinstance(value, np.ndarray):
            raise TypeError(
                f"Layer '{layer.name}' ({type(layer).__name__}) was called on a NumPy array of "
                f"shape {value.shape}; layers compute on torch tensors. Convert it first "
                "(torch.as_tensor(x)), or use model.predict(x), which takes NumPy arrays."
            )
        if isinstance(value, nn.Module):
            raise TypeError(
                f"Layer '{layer.name}' ({type(layer).__name__}) was called on a "
                f"{type(value).__name__} object, not on a tensor. To stack it on a model, call "
                f"it on the model's output: {layer.name}(model.output). Received: inputs="
                f"{type(value).__name__} {getattr(value, 'name', '')!r}"
            )


def _concrete_shape(value):
    if isinstance(value, torch.Tensor):
        return (None,) + tuple(value.shape[1:]) if value.dim() else ()
    return None


def _builtin_forward(cls):
    """Whether `cls` inherits its `forward` from one of plait's built-in layers."""
    owner = next(k for k in cls.__mro__ if "forward" in k.__dict__)
    return owner.__module__.startswith("plait.layers.")


@functools.lru_cache(maxsize=None)
def accepts_mask(cls):
    """Whether `cls.forward` (or `call`) takes a `mask` argument by name."""
    fn = cls.call if cls.forward is Layer.forward else cls.forward
    try:
        return "mask" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


@functools.lru_cache(maxsize=None)
def accepts_training(cls):
    """Whether `cls.forward` (or `call`) takes a `training` argument."""
    fn = cls.call if cls.forward is Layer.forward else cls.forward
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "training" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


@functools.lru_cache(maxsize=None)
def user_reads_training(cls) -> bool:
    """Whether `cls` is a user's layer or model (defined outside plait) whose `call` or
    `forward` declares `training`. Such a call gets the resolved mode as a bool, as Keras's
    call context gives it (plait's own layers read `self.training` when given None)."""
    for fn in (cls.call, cls.forward):
        if getattr(fn, "__module__", "plait.").startswith("plait."):
            continue
        try:
            return "training" in inspect.signature(fn).parameters
        except (TypeError, ValueError):
            return False
    return False


def call_inner(layer, inputs, **kwargs):
    """`layer(inputs, **kwargs)` for a wrapper calling its built inner layer on a tensor:
    straight to `forward` (skipping `nn.Module.__call__` and `Layer.__call__`, a few
    microseconds) while nothing hooks the layer or every module and the layer is not a
    user's that reads `training`."""
    if global_hooks_registered() or module_hooked(layer) or user_reads_training(type(layer)):
        return layer(inputs, **kwargs)
    try:
        return layer.forward(inputs, **kwargs)
    except (RuntimeError, ValueError, TypeError) as err:
        _add_layer_note(err, layer, (inputs,))
        raise


def global_hooks_registered() -> bool:
    """Whether a forward or backward hook is registered for every module: then layers
    run only through `nn.Module.__call__`."""
    return bool(
        _torch_module._global_forward_hooks
        or _torch_module._global_forward_pre_hooks
        or _torch_module._global_backward_hooks
        or _torch_module._global_backward_pre_hooks
    )


def module_hooked(module: nn.Module) -> bool:
    """Whether a forward or backward hook is registered on `module` itself."""
    return bool(
        module._forward_hooks
        or module._forward_pre_hooks
        or module._backward_hooks
        or module._backward_pre_hooks
    )


def _call_in_mode(layer, training, inputs, args, kwargs):
    """Call a user's `layer` with an explicit `training` that differs from its mode: the
    layer and its sublayers run in that mode (so sublayers it calls without `training`
    follow it, as in Keras), and get their own modes back afterwards."""
    modes = [(module, module.training) for module in layer.modules()]
    layer.train(training)
    try:
        return layer(inputs, *args, **kwargs)
    finally:
        for module, mode in modes:
            module.training = mode


def _on_module_registration(module, name, submodule):
    """A plait layer put inside a plain `nn.Module` (a LightningModule, a user's wrapper)
    takes that module's mode, as every PyTorch submodule would (plait layers start in
    inference mode, Keras's default); a plain torch module put inside a plait layer takes
    the layer's mode."""
    if not isinstance(submodule, nn.Module):
        return None
    parent_is_layer = isinstance(module, Layer)
    if isinstance(submodule, Layer) == parent_is_layer:
        return None
    mode = module.__dict__.get("training")  # a wrapper may not hold one of its own
    if isinstance(mode, bool) and submodule.__dict__.get("training") is not mode:
        submodule.train(mode)
    return None


torch.nn.modules.module.register_module_module_registration_hook(_on_module_registration)
