"""Keras's `backend` module: Keras 3's names and the Keras 2 `K.*` functions old programs
call, over `plait.ops`, so they work on concrete tensors and on symbolic ones (in a Lambda,
a custom loss, or directly on a functional graph's tensors).

    from plait import backend as K
    def vae_sample(args):
        mean, log_var = args
        eps = K.random_normal(shape=(K.shape(mean)[0], K.int_shape(mean)[1]))
        return mean + K.exp(0.5 * log_var) * eps

Settings (`floatx`, `epsilon`, `image_data_format`, ...) are the ones `plait.config` holds.
"""

import builtins

import numpy as np
import torch

from plait import config, ops
from plait.config import (  # noqa: F401
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from plait.graph.tensor import SymbolicTensor
from plait.ops._base import (  # noqa: F401
    is_float,
    is_int,
    keras_op,
    result_type,
    standardize_dtype,
    torch_dtype,
)
from plait.utils.naming import reset_names, unique_name

_KERAS3 = [
    "backend",
    "clear_session",
    "epsilon",
    "floatx",
    "get_uid",
    "image_data_format",
    "is_float_dtype",
    "is_int_dtype",
    "is_keras_tensor",
    "result_type",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "standardize_dtype",
]


def backend() -> str:
    """'torch': the framework plait computes with."""
    return "torch"


def clear_session(free_memory: bool = True) -> None:
    """Resets the automatic layer-name counters (the next Dense is `dense_1` again) and,
    with `free_memory`, empties PyTorch's CUDA cache."""
    reset_names()
    if free_memory and torch.cuda.is_available():
        torch.cuda.empty_cache()


def get_uid(prefix: str = "") -> int:
    """The next number for `prefix` (1, 2, ...), the counter automatic names use."""
    return int(unique_name(prefix).rsplit("_", 1)[1])


def reset_uids() -> None:
    """Resets every `get_uid` counter (as `clear_session`)."""
    reset_names()


def is_keras_tensor(x) -> bool:
    """Whether `x` is a symbolic tensor of a functional graph (Keras's KerasTensor)."""
    return isinstance(x, SymbolicTensor)


def is_float_dtype(dtype) -> bool:
    """Whether `dtype` is a float dtype."""
    return is_float(dtype)


def is_int_dtype(dtype) -> bool:
    """Whether `dtype` is an (unsigned) integer dtype."""
    return is_int(dtype)


# ------------------------------------------------------------------ Keras 2: tensors


def is_tensor(x) -> bool:
    """Whether `x` is a torch tensor or a symbolic tensor."""
    return isinstance(x, (torch.Tensor, SymbolicTensor))


def int_shape(x):
    """The shape as a tuple of ints, None for unknown dimensions."""
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def shape(x):
    """The shape (concrete tensors: ints; symbolic tensors: None where unknown)."""
    return ops.shape(x)


def ndim(x) -> int:
    """The number of axes."""
    return len(int_shape(x))


def dtype(x) -> str:
    """The dtype's name, e.g. 'float32'."""
    return ops.dtype(x)


def count_params(x) -> int:
    """The number of elements of a weight or tensor."""
    return int(np.prod(int_shape(x)))


def cast_to_floatx(x):
    """`x` as a NumPy array of dtype `floatx()`."""
    return np.asarray(ops.convert_to_numpy(x), dtype=floatx())


def variable(value, dtype=None, name=None, constraint=None):
    """A trainable tensor (`torch.nn.Parameter`) holding `value`."""
    data = ops.convert_to_tensor(
        value, dtype or (floatx() if not hasattr(value, "dtype") else None)
    )
    param = torch.nn.Parameter(data.detach().clone(), requires_grad=data.is_floating_point())
    return param


def constant(value, dtype=None, shape=None, name=None):
    """A tensor of `value` (broadcast to `shape` when given)."""
    out = ops.convert_to_tensor(value, dtype or floatx())
    return out.expand(tuple(shape)).clone() if shape is not None else out


def get_value(x):
    """A weight's or tensor's value as a NumPy array."""
    return ops.convert_to_numpy(x)


def batch_get_value(tensors):
    """`get_value` of each."""
    return [get_value(t) for t in tensors]


def set_value(x, value) -> None:
    """Sets the weight `x` to `value` in place: a tensor, a weight, or a value that answers
    Keras's `assign` (an optimizer's `learning_rate` or `iterations`), so Keras 2's
    `K.set_value(model.optimizer.lr, 1e-4)` changes the rate the next step uses.

    Raises:
        TypeError: when `x` is neither a tensor nor assignable.
    """
    if isinstance(x, torch.Tensor):
        with torch.no_grad():
            x.copy_(torch.as_tensor(np.asarray(value), dtype=x.dtype, device=x.device))
    elif callable(getattr(x, "assign", None)):
        x.assign(value)
    else:
        raise TypeError(
            "`set_value` expects a weight, a tensor or an optimizer value such as "
            f"`optimizer.learning_rate`. Received: x={x!r} of type {type(x).__name__}"
        )


def batch_set_value(tuples) -> None:
    """`set_value` for each `(x, value)`."""
    for x, value in tuples:
        set_value(x, value)


def update(x, new_x):
    """Assigns `new_x` to `x` in place; returns `x`."""
    set_value(x, ops.convert_to_numpy(new_x))
    return x


def update_add(x, increment):
    """Adds `increment` to `x` in place; returns `x`."""
    with torch.no_grad():
        x.add_(ops.convert_to_tensor(increment).to(x.dtype))
    return x


def update_sub(x, decrement):
    """Subtracts `decrement` from `x` in place; returns `x`."""
    with torch.no_grad():
        x.sub_(ops.convert_to_tensor(decrement).to(x.dtype))
    return x


def print_tensor(x, message=""):
    """Prints `message` and `x`'s value; returns `x`."""
    print(message, x)
    return x


# ------------------------------------------------------------------ Keras 2: math

# K.* functions that are the ops of the same name with the same arguments.
_SAME = [
    "abs",
    "all",
    "any",
    "cos",
    "cumprod",
    "cumsum",
    "equal",
    "exp",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "log",
    "logsumexp",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "not_equal",
    "prod",
    "round",
    "sign",
    "sin",
    "softplus",
    "softsign",
    "square",
    "std",
    "stop_gradient",
    "sum",
    "tanh",
    "var",
    "sigmoid",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "stack",
    "tile",
    "transpose",
    "cast",
    "reshape",
    "ones_like",
    "zeros_like",
    "squeeze",
    "softmax",
    "elu",
    "one_hot",
    "dot",
]
for _name in _SAME:
    globals()[_name] = getattr(ops, _name)


def argmax(x, axis=-1):
    """The index of the largest value along `axis` (the last by default, as in Keras 2)."""
    return ops.argmax(x, axis=axis)


def argmin(x, axis=-1):
    """The index of the smallest value along `axis` (the last by default)."""
    return ops.argmin(x, axis=axis)


def sqrt(x):
    """Element-wise square root; negative values count as 0 (Keras 2 clips them)."""
    return ops.sqrt(ops.maximum(x, 0.0))


def pow(x, a):
    """`x ** a` element-wise."""
    return ops.power(x, a)


def clip(x, min_value, max_value):
    """`x` limited to [min_value, max_value] (None: unbounded on that side)."""
    low = -np.inf if min_value is None else min_value
    high = np.inf if max_value is None else max_value
    return ops.clip(x, low, builtins.max(low, high) if isinstance(high, (int, float)) else high)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with Keras 2's options (leak `alpha`, cap, threshold)."""
    x = ops.convert_to_tensor(x) if not isinstance(x, SymbolicTensor) else x
    if alpha == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    out = ops.where(ops.greater_equal(x, threshold), x, alpha * (x - threshold))
    return out if max_value is None else ops.minimum(out, max_value)


def hard_sigmoid(x):
    """Keras 2's piecewise-linear sigmoid: `clip(0.2 * x + 0.5, 0, 1)`."""
    return ops.clip(0.2 * x + 0.5, 0.0, 1.0)


def l2_normalize(x, axis=None):
    """`x / sqrt(max(sum(x ** 2, axis), 1e-12))`."""
    x = x if isinstance(x, SymbolicTensor) else ops.convert_to_tensor(x)
    squares = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x * ops.rsqrt(ops.maximum(squares, 1e-12))


def switch(condition, then_expression, else_expression):
    """`then_expression` where `condition`, else `else_expression` (callables are called);
    a scalar condition picks one whole expression."""
    then_value = then_expression() if callable(then_expression) else then_expression
    else_value = else_expression() if callable(else_expression) else else_expression
    if isinstance(condition, bool) or (
        not isinstance(condition, SymbolicTensor) and np.ndim(get_value(condition)) == 0
    ):
        return then_value if bool(condition) else else_value
    cond = condition
    while ndim(cond) < ndim(then_value):
        cond = ops.expand_dims(cond, -1)
    return ops.where(cond, then_value, else_value)


# ------------------------------------------------------------------ Keras 2: shapes


def concatenate(tensors, axis=-1):
    """The tensors joined along `axis` (the last by default)."""
    return ops.concatenate(tensors, axis=axis)


def expand_dims(x, axis=-1):
    """`x` with a size-1 axis inserted at `axis` (the end by default, as in Keras 2)."""
    return ops.expand_dims(x, axis)


def permute_dimensions(x, pattern):
    """`x` with its axes in the order `pattern`."""
    return ops.transpose(x, pattern)


def flatten(x):
    """`x` as a 1-D tensor."""
    return ops.reshape(x, (-1,))


def batch_flatten(x):
    """`x` as (batch, everything else)."""
    return ops.reshape(x, (-1, int(np.prod(int_shape(x)[1:]))))


def repeat_elements(x, rep, axis):
    """Each slice of `x` along `axis` repeated `rep` times."""
    return ops.repeat(x, rep, axis=axis)


def repeat(x, n):
    """(batch, dim) -> (batch, n, dim)."""
    return ops.repeat(ops.expand_dims(x, 1), n, axis=1)


def gather(reference, indices):
    """Rows of `reference` at `indices`."""
    return ops.take(reference, indices, axis=0)


def arange(start, stop=None, step=1, dtype="int32"):
    """Evenly spaced values (int32 by default)."""
    return ops.arange(start, stop, step, dtype=dtype)


def ones(shape, dtype=None, name=None):
    """Ones (floatx by default)."""
    return ops.ones(shape, dtype=dtype)


def zeros(shape, dtype=None, name=None):
    """Zeros (floatx by default)."""
    return ops.zeros(shape, dtype=dtype)


def eye(size, dtype=None, name=None):
    """The identity matrix of `size` (an int or (rows, cols))."""
    rows, cols = (size, size) if isinstance(size, int) else size
    return ops.eye(rows, cols, dtype=dtype)


def bias_add(x, bias, data_format=None):
    """`x + bias`, the bias along the channel axis."""
    fmt = data_format or image_data_format()
    if fmt == "channels_first" and ndim(x) > 2:
        return x + ops.reshape(bias, (1, -1) + (1,) * (ndim(x) - 2))
    return x + bias


def batch_dot(x, y, axes=None):
    """Per-sample dot products of two batches, contracting `axes` (Keras 2's default: the
    last axis of `x` with the second-to-last of `y`, or its last when `y` is 2-D)."""
    return _batch_dot(x, y, axes)


@keras_op(name="batch_dot")
def _batch_dot(x, y, axes=None):
    x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 1 if y.ndim == 2 else y.ndim - 2)
    elif isinstance(axes, int):
        axes = (axes, axes)
    ax, ay = (a % t.ndim for a, t in zip(axes, (x, y)))
    if x.shape[ax] != y.shape[ay]:
        raise ValueError(
            f"batch_dot: the contracted axes differ in size: x axis {ax} is "
            f"{x.shape[ax]}, y axis {ay} is {y.shape[ay]}. Received: "
            f"x.shape={tuple(x.shape)}, y.shape={tuple(y.shape)}, axes={axes}"
        )
    xm = torch.movedim(x, ax, -1)
    ym = torch.movedim(y, ay, 1)
    out = torch.matmul(
        xm.reshape(xm.shape[0], -1, xm.shape[-1]), ym.reshape(ym.shape[0], ym.shape[1], -1)
    )
    out = out.reshape(xm.shape[:-1] + ym.shape[2:])
    return out.unsqueeze(-1) if out.ndim == 1 else out


