"""Keras's `ops.core`: conversion, casting, structure and control flow.

Control flow (`cond`, `switch`, `while_loop`, `fori_loop`, `scan`, `map`, ...) runs as Python
on concrete tensors, as Keras's PyTorch backend does. On symbolic tensors, `cond` computes
both branches in the graph and selects with `where` (both must have one shape); the loops run
their Python bodies once per step, so each step's ops become nodes of the graph.
"""

import builtins

import numpy as np
import torch

from plait.graph.tensor import SymbolicTensor
from plait.ops._indexing import where as _where
from plait.ops._base import keras_op, standardize_dtype, tensor, torch_dtype

__all__ = [
    "associative_scan",
    "cast",
    "cond",
    "convert_to_numpy",
    "convert_to_tensor",
    "custom_gradient",
    "dtype",
    "fori_loop",
    "is_tensor",
    "map",
    "saturate_cast",
    "scan",
    "scatter",
    "scatter_update",
    "shape",
    "slice",
    "slice_update",
    "stop_gradient",
    "switch",
    "unstack",
    "vectorized_map",
    "while_loop",
]


@keras_op
def cast(x, dtype):
    """`x` converted to `dtype` (a name, or a torch or NumPy dtype)."""
    return tensor(x).to(torch_dtype(dtype))


@keras_op
def saturate_cast(x, dtype):
    """`x` cast to `dtype`, clamped first to that dtype's range (no wrap-around)."""
    x, target = tensor(x), torch_dtype(dtype)
    info = torch.finfo(target) if target.is_floating_point else torch.iinfo(target)
    return torch.clamp(x, info.min, info.max).to(target)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """`x` (a NumPy array, list, number or tensor) as a torch tensor; symbolic tensors pass
    through (cast when `dtype` differs)."""
    if isinstance(x, SymbolicTensor):
        return x if dtype is None or torch_dtype(dtype) == x.dtype else cast(x, dtype)
    return tensor(x, dtype)


