"""The `Metric` base class: state tensors summed over samples, `update_state`, `result`,
`reset_state`, and Keras's reduction of metric values to one weighted value per sample.
"""

import functools

import torch

from plait import losses
from plait.utils import dtypes, variables
from plait.losses import (
    squeeze_or_expand_to_same_rank,
)

__all__ = ["Metric", "NEG_INF", "reduce_to_samplewise_values"]


NEG_INF = -1e10

_DTYPES = {name: dtypes.FLOATS[name] for name in ("float32", "float64")}


def _no_grad(fn):
    """Run `fn` without autograd; nested calls skip the (costly) context switch."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if not torch.is_grad_enabled():
            return fn(*args, **kwargs)
        with torch.no_grad():
            return fn(*args, **kwargs)

    return wrapper


def _cast(x, dtype):
    return x if x.dtype == dtype else x.to(dtype)


def _divide_no_nan(a, b):
    return torch.where(b == 0, torch.zeros_like(a), a / torch.where(b == 0, 1.0, b))


# --- the base class --------------------------------------------------------------------


class Metric:
    """Base class of metrics.

    Args:
        name: the metric's name (history keys use it). Default: the class name in
            snake_case.
        dtype: the dtype of the state and result, "float32" (default) or "float64".

    Subclasses create their state with `add_variable(shape, name=...)` in `__init__`
    and implement `update_state` and `result`. `update_state` runs under
    `torch.no_grad()`.

    Example:
        >>> class CountAbove(Metric):
        ...     def __init__(self, threshold=0.5, name=None, dtype=None):
        ...         super().__init__(name=name, dtype=dtype)
        ...         self.threshold = threshold
        ...         self.count = self.add_variable((), name="count")
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         self.count.add_((torch.as_tensor(y_pred) > self.threshold).sum())
        ...     def result(self):
        ...         return self.count.clone()
        >>> m = CountAbove()
        >>> m.update_state([0, 1, 1], [0.2, 0.7, 0.9])
        >>> m.name, float(m.result())
        ('count_above', 2.0)
        >>> m.reset_state()
        >>> float(m.result())
        0.0
    """

    def __init__(self, name=None, dtype=None):
        names = {torch.float32: "float32", torch.float64: "float64"}
        dtype = names.get(dtype, dtype)
        if dtype is not None and dtype not in _DTYPES:
            raise ValueError(
                f"Invalid value for argument `dtype`. Expected one of "
                f"{list(_DTYPES)}. Received: dtype={dtype!r}"
            )
        self.name = name or losses._snake_case(type(self).__name__)
        self.dtype = dtype or "float32"
        self._dtype = _DTYPES[self.dtype]
        self._variable_names = []
        self._device = torch.device("cpu")
        self._placed = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "update_state" in cls.__dict__:
            cls.update_state = _no_grad(cls.__dict__["update_state"])

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum", name=None):
        """Create a state tensor, filled by `initializer` ("zeros", "ones", a number or
        an initializer), stored as attribute `name` (default `variable`, `variable_1`,
        ...). It answers Keras's variable API (`assign`, `assign_add`, `numpy()`)."""
        if name is None:
            name, i = "variable", 0
            while name in self._variable_names:
                i += 1
                name = f"variable_{i}"
        torch_dtype = (
            dtype
            if isinstance(dtype, torch.dtype)
            else _DTYPES.get(dtype, self._dtype)
            if dtype is not None
            else self._dtype
        )
        shape = (shape,) if isinstance(shape, int) else tuple(shape or ())
        fill = (
            {"zeros": 0.0, "ones": 1.0}.get(initializer, initializer)
            if isinstance(initializer, (str, int, float))
            else None
        )
        if fill is None or isinstance(fill, str):
            from plait import initializers

            value = initializers.get(initializer)(shape, dtype=torch_dtype)
            value = torch.as_tensor(value, dtype=torch_dtype, device=self._device)
        else:
            value = torch.full(shape, float(fill), dtype=torch_dtype, device=self._device)
        value = variables.make_variable(value, False, False, name, f"{self.name}/{name}")
        object.__setattr__(self, name, value)
        self._variable_names.append(name)
        self._initial = getattr(self, "_initial", {})
        self._initial[name] = value.detach().clone() if fill is None else float(fill)
        return value

    def add_weight(
        self,
        name=None,
        shape=(),
        aggregation="sum",
        synchronization=None,
        initializer="zeros",
        dtype=None,
    ):
        """Keras 2's name for `add_variable` (`self.add_weight(name="tp",
        initializer="zeros")`)."""
        return self.add_variable(shape, initializer, dtype, name=name)

    @property
    def variables(self):
        """The state tensors, in creation order."""
        return [getattr(self, name) for name in self._variable_names]

    def _place(self, device):
        """Move the state to `device` (on the first update after creation or reset)."""
        if device != self._device:
            for name in self._variable_names:
                # in place: the user's own attribute (`self.tp = self.add_variable(...)`)
                # refers to the same tensor
                var = getattr(self, name)
                var.data = var.data.to(device)
            self._device = device
        self._placed = True

    def _tensor(self, x, dtype=None):
        """`x` as a tensor on the state's device; the first update places the state on
        `x`'s device."""
        if not isinstance(x, torch.Tensor):
            x = torch.as_tensor(x)
        if not self._placed:
            self._place(x.device)
        dtype = dtype or self._dtype
        if x.device != self._device or x.dtype != dtype:
            x = x.to(device=self._device, dtype=dtype)
        return x

    def _place_like(self, y_pred):
        if not self._placed:
            device = y_pred.device if isinstance(y_pred, torch.Tensor) else torch.device("cpu")
            self._place(device)

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"Metric '{type(self).__name__}' must implement update_state().")

    def result(self):
        raise NotImplementedError(f"Metric '{type(self).__name__}' must implement result().")

    def reset_state(self):
        """Zero the state; the next update may place it on another device."""
        for name in self._variable_names:
            initial = self._initial[name]
            if isinstance(initial, torch.Tensor):
                getattr(self, name).data.copy_(initial)
            else:
                getattr(self, name).data.fill_(initial)
        self._placed = False

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Keras's reduction of metric values to one value per sample, weighted.

    Weights are matched to the values' rank (`squeeze_or_expand_to_same_rank`), the
    values reduced over the dimensions the weights lack, then multiplied; what is left
    beyond the batch dimension is reduced with `reduce_fn`.

    Example:
        >>> values = torch.tensor([[1., 3.], [2., 4.]])
        >>> reduce_to_samplewise_values(values, None, torch.mean, torch.float32)
        (tensor([2., 3.]), None)
        >>> reduce_to_samplewise_values(values, [1., 0.5], torch.mean, torch.float32)
        (tensor([2.0000, 1.5000]), tensor([1.0000, 0.5000]))
    """
    values = _cast(values, dtype)
    if sample_weight is not None:
        sample_weight = torch.as_tensor(sample_weight, device=values.device).to(dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim, values_ndim = sample_weight.ndim, values.ndim
        if values_ndim > weight_ndim:
            values = reduce_fn(values, dim=list(range(weight_ndim, values_ndim)))
        sample_weight = torch.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, dim=list(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, dim=list(range(1, values.ndim)))
    return values, sample_weight
