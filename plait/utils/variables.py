"""Weights that are PyTorch tensors and also answer Keras's variable API.

`Layer.add_weight` makes a `Variable` (an `nn.Parameter`, for trainable weights) or a
`StateVariable` (a plain tensor registered as a buffer: non-trainable weights and metric
state). Optimizers, `state_dict`, `torch.compile` and the fused kernels see ordinary
tensors: both classes turn off `__torch_function__`, so every operation on them returns a
plain `torch.Tensor` and costs nothing extra. Keras programs may call:

    w = layer.add_weight(shape=(3,), initializer="zeros", name="w")
    w.assign([1., 2., 3.]); w.assign_add(np.ones(3)); w.numpy()   # array([2., 3., 4.])
    w.name, w.path, w.shape, w.trainable                          # 'w', 'layer/w', ...
"""

import numpy as np
import torch
from torch import nn

__all__ = ["StateVariable", "Variable", "make_variable", "rewrap"]


class _KerasVariableAPI:
    """Keras's `Variable` methods, mixed into the two tensor classes below."""

    # name and path are per-object attributes (`_keras_name`, `_keras_path`); a copy made
    # by torch (deepcopy, pickle) falls back to empty names.
    @property
    def name(self):
        """The weight's Keras name (`'kernel'`)."""
        return self.__dict__.get("_keras_name", "variable")

    @property
    def path(self):
        """`'<layer name>/<weight name>'`, as Keras 3 names a variable's path."""
        return self.__dict__.get("_keras_path", self.name)

    @property
    def value(self):
        """The tensor itself (Keras's `variable.value`)."""
        return self

    @property
    def trainable(self):
        return bool(self.requires_grad)

    @trainable.setter
    def trainable(self, value):
        if isinstance(self, nn.Parameter):
            self.requires_grad_(bool(value))
        elif value:
            raise ValueError(
                f"Variable '{self.path}' is non-trainable state (a buffer) and cannot be made "
                f"trainable. Received: trainable={value!r}"
            )

    def numpy(self, *, force=False):
        """The value as a NumPy array (on the host; no gradient tracking needed)."""
        return self.detach().numpy(force=True) if force else self.detach().cpu().numpy()

    def assign(self, value):
        """Set the value in place (same shape); returns the variable."""
        with torch.no_grad():
            self.copy_(_as_tensor(value, self))
        return self

    def assign_add(self, delta):
        """Add `delta` in place; returns the variable."""
        with torch.no_grad():
            self.add_(_as_tensor(delta, self))
        return self

    def assign_sub(self, delta):
        """Subtract `delta` in place; returns the variable."""
        with torch.no_grad():
            self.sub_(_as_tensor(delta, self))
        return self


def _as_tensor(value, like):
    if isinstance(value, torch.Tensor):
        return value.detach().to(device=like.device, dtype=like.dtype)
    return torch.as_tensor(np.asarray(value), dtype=like.dtype, device=like.device)


class Variable(_KerasVariableAPI, nn.Parameter):
    """A trainable weight: an `nn.Parameter` with Keras's variable methods."""

    __torch_function__ = torch._C._disabled_torch_function_impl  # type: ignore[assignment]  # stubs type it as a method; torch assigns it so itself

    def __new__(cls, data=None, requires_grad=True):
        return nn.Parameter.__new__(cls, data, requires_grad)


class StateVariable(_KerasVariableAPI, torch.Tensor):
    """A non-trainable weight or metric state: a buffer with Keras's variable methods."""

    __torch_function__ = torch._C._disabled_torch_function_impl  # type: ignore[assignment]  # stubs type it as a method; torch assigns it so itself

    def __new__(cls, data):
        return torch.Tensor._make_subclass(cls, data.detach(), False)

    def __deepcopy__(self, memo):
        result = StateVariable(self.detach().clone())
        result.__dict__.update(self.__dict__)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_state, (self.detach().clone(), dict(self.__dict__)))


def _rebuild_state(data, attrs):
    result = StateVariable(data)
    result.__dict__.update(attrs)
    return result


def make_variable(value, trainable, requires_grad, name, path):
    """A `Variable` (trainable) or `StateVariable` holding `value`, named for Keras."""
    var = Variable(value, requires_grad=requires_grad) if trainable else StateVariable(value)
    var.__dict__["_keras_name"] = name
    var.__dict__["_keras_path"] = path
    return var


def rewrap(tensor, like):
    """`tensor` (a buffer torch replaced, e.g. by `.to(device)`) as a StateVariable named
    like `like`."""
    if isinstance(tensor, StateVariable) or not isinstance(like, StateVariable):
        return tensor
    var = StateVariable(tensor)
    var.__dict__.update(like.__dict__)
    return var
