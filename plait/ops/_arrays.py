"""NumPy-style ops that make, reshape, split and combine arrays (indexing and sorting: `_indexing.py`), with Keras's
arguments. Each is short and calls torch; most need a line of argument translation (Keras's
`axis` to torch's `dim`, int32 indices as Keras answers, floatx defaults). Every op's
docstring (what `help()` shows, with its example) is in `_docs_arrays.py`.
"""

import builtins

import numpy as np
import torch

from plait import config
from plait.ops import _docs, _docs_arrays
from plait.ops._base import (
    keras_op,
    result_type,
    tensor,
    to_float,
    torch_dtype,
)

__all__ = [
    "append",
    "arange",
    "array",
    "array_split",
    "bartlett",
    "blackman",
    "broadcast_to",
    "concatenate",
    "dsplit",
    "dstack",
    "empty",
    "empty_like",
    "expand_dims",
    "eye",
    "flip",
    "fliplr",
    "flipud",
    "full",
    "full_like",
    "geomspace",
    "hamming",
    "hanning",
    "hsplit",
    "hstack",
    "identity",
    "kaiser",
    "linspace",
    "logspace",
    "meshgrid",
    "moveaxis",
    "ones",
    "ones_like",
    "pad",
    "ravel",
    "repeat",
    "reshape",
    "roll",
    "rot90",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "tile",
    "transpose",
    "tri",
    "vsplit",
    "vstack",
    "zeros",
    "zeros_like",
]


def _shape(shape):
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


def _dt(dtype, default=None):
    return torch_dtype(dtype if dtype is not None else (default or config.floatx()))


def _same_dtype(*xs):
    xs = [tensor(x) for x in xs]
    dtype = torch_dtype(result_type(*(x.dtype for x in xs)))
    return [x.to(dtype) for x in xs]


def _mm_inputs(x1, x2):
    """Operands of a product in their common dtype (bools multiply as int32, then back)."""
    a, b = _same_dtype(x1, x2)
    if a.dtype == torch.bool:
        return a.to(torch.int32), b.to(torch.int32), torch.bool
    return a, b, a.dtype


# ------------------------------------------------------------------ creation


@keras_op
def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in [start, stop) (`arange(n)` counts from 0); int32 for ints."""
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    kind = float if builtins.any(isinstance(v, float) for v in (start, stop, step)) else int
    return torch.arange(start, stop, step, dtype=_dt(dtype or kind))


@keras_op
def array(x, dtype=None):
    """`x` as a tensor."""
    return tensor(x, dtype)


@keras_op
def empty(shape, dtype=None):
    """An uninitialized tensor of `shape` (floatx by default)."""
    return torch.empty(_shape(shape), dtype=_dt(dtype))


@keras_op
def zeros(shape, dtype=None):
    """Zeros of `shape` (floatx by default)."""
    return torch.zeros(_shape(shape), dtype=_dt(dtype))


@keras_op
def ones(shape, dtype=None):
    """Ones of `shape` (floatx by default)."""
    return torch.ones(_shape(shape), dtype=_dt(dtype))


@keras_op
def full(shape, fill_value, dtype=None):
    """`fill_value` repeated to `shape`; the dtype of `fill_value` unless `dtype` is given."""
    value = tensor(fill_value, dtype or config.floatx())
    return value.expand(_shape(shape)).clone()


def _like(fill):
    def op(x, dtype=None):
        x = tensor(x)
        return fill(x, dtype=torch_dtype(dtype) if dtype is not None else x.dtype)

    return op


empty_like = keras_op(_like(torch.empty_like), name="empty_like")
zeros_like = keras_op(_like(torch.zeros_like), name="zeros_like")
ones_like = keras_op(_like(torch.ones_like), name="ones_like")


@keras_op
def full_like(x, fill_value, dtype=None):
    """A tensor like `x` filled with `fill_value`."""
    x = tensor(x)
    return torch.full_like(x, fill_value, dtype=torch_dtype(dtype) if dtype else x.dtype)


@keras_op
def eye(N, M=None, k=0, dtype=None):
    """A 2-D tensor with ones on the `k`-th diagonal."""
    M = N if M is None else M
    return torch.ones(N, M, dtype=_dt(dtype)).tril(k).triu(k)


@keras_op
def identity(n, dtype=None):
    """The `n` x `n` identity matrix."""
    return torch.eye(n, dtype=_dt(dtype))


@keras_op
def tri(N, M=None, k=0, dtype=None):
    """Ones at and below the `k`-th diagonal."""
    return torch.tril(torch.ones(N, N if M is None else M, dtype=_dt(dtype)), k)


@keras_op
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """`num` evenly spaced values from `start` to `stop` (included when `endpoint`)."""
    start, stop = to_float(start), to_float(stop)
    div = (num - 1) if endpoint else num
    step = (stop - start) / builtins.max(div, 1)
    steps = torch.arange(num, dtype=start.dtype).reshape((-1,) + (1,) * start.ndim)
    out = start + steps * step
    if endpoint and num > 1:
        out[-1] = stop
    out = torch.movedim(out, 0, axis).to(_dt(dtype))
    return (out, step) if retstep else out


@keras_op
def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """`base ** linspace(start, stop, num)`."""
    return torch.pow(float(base), linspace(start, stop, num, endpoint, axis=axis)).to(_dt(dtype))


@keras_op
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Values spaced evenly on a log scale from `start` to `stop`."""
    start, stop = to_float(start), to_float(stop)
    return torch.exp(linspace(torch.log(start), torch.log(stop), num, endpoint, axis=axis)).to(
        _dt(dtype)
    )


