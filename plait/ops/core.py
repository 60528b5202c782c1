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
    """`x` converted to `dtype` (floats to ints truncate towards zero).

    Args:
        x: a tensor, array, list or number.
        dtype: a name ('int32'), or a torch or NumPy dtype.

    Returns:
        A tensor of `x`'s shape.

        >>> from plait import ops
        >>> ops.cast([1.7, -1.2], "int32")
        tensor([ 1, -1], dtype=torch.int32)
    """
    return tensor(x).to(torch_dtype(dtype))


@keras_op
def saturate_cast(x, dtype):
    """`x` cast to `dtype`, clamped first to that dtype's range (no wrap-around).

    Args:
        x: a tensor, array, list or number.
        dtype: the target dtype.

    Returns:
        A tensor of `x`'s shape.

        >>> from plait import ops
        >>> ops.saturate_cast(ops.convert_to_tensor([-1.0, 300.0]), "uint8")
        tensor([  0, 255], dtype=torch.uint8)
    """
    x, target = tensor(x), torch_dtype(dtype)
    info = torch.finfo(target) if target.is_floating_point else torch.iinfo(target)
    return torch.clamp(x, info.min, info.max).to(target)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """`x` (a NumPy array, list, number or tensor) as a torch tensor.

    Python ints become int32, floats floatx; NumPy arrays keep their dtype. Symbolic tensors
    pass through (cast when `dtype` differs).

    Args:
        x: the value.
        dtype: None (keep, or Keras's default), or a dtype to cast to.
        sparse, ragged: accepted for Keras's signature; tensors are dense.

    Returns:
        A torch tensor (or the symbolic tensor).

        >>> from plait import ops
        >>> ops.convert_to_tensor([1, 2])
        tensor([1, 2], dtype=torch.int32)
        >>> ops.convert_to_tensor([1, 2], dtype="float32")
        tensor([1., 2.])
    """
    if isinstance(x, SymbolicTensor):
        return x if dtype is None or torch_dtype(dtype) == x.dtype else cast(x, dtype)
    return tensor(x, dtype)


def convert_to_numpy(x):
    """`x` as a NumPy array (detached, copied to the CPU; bfloat16 becomes float32).

    Args:
        x: a tensor, array, list or number.

    Returns:
        A NumPy array.

        >>> from plait import ops
        >>> ops.convert_to_numpy(ops.ones(2))
        array([1., 1.], dtype=float32)
    """
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        return (x.float() if x.dtype == torch.bfloat16 else x).numpy()
    return np.asarray(x)


def is_tensor(x):
    """Whether `x` is a torch tensor (what this backend's tensors are).

    Args:
        x: any value.

    Returns:
        A Python bool.

        >>> from plait import ops
        >>> ops.is_tensor(ops.ones(2)), ops.is_tensor([1.0])
        (True, False)
    """
    return isinstance(x, torch.Tensor)


def shape(x):
    """`x`'s shape as a tuple (None for a symbolic tensor's unknown dimensions).

    Args:
        x: a tensor, symbolic tensor, array or nested list.

    Returns:
        A tuple of ints (or None).

        >>> from plait import ops
        >>> ops.shape(ops.ones((2, 3)))
        (2, 3)
    """
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def dtype(x):
    """`x`'s dtype as Keras's name.

    Args:
        x: a tensor, symbolic tensor, array, list or number.

    Returns:
        A string, e.g. 'float32'.

        >>> from plait import ops
        >>> ops.dtype(ops.ones(2)), ops.dtype(ops.convert_to_tensor([1, 2]))
        ('float32', 'int32')
    """
    return standardize_dtype(x.dtype if hasattr(x, "dtype") else tensor(x).dtype)


@keras_op
def stop_gradient(variable):
    """`variable` with no gradient flowing back through it (a detached tensor).

    Args:
        variable: a tensor.

    Returns:
        The same values, outside autograd.

        >>> import torch
        >>> from plait import ops
        >>> x = torch.ones(2, requires_grad=True)
        >>> ops.stop_gradient(x * 2).requires_grad
        False
    """
    return tensor(variable).detach()


@keras_op
def unstack(x, num=None, axis=0):
    """`x` split into a list of tensors along `axis`.

    Args:
        x: a tensor.
        num: accepted for Keras's signature (the length of `axis`).
        axis: default 0.

    Returns:
        A list of `x.shape[axis]` tensors, each without `axis`.

        >>> from plait import ops
        >>> first, second = ops.unstack(ops.convert_to_tensor([[1, 2], [3, 4]]))
        >>> second
        tensor([3, 4], dtype=torch.int32)
    """
    return list(torch.unbind(tensor(x), dim=axis))


