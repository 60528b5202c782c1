"""Stateful metrics with Keras 3's names and semantics.

A metric accumulates state tensors with `update_state(y_true, y_pred, sample_weight=None)`
and reports them with `result()`, a 0-d tensor; `reset_state()` zeroes the state. All
of it runs on the device of the first update and nothing waits for the device, so the
training loop can update metrics every batch and read them only when it prints. Every
state tensor is a sum over samples (`variables`), so data-parallel workers combine their
metrics by summing the states.

    m = plait.metrics.get("accuracy", loss="sparse_categorical_crossentropy")
    m.update_state(y_true, y_pred)
    m.result()                                      # tensor(0.75)
"""

import functools
from typing import Any

import torch

from plait import losses, serialization
from plait.utils import dtypes, variables
from plait.losses import (  # noqa: F401  (Keras exposes the loss functions as metrics)
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
    squeeze_or_expand_to_same_rank,
)

__all__ = [
    "AUC",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "FalseNegatives",
    "FalsePositives",
    "Hinge",
    "KLDivergence",
    "LogCoshError",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Metric",
    "Poisson",
    "Precision",
    "Recall",
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SquaredHinge",
    "Sum",
    "TopKCategoricalAccuracy",
    "TrueNegatives",
    "TruePositives",
    "accuracy",
    "binary_accuracy",
    "binary_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "serialize",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "squared_hinge",
    "top_k_categorical_accuracy",
]


def __dir__():  # dir() lists the public API, not torch, re or helpers
    return sorted(
        set(__all__)
        | {
            n
            for n, v in globals().items()
            if isinstance(v, type) and v.__module__ == __name__ and not n.startswith("_")
        }
    )


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


# --- reductions ------------------------------------------------------------------------


@serialization.register_serializable(package="plait")
class Sum(Metric):
    """The (weighted) sum of the values.

    Args:
        name: default "sum".
        dtype: default "float32".

    `update_state(values, sample_weight=None)`.
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
        config = dict(config)
        name = config.pop("fn")
        fn = (
            (custom_objects or {}).get(name)
            or _FUNCTIONS.get(name)
            or serialization.get_function(name, custom_objects)
        )
        if fn is None:
            short = str(name).rpartition(">")[2]
            raise ValueError(
                f"Cannot rebuild MeanMetricWrapper: unknown metric function '{name}'. "
                f"Pass it in custom_objects={{'{short}': {short}}}, or decorate it with "
                "@plait.saving.register_serializable()."
            )
        return cls(fn, **config)


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


# --- accuracy --------------------------------------------------------------------------


def _pred_and_true(y_true, y_pred):
    if not isinstance(y_pred, torch.Tensor):
        y_pred = torch.as_tensor(y_pred)
    return losses._like(y_true, y_pred.device), y_pred


def accuracy(y_true, y_pred):
    """How often `y_pred == y_true`: `mean(y_true == y_pred, axis=-1)`."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true.to(y_pred.dtype), y_pred)
    return (y_true == y_pred).to(torch.float32).mean(dim=-1)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """How often `(y_pred > threshold) == y_true`, averaged over the last axis."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = (y_pred > threshold).to(y_true.dtype)
    return (y_true == y_pred).to(torch.float32).mean(dim=-1)


def categorical_accuracy(y_true, y_pred):
    """How often `argmax(y_pred) == argmax(y_true)` for one-hot labels; one value per
    sample."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    true_ids = torch.argmax(y_true, dim=-1)
    shape = true_ids.shape
    squeeze = true_ids.ndim == y_pred.ndim
    if squeeze:
        true_ids = true_ids.squeeze(-1)
    matches = (true_ids == torch.argmax(y_pred, dim=-1)).to(torch.float32)
    return matches.reshape(shape) if squeeze else matches


def sparse_categorical_accuracy(y_true, y_pred):
    """How often `argmax(y_pred) == y_true` for integer labels `(batch,)` or
    `(batch, 1)`; one value per sample."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    shape = y_true.shape
    squeeze = y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1
    if squeeze:
        y_true = y_true.squeeze(-1)
    pred_ids = _cast(torch.argmax(y_pred, dim=-1), y_true.dtype)
    matches = (y_true == pred_ids).to(torch.float32)
    if squeeze:
        matches = matches.reshape(shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = matches.squeeze(-1)
    return matches


def _in_top_k(targets, predictions, k):
    """Whether each target's score is at least the k-th largest score (ties count)."""
    k = min(k, predictions.shape[-1])
    kth = torch.topk(predictions, k, dim=-1).values[..., -1]
    picked = predictions.gather(-1, targets.long().unsqueeze(-1)).squeeze(-1)
    return picked >= kth


def _top_k_matches(true_ids, y_pred, k):
    shape = true_ids.shape
    if y_pred.ndim > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    matches = _in_top_k(true_ids.reshape(-1), y_pred, k).to(torch.float32)
    return matches.reshape(shape)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Whether the one-hot label's class is among the k highest predictions."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    return _top_k_matches(torch.argmax(y_true, dim=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """Whether the integer label is among the k highest predictions. With
    `from_sorted_ids=True`, `y_pred` holds class ids sorted by score instead."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    if from_sorted_ids:
        shape = y_true.shape
        ids = y_pred.reshape(-1, y_pred.shape[-1])[:, :k]
        matches = (ids == y_true.reshape(-1, 1).to(ids.dtype)).any(dim=-1)
        return matches.to(torch.float32).reshape(shape)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    return _top_k_matches(y_true, y_pred, k)


def cosine_similarity(y_true, y_pred, axis=-1):
    """`sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)` (the metric is positive,
    the loss negative)."""
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


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
            "__module__": __name__,
        },
    )
    return cls


def _args_doc(name, extra=""):
    return (
        f'\n\n    Args:\n        name: default "{name}".\n'
        f'        dtype: default "float32".{extra}\n'
    )


@serialization.register_serializable(package="plait")
class Accuracy(_Wrapped):
    __doc__ = "How often predictions equal labels." + _args_doc("accuracy")
    _function = staticmethod(accuracy)

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name, dtype)


@serialization.register_serializable(package="plait")
class BinaryAccuracy(_Wrapped):
    __doc__ = "How often `(y_pred > threshold)` matches binary labels." + _args_doc(
        "binary_accuracy",
        "\n        threshold: default 0.5. Any float is accepted "
        "(use 0.0 for logits; Keras 3 accepts only (0, 1)).",
    )
    _function = staticmethod(binary_accuracy)

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise TypeError(
                f"Argument `threshold` must be a float. Received: threshold={threshold!r}"
            )
        super().__init__(name, dtype, threshold=float(threshold))
        self.threshold = float(threshold)


