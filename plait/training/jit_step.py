"""The train step of `jit_compile=True` as one graph: forward, loss, backward and the
optimizer update in one `torch.compile(fullgraph=True)` call.

Two compiled calls per step (the gradients, then `optimizer.step()`) cost more in dynamo's
guards and wrappers than a small model's math (bench/). Here the plait optimizer's own
update (`Optimizer._graph_apply`: clipping, weight decay, Keras's rule on foreach ops, EMA)
runs inside the graph, in place, on the parameters and on the optimizer's state tensors:
eager steps, `state_dict()`, saving and loading see the same state as if
`optimizer.step()` had run. The learning rate and the step count enter as 0-d float32
tensors (Keras's own dtypes for them), refilled only when they differ from what the graph
left, so a schedule never recompiles. Anything else (a raw `torch.optim` optimizer,
gradient accumulation, EMA overwrites, Nadam, LossScaleOptimizer, data-parallel) keeps the
two-graph step (`one_graph_step` gives None).
"""

import torch

from plait import optimizers

__all__ = ["one_graph_step", "stack_batches"]


def one_graph_step(optimizer, params, forward_backward, backend, steps=1):
    """The one-graph step for `optimizer`, or None when its update cannot run in the graph.

    With `steps` > 1 (`compile(steps_per_execution=steps)`), the graph runs that many
    train steps one after the other (unrolled), each on its own batch, all taken from
    inputs stacked to `[steps, batch, ...]` (`stack_batches`): one call, one set of
    guards, for `steps` updates.

    Args:
        optimizer: the plait optimizer of the compiled state.
        params: `(name, parameter)` pairs, the names being the keys of the gradients.
        forward_backward: `(xs, ys, sws) -> (grads, result)`, traceable with
            `fullgraph=True`; `grads` maps the names of `params` to their gradients.
        backend: the torch.compile backend.

    Returns:
        A callable `(xs, ys, sws) -> result` that also updates the parameters, the
        optimizer's state and `optimizer.iterations`; with `steps` > 1 the inputs are
        stacked and the result is a list of `steps` results; or None.
    """
    if not isinstance(optimizer, optimizers.Optimizer) or not optimizer._graph_supported():
        return None
    held = {id(p) for p in optimizer._params}
    # Parameters the optimizer does not hold are not updated in eager steps either.
    entries = [(name, p) for name, p in params if id(p) in held]
    if not entries or any(
        not p.is_floating_point() or p.is_complex() or p.is_sparse for _, p in entries
    ):
        return None
    if len({p.device for _, p in entries}) != 1:
        return None
    return _OneGraphStep(optimizer, entries, forward_backward, backend, steps)


def stack_batches(batches):
    """`[(xs, ys, sws), ...]` (lists of tensors or None, batches of one size) as one
    `(xs, ys, sws)` of tensors stacked to `[len(batches), batch, ...]`."""
    return tuple(
        [None if parts[0] is None else torch.stack(parts) for parts in zip(*group)]
        for group in zip(*batches)
    )


class _OneGraphStep:
    def __init__(self, optimizer, entries, forward_backward, backend, steps=1):
        self.optimizer = optimizer
        self.steps = steps
        names = [name for name, _ in entries]
        self.params = params = [p for _, p in entries]
        device = params[0].device
        self.lr = torch.zeros((), dtype=torch.float32, device=device)
        self.count = torch.zeros((), dtype=torch.float32, device=device)
        self.lr_value = None
        self.count_value = None
        self.slots = None
        self.version = None

        def step(xs, ys, sws, lr, count, slots):
            # Called under no_grad (the update mutates parameters); layers see grad mode on
            # while the gradients are computed, as in eager steps.
            with torch.enable_grad():
                grads, result = forward_backward(xs, ys, sws)
            optimizer._graph_apply(params, [grads[name] for name in names], slots, lr, count)
            count.add_(1)
            return result

        def steps_of(xs, ys, sws, lrs, count, slots):
            # `steps` updates, unrolled; step i reads row i of the stacked batches and the
            # i-th learning rate, and sees the parameters step i - 1 left.
            results = []
            for i in range(steps):
                row = [[None if t is None else t[i] for t in group] for group in (xs, ys, sws)]
                results.append(step(*row, lrs[i], count, slots))
            return results

        if steps > 1:
            self.lr = torch.zeros((steps,), dtype=torch.float32, device=device)
        self.compiled = torch.compile(
            step if steps == 1 else steps_of,
            fullgraph=True,
            dynamic=False,
            backend=backend,
            options=_fast_call_options(backend),
        )

    def __call__(self, xs, ys, sws):
        optimizer = self.optimizer
        if optimizer._state_version != self.version:
            self.slots = optimizer._graph_slots(self.params)
            self.version = optimizer._state_version
        lr = optimizer._current_lr() if self.steps == 1 else _next_rates(optimizer, self.steps)
        if lr != self.lr_value:
            if self.steps == 1:
                self.lr.fill_(lr)
            else:
                self.lr.copy_(torch.tensor(lr, dtype=torch.float32))
            self.lr_value = lr
        if optimizer._iterations != self.count_value:  # eager steps or a reload between
            self.count.fill_(optimizer._iterations)
        with torch.no_grad():
            result = self.compiled(xs, ys, sws, self.lr, self.count, self.slots)
        optimizer._iterations += self.steps
        self.count_value = optimizer._iterations
        return result


def _next_rates(optimizer, steps):
    """The learning rates of the optimizer's next `steps` updates (a schedule's values at
    each iteration; a constant rate `steps` times), as a tuple of floats."""
    lr = optimizer._learning_rate
    if not isinstance(lr, optimizers.schedules.LearningRateSchedule):
        return (optimizer._current_lr(),) * steps
    start = optimizer._iterations
    return tuple(float(lr(start + i)) for i in range(steps))


def _fast_call_options(backend):
    """What a small model's compiled step spends per call beyond its kernels is mostly
    dynamo's guards on the modules it reaches and Inductor's re-check of every input's
    size and stride (bench/ANALYSIS.md). Both guard against changes a compiled step never
    sees: the step is made for one compile() and its parameters, as Keras's compiled
    train function is (change `trainable` or a layer, then compile() again, as in Keras);
    tensor guards (shapes, dtypes, devices of the data and the state) stay."""
    options = {}
    skip_module_guards = getattr(torch.compiler, "skip_guard_on_all_nn_modules_unsafe", None)
    if skip_module_guards is not None:  # torch >= 2.8
        options["guard_filter_fn"] = skip_module_guards
    if backend == "inductor":
        options["size_asserts"] = False
    return options or None