def _window(fn):
    def op(x):
        return fn(int(x), periodic=False, dtype=_dt(None))

    return op


bartlett = keras_op(_window(torch.bartlett_window), name="bartlett")
blackman = keras_op(_window(torch.blackman_window), name="blackman")
hamming = keras_op(_window(torch.hamming_window), name="hamming")
hanning = keras_op(_window(torch.hann_window), name="hanning")


@keras_op
def kaiser(x, beta):
    """The Kaiser window of length `x`."""
    return torch.kaiser_window(int(x), periodic=False, beta=float(beta), dtype=_dt(None))


# ------------------------------------------------------------------ shapes


@keras_op
def reshape(x, newshape):
    """`x` with shape `newshape` (-1 once for the inferred dimension)."""
    return torch.reshape(tensor(x), _shape(newshape))


@keras_op
def ravel(x):
    """`x` flattened to 1-D."""
    return torch.ravel(tensor(x))


@keras_op
def expand_dims(x, axis):
    """`x` with size-1 axes inserted at `axis` (an int or a tuple)."""
    x = tensor(x)
    axes = _shape(axis)
    out_ndim = x.ndim + len(axes)
    for a in sorted(a % out_ndim for a in axes):
        x = x.unsqueeze(a)
    return x


@keras_op
def squeeze(x, axis=None):
    """`x` without its size-1 axes (only `axis`, when given; raises if that is not 1)."""
    x = tensor(x)
    if axis is None:
        return torch.squeeze(x)
    for a in _shape(axis):
        if x.shape[a] != 1:
            raise ValueError(
                f"squeeze: axis {a} of a tensor of shape {tuple(x.shape)} has "
                f"size {x.shape[a]}, not 1. Received: axis={axis}"
            )
    return torch.squeeze(x, dim=_shape(axis))


@keras_op
def transpose(x, axes=None):
    """`x` with its axes permuted (reversed when `axes` is None)."""
    x = tensor(x)
    return x.permute(*(range(x.ndim - 1, -1, -1) if axes is None else axes))


@keras_op
def swapaxes(x, axis1, axis2):
    """`x` with two axes exchanged."""
    return torch.swapaxes(tensor(x), axis1, axis2)


@keras_op
def moveaxis(x, source, destination):
    """`x` with axes moved from `source` to `destination`."""
    return torch.movedim(tensor(x), source, destination)


@keras_op
def broadcast_to(x, shape):
    """`x` broadcast to `shape`."""
    return torch.broadcast_to(tensor(x), _shape(shape))


@keras_op
def tile(x, repeats):
    """`x` repeated `repeats` times along each axis."""
    return torch.tile(tensor(x), _shape(repeats))


@keras_op
def repeat(x, repeats, axis=None):
    """Each element of `x` repeated `repeats` times (flattened when `axis` is None)."""
    x = tensor(x)
    if not isinstance(repeats, int):
        repeats = tensor(repeats, like=x)
    return torch.repeat_interleave(x, repeats, dim=axis)


@keras_op
def flip(x, axis=None):
    """`x` reversed along `axis` (every axis when None)."""
    x = tensor(x)
    return torch.flip(x, dims=tuple(range(x.ndim)) if axis is None else _shape(axis))


fliplr = keras_op(lambda x: torch.flip(tensor(x), (1,)), name="fliplr")
flipud = keras_op(lambda x: torch.flip(tensor(x), (0,)), name="flipud")