@serialization.register_serializable(package="plait")
class CategoricalAccuracy(_Wrapped):
    __doc__ = "How often the highest prediction matches the one-hot label." + _args_doc(
        "categorical_accuracy"
    )
    _function = staticmethod(categorical_accuracy)

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name, dtype)


@serialization.register_serializable(package="plait")
class SparseCategoricalAccuracy(_Wrapped):
    __doc__ = "How often the highest prediction matches the integer label." + _args_doc(
        "sparse_categorical_accuracy"
    )
    _function = staticmethod(sparse_categorical_accuracy)

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name, dtype)


@serialization.register_serializable(package="plait")
class TopKCategoricalAccuracy(_Wrapped):
    __doc__ = "How often the one-hot label is among the k highest predictions." + _args_doc(
        "top_k_categorical_accuracy", "\n        k: default 5."
    )
    _function = staticmethod(top_k_categorical_accuracy)

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(name, dtype, k=k)
        self.k = k


@serialization.register_serializable(package="plait")
class SparseTopKCategoricalAccuracy(_Wrapped):
    __doc__ = "How often the integer label is among the k highest predictions." + _args_doc(
        "sparse_top_k_categorical_accuracy",
        "\n        k: default 5.\n        from_sorted_ids: y_pred holds "
        "class ids sorted by score. Default False.",
    )
    _function = staticmethod(sparse_top_k_categorical_accuracy)

    def __init__(
        self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False
    ):
        kwargs = {"k": k}
        if from_sorted_ids:
            kwargs["from_sorted_ids"] = True
        super().__init__(name, dtype, **kwargs)
        self.k = k
        self.from_sorted_ids = from_sorted_ids


# --- regression, probabilistic and hinge metrics ---------------------------------------
# Metric classes sharing a loss class's name are not put in the shared registry (the
# loss keeps the name there); plait.metrics.deserialize finds them in CLASSES.

MeanSquaredError = _metric_class(
    "MeanSquaredError",
    mean_squared_error,
    "mean_squared_error",
    "Mean of `square(y_true - y_pred)`." + _args_doc("mean_squared_error"),
)
MeanAbsoluteError = _metric_class(
    "MeanAbsoluteError",
    mean_absolute_error,
    "mean_absolute_error",
    "Mean of `abs(y_true - y_pred)`." + _args_doc("mean_absolute_error"),
)
MeanAbsolutePercentageError = _metric_class(
    "MeanAbsolutePercentageError",
    mean_absolute_percentage_error,
    "mean_absolute_percentage_error",
    "Mean absolute percentage error." + _args_doc("mean_absolute_percentage_error"),
)
MeanSquaredLogarithmicError = _metric_class(
    "MeanSquaredLogarithmicError",
    mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error",
    "Mean squared logarithmic error." + _args_doc("mean_squared_logarithmic_error"),
)
CosineSimilarity = _metric_class(
    "CosineSimilarity",
    cosine_similarity,
    "cosine_similarity",
    "Mean cosine similarity of y_true and y_pred (positive, unlike the loss)."
    + _args_doc("cosine_similarity", "\n        axis: default -1."),
    axis=-1,
)
LogCoshError = _metric_class(
    "LogCoshError",
    log_cosh,
    "logcosh",
    "Mean of `log(cosh(y_pred - y_true))`." + _args_doc("logcosh"),
)
Hinge = _metric_class("Hinge", hinge, "hinge", "Mean hinge loss." + _args_doc("hinge"))
SquaredHinge = _metric_class(
    "SquaredHinge",
    squared_hinge,
    "squared_hinge",
    "Mean squared hinge loss." + _args_doc("squared_hinge"),
)
CategoricalHinge = _metric_class(
    "CategoricalHinge",
    categorical_hinge,
    "categorical_hinge",
    "Mean categorical hinge loss." + _args_doc("categorical_hinge"),
)
KLDivergence = _metric_class(
    "KLDivergence",
    kl_divergence,
    "kl_divergence",
    "Mean Kullback-Leibler divergence." + _args_doc("kl_divergence"),
)
Poisson = _metric_class("Poisson", poisson, "poisson", "Mean Poisson loss." + _args_doc("poisson"))
BinaryCrossentropy = _metric_class(
    "BinaryCrossentropy",
    binary_crossentropy,
    "binary_crossentropy",
    "Mean binary crossentropy."
    + _args_doc(
        "binary_crossentropy",
        "\n        from_logits: default False.\n        label_smoothing: default 0.",
    ),
    from_logits=False,
    label_smoothing=0.0,
)
CategoricalCrossentropy = _metric_class(
    "CategoricalCrossentropy",
    categorical_crossentropy,
    "categorical_crossentropy",
    "Mean categorical crossentropy."
    + _args_doc(
        "categorical_crossentropy",
        "\n        from_logits: default False.\n"
        "        label_smoothing: default 0.\n        axis: default -1.",
    ),
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
)
SparseCategoricalCrossentropy = _metric_class(
    "SparseCategoricalCrossentropy",
    sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy",
    "Mean sparse categorical crossentropy."
    + _args_doc(
        "sparse_categorical_crossentropy",
        "\n        from_logits: default False.\n        axis: default -1.",
    ),
    from_logits=False,
    axis=-1,
)