@keras_op
def scatter(indices, values, shape):
    """A zero tensor of `shape` with `values` added at `indices` (repeats add up).

    Args:
        indices: `(n, k)` integer coordinates into the first `k` axes of `shape`.
        values: `(n, *shape[k:])`.
        shape: the result's shape.

    Returns:
        A tensor of `shape`, `values`' dtype.

        >>> from plait import ops
        >>> ops.scatter([[0], [2], [2]], [1.0, 2.0, 3.0], (4,))
        tensor([1., 0., 5., 0.])
    """
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
    """`inputs` with the values at `indices` replaced by `updates` (a copy).

    Args:
        inputs: a tensor.
        indices: `(n, k)` integer coordinates into the first `k` axes of `inputs`.
        updates: `(n, *inputs.shape[k:])`.

    Returns:
        A tensor of `inputs`' shape and dtype.

        >>> from plait import ops
        >>> ops.scatter_update(ops.zeros(4), [[1], [3]], [5.0, 6.0])
        tensor([0., 5., 0., 6.])
    """
    out = tensor(inputs).clone()
    idx = tensor(indices, like=out).long()
    updates = tensor(updates, out.dtype, like=out)
    out[tuple(idx.reshape(-1, idx.shape[-1]).T)] = updates.reshape(
        (-1,) + out.shape[idx.shape[-1] :]
    )
    return out


@keras_op
def slice(inputs, start_indices, shape):
    """The block of `inputs` of `shape` starting at `start_indices`.

    Args:
        inputs: a tensor.
        start_indices: one start per axis.
        shape: the block's size per axis.

    Returns:
        A tensor of `shape`.

        >>> from plait import ops
        >>> x = ops.reshape(ops.arange(9), (3, 3))
        >>> ops.slice(x, (1, 0), (2, 2))
        tensor([[3, 4],
                [6, 7]], dtype=torch.int32)
    """
    x = tensor(inputs)
    starts = [int(s) for s in start_indices]
    return x[tuple(builtins.slice(s, s + n) for s, n in zip(starts, shape))]


@keras_op
def slice_update(inputs, start_indices, updates):
    """`inputs` with the block at `start_indices` replaced by `updates` (a copy).

    Args:
        inputs: a tensor.
        start_indices: one start per axis.
        updates: the block, no larger than what is left of `inputs` from the start.

    Returns:
        A tensor of `inputs`' shape and dtype.

        >>> from plait import ops
        >>> ops.slice_update(ops.zeros((2, 3)), (1, 1), ops.ones((1, 2)))
        tensor([[0., 0., 0.],
                [0., 1., 1.]])
    """
    out = tensor(inputs).clone()
    updates = tensor(updates, out.dtype, like=out)
    starts = [int(s) for s in start_indices]
    out[tuple(builtins.slice(s, s + n) for s, n in zip(starts, updates.shape))] = updates
    return out


def cond(pred, true_fn, false_fn):
    """`true_fn()` if `pred` else `false_fn()`.

    A symbolic `pred` computes both branches in the graph and selects element-wise (they
    must have the same shape).

    Args:
        pred: a scalar boolean (tensor).
        true_fn, false_fn: functions of no arguments.

    Returns:
        The result of the branch taken.

        >>> from plait import ops
        >>> x = ops.convert_to_tensor(-3.0)
        >>> ops.cond(x > 0, lambda: x, lambda: -x)
        tensor(3.)
    """
    if isinstance(pred, SymbolicTensor):
        return _where(pred, true_fn(), false_fn())
    return true_fn() if bool(tensor(pred)) else false_fn()