@keras_op
def rot90(array, k=1, axes=(0, 1)):
    """`array` rotated by 90 degrees `k` times in the plane of `axes`."""
    return torch.rot90(tensor(array), k, tuple(axes))


@keras_op
def roll(x, shift, axis=None):
    """`x` rolled by `shift` along `axis` (over the flattened tensor when None)."""
    x = tensor(x)
    if axis is None:
        return torch.roll(x.reshape(-1), shift).reshape(x.shape)
    return torch.roll(x, shift, axis)


@keras_op
def pad(x, pad_width, mode="constant", constant_values=None):
    """`x` padded by `pad_width` ((before, after) per axis) in `mode`."""
    x = tensor(x)
    width = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    flat = [int(v) for pair in width[::-1] for v in pair]
    modes = {
        "constant": "constant",
        "reflect": "reflect",
        "symmetric": "symmetric",
        "edge": "replicate",
        "wrap": "circular",
    }
    if mode not in modes:
        raise ValueError(
            f"pad: unknown mode. Expected one of {sorted(modes)}. Received: mode={mode!r}"
        )
    if mode == "constant":
        return torch.nn.functional.pad(x, flat, value=constant_values or 0)
    if constant_values is not None:
        raise ValueError(
            "pad: constant_values only goes with mode='constant'. "
            f"Received: mode={mode!r}, constant_values={constant_values!r}"
        )
    if mode == "symmetric":
        return torch.from_numpy(np.pad(x.cpu().numpy(), width, mode="symmetric")).to(x.device)
    ndim_pad = int(np.flatnonzero(width.sum(1)).min()) if width.any() else x.ndim
    batch = x.reshape((1, 1) + tuple(x.shape)) if ndim_pad >= 0 else x
    out = torch.nn.functional.pad(
        batch.float() if not x.is_floating_point() else batch,
        flat[: 2 * (x.ndim - ndim_pad)],
        mode=modes[mode],
    )
    return out.reshape(out.shape[2:]).to(x.dtype)


# ------------------------------------------------------------------ combining, splitting


@keras_op
def concatenate(xs, axis=0):
    """The tensors `xs` joined along `axis` (in their common dtype)."""
    xs = _same_dtype(*xs)
    return torch.cat(xs, dim=axis) if axis is not None else torch.cat([x.reshape(-1) for x in xs])


@keras_op
def append(x1, x2, axis=None):
    """`x2` appended to `x1` along `axis` (both flattened when None)."""
    return concatenate([x1, x2], axis=axis)


@keras_op
def stack(x, axis=0):
    """The tensors `x` stacked along a new `axis`."""
    return torch.stack(_same_dtype(*x), dim=axis)


hstack = keras_op(lambda xs: torch.hstack(_same_dtype(*xs)), name="hstack")
vstack = keras_op(lambda xs: torch.vstack(_same_dtype(*xs)), name="vstack")
dstack = keras_op(lambda xs: torch.dstack(_same_dtype(*xs)), name="dstack")


def _split(x, indices_or_sections, axis):
    x = tensor(x)
    if isinstance(indices_or_sections, int):
        if x.shape[axis] % indices_or_sections:
            raise ValueError(
                f"split: axis {axis} of size {x.shape[axis]} does not divide into "
                f"{indices_or_sections} equal parts. Received: "
                f"indices_or_sections={indices_or_sections}"
            )
        return list(torch.tensor_split(x, indices_or_sections, dim=axis))
    return list(torch.tensor_split(x, list(indices_or_sections), dim=axis))


@keras_op
def split(x, indices_or_sections, axis=0):
    """`x` split into equal parts (an int) or at the given indices along `axis`."""
    return _split(x, indices_or_sections, axis)


@keras_op
def array_split(x, indices_or_sections, axis=0):
    """`x` split into `indices_or_sections` parts that may differ by one in size."""
    return list(torch.tensor_split(tensor(x), indices_or_sections, dim=axis))


hsplit = keras_op(
    lambda x, indices_or_sections: _split(x, indices_or_sections, 1 if tensor(x).ndim > 1 else 0),
    name="hsplit",
)
vsplit = keras_op(lambda x, indices_or_sections: _split(x, indices_or_sections, 0), name="vsplit")
dsplit = keras_op(lambda x, indices_or_sections: _split(x, indices_or_sections, 2), name="dsplit")


@keras_op
def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D tensors (`indexing` 'xy' or 'ij')."""
    return list(torch.meshgrid(*[tensor(v) for v in x], indexing=indexing))


_docs.attach(globals(), _docs_arrays.DOCS)