# ------------------------------------------------------------------ Keras 2: random, training


def _generator(seed):
    return None if seed is None else torch.Generator().manual_seed(int(seed))


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples of N(mean, stddev**2) of `shape`."""
    out = torch.randn(
        tuple(shape), generator=_generator(seed), dtype=torch_dtype(dtype or floatx())
    )
    return out.mul_(stddev).add_(mean).to(config.device())


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples of U[minval, maxval) of `shape`."""
    out = torch.rand(tuple(shape), generator=_generator(seed), dtype=torch_dtype(dtype or floatx()))
    return out.mul_(maxval - minval).add_(minval).to(config.device())


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples redrawn until within two standard deviations of the mean."""
    out = torch.empty(tuple(shape), dtype=torch_dtype(dtype or floatx()))
    torch.nn.init.trunc_normal_(
        out, mean, stddev, mean - 2 * stddev, mean + 2 * stddev, generator=_generator(seed)
    )
    return out.to(config.device())


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    """0/1 samples that are 1 with probability `p`."""
    return (random_uniform(shape, dtype=dtype, seed=seed) < p).to(torch_dtype(dtype or floatx()))


random_binomial = random_bernoulli


def dropout(x, level, noise_shape=None, seed=None):
    """`x` with a fraction `level` of its values zeroed and the rest scaled by
    1 / (1 - level)."""
    x = ops.convert_to_tensor(x)
    keep = random_uniform(noise_shape or tuple(x.shape), seed=seed).to(x.device) >= level
    return x * keep / (1.0 - level)


def learning_phase() -> int:
    """0: plait decides training mode per call (`training=`), not by a global phase."""
    return 0


def set_learning_phase(value) -> None:
    """Accepted for old programs; no effect: plait's layers take `training=` per call, and
    fit/evaluate/predict set it."""
    if value not in (0, 1):
        raise ValueError(f"Expected learning phase to be 0 or 1. Received: value={value!r}")


def in_train_phase(x, alt, training=None):
    """`x` when `training`, else `alt` (callables are called)."""
    chosen = x if training else alt
    return chosen() if callable(chosen) else chosen


def in_test_phase(x, alt, training=None):
    """`x` when not `training`, else `alt`."""
    return in_train_phase(alt, x, training)


def map_fn(fn, elems, name=None, dtype=None):
    """`fn` applied to each slice of `elems` along the first axis, results stacked."""
    return ops.map(fn, elems)


def foldl(fn, elems, initializer=None, name=None):
    """Reduces `elems` from the left with `fn(accumulator, element)`."""
    items = list(elems)
    acc = items.pop(0) if initializer is None else initializer
    for item in items:
        acc = fn(acc, item)
    return acc


def foldr(fn, elems, initializer=None, name=None):
    """Reduces `elems` from the right with `fn(accumulator, element)`."""
    return foldl(fn, list(elems)[::-1], initializer)


__all__ = sorted(
    set(_KERAS3)
    | set(_SAME)
    | {
        name
        for name, value in list(globals().items())
        if callable(value)
        and not name.startswith("_")
        and getattr(value, "__module__", "") in ("plait.backend", "plait.ops")
        and name not in ("np", "torch")
    }
)