def switch(index, branches, *operands):
    """`branches[index](*operands)`, `index` clipped to the branches.

    Args:
        index: an int (tensor).
        branches: a list of functions.
        *operands: their arguments.

    Returns:
        The result of the branch taken.

        >>> from plait import ops
        >>> ops.switch(1, [lambda x: x + 1, lambda x: x * 10], 2)
        20
        >>> ops.switch(5, [lambda x: x + 1, lambda x: x * 10], 2)
        20
    """
    i = int(tensor(index)) if not isinstance(index, int) else index
    return branches[builtins.max(0, builtins.min(i, len(branches) - 1))](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Runs `loop_vars = body(*loop_vars)` while `cond(*loop_vars)` is true.

    Args:
        cond: a function of the loop vars, returning a boolean.
        body: a function of the loop vars, returning new ones of the same structure.
        loop_vars: one value, or a list or tuple of them.
        maximum_iterations: None, or the most steps to run.

    Returns:
        The final loop vars as tensors: one, or a tuple.

        >>> from plait import ops
        >>> ops.while_loop(lambda i: i < 10, lambda i: i * 2, 1)
        tensor(16, dtype=torch.int32)
        >>> ops.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s + i), (0, 0))
        (tensor(3, dtype=torch.int32), tensor(3, dtype=torch.int32))
    """
    single = not isinstance(loop_vars, (list, tuple))
    state = _tensors_in((loop_vars,) if single else tuple(loop_vars))
    steps = 0
    while bool(cond(*state)) and (maximum_iterations is None or steps < maximum_iterations):
        state = body(*state)
        state = (state,) if single else tuple(state)
        steps += 1
    return state[0] if single else state


def _tensors_in(structure):
    """`structure` with each leaf a tensor (Keras's loops start from tensors)."""
    if isinstance(structure, dict):
        return {k: _tensors_in(v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_tensors_in(v) for v in structure)
    return convert_to_tensor(structure)


def fori_loop(lower, upper, body_fun, init_val):
    """`val = body_fun(i, val)` for each `i` in `range(lower, upper)`.

    Args:
        lower, upper: the range's ints.
        body_fun: a function of `(i, val)`, returning the new `val`.
        init_val: the first `val`.

    Returns:
        The final `val`.

        >>> from plait import ops
        >>> ops.fori_loop(0, 4, lambda i, total: total + i, 0)
        6
    """
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def map(f, xs):
    """`f` applied to each slice of `xs` along its first axis, the results stacked.

    Args:
        f: a function of one slice (a tensor, or the structure of `xs`).
        xs: a tensor, or a list, tuple or dict of tensors of one length.

    Returns:
        The stacked results, in `f`'s output structure.

        >>> from plait import ops
        >>> ops.map(lambda row: ops.sum(row), ops.convert_to_tensor([[1, 2], [3, 4]]))
        tensor([3, 7], dtype=torch.int32)
    """
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
    """`carry, y = f(carry, x)` over the slices of `xs` along its first axis.

    Args:
        f: a function of `(carry, x)` returning `(new_carry, y)`.
        init: the first carry.
        xs: a tensor or a structure of tensors of one length, or None (then `x` is None).
        length: the number of steps when `xs` is None.
        reverse: run from the last slice (default False; `ys` keep `xs`' order).
        unroll: accepted for Keras's signature.

    Returns:
        `(final_carry, ys)`, the `y`s stacked (None when `f` returns None for `y`).

        >>> from plait import ops
        >>> ops.scan(lambda c, x: (c + x, c * x), 1.0, ops.convert_to_tensor([1.0, 2.0, 3.0]))
        (tensor(7.), tensor([ 1.,  4., 12.]))
    """
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
    """The running `f`-reduction of `elems` along `axis` (`f` must be associative).

    Args:
        f: a function of two elements (or two lists of them), associative.
        elems: a tensor, or a list or tuple of tensors of one length along `axis`.
        reverse: reduce from the end (default False).
        axis: default 0.

    Returns:
        `elems`' shape (and structure): element `i` is `f` over elements `0..i`.

        >>> from plait import ops
        >>> x = ops.convert_to_tensor([1.0, 2.0, 3.0, 4.0])
        >>> ops.associative_scan(lambda a, b: a + b, x)
        tensor([ 1.,  3.,  6., 10.])
    """
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
    """`function` applied to each slice of `elements` along the first axis.

    A tensor runs as one vectorized call (`torch.vmap`) where the function allows it, else
    as a loop.

    Args:
        function: a function of one slice.
        elements: a tensor, or a structure of tensors of one length.

    Returns:
        The stacked results.

        >>> from plait import ops
        >>> ops.vectorized_map(lambda x: ops.sum(x), ops.ones((2, 3)))
        tensor([3., 3.])
    """
    if isinstance(elements, torch.Tensor):
        try:
            return torch.vmap(function)(elements)
        except RuntimeError:
            pass
    return map(function, elements)


def custom_gradient(f):
    """Decorator: a function with its own gradient.

    Args:
        f: returns `(output, grad_fn)`; backward calls `grad_fn(*upstream)` and uses what it
            returns (one gradient per argument of `f`) instead of autograd's.

    Returns:
        The function, differentiable by its `grad_fn`.

        >>> import torch
        >>> from plait import ops
        >>> @ops.custom_gradient
        ... def double_gradient(x):
        ...     def grad(*args, upstream=None):  # Keras's portable form
        ...         upstream = args[0] if upstream is None else upstream
        ...         return upstream * 2
        ...     return x * 1.0, grad
        >>> x = torch.ones(2, requires_grad=True)
        >>> double_gradient(x).sum().backward()
        >>> x.grad
        tensor([2., 2.])
    """

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
