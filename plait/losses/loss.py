"""The `Loss` base class and `LossFunctionWrapper`, Keras's reductions over the batch
(`reduce_weighted_values`, masks, sample weights), and the helpers every loss shares
(`squeeze_or_expand_to_same_rank`, the epsilon losses clip with).
"""

from typing import Any, Callable

import sys

import torch

from plait import serialization
from plait.utils import dtypes
from plait.utils.naming import to_snake_case as _snake_case

__all__ = [
    "EPSILON",
    "Loss",
    "LossFunctionWrapper",
    "REDUCTIONS",
    "apply_mask",
    "reduce_values",
    "reduce_weighted_values",
    "squeeze_or_expand_to_same_rank",
    "standardize_reduction",
]


EPSILON = 1e-7
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)
_MEANS = ("sum_over_batch_size", "mean", "mean_with_sample_weight")


# --- tensors and shapes ----------------------------------------------------------------


def _as_pred(y_pred):
    """`y_pred` as a float tensor: float32 and float64 stay, anything else is float32."""
    if not isinstance(y_pred, torch.Tensor):
        y_pred = torch.as_tensor(y_pred)
    if y_pred.dtype not in (torch.float32, torch.float64):
        y_pred = y_pred.to(torch.float32)
    return y_pred


def _pair(y_true, y_pred):
    """Both as tensors on y_pred's device, y_true cast to y_pred's float dtype."""
    y_pred = _as_pred(y_pred)
    return _like(y_true, y_pred.device, y_pred.dtype), y_pred


def _like(x, device, dtype=None):
    """`x` as a tensor on `device` (and of `dtype`), without work when it already is."""
    if not isinstance(x, torch.Tensor):
        x = torch.as_tensor(x)
    if x.device != device or (dtype is not None and x.dtype != dtype):
        x = x.to(device=device, dtype=dtype or x.dtype)
    return x


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Make the ranks of `x1` and `x2` equal when they differ by one and the longer one
    ends in a dimension of 1 (Keras's rule): `(batch,)` against `(batch, 1)` gives two
    `(batch, 1)` tensors (or two `(batch,)` when `expand_rank_1=False`)."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


def _check_same_shape(fn_name, y_true, y_pred, hint=""):
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"In {fn_name}, `y_true` and `y_pred` must have the same shape. "
            f"Received: y_true.shape={tuple(y_true.shape)}, "
            f"y_pred.shape={tuple(y_pred.shape)}.{hint}"
        )


def _classes_to_dim1(x, axis):
    """PyTorch's cross_entropy wants the class axis at position 1."""
    return x if x.ndim == 1 or axis % x.ndim == 1 else x.movedim(axis, 1)


# --- reduction -------------------------------------------------------------------------