@serialization.register_serializable(package="plait")
class RootMeanSquaredError(Mean):
    """`sqrt(mean(square(y_pred - y_true)))` over everything seen.

    Args:
        name: default "root_mean_squared_error".
        dtype: default "float32".
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = self._tensor(y_pred)
        y_true = self._tensor(y_true)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(torch.square(y_pred - y_true), sample_weight)

    def result(self):
        return torch.sqrt(super().result())


# --- confusion-matrix metrics ----------------------------------------------------------


def _check_thresholds(thresholds):
    bad = [t for t in thresholds if t is None or not 0 <= t <= 1]
    if bad:
        raise ValueError(
            f"Invalid value for argument `thresholds`: every threshold must "
            f"be in [0, 1]. Received: thresholds={thresholds}"
        )


def _to_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _filter_top_k(x, k):
    """Keep the k largest values of the last axis (the first on ties) and set the rest
    to NEG_INF."""
    order = torch.sort(x, dim=-1, descending=True, stable=True).indices[..., :k]
    keep = torch.zeros_like(x, dtype=torch.bool).scatter_(-1, order, True)
    return torch.where(keep, x, torch.full_like(x, NEG_INF))


def _prepare_confusion(y_true, y_pred, sample_weight, dtype, top_k=None, class_id=None):
    """Labels (as 0/1), predictions and per-element weights, broadcast together."""
    y_pred = y_pred.to(dtype)
    y_true = (y_true != 0).to(dtype)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    weights = None
    if sample_weight is not None:
        weights = torch.as_tensor(sample_weight, device=y_pred.device).to(dtype).unsqueeze(-1)
        _, weights = squeeze_or_expand_to_same_rank(y_true, weights, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "When `class_id` is set, y_pred must have shape (num_samples, num_classes). "
                f"Received: y_pred.shape={tuple(y_pred.shape)}"
            )
        y_true = y_true[..., class_id : class_id + 1]
        y_pred = y_pred[..., class_id : class_id + 1]
        if weights is not None and weights.ndim == y_pred.ndim and weights.shape[-1] != 1:
            weights = weights[..., class_id : class_id + 1]
    if weights is None:
        weights = torch.ones((), dtype=dtype, device=y_pred.device)
    y_true, y_pred, weights = torch.broadcast_tensors(y_true, y_pred, weights)
    return y_true, y_pred, weights


def _counts_above(y_pred, pos, neg, thresholds):
    """Weighted counts of positives and negatives predicted above each threshold.

    `y_pred`, `pos`, `neg` are `(M,)` or `(M, L)`; `thresholds` is sorted `(T,)`. The
    predictions are bucketed (one pass) and the buckets summed from the top, so this is
    O(M + T) like Keras's evenly-spaced path, for any sorted thresholds.
    """
    num = thresholds.numel()
    index = torch.bucketize(y_pred.contiguous(), thresholds)  # thresholds below each pred
    columns = 1 if y_pred.ndim == 1 else y_pred.shape[-1]
    if y_pred.ndim > 1:
        index = index * columns + torch.arange(columns, device=index.device)
    index = index.reshape(-1)

    def above(weights):
        hist = torch.zeros((num + 1) * columns, dtype=weights.dtype, device=weights.device)
        hist.scatter_add_(0, index, weights.reshape(-1))
        hist = hist.reshape(num + 1, columns)
        suffix = hist.flip(0).cumsum(0).flip(0)
        result = suffix[1:]
        return result if y_pred.ndim > 1 else result.squeeze(-1)

    return above(pos), above(neg)


class _ConfusionBase(Metric):
    """Shared state handling of the confusion-matrix metrics."""

    def _init_thresholds(self, thresholds):
        self.thresholds = [float(t) for t in thresholds]
        order = sorted(range(len(self.thresholds)), key=self.thresholds.__getitem__)
        self._sorted = torch.tensor([self.thresholds[i] for i in order], dtype=self._dtype)
        self._unsort = torch.tensor([order.index(i) for i in range(len(order))])

    def _place(self, device):
        super()._place(device)
        self._sorted = self._sorted.to(device)
        self._unsort = self._unsort.to(device)

    def _confusion(
        self,
        y_true,
        y_pred,
        sample_weight,
        top_k=None,
        class_id=None,
        clip=False,
        label_weights=None,
    ):
        """tp, fp, total positives and total negatives per threshold, for this batch."""
        y_pred = self._tensor(y_pred)
        y_true = torch.as_tensor(y_true, device=self._device)
        labels, preds, weights = _prepare_confusion(
            y_true, y_pred, sample_weight, self._dtype, top_k, class_id
        )
        if clip:
            preds = preds.clamp(0.0, 1.0)
        if label_weights is not None:
            weights = weights * label_weights
        pos, neg = labels * weights, (1.0 - labels) * weights
        tp, fp = _counts_above(preds.reshape(-1), pos.reshape(-1), neg.reshape(-1), self._sorted)
        return tp[self._unsort], fp[self._unsort], pos.sum(), neg.sum()


class _ConfusionMatrixConditionCount(_ConfusionBase):
    _condition = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if thresholds is not None:
            _check_thresholds(_to_list(thresholds))
        self.init_thresholds = thresholds
        self._init_thresholds(_to_list(0.5 if thresholds is None else thresholds))
        self.accumulator = self.add_variable((len(self.thresholds),), name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        tp, fp, pos, neg = self._confusion(y_true, y_pred, sample_weight)
        counts = {"tp": tp, "fp": fp, "fn": pos - tp, "tn": neg - fp}[self._condition]
        self.accumulator.add_(counts)

    def result(self):
        return (
            self.accumulator[0].clone() if len(self.thresholds) == 1 else self.accumulator.clone()
        )

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


def _count_class(class_name, condition, what):
    doc = (
        f"The (weighted) number of {what} at each threshold.\n\n    Args:\n"
        "        thresholds: a float or a list in [0, 1]; a prediction above it counts "
        "as positive. Default 0.5.\n        name, dtype: as `Metric`.\n"
    )
    cls = type(
        class_name,
        (_ConfusionMatrixConditionCount,),
        {"_condition": condition, "__doc__": doc, "__module__": __name__},
    )
    return serialization.register_serializable(package="plait")(cls)


TruePositives = _count_class("TruePositives", "tp", "true positives")
FalsePositives = _count_class("FalsePositives", "fp", "false positives")
TrueNegatives = _count_class("TrueNegatives", "tn", "true negatives")
FalseNegatives = _count_class("FalseNegatives", "fn", "false negatives")


class _PrecisionRecall(_ConfusionBase):
    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if thresholds is not None:
            _check_thresholds(_to_list(thresholds))
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self._init_thresholds(_to_list(default if thresholds is None else thresholds))
        size = (len(self.thresholds),)
        self.true_positives = self.add_variable(size, name="true_positives")
        self.add_variable(size, name=self._other_name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        tp, fp, pos, _ = self._confusion(y_true, y_pred, sample_weight, self.top_k, self.class_id)
        self.true_positives.add_(tp)
        other = getattr(self, self._other_name)
        other.add_(fp if self._other_name == "false_positives" else pos - tp)

    def result(self):
        other = getattr(self, self._other_name)
        value = _divide_no_nan(self.true_positives, self.true_positives + other)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


@serialization.register_serializable(package="plait")
class Precision(_PrecisionRecall):
    """`true_positives / (true_positives + false_positives)`.

    Args:
        thresholds: a float or a list in [0, 1]: predictions above count as positive
            (one result per threshold for a list). Default 0.5 (or, with top_k, any
            prediction in the top k). Use 0 for logits.
        top_k: only the k highest predictions of each sample count as positive.
        class_id: compute the metric for this class (column) only.
        name: default "precision".
        dtype: default "float32".
    """

    _other_name = "false_positives"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="precision", dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)


@serialization.register_serializable(package="plait")
class Recall(_PrecisionRecall):
    """`true_positives / (true_positives + false_negatives)`.

    Args:
        thresholds, top_k, class_id, dtype: as `Precision`.
        name: default "recall".
    """

    _other_name = "false_negatives"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="recall", dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)


@serialization.register_serializable(package="plait")
class AUC(_ConfusionBase):
    """Area under the ROC or precision-recall curve, from confusion counts at
    `num_thresholds` thresholds (Keras's Riemann sums).

    Args:
        num_thresholds: > 1. Default 200.
        curve: "ROC" (default) or "PR".
        summation_method: "interpolation" (default; for PR, Davis & Goadrich's
            interpolation), "minoring" or "majoring".
        name: default "auc".
        dtype: default "float32".
        thresholds: explicit thresholds in [0, 1] instead of evenly spaced ones.
        multi_label: compute one AUC per label (column) and average them. Default False:
            every element counts as one binary prediction.
        num_labels: the number of labels with multi_label (else found on the first update).
        label_weights: weights of the labels: of the averaged AUCs with multi_label,
            of the elements otherwise.
        from_logits: apply a sigmoid to y_pred first. Default False.
    """

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name="auc",
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        super().__init__(name=name, dtype=dtype)
        curves = {"roc": "ROC", "pr": "PR"}
        if not isinstance(curve, str) or curve.lower() not in curves:
            raise ValueError(
                f"Invalid value for argument `curve`. Expected one of "
                f"['ROC', 'PR']. Received: curve={curve!r}"
            )
        methods = ("interpolation", "majoring", "minoring")
        if not isinstance(summation_method, str) or summation_method.lower() not in methods:
            raise ValueError(
                f"Invalid value for argument `summation_method`. Expected one "
                f"of {list(methods)}. Received: "
                f"summation_method={summation_method!r}"
            )
        self.curve = curves[curve.lower()]
        self.summation_method = summation_method.lower()
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            _check_thresholds(list(thresholds))
            inner = sorted(float(t) for t in thresholds)
            self.num_thresholds = len(inner) + 2
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = num_thresholds
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self._init_thresholds([0.0 - losses.EPSILON] + inner + [1.0 + losses.EPSILON])
        evenly = [i / (self.num_thresholds - 1) for i in range(self.num_thresholds)]
        self._evenly = all(
            abs(a - b) <= losses.EPSILON for a, b in zip([0.0] + inner + [1.0], evenly)
        )
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else [float(w) for w in label_weights]
        self.from_logits = from_logits
        if num_labels and not multi_label:
            raise ValueError(
                "`num_labels` is needed only when `multi_label` is True. "
                f"Received: num_labels={num_labels}, multi_label=False"
            )
        self._built = False
        if not multi_label:
            self._build(None)
        elif num_labels:
            self._build(num_labels)

    def _build(self, num_labels):
        shape = (self.num_thresholds,) if num_labels is None else (self.num_thresholds, num_labels)
        self._num_labels = num_labels
        for name in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            self.add_variable(shape, name=name)
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = self._tensor(y_pred)
        if self.from_logits:
            y_pred = torch.sigmoid(y_pred)
        if not self._built:
            if y_pred.ndim != 2:
                raise ValueError(
                    "`y_pred` must have rank 2 when `multi_label=True`. "
                    f"Received: y_pred.shape={tuple(y_pred.shape)}"
                )
            self._build(y_pred.shape[-1])
        if self.multi_label:
            tp, fp, pos, neg = self._multi_label_confusion(y_true, y_pred, sample_weight)
        else:
            label_weights = (
                None
                if self.label_weights is None
                else torch.tensor(self.label_weights, dtype=self._dtype, device=self._device)
            )
            tp, fp, pos, neg = self._confusion(
                y_true, y_pred, sample_weight, clip=self._evenly, label_weights=label_weights
            )
        self.true_positives.add_(tp)
        self.false_positives.add_(fp)
        self.false_negatives.add_(pos - tp)
        self.true_negatives.add_(neg - fp)

    def _multi_label_confusion(self, y_true, y_pred, sample_weight):
        y_true = torch.as_tensor(y_true, device=self._device)
        labels, preds, weights = _prepare_confusion(y_true, y_pred, sample_weight, self._dtype)
        if self._evenly:
            preds = preds.clamp(0.0, 1.0)
        pos, neg = labels * weights, (1.0 - labels) * weights
        tp, fp = _counts_above(preds, pos, neg, self._sorted)
        return tp, fp, pos.sum(0), neg.sum(0)

    def _average(self, per_threshold):
        if not self.multi_label:
            return per_threshold.sum()
        by_label = per_threshold.sum(0)
        if self.label_weights is None:
            return by_label.mean()
        lw = torch.tensor(self.label_weights, dtype=by_label.dtype, device=by_label.device)
        return _divide_no_nan((by_label * lw).sum(), lw.sum())

    def _interpolate_pr_auc(self):
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, torch.clamp(dp, min=0))
        intercept = tp[1:] - slope * p[1:]
        ratio = torch.where(
            (p[:-1] > 0) & (p[1:] > 0),
            _divide_no_nan(p[:-1], torch.clamp(p[1:], min=0)),
            torch.ones_like(p[1:]),
        )
        increment = _divide_no_nan(
            slope * (dtp + intercept * torch.log(ratio)), torch.clamp(tp[1:] + fn[1:], min=0)
        )
        return self._average(increment)

    def result(self):
        if not self._built:
            return torch.zeros((), dtype=self._dtype)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[:-1], y[1:])
        else:
            heights = torch.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def get_config(self):
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": self.label_weights,
            "from_logits": self.from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


# --- lookup ----------------------------------------------------------------------------

_SHARED_WITH_LOSSES = (
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
)
serialization.register_serializable(package="plait")(LogCoshError)

_ALL = (
    Mean,
    Sum,
    MeanMetricWrapper,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    RootMeanSquaredError,
    LogCoshError,
    AUC,
    Precision,
    Recall,
    TruePositives,
    FalsePositives,
    TrueNegatives,
    FalseNegatives,
    *_SHARED_WITH_LOSSES,
)
CLASSES = {cls.__name__: cls for cls in _ALL}
_NAMES = {**CLASSES, **{losses._snake_case(cls.__name__): cls for cls in _ALL}}
_NAMES.update(
    {
        "bce": BinaryCrossentropy,
        "BCE": BinaryCrossentropy,
        "mse": MeanSquaredError,
        "MSE": MeanSquaredError,
        "mae": MeanAbsoluteError,
        "MAE": MeanAbsoluteError,
        "mape": MeanAbsolutePercentageError,
        "MAPE": MeanAbsolutePercentageError,
        "msle": MeanSquaredLogarithmicError,
        "MSLE": MeanSquaredLogarithmicError,
        "logcosh": LogCoshError,
        "log_cosh": LogCoshError,
        "kld": KLDivergence,
        "KLD": KLDivergence,
    }
)
del _NAMES["mean_metric_wrapper"], _NAMES["MeanMetricWrapper"]
_FUNCTIONS = {
    fn.__name__: fn
    for fn in (
        accuracy,
        binary_accuracy,
        categorical_accuracy,
        sparse_categorical_accuracy,
        top_k_categorical_accuracy,
        sparse_top_k_categorical_accuracy,
        cosine_similarity,
        binary_crossentropy,
        categorical_crossentropy,
        sparse_categorical_crossentropy,
        mean_squared_error,
        mean_absolute_error,
        mean_absolute_percentage_error,
        mean_squared_logarithmic_error,
        hinge,
        squared_hinge,
        categorical_hinge,
        kl_divergence,
        poisson,
        log_cosh,
        huber,
    )
}


def _loss_kind(loss):
    """("binary" | "sparse" | None, from_logits) for a loss name, function or object."""
    if loss is None:
        return None, False
    if isinstance(loss, (str, dict)) or (isinstance(loss, type) and issubclass(loss, losses.Loss)):
        try:
            loss = losses.get(loss)
        except (ValueError, TypeError):
            return None, False
    fn = loss.fn if isinstance(loss, losses.LossFunctionWrapper) else loss
    kwargs = getattr(loss, "_fn_kwargs", {})
    from_logits = bool(kwargs.get("from_logits", False))
    if fn is losses.binary_crossentropy:
        return "binary", from_logits
    if fn is losses.sparse_categorical_crossentropy:
        return "sparse", from_logits
    if fn is losses.categorical_crossentropy:
        return "categorical", from_logits
    return None, False


def _resolve_generic(identifier, loss, output_shape):
    """The class for 'accuracy'/'acc' or 'crossentropy'/'ce', chosen like Keras: binary
    when the loss is binary crossentropy or the output has one unit; sparse when the
    loss is sparse categorical crossentropy; categorical otherwise."""
    kind, from_logits = _loss_kind(loss)
    if kind == "binary" or (
        output_shape is not None and len(output_shape) > 0 and output_shape[-1] == 1
    ):
        kind = "binary"
    elif kind != "sparse":
        kind = "categorical"
    if identifier.lower() in ("accuracy", "acc"):
        if kind == "binary":
            # a logit of 0 is a probability of 0.5
            return BinaryAccuracy(name=identifier, threshold=0.0 if from_logits else 0.5)
        cls = SparseCategoricalAccuracy if kind == "sparse" else CategoricalAccuracy
        return cls(name=identifier)
    cls = {
        "binary": BinaryCrossentropy,
        "sparse": SparseCategoricalCrossentropy,
        "categorical": CategoricalCrossentropy,
    }[kind]
    return cls(name=identifier, from_logits=from_logits)


def _is_torchmetric(obj):
    return type(obj).__module__.startswith("torchmetrics") and all(
        hasattr(obj, m) for m in ("update", "compute", "reset")
    )


class TorchMetric(Metric):
    """A `torchmetrics.Metric` in `compile(metrics=[...])`: Keras's argument order
    `(y_true, y_pred)` becomes torchmetrics' `(preds, target)`; class-index targets of
    shape `(N, 1)` for `(N, C)` predictions are squeezed and made integers; the state
    follows the predictions' device. Named after the class (`multiclass_accuracy`)."""

    def __init__(self, metric, name=None):
        super().__init__(name=name or losses._snake_case(type(metric).__name__))
        self.metric = metric

    def update_state(self, y_true, y_pred, sample_weight=None):
        target = torch.as_tensor(y_true, device=y_pred.device)
        if (
            y_pred.dim() >= 2
            and y_pred.shape[-1] > 1
            and target.dim() == y_pred.dim()
            and target.shape[-1] == 1
        ):
            target = target.squeeze(-1)
        if y_pred.dim() == target.dim() + 1 or target.dtype == torch.bool:
            target = target.long()
        if self.metric.device != y_pred.device:
            self.metric.to(y_pred.device)
        self.metric.update(y_pred, target)

    def result(self):
        return self.metric.compute()

    def reset_state(self):
        self.metric.reset()


def get(identifier, loss=None, output_shape=None):
    """A `Metric` object for `identifier`.

    Args:
        identifier: a `Metric` (returned as it is) or `Metric` subclass; a name
            ('accuracy', 'acc', 'mae', 'AUC', 'top_k_categorical_accuracy', ...) giving
            a metric named with that string, as Keras names history keys; a config
            dict; or a callable `(y_true, y_pred)` wrapped in `MeanMetricWrapper` named
            after it. None gives None.
        loss: the output's loss (name, function or object), used to resolve
            'accuracy'/'acc' and 'crossentropy'/'ce' as Keras does: binary when it is
            binary crossentropy (a from_logits loss gives threshold 0 / from_logits
            crossentropy), sparse categorical when it is sparse categorical
            crossentropy, categorical otherwise.
        output_shape: the output's shape; a last dimension of 1 means binary.

    Raises:
        ValueError: for an unknown name ("Unknown metric: 'acuracy'. Did you mean ...").
        TypeError: for anything else.
    """
    if identifier is None or isinstance(identifier, Metric):
        return identifier
    if _is_torchmetric(identifier):
        return TorchMetric(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc", "crossentropy", "ce"):
            return _resolve_generic(identifier, loss, output_shape)
        cls = serialization.get_from_registry(identifier, _NAMES, "metric")
        return cls(name=identifier)
    if callable(identifier):
        return MeanMetricWrapper(identifier, name=_function_config(identifier))
    return serialization.get_from_registry(identifier, _NAMES, "metric")


def serialize(metric):
    """`{"class_name": ..., "config": ...}` for a metric."""
    return serialization.serialize(metric)


def deserialize(config, custom_objects=None):
    """Rebuild a metric from `serialize`'s output; plait's metric classes are found
    before the shared registry (where losses of the same names live)."""
    return serialization.deserialize(config, {**CLASSES, **(custom_objects or {})}, kind="metric")


# --- F-scores --------------------------------------------------------------------------

_AVERAGES = (None, "micro", "macro", "weighted")


@serialization.register_serializable(package="plait")
class FBetaScore(Metric):
    """The F-beta score: `(1 + beta**2) * precision * recall / (beta**2 * precision +
    recall)`, per class or averaged, from thresholded predictions.

    Args:
        average: None (default; one score per class), "micro" (from the counts summed
            over the classes), "macro" (the mean of the class scores) or "weighted" (their
            mean weighted by each class's number of true instances).
        beta: a Python float > 0; recall counts `beta` times as much as precision.
            Default 1.0.
        threshold: a Python float in (0, 1]: predictions above it count as 1. Default
            None: each row's highest prediction counts as 1.
        name: default "fbeta_score".
        dtype: default "float32".

    Inputs are 2-D: `y_true` and `y_pred` of shape `(batch, num_classes)`.

    Raises:
        ValueError: for an unknown `average`, a `beta` that is not a float > 0, or a
            `threshold` that is not a float in (0, 1] (when the metric is made); for
            inputs that are not 2-D (at the first update).

    Example:
        >>> m = FBetaScore(beta=2.0, threshold=0.5)
        >>> m.update_state([[1, 1, 1], [1, 0, 0]], [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6]])
        >>> m.result()                      # one score per class
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in _AVERAGES:
            raise ValueError(
                "Invalid `average` argument value. Expected one of: "
                "{None, 'micro', 'macro', 'weighted'}. "
                f"Received: average={average}"
            )
        if not isinstance(beta, float):
            raise ValueError(  # noqa: TRY004  (Keras's error type)"Invalid `beta` argument value. It should be a Python float. "
                f"Received: beta={beta} of type '{type(beta)}'"
            )
        if beta <= 0.0:
            raise ValueError(
                f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}"
            )
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "Invalid `threshold` argument value. It should be a "
                    f"Python float. Received: threshold={threshold} of type "
                    f"'{type(threshold)}'"
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    "Invalid `threshold` argument value. It should verify "
                    f"0 < threshold <= 1. Received: threshold={threshold}"
                )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, true_shape, pred_shape):
        if len(pred_shape) != 2 or len(true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, "
                f"output_dim). Received input shapes: y_pred.shape={tuple(pred_shape)} and "
                f"y_true.shape={tuple(true_shape)}."
            )
        shape = () if self.average == "micro" else (pred_shape[-1],)
        for name in (
            "true_positives",
            "false_positives",
            "false_negatives",
            "intermediate_weights",
        ):
            self.add_variable(shape, name=name)
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = self._tensor(y_pred)
        y_true = self._tensor(y_true)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            top = y_pred.amax(dim=-1, keepdim=True)
            y_pred = (y_pred >= top) & (y_pred.abs() > 1e-9)
        else:
            y_pred = y_pred > self.threshold
        y_pred = y_pred.to(self._dtype)
        weight = None if sample_weight is None else self._tensor(sample_weight).unsqueeze(1)

        def total(value):
            if weight is not None:
                value = value * weight
            return value.sum() if self.axis is None else value.sum(dim=0)

        self.true_positives.add_(total(y_pred * y_true))
        self.false_positives.add_(total(y_pred * (1.0 - y_true)))
        self.false_negatives.add_(total((1.0 - y_pred) * y_true))
        self.intermediate_weights.add_(total(y_true))

    def result(self):
        if not self._built:
            return torch.zeros((), dtype=self._dtype)
        eps = losses.EPSILON
        tp = self.true_positives
        precision = tp / (tp + self.false_positives + eps)
        recall = tp / (tp + self.false_negatives + eps)
        beta2 = self.beta**2
        score = precision * recall / (beta2 * precision + recall + eps) * (1.0 + beta2)
        if self.average == "weighted":
            weights = self.intermediate_weights / (self.intermediate_weights.sum() + eps)
            return (score * weights).sum()
        if self.average is not None:
            return score.mean()
        return score

    def get_config(self):
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


@serialization.register_serializable(package="plait")
class F1Score(FBetaScore):
    """The F1 score, `2 * precision * recall / (precision + recall)`: `FBetaScore` with
    `beta=1.0`.

    Args:
        average: None (default), "micro", "macro" or "weighted"; see `FBetaScore`.
        threshold: a float in (0, 1], or None (default) for each row's highest
            prediction.
        name: default "f1_score".
        dtype: default "float32".

    Raises:
        ValueError: for an unknown `average` or a bad `threshold`, when made.

    Example:
        >>> m = F1Score(threshold=0.5)
        >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
        ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
        >>> m.result()
        tensor([0.5000, 0.8000, 0.6667])
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config


# --- IoU -------------------------------------------------------------------------------

_INT_DTYPES = {"int32": torch.int32, "int64": torch.int64, "int": torch.int32}


class _IoUBase(Metric):
    """A weighted confusion matrix `(num_classes, num_classes)` (rows: true classes)."""

    def __init__(
        self,
        num_classes,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        dtype = {torch.int32: "int32", torch.int64: "int64"}.get(dtype, dtype) or "int32"
        integer = dtype in _INT_DTYPES
        super().__init__(name=name, dtype=None if integer else dtype)
        if integer:
            self.dtype = "int32" if dtype == "int" else dtype
            self._dtype = _INT_DTYPES[dtype]
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable((num_classes, num_classes), name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = torch.as_tensor(y_true)
        y_pred = torch.as_tensor(y_pred)
        if not self.sparse_y_true:
            y_true = torch.argmax(y_true, dim=self.axis)
        if not self.sparse_y_pred:
            y_pred = torch.argmax(y_pred, dim=self.axis)
        y_true = self._tensor(y_true).reshape(-1)
        y_pred = self._tensor(y_pred).reshape(-1)
        if sample_weight is None:
            weight = torch.ones_like(y_true)
        else:
            weight = torch.broadcast_to(self._tensor(sample_weight).reshape(-1), y_true.shape)
        n = self.num_classes
        valid = (y_true >= 0) & (y_true < n) & (y_pred >= 0) & (y_pred < n)
        if self.ignore_class is not None:
            valid &= y_true != self.ignore_class
        zero = torch.zeros((), dtype=y_true.dtype, device=y_true.device)
        index = (torch.where(valid, y_true, zero) * n + torch.where(valid, y_pred, zero)).long()
        weight = torch.where(valid, weight, torch.zeros_like(weight))
        self.total_cm.view(-1).scatter_add_(0, index, weight)


@serialization.register_serializable(package="plait")
class IoU(_IoUBase):
    """Intersection over union, `tp / (tp + fp + fn)`, averaged over the classes in
    `target_class_ids`, from a confusion matrix of integer class ids.

    Args:
        num_classes: the number of classes (the confusion matrix is
            `(num_classes, num_classes)`).
        target_class_ids: the class ids whose IoUs are averaged.
        name: default "io_u".
        dtype: the confusion matrix's dtype. Default "int32" as in Keras (float sample
            weights are truncated to integers); pass "float32" for fractional weights.
        ignore_class: a label id (e.g. 255) left out of the matrix. Default None.
        sparse_y_true, sparse_y_pred: whether labels / predictions are class ids
            (default True) or per-class scores (argmax over `axis` first).
        axis: the class axis of dense inputs. Default -1.

    Raises:
        ValueError: when a target class id is not below `num_classes`.

    Example:
        >>> m = IoU(num_classes=2, target_class_ids=[0])
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> m.result()
        tensor(0.3333)
    """

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        super().__init__(
            num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, "
                f"which is [0, {num_classes}). Received: "
                f"target_class_ids={list(target_class_ids)}"
            )
        self.target_class_ids = list(target_class_ids)

    def result(self):
        cm = self.total_cm.to(torch.float32)
        tp = torch.diagonal(cm)
        denominator = cm.sum(dim=0) + cm.sum(dim=1) - tp
        ids = torch.tensor(self.target_class_ids, device=cm.device)
        tp, denominator = tp[ids], denominator[ids]
        valid = denominator > 1e-9
        iou = torch.where(valid, tp / (denominator + losses.EPSILON), 0.0)
        return iou.sum() / (valid.to(torch.float32).sum() + losses.EPSILON)

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


@serialization.register_serializable(package="plait")
class BinaryIoU(IoU):
    """IoU of binary predictions: a prediction `>= threshold` is class 1.

    Args:
        target_class_ids: `[0]`, `[1]` or `[0, 1]` (default; the mean of both).
        threshold: default 0.5.
        name: default "binary_io_u".
        dtype: default "int32" (see `IoU`).
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = torch.as_tensor(y_pred).to(torch.float32)
        super().update_state(y_true, (y_pred >= self.threshold).to(torch.int32), sample_weight)

    def get_config(self):
        return {
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self.dtype,
        }


@serialization.register_serializable(package="plait")
class MeanIoU(IoU):
    """The mean IoU over all `num_classes` classes.

    Args:
        num_classes: the number of classes.
        name: default "mean_io_u".
        dtype, ignore_class, sparse_y_true, sparse_y_pred, axis: as `IoU`.

    Example:
        >>> m = MeanIoU(num_classes=2)
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> m.result()
        tensor(0.3333)
    """

    def __init__(
        self,
        num_classes,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        super().__init__(
            num_classes,
            list(range(num_classes)),
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self):
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


@serialization.register_serializable(package="plait")
class OneHotIoU(IoU):
    """`IoU` for one-hot labels (argmax over `axis`); predictions are scores unless
    `sparse_y_pred=True`.

    Args:
        num_classes, target_class_ids: as `IoU`.
        name: default "one_hot_io_u".
        sparse_y_pred: default False.
        dtype, ignore_class, axis: as `IoU`.
    """

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_pred=False,
        axis=-1,
    ):
        super().__init__(
            num_classes,
            target_class_ids,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self):
        return {
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


@serialization.register_serializable(package="plait")
class OneHotMeanIoU(MeanIoU):
    """`MeanIoU` for one-hot labels.

    Args:
        num_classes: the number of classes.
        name: default "one_hot_mean_io_u".
        sparse_y_pred: default False.
        dtype, ignore_class, axis: as `IoU`.
    """

    def __init__(
        self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1
    ):
        super().__init__(
            num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self):
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


# --- R2 and correlations ---------------------------------------------------------------


@serialization.register_serializable(package="plait")
class R2Score(Metric):
    """The coefficient of determination, `1 - sum((y - y_pred)**2) / sum((y - mean(y))**2)`
    per output column, aggregated.

    Args:
        class_aggregation: "uniform_average" (default; the mean over columns),
            "variance_weighted_average", or None (one score per column).
        num_regressors: for the adjusted R2; default 0 (plain R2).
        name: default "r2_score".
        dtype: default "float32".

    Inputs are 2-D `(batch, output_dim)`.

    Raises:
        ValueError: for a bad `class_aggregation` or a negative `num_regressors` (when
            made); for inputs that are not 2-D (at the first update).
    """

    def __init__(
        self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None
    ):
        super().__init__(name=name, dtype=dtype)
        allowed = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in allowed:
            raise ValueError(
                "Invalid value for argument `class_aggregation`. Expected one "
                f"of {allowed}. Received: class_aggregation={class_aggregation}"
            )
        if num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected a "
                f"value >= 0. Received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), name="num_samples")
        self._built = False

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = self._tensor(y_pred)
        y_true = self._tensor(y_true)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            if y_pred.ndim != 2 or y_true.ndim != 2:
                raise ValueError(
                    "R2Score expects 2D inputs with shape (batch_size, output_dim). "
                    f"Received input shapes: y_pred.shape={tuple(y_pred.shape)} and "
                    f"y_true.shape={tuple(y_true.shape)}."
                )
            for name in ("squared_sum", "sum", "total_mse", "count"):
                self.add_variable((y_pred.shape[-1],), name=name)
            self._built = True
        weight = (
            torch.ones((), dtype=self._dtype, device=self._device)
            if sample_weight is None
            else self._tensor(sample_weight)
        )
        if weight.ndim == 1:
            weight = weight.unsqueeze(1)
        weight = torch.broadcast_to(weight, y_true.shape)
        weighted = y_true * weight
        self.sum.add_(weighted.sum(dim=0))
        self.squared_sum.add_((y_true * weighted).sum(dim=0))
        self.total_mse.add_((torch.square(y_true - y_pred) * weight).sum(dim=0))
        self.count.add_(weight.sum(dim=0))
        self.num_samples.add_(y_true.numel())

    def result(self):
        if not self._built:
            return torch.zeros((), dtype=self._dtype)
        mean = self.sum / self.count
        total = self.squared_sum - self.sum * mean
        raw = 1.0 - self.total_mse / total
        raw = torch.where(torch.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = raw.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (total * raw).sum() / total.sum()
        else:
            score = raw
        if self.num_regressors:
            n = float(self.num_samples)  # read here, when the result is asked for
            if self.num_regressors >= n - 1:
                import warnings

                warnings.warn(
                    "Adjusted R2 score needs more data points than independent "
                    "predictors plus one. Falling back to standard R2 score.",
                    stacklevel=2,
                )
            else:
                score = 1.0 - (1.0 - score) * (n - 1.0) / (n - self.num_regressors - 1.0)
        return score

    def get_config(self):
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson's correlation of `y_true` and `y_pred` along `axis` (one value per sample).

    Args:
        y_true, y_pred: tensors of the same shape, e.g. `(batch, d)`.
        axis: default -1.

    Returns:
        Tensor without `axis`, e.g. `(batch,)`.
    """
    y_true, y_pred = losses._pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    t = y_true - y_true.mean(dim=axis, keepdim=True)
    p = y_pred - y_pred.mean(dim=axis, keepdim=True)
    t = t / t.std(dim=axis, keepdim=True, unbiased=False)
    p = p / p.std(dim=axis, keepdim=True, unbiased=False)
    return (t * p).mean(dim=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation along `axis`, as Keras computes it:
    `mean(2 * (y_true - mean(y_pred)) * (y_pred - mean(y_pred)) / (var(y_true) +
    var(y_pred) + (mean(y_true) - mean(y_pred))**2 + EPSILON))`.

    Returns:
        Tensor without `axis`.
    """
    y_true, y_pred = losses._pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    true_mean = y_true.mean(dim=axis, keepdim=True)
    pred_mean = y_pred.mean(dim=axis, keepdim=True)
    true_var = (y_true - true_mean).var(dim=axis, keepdim=True, unbiased=False)
    pred_var = (y_pred - pred_mean).var(dim=axis, keepdim=True, unbiased=False)
    covariance = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + torch.square(true_mean - pred_mean)
    return (2.0 * covariance / (norm + losses.EPSILON)).mean(dim=axis)


PearsonCorrelation = serialization.register_serializable(package="plait")(
    _metric_class(
        "PearsonCorrelation",
        pearson_correlation,
        "pearson_correlation",
        "Mean Pearson correlation of each sample's `y_true` and `y_pred`."
        + _args_doc("pearson_correlation", "\n        axis: default -1."),
        axis=-1,
    )
)
ConcordanceCorrelation = serialization.register_serializable(package="plait")(
    _metric_class(
        "ConcordanceCorrelation",
        concordance_correlation,
        "concordance_correlation",
        "Mean concordance correlation of each sample's `y_true` and `y_pred`."
        + _args_doc("concordance_correlation", "\n        axis: default -1."),
        axis=-1,
    )
)


# --- a rate at a fixed rate ------------------------------------------------------------


class _AtFixedRate(_ConfusionBase):
    """tp, fp, tn, fn at `num_thresholds` evenly spaced thresholds in [0, 1]; the result
    is the best `_dependent` rate among thresholds whose `_constrained` rate reaches
    the given value."""

    _value_name = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if value < 0 or value > 1:
            raise ValueError(
                f"Argument `{self._value_name}` must be in the range [0, 1]. "
                f"Received: {self._value_name}={value}"
            )
        if num_thresholds <= 0:
            raise ValueError(
                "Argument `num_thresholds` must be an integer > 0. "
                f"Received: num_thresholds={num_thresholds}"
            )
        super().__init__(name=name, dtype=dtype)
        setattr(self, self._value_name, value)
        self.value = value
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            thresholds, self._evenly = [0.5], False
        else:
            thresholds = (
                [0.0] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1.0]
            )
            self._evenly = True
        self._init_thresholds(thresholds)
        for state in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            self.add_variable((len(thresholds),), name=state)

    def update_state(self, y_true, y_pred, sample_weight=None):
        tp, fp, pos, neg = self._confusion(
            y_true, y_pred, sample_weight, class_id=self.class_id, clip=self._evenly
        )
        self.true_positives.add_(tp)
        self.false_positives.add_(fp)
        self.false_negatives.add_(pos - tp)
        self.true_negatives.add_(neg - fp)

    def _rates(self):
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        return {
            "sensitivity": _divide_no_nan(tp, tp + fn),
            "recall": _divide_no_nan(tp, tp + fn),
            "specificity": _divide_no_nan(tn, tn + fp),
            "precision": _divide_no_nan(tp, tp + fp),
        }

    def result(self):
        rates = self._rates()
        constrained, dependent = rates[self._constrained], rates[self._dependent]
        feasible = torch.where(constrained >= self.value, dependent, 0.0)
        return torch.clamp(feasible.amax(), min=0.0)

    def get_config(self):
        return {
            **super().get_config(),
            "class_id": self.class_id,
            "num_thresholds": self.num_thresholds,
            self._value_name: getattr(self, self._value_name),
        }


def _at_rate_class(class_name, value_name, constrained, dependent, doc):
    order = (value_name, "num_thresholds", "class_id", "name", "dtype")

    def __init__(self, *args, **kwargs):
        if len(args) > len(order):
            raise TypeError(
                f"{class_name}() takes at most {len(order)} arguments. Received: {len(args)}"
            )
        unknown = set(kwargs) - set(order)
        if unknown:
            raise TypeError(f"{class_name}() got unexpected arguments {sorted(unknown)}.")
        given = {**dict(zip(order, args)), **kwargs}
        if value_name not in given:
            raise TypeError(f"{class_name}() missing required argument '{value_name}'.")
        _AtFixedRate.__init__(
            self,
            given[value_name],
            given.get("num_thresholds", 200),
            given.get("class_id"),
            given.get("name") or losses._snake_case(class_name),
            given.get("dtype"),
        )

    cls = type(
        class_name,
        (_AtFixedRate,),
        {
            "__init__": __init__,
            "__module__": __name__,
            "_value_name": value_name,
            "_constrained": constrained,
            "_dependent": dependent,
            "__doc__": doc
            + (
                f"\n\n    Args:\n        {value_name}: in [0, 1].\n"
                "        num_thresholds: evenly spaced thresholds in [0, 1] "
                "(1 means 0.5 alone). Default 200.\n"
                "        class_id: the column of multi-label inputs to use.\n"
                f'        name: default "{losses._snake_case(class_name)}".\n'
                '        dtype: default "float32".\n\n    Raises:\n'
                f"        ValueError: for a `{value_name}` outside [0, 1] or "
                "`num_thresholds` < 1.\n"
            ),
        },
    )
    return serialization.register_serializable(package="plait")(cls)


SensitivityAtSpecificity = _at_rate_class(
    "SensitivityAtSpecificity",
    "specificity",
    "specificity",
    "sensitivity",
    "The best sensitivity (recall) among thresholds whose specificity is at least `specificity`.",
)
SpecificityAtSensitivity = _at_rate_class(
    "SpecificityAtSensitivity",
    "sensitivity",
    "sensitivity",
    "specificity",
    "The best specificity among thresholds whose sensitivity is at least `sensitivity`.",
)
PrecisionAtRecall = _at_rate_class(
    "PrecisionAtRecall",
    "recall",
    "recall",
    "precision",
    "The best precision among thresholds whose recall is at least `recall`.",
)
RecallAtPrecision = _at_rate_class(
    "RecallAtPrecision",
    "precision",
    "precision",
    "recall",
    "The best recall among thresholds whose precision is at least `precision`.",
)

binary_focal_crossentropy = losses.binary_focal_crossentropy
categorical_focal_crossentropy = losses.categorical_focal_crossentropy

_NEW_METRICS = (
    FBetaScore,
    F1Score,
    IoU,
    BinaryIoU,
    MeanIoU,
    OneHotIoU,
    OneHotMeanIoU,
    R2Score,
    PearsonCorrelation,
    ConcordanceCorrelation,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    PrecisionAtRecall,
    RecallAtPrecision,
)
CLASSES.update({cls.__name__: cls for cls in _NEW_METRICS})
_NAMES.update({cls.__name__: cls for cls in _NEW_METRICS})
_NAMES.update({losses._snake_case(cls.__name__): cls for cls in _NEW_METRICS})
_FUNCTIONS.update(
    {
        fn.__name__: fn
        for fn in (
            pearson_correlation,
            concordance_correlation,
            binary_focal_crossentropy,
            categorical_focal_crossentropy,
        )
    }
)