def convert_to_numpy(x):
    """`x` as a NumPy array (detached, on the CPU)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        return (x.float() if x.dtype == torch.bfloat16 else x).numpy()
    return np.asarray(x)


def is_tensor(x):
    """Whether `x` is a torch tensor (what this backend's tensors are)."""
    return isinstance(x, torch.Tensor)


def shape(x):
    """`x`'s shape as a tuple of ints (None for a symbolic tensor's unknown dimensions)."""
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def dtype(x):
    """`x`'s dtype name, e.g. 'float32'."""
    return standardize_dtype(x.dtype if hasattr(x, "dtype") else tensor(x).dtype)


@keras_op
def stop_gradient(variable):
    """`variable` with no gradient flowing back through it."""
    return tensor(variable).detach()


@keras_op
def unstack(x, num=None, axis=0):
    """`x` split into a list of tensors along `axis`."""
    return list(torch.unbind(tensor(x), dim=axis))


@keras_op
def scatter(indices, values, shape):
    """A zero tensor of `shape` with `values` added at `indices` (rows of coordinates)."""
    values = tensor(values)
    idx = tensor(indices, like=values).long()
    out = torch.zeros(tuple(shape), dtype=values.dtype, device=values.device)
    return out.index_put_(
        tuple(idx.reshape(-1, idx.shape[-1]).T),
        values.reshape((-1,) + out.shape[idx.shape[-1] :]),
        accumulate=True,
    )


@keras_op
def scatter_update(inputs, indices, updates):
    """`inputs` with the values at `indices` (rows of coordinates) replaced by `updates`."""
    out = tensor(inputs).clone()
    idx = tensor(indices, like=out).long()
    updates = tensor(updates, out.dtype, like=out)
    out[tuple(idx.reshape(-1, idx.shape[-1]).T)] = updates.reshape(
        (-1,) + out.shape[idx.shape[-1] :]
    )
    return out


@keras_op
def slice(inputs, start_indices, shape):
    """The block of `inputs` of `shape` starting at `start_indices`."""
    x = tensor(inputs)
    starts = [int(s) for s in start_indices]
    return x[tuple(builtins.slice(s, s + n) for s, n in zip(starts, shape))]


@keras_op
def slice_update(inputs, start_indices, updates):
    """`inputs` with the block at `start_indices` replaced by `updates`."""
    out = tensor(inputs).clone()
    updates = tensor(updates, out.dtype, like=out)
    starts = [int(s) for s in start_indices]
    out[tuple(builtins.slice(s, s + n) for s, n in zip(starts, updates.shape))] = updates
    return out


def cond(pred, true_fn, false_fn):
    """`true_fn()` if `pred` else `false_fn()`. A symbolic `pred` computes both branches
    and selects element-wise (they must have the same shape)."""
    if isinstance(pred, SymbolicTensor):
        return _where(pred, true_fn(), false_fn())
    return true_fn() if bool(tensor(pred)) else false_fn()


def switch(index, branches, *operands):
    """`branches[index](*operands)`, `index` clipped to the branches."""
    i = int(tensor(index)) if not isinstance(index, int) else index
    return branches[builtins.max(0, builtins.min(i, len(branches) - 1))](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Runs `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`, at most
    `maximum_iterations` times; returns the final loop vars in their structure."""
    single = not isinstance(loop_vars, (list, tuple))
    state = (loop_vars,) if single else tuple(loop_vars)
    steps = 0
    while bool(cond(*state)) and (maximum_iterations is None or steps < maximum_iterations):
        state = body(*state)
        state = (state,) if single else tuple(state)
        steps += 1
    return state[0] if single else type(loop_vars)(state)


def fori_loop(lower, upper, body_fun, init_val):
    """`val = body_fun(i, val)` for i in [lower, upper); returns the final `val`."""
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def map(f, xs):
    """`f` applied to each slice of `xs` along its first axis, results stacked."""
    xs = tensor(xs) if not isinstance(xs, (list, tuple, dict)) else xs
    if isinstance(xs, torch.Tensor):
        return torch.stack([f(x) for x in xs])
    n = len(next(iter(xs.values() if isinstance(xs, dict) else xs)))
    outs = [f(_index(xs, i)) for i in range(n)]
    return _stack_structure(outs)


def _index(structure, i):
    if isinstance(structure, dict):
        return {k: _index(v, i) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_index(v, i) for v in structure)
    return structure[i]


def _stack_structure(items):
    first = items[0]
    if isinstance(first, dict):
        return {k: _stack_structure([it[k] for it in items]) for k in first}
    if isinstance(first, (list, tuple)):
        return type(first)(_stack_structure([it[j] for it in items]) for j in range(len(first)))
    return torch.stack([tensor(it) for it in items])


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """`carry, y = f(carry, x)` over the slices of `xs`; returns (final carry, stacked ys)."""
    if xs is None:
        steps = list(range(length))
        slices = [None] * length
    else:
        n = len(xs) if not isinstance(xs, torch.Tensor) else xs.shape[0]
        steps = list(range(n))
        slices = [_index(xs, i) if not isinstance(xs, torch.Tensor) else xs[i] for i in steps]
    order = reversed(steps) if reverse else steps
    carry, ys = init, {}
    for i in order:
        carry, y = f(carry, slices[i])
        ys[i] = y
    stacked = [ys[i] for i in steps]
    return carry, (_stack_structure(stacked) if stacked and stacked[0] is not None else None)


def associative_scan(f, elems, reverse=False, axis=0):
    """The running `f`-reduction of `elems` along `axis` (`f` must be associative)."""
    flat = isinstance(elems, (list, tuple))
    parts = [tensor(e) for e in (elems if flat else [elems])]
    parts = [torch.movedim(p, axis, 0) for p in parts]
    n = parts[0].shape[0]
    order = list(range(n - 1, -1, -1)) if reverse else list(range(n))
    acc, outs = None, {}
    for i in order:
        cur = [p[i] for p in parts]
        cur = cur if flat else cur[0]
        acc = cur if acc is None else f(acc, cur)
        outs[i] = acc
    seq = [outs[i] for i in range(n)]
    if flat:
        return type(elems)(
            torch.movedim(torch.stack([s[j] for s in seq]), 0, axis) for j in range(len(parts))
        )
    return torch.movedim(torch.stack(seq), 0, axis)


def vectorized_map(function, elements):
    """`function` applied to each slice of `elements` along the first axis (torch.vmap)."""
    if isinstance(elements, torch.Tensor):
        try:
            return torch.vmap(function)(elements)
        except RuntimeError:
            pass
    return map(function, elements)


def custom_gradient(f):
    """Decorator: `f(*args)` returns `(output, grad_fn)`; backward uses
    `grad_fn(*upstream)` (or `grad_fn(*upstream, variables=...)`) instead of autograd."""

    class _Function(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *args):
            output, grad_fn = f(*args)
            ctx.grad_fn = grad_fn
            return output

        @staticmethod
        def backward(ctx, *upstream):
            grads = ctx.grad_fn(*upstream)
            return grads if isinstance(grads, tuple) else (grads,)

    def wrapper(*args):
        return _Function.apply(*args)

    return wrapper