def standardize_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`. Expected one of {list(REDUCTIONS)}. "
            f"Received: reduction={reduction!r}"
        )
    return reduction


def _divide_no_nan(a, b):
    return torch.where(b == 0, torch.zeros_like(a), a / b)


def apply_mask(sample_weight, mask, reduction, dtype=torch.float32):
    """Fold a boolean mask into the sample weights. For the mean reductions the valid
    entries are scaled by `total / valid`, so the mean runs over valid entries only."""
    if mask is None:
        return sample_weight
    mask = mask.to(dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        mask = mask * _divide_no_nan(mask.new_tensor(float(mask.numel())), mask.sum())
    if sample_weight is None:
        return mask
    sample_weight = torch.as_tensor(sample_weight, device=mask.device).to(dtype)
    mask, sample_weight = squeeze_or_expand_to_same_rank(mask, sample_weight)
    return sample_weight * mask


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Reduce per-sample values: "sum", a mean over every element ("sum_over_batch_size"
    and "mean"), a sum over the sum of the weights ("mean_with_sample_weight"), or
    nothing (None/"none"). 0-d and empty values are returned as they are."""
    if reduction in (None, "none") or values.ndim == 0 or tuple(values.shape) == (0,):
        return values
    if reduction == "sum":
        return values.sum()
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return _divide_no_nan(values.sum(), sample_weight.sum().to(values.dtype))
    return values.mean() if values.numel() else values.sum()


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size"):
    """Weight per-sample loss values, then reduce them as Keras 3 does.

    `sample_weight` of shape `(batch,)` weights each sample; it may also match `values`
    or be broadcastable to it. Weights with fewer dimensions than `values` weight whole
    rows (e.g. `(batch,)` weights for `(batch, steps)` values).
    """
    reduction = standardize_reduction(reduction)
    sample_weight = apply_mask(sample_weight, mask, reduction, values.dtype)
    if sample_weight is not None:
        sample_weight = torch.as_tensor(sample_weight, device=values.device).to(values.dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        if 0 < sample_weight.ndim < values.ndim:
            sample_weight = sample_weight.reshape(
                tuple(sample_weight.shape) + (1,) * (values.ndim - sample_weight.ndim)
            )
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


# --- classes ---------------------------------------------------------------------------

_DTYPES = dtypes.FLOATS


def _dtype_name(dtype):
    if dtype is None or isinstance(dtype, str):
        if dtype is not None and dtype not in _DTYPES:
            raise ValueError(
                f"Invalid value for argument `dtype`. Expected one of "
                f"{list(_DTYPES)}. Received: dtype={dtype!r}"
            )
        return dtype
    for name, value in _DTYPES.items():
        if dtype is value:
            return name
    raise TypeError(
        f"Argument `dtype` must be a float dtype name or torch dtype. Received: dtype={dtype!r}"
    )


@serialization.register_serializable(package="plait")
class Loss:
    """Base class of losses: `loss(y_true, y_pred, sample_weight=None)` -> 0-d tensor.

    Subclasses implement `call(y_true, y_pred)` returning one value per sample.

    Args:
        reduction: "sum_over_batch_size" (default; the mean over every element),
            "sum", "mean" (the same as "sum_over_batch_size"),
            "mean_with_sample_weight" (the sum divided by the sum of the weights), or
            None/"none" (the per-sample values).
        name: the loss's name. Default: the class name in snake_case.
        dtype: the dtype computed in. Default None: float32, or float64 for float64
            predictions.

    Note Keras 3's base class takes `name` first; pass these by keyword.

    Example:
        >>> class MeanCubedError(Loss):
        ...     def call(self, y_true, y_pred):
        ...         return torch.abs(y_pred - y_true).pow(3).mean(dim=-1)
        >>> loss = MeanCubedError()
        >>> loss.name
        'mean_cubed_error'
        >>> loss(torch.tensor([[0., 1.], [0., 0.]]), torch.tensor([[2., 1.], [1., 0.]]))
        tensor(2.2500)
    """

    # Whether y_true is cast to y_pred's float dtype before `call` (not for int labels).
    _cast_labels = True

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None):
        self.reduction = standardize_reduction(reduction)
        self.name = name or _snake_case(type(self).__name__)
        self.dtype = _dtype_name(dtype)

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = _as_pred(y_pred)
        if self.dtype is not None:
            y_pred = y_pred.to(_DTYPES[self.dtype])
        y_true = _like(y_true, y_pred.device, y_pred.dtype if self._cast_labels else None)
        if sample_weight is None and self.reduction in _MEANS:
            mean = self._mean(y_true, y_pred)
            if mean is not None:
                return mean
        values, mask = self._values_and_mask(y_true, y_pred)
        return reduce_weighted_values(values, sample_weight, mask, self.reduction)

    def _mean(self, y_true, y_pred):
        """The unweighted mean loss in one fused kernel, or None where there is none."""
        return None

    def _values_and_mask(self, y_true, y_pred):
        return self.call(y_true, y_pred), None

    def call(self, y_true, y_pred):
        raise NotImplementedError(
            f"Loss '{type(self).__name__}' must implement call(y_true, y_pred)."
        )

    def get_config(self):
        config = {"name": self.name, "reduction": self.reduction}
        if self.dtype is not None:
            config["dtype"] = self.dtype
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


# The functions a saved `LossFunctionWrapper` may name, by name (filled by `lookup.py`).
_FUNCTIONS: dict[str, Callable[..., Any]] = {}


def _function_name(fn):
    return getattr(fn, "__name__", type(fn).__name__)


def rebuild_wrapper(cls, config, custom_objects, functions, kind):
    """`cls(fn, **rest)` from a function wrapper's config, `fn` looked up by the name in
    `config["fn"]`: in `custom_objects`, in `functions` (the built-ins), then in the
    registry. Shared by `LossFunctionWrapper` and `plait.metrics.MeanMetricWrapper`.

    Raises:
        ValueError: for a function found nowhere, saying how to make it known.
    """
    config = dict(config)
    name = config.pop("fn")
    fn = (
        (custom_objects or {}).get(name)
        or functions.get(name)
        or serialization.get_function(name, custom_objects)
    )
    if fn is None:
        short = str(name).rpartition(">")[2]
        raise ValueError(
            f"Cannot rebuild {cls.__name__}: unknown {kind} function '{name}'. "
            f"Pass it in custom_objects={{'{short}': {short}}}, or decorate it with "
            "@plait.saving.register_serializable()."
        )
    return cls(fn, **config)


@serialization.register_serializable(package="plait")
class LossFunctionWrapper(Loss):
    """A `Loss` around a function `fn(y_true, y_pred, **kwargs)` returning one value per
    sample. The ranks of y_true and y_pred are matched first (`(batch,)` against
    `(batch, 1)`).

    Args:
        fn: the function.
        reduction, name, dtype: as `Loss`.
        **kwargs: passed to `fn` on every call.

    Example:
        >>> def scaled_mse(y_true, y_pred, scale):
        ...     return scale * torch.square(y_pred - y_true).mean(dim=-1)
        >>> loss = LossFunctionWrapper(scaled_mse, name="scaled_mse", scale=0.5)
        >>> loss(torch.tensor([[0., 1.], [0., 0.]]), torch.tensor([[1., 1.], [1., 0.]]))
        tensor(0.2500)
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config["fn"] = serialization.function_name(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return rebuild_wrapper(cls, config, custom_objects, _FUNCTIONS, "loss")

    def __repr__(self):
        return f"<LossFunctionWrapper({_function_name(self.fn)}, kwargs={self._fn_kwargs})>"


class _BuiltinLoss(LossFunctionWrapper):
    """A built-in loss class: its config is its constructor's arguments."""

    def get_config(self):
        return {**Loss.get_config(self), **self._fn_kwargs}

    __repr__ = Loss.__repr__

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


def _builtin(fn, default_name, doc):
    def __init__(self, reduction="sum_over_batch_size", name=default_name, dtype=None):
        _BuiltinLoss.__init__(self, fn, reduction=reduction, name=name, dtype=dtype)

    return {"__init__": __init__, "__doc__": doc}


_REDUCTION_DOC = """
    Args:
        reduction: "sum_over_batch_size" (default), "sum", "mean",
            "mean_with_sample_weight" or None/"none"; see `Loss`.
        name: default "{name}".
        dtype: the dtype computed in; see `Loss`.
"""


_EXAMPLE_DOC = """
    Example:
        >>> import numpy as np
        >>> y_true = np.array({y_true})
        >>> y_pred = np.array({y_pred})
        >>> round(float({call}(y_true, y_pred)), 4)
        {value}
"""


def class_example(call, y_true, y_pred, value):
    """The doctest example of a loss class's docstring: `call` (e.g. "Huber()") applied
    to two numpy arrays, the result rounded to 4 places (Keras's value)."""
    return _EXAMPLE_DOC.format(call=call, y_true=y_true, y_pred=y_pred, value=value)


def _simple_class(class_name, fn, default_name, formula, example):
    """A `_BuiltinLoss` class named `class_name` around `fn`; `example` is
    `(y_true, y_pred, value)` for its docstring's example."""
    doc = (
        f"{formula}\n{_REDUCTION_DOC.format(name=default_name)}"
        f"{class_example(class_name + '()', *example)}"
    )
    # the class belongs to the module that calls this (pickle finds it there)
    module = sys._getframe(1).f_globals["__name__"]
    attrs = {**_builtin(fn, default_name, doc), "__module__": module}
    cls = type(class_name, (_BuiltinLoss,), attrs)
    return serialization.register_serializable(package="plait")(cls)
