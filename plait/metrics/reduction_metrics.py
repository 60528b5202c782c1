"""Reductions (`Sum`, `Mean`) and `MeanMetricWrapper`, the mean of a function's values; the
machinery behind every built-in metric over a fixed function.
"""

import sys
from typing import Any

import torch

from plait import serialization
from plait.losses.loss import rebuild_wrapper
from plait.metrics.metric import Metric, _divide_no_nan, reduce_to_samplewise_values

__all__ = ["Mean", "MeanMetricWrapper", "Sum"]


# --- reductions ------------------------------------------------------------------------


@serialization.register_serializable(package="plait")
class Sum(Metric):
    """The (weighted) sum of the values.

    Args:
        name: default "sum".
        dtype: default "float32".

    `update_state(values, sample_weight=None)`.

    Example:
        >>> m = Sum()
        >>> m.update_state([1, 3, 5, 7])
        >>> round(float(m.result()), 4)
        16.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(
            self._tensor(values), sample_weight, torch.sum, self._dtype
        )
        self.total.add_(values.sum())

    def result(self):
        return self.total.clone()


@serialization.register_serializable(package="plait")
class Mean(Metric):
    """The (weighted) mean of the values: `total / count`.

    Args:
        name: default "mean".
        dtype: default "float32".

    `update_state(values, sample_weight=None)`: `values` of any shape (the mean over
    all but the first axis is one sample's value); `sample_weight` per sample, or a
    Python number weighting a 0-d value (the training loop's batch loss and size).

    Example:
        >>> m = Mean()
        >>> m.update_state([1, 3, 5, 7])
        >>> round(float(m.result()), 4)
        4.0
        >>> m.update_state([2.], sample_weight=[4.])
        >>> round(float(m.result()), 4)
        3.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")
        self.count = self.add_variable((), name="count")

    def update_state(self, values, sample_weight=None):
        values = self._tensor(values)
        if isinstance(sample_weight, (int, float)) and values.ndim == 0:
            self.total.add_(values * sample_weight)
            self.count.add_(sample_weight)
            return
        values, sample_weight = reduce_to_samplewise_values(
            values, sample_weight, torch.mean, self._dtype
        )
        self.total.add_(values.sum())
        if sample_weight is not None:
            self.count.add_(sample_weight.sum())
        else:
            self.count.add_(values.shape[0] if values.ndim else 1)

    def result(self):
        return _divide_no_nan(self.total, self.count)


# The functions a saved `MeanMetricWrapper` may name, by name (filled by `lookup.py`).
_FUNCTIONS: dict[str, Any] = {}


def _function_config(fn):
    return getattr(fn, "__name__", type(fn).__name__)


@serialization.register_serializable(package="plait")
class MeanMetricWrapper(Mean):
    """The mean of a function's per-sample values.

    Args:
        fn: `fn(y_true, y_pred, **kwargs)` -> values per sample.
        name: default: "mean_metric_wrapper" (`get` names it after `fn`).
        dtype: default "float32".
        **kwargs: passed to `fn`.

    Example:
        >>> def within_half(y_true, y_pred):
        ...     return (abs(y_pred - y_true) < 0.5).float().mean(dim=-1)
        >>> m = MeanMetricWrapper(within_half, name="within_half")
        >>> m.update_state(torch.tensor([[1., 2.], [3., 4.]]), torch.tensor([[1.2, 2.9], [3., 4.]]))
        >>> round(float(m.result()), 4)
        0.75
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or "mean_metric_wrapper", dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._place_like(y_pred)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        return {
            **super().get_config(),
            "fn": serialization.function_name(self._fn),
            **self._fn_kwargs,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return rebuild_wrapper(cls, config, custom_objects, _FUNCTIONS, "metric")


class _Wrapped(MeanMetricWrapper):
    """A built-in metric over a fixed function: its config is its constructor's
    arguments."""

    _function: Any = None

    def __init__(self, name, dtype=None, **kwargs):
        super().__init__(type(self)._function, name=name, dtype=dtype, **kwargs)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


def _metric_class(class_name, fn, default_name, doc, **defaults):
    """A `_Wrapped` metric class whose constructor is `(name=default_name, dtype=None,
    **defaults)`."""
    arg_names = list(defaults)

    def __init__(self, name=default_name, dtype=None, **kwargs):
        unknown = set(kwargs) - set(arg_names)
        if unknown:
            raise TypeError(f"{class_name}() got unexpected arguments {sorted(unknown)}.")
        _Wrapped.__init__(self, name, dtype, **{**defaults, **kwargs})
        for key, value in {**defaults, **kwargs}.items():
            setattr(self, key, value)

    cls = type(
        class_name,
        (_Wrapped,),
        {
            "__init__": __init__,
            "__doc__": doc,
            "_function": staticmethod(fn),
            # the class belongs to the module that calls this (pickle finds it there)
            "__module__": sys._getframe(1).f_globals["__name__"],
        },
    )
    return cls


_EXAMPLE_DOC = """
    Example:
        >>> m = {call}
        >>> m.update_state({y_true}, {y_pred})
        >>> round(float(m.result()), 4)
        {value}
"""


def _args_doc(name, extra="", example=None):
    """The Args section of a built-in metric's docstring, then its doctest example:
    `example` is `(call, y_true, y_pred, value)`, `value` being Keras's result."""
    doc = f'\n\n    Args:\n        name: default "{name}".\n        dtype: default "float32".{extra}\n'
    if example is not None:
        call, y_true, y_pred, value = example
        doc += _EXAMPLE_DOC.format(call=call, y_true=y_true, y_pred=y_pred, value=value)
    return doc
