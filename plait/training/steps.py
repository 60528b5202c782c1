"""The steps the loop runs per batch: eager, compiled (`jit_compile=True`) and measured.

- `EagerTrainStep`: forward, loss, metrics, backward and optimizer update in eager PyTorch.
- `JitTrainStep`: forward, loss and backward as one `torch.compile` graph (the update joins
  it where `jit_step.one_graph_step` allows), falling back to eager when compiling fails.
- `FasterStep`: with `jit_compile=True`, times the compiled and the eager step a few steps
  each and keeps the faster one.
- `run_group`: the steps of one execution (`compile(steps_per_execution=N)`): N batches,
  which a compiled step with the one-graph update runs as one call (`JitTrainStep.group`).
- `train_step`, `test_step`, `predict_step`: make (and cache in the compiled state) the step
  for a call signature and dtype policy.

`options` (a `JitOptions`) names the torch.compile backend and the number of measured
steps; the loop owns those knobs (`loop._COMPILE_BACKEND`, `loop._JIT_TRIAL_STEPS`).
"""

import statistics
import time
import warnings
from typing import NamedTuple

import torch

from plait import mixed_precision
from plait.training import jit_step
from plait.training.jit_graph import (
    WithPenalties,
    forward_backward_function,
    loss_function,
    runs_recurrent_ops,
    tracing_autograd,
    unfuse,
)

__all__ = [
    "Compiled",
    "EagerTrainStep",
    "FasterStep",
    "JitOptions",
    "JitTrainStep",
    "has_unused_outputs",
    "jit_wanted",
    "predict_step",
    "run_group",
    "test_step",
    "train_step",
]


class JitOptions(NamedTuple):
    """How `jit_compile=True` compiles: the torch.compile `backend`, and how many compiled
    and eager steps `FasterStep` times each (`trials`; 0 keeps the compiled step)."""

    backend: str = "inductor"
    trials: int = 5


class EagerTrainStep:
    """forward -> loss -> metrics -> backward -> optimizer update, in eager PyTorch.

    `forward(xs)` runs the module (default `spec.call`; data-parallel: through DDP). A call
    returns the batch's outputs and loss, which the epoch loop holds until the next step
    has made its own (`epoch_loop.run_epochs`)."""

    def __init__(self, state, spec, forward=None):
        self.state = state
        self.spec = spec
        self.forward = forward or spec.call
        self.optimizer = state.optimizer
        self.penalties = _Penalties(spec.module)
        self.constrain = _constraint_fn(spec.module)

    def __call__(self, xs, ys, sws):
        state, spec = self.state, self.spec
        precision = state.precision
        with precision.autocast():
            outputs = spec.flatten_outputs(self.forward(xs))
        outputs = precision.to_float32(outputs)
        total, parts = state.compute_loss(ys, outputs, sws)
        total = self.penalties.add(total)
        state.update_metrics(total, parts, ys, outputs, sws, _batch_size(xs))
        self.optimizer.zero_grad()
        if precision.scaler is None:
            total.backward()
            self.optimizer.step()
        else:
            precision.scaled_update(total, self.optimizer, spec.module)
        if self.constrain is not None:
            self.constrain()
        return outputs, total


class _Penalties:
    """The module's regularization penalties (`module.regularization_losses()`, a list of
    0-d tensors), added to the loss. A module that reports none at its first step is not
    asked again: the walk over its layers would cost every step."""

    def __init__(self, module):
        self.fn = getattr(module, "regularization_losses", None)
        self.clear = getattr(module, "clear_added_losses", None)
        self.active = callable(self.fn)

    def add(self, total):
        if not self.active:
            return _need_loss(total)
        penalties = self.fn()
        if not penalties:
            self.active = False
            return _need_loss(total)
        if self.clear is not None:
            self.clear()
        penalty = torch.stack([p.reshape(()) for p in penalties]).sum()
        return penalty if total is None else total + penalty


def _need_loss(total):
    if total is None:
        raise ValueError(
            "fit() needs a loss to minimize, but compile() was given none for any output "
            "and the model added none (add_loss). Call compile(loss=...) first. "
            "Received: loss=None"
        )
    return total


def _constraint_fn(module):
    """`module.apply_constraints` when some weight has a constraint (Keras applies them
    after each optimizer step), else None."""
    fn = getattr(module, "apply_constraints", None)
    if not callable(fn):
        return None
    specs = [spec for m in module.modules() for spec in getattr(m, "_weight_specs", ())]
    if specs and all(getattr(spec, "constraint", None) is None for spec in specs):
        return None
    return fn


class JitTrainStep:
    """The whole step compiled: forward, loss and backward as one graph
    (`torch.func.grad_and_value` over `functional_call`, `fullgraph=True`), the optimizer
    update as another. Falls back to eager, with a warning, when compiling fails.
    Data-parallel (`parallel`), the gradients are averaged over the processes between.
    Where the optimizer allows (jit_step.py), the update joins the first graph instead."""

    def __init__(self, state, spec, backend, parallel=None, steps=1):
        self.state = state
        self.spec = spec
        self.parallel = parallel
        self.rows = None  # the batch size the graphs are made for (the first batch's)
        self.short = None  # the eager step for shorter batches (an epoch's last)
        self.warm = set()  # the graphs that ran once (compiled)
        self.optimizer = state.optimizer
        self.constrain = _constraint_fn(spec.module)
        module = spec.module
        penalized = callable(getattr(module, "regularization_losses", None))
        target = WithPenalties(module) if penalized else module
        prefix = "inner." if penalized else ""
        self.params = [(prefix + n, p) for n, p in module.named_parameters() if p.requires_grad]
        buffers = {prefix + n: b for n, b in module.named_buffers()}

        # LSTM/GRU layers differentiate through their own backward operator, which dynamo
        # sees only under torch.autograd.grad (plait/ops/_recurrent.py).
        self.recurrent = runs_recurrent_ops(module)
        loss_of = loss_function(state, spec, target, penalized)
        params = self.params
        forward_backward = forward_backward_function(loss_of, params, buffers, self.recurrent)
        self.forward_backward = torch.compile(
            forward_backward, fullgraph=True, dynamic=False, backend=backend
        )
        self.one_graph = (
            None
            if parallel is not None
            else jit_step.one_graph_step(self.optimizer, params, forward_backward, backend)
        )
        # steps_per_execution=N: N steps unrolled in one graph (only with the one-graph
        # update; otherwise the execution runs the one-step graph N times).
        self.multi = (
            jit_step.one_graph_step(self.optimizer, params, forward_backward, backend, steps)
            if steps > 1 and self.one_graph is not None
            else None
        )
        if self.one_graph is None:
            unfuse(self.optimizer)
        self.update = Compiled(self.optimizer.step, "the optimizer update", backend)
        self.eager = None

    def __call__(self, xs, ys, sws):
        if self.eager is not None:
            return self.eager(xs, ys, sws)
        rows = _batch_size(xs)
        if self.rows is None:
            self.rows = rows
        elif rows < self.rows:
            # Graphs are made for one batch size (`dynamic=False`: shapes stay concrete,
            # as XLA's do); a shorter batch, the last of an epoch, runs the same update
            # eagerly instead of compiling another graph for one step an epoch.
            if self.short is None:
                self.short = EagerTrainStep(self.state, self.spec, self._eager_forward())
            return self.short(xs, ys, sws)
        self.warm.add(("one", rows))
        try:
            with tracing_autograd(self.recurrent):
                if self.one_graph is not None:
                    grads, (total, (parts, outputs)) = None, self.one_graph(xs, ys, sws)
                else:
                    grads, (total, (parts, outputs)) = self.forward_backward(xs, ys, sws)
        except Exception as error:  # noqa: BLE001 - any compile failure means: run eagerly
            self.eager = EagerTrainStep(self.state, self.spec, self._eager_forward())
            self.eager(xs, ys, sws)
            _warn_fallback("the train step", error)
            return None
        if self.parallel is not None:
            grads = self.parallel.average_gradients(grads)
        self.state.update_metrics(total, parts, ys, outputs, sws, _batch_size(xs))
        if grads is not None:
            for name, param in self.params:
                param.grad = grads[name]
            self.update()
        if self.constrain is not None:
            self.constrain()
        return None

    def _eager_forward(self):
        if self.parallel is None:
            return None
        return self.parallel.forward(self.spec, has_unused_outputs(self.state))

    def group(self, batches):
        """Run the train steps of one execution (`batches`: a list of `(xs, ys, sws)`).
        A full execution of equal batches goes through the N-step graph when there is one
        (constraints, which Keras applies after each update, keep the steps apart);
        otherwise each batch is a step. Returns whether a graph ran for the first time
        (compiled) in this call."""
        multi = self.multi
        if (
            multi is None
            or self.eager is not None
            or self.constrain is not None
            or len(batches) != multi.steps
        ):
            return self._each(batches)
        rows = _batch_size(batches[0][0])
        if self.rows is None:
            self.rows = rows
        if rows != self.rows or any(_batch_size(b[0]) != rows for b in batches):
            return self._each(batches)
        fresh = ("multi", rows) not in self.warm
        self.warm.add(("multi", rows))
        try:
            results = multi(*jit_step.stack_batches(batches))
        except Exception as error:  # noqa: BLE001 - see __call__
            self.multi = None
            _warn_fallback(f"{multi.steps} steps as one graph (steps_per_execution)", error)
            return self._each(batches) or fresh
        self.state.update_group_metrics(results, batches, rows)
        return fresh

    def _each(self, batches):
        before = len(self.warm)
        for xs, ys, sws in batches:
            self(xs, ys, sws)
        return len(self.warm) != before


def run_group(step, batches):
    """The steps of one execution: `step.group(batches)` where the step has it (compiled
    steps), else each batch in turn."""
    group = getattr(step, "group", None)
    if group is not None:
        group(batches)
        return
    for xs, ys, sws in batches:
        step(xs, ys, sws)


class FasterStep:
    """jit_compile=True, measured. On CPUs torch.compile makes some models train slower
    than eager (convolutions lose mkldnn's kernels; a fused LSTM cannot be compiled at all),
    so after the compiled step's first (compiling) call, the next steps alternate the
    compiled and the eager step, which compute the same update on the same state, and the
    faster one is kept for the rest of training. `chosen` says which ("jit" or "eager");
    with `trials=0` the compiled step is kept unmeasured. A call in which a graph ran for
    the first time (a compile: another batch size, the N-step graph of
    steps_per_execution) is not timed. Executions of several steps (`group`) are timed
    per step."""

    def __init__(self, compiled, eager, trials):
        self.compiled = compiled
        self.eager = eager
        self.trials = trials
        self.chosen = None
        self.times = {"jit": [], "eager": []}
        self.warm = False

    def __call__(self, xs, ys, sws):
        if self.chosen is not None:
            return (self.compiled if self.chosen == "jit" else self.eager)(xs, ys, sws)
        if not self.warm:
            self.warm = True
            result = self.compiled(xs, ys, sws)
            if self.compiled.eager is not None:  # it could not compile: eager it is
                self.chosen = "eager"
            elif self.trials == 0:
                self.chosen = "jit"
            return result
        return self._timed([(xs, ys, sws)], lambda step: step(xs, ys, sws))

    def group(self, batches):
        """The steps of one execution (steps_per_execution), measured like single steps."""
        if self.chosen == "eager" or (self.chosen is None and self.warm):
            if self.chosen == "eager":
                run_group(self.eager, batches)
                return
            self._timed(batches, lambda step: run_group(step, batches))
            return
        run_group(self.compiled, batches)
        if self.chosen is None:
            self.warm = True
            if self.compiled.eager is not None:
                self.chosen = "eager"
            elif self.trials == 0:
                self.chosen = "jit"

    def _timed(self, batches, run):
        jit, eager = self.times["jit"], self.times["eager"]
        kind = "jit" if len(jit) <= len(eager) else "eager"
        xs = batches[0][0]
        device = xs[0].device if xs and isinstance(xs[0], torch.Tensor) else None
        warm = getattr(self.compiled, "warm", None)
        graphs = None if warm is None else len(warm)
        _wait_for_any(device)
        start = time.perf_counter()
        result = run(self.compiled if kind == "jit" else self.eager)
        _wait_for_any(device)
        seconds = time.perf_counter() - start
        if kind == "eager" or graphs is None or len(warm) == graphs:
            self.times[kind].append(seconds / len(batches))
        if len(eager) >= self.trials and len(jit) >= self.trials:
            self.chosen = "jit" if statistics.median(jit) <= statistics.median(eager) else "eager"
        return result


def _wait_for_any(device):
    if device is not None and device.type == "cuda":
        torch.cuda.synchronize(device)


class Compiled:
    """`fn` under torch.compile; on a failure it runs `fn` eagerly from then on.

    Graphs are made for concrete shapes (`dynamic=False`), the batch size of the first
    call's first argument (a tensor or a list of them) included; a call with fewer rows
    (an epoch's last, short batch) runs `fn` eagerly instead of compiling another graph."""

    def __init__(self, fn, what, backend, fullgraph=False):
        self.fn = fn
        self.what = what
        self.compiled = torch.compile(fn, fullgraph=fullgraph, dynamic=False, backend=backend)
        self.failed = False
        self.rows = None

    def __call__(self, *args):
        if self.failed:
            return self.fn(*args)
        rows = _leading_rows(args)
        if rows is not None:
            if self.rows is None:
                self.rows = rows
            elif rows < self.rows:
                return self.fn(*args)
        try:
            return self.compiled(*args)
        except Exception as error:  # noqa: BLE001 - see JitTrainStep
            self.failed = True
            result = self.fn(*args)
            _warn_fallback(self.what, error)
            return result


def _leading_rows(args):
    """The batch size of the first argument (a tensor, or a list whose first item is one),
    or None."""
    first = args[0] if args else None
    if isinstance(first, (list, tuple)) and first:
        first = first[0]
    return first.shape[0] if isinstance(first, torch.Tensor) and first.dim() else None


def _warn_fallback(what, error):
    warnings.warn(
        f"jit_compile=True could not compile {what}; running it eagerly instead. "
        f"Reason: {fallback_reason(error)}",
        RuntimeWarning,
        stacklevel=3,
    )


def fallback_reason(error):
    """One paragraph on why torch.compile failed: the error's first line, dynamo's
    explanation (shortened) and the last line of the user's code it was tracing."""
    lines = str(error).splitlines()
    parts = [f"{type(error).__name__}: {lines[0] if lines else ''}".strip()]
    explanation = next(
        (line.strip() for line in lines if line.strip().startswith("Explanation:")), ""
    )
    if explanation:
        detail = explanation[len("Explanation:") :].strip()
        got = detail.find("got ")
        if got > 0:  # the exception the traced op raised, without its C++ stack
            detail = detail[:got] + detail[got:].split("\\n")[0]
        parts.append(detail[:400])
    frames = [line.strip() for line in lines if line.strip().startswith("File ")]
    if frames:
        parts.append(f"(at {frames[-1]})")
    return " ".join(parts)


def _jit_trainable(module):
    """False, with a warning, when a layer says torch.compile cannot train it."""
    for sub in module.modules():
        if getattr(sub, "jit_trainable", True) is False:
            warnings.warn(
                f"jit_compile=True: layer '{getattr(sub, 'name', type(sub).__name__)}' "
                f"({type(sub).__name__}) runs PyTorch's fused kernel, which torch.compile "
                "cannot differentiate; the train step runs eagerly (same results). "
                "Evaluation and prediction are still compiled.",
                RuntimeWarning,
                stacklevel=5,
            )
            return False
    return True


def train_step(state, spec, options):
    """The train step of one process, kept in the compiled state per call signature and
    dtype policy: eager, or with jit_compile the measured choice between compiled and eager
    (`FasterStep`). Data-parallel runners make their own (`distributed.DataParallel`)."""
    key = _step_key("train", spec, state.precision.key)
    step = state.steps.get(key)
    if step is None:
        step = (
            FasterStep(
                JitTrainStep(state, spec, options.backend, steps=_per_execution(state)),
                EagerTrainStep(state, spec),
                options.trials,
            )
            if jit_wanted(state, spec)
            else EagerTrainStep(state, spec)
        )
        state.steps[key] = step
    return step


def jit_wanted(state, spec):
    # The compiled step is made for one dtype policy; float16 loss scaling runs eagerly.
    return state.jit_compile and state.precision.scaler is None and _jit_trainable(spec.module)


def _step_key(kind, spec, policy):
    """Steps are kept per call signature, and per dtype policy when it is not float32."""
    key = (kind, spec.call_kind, tuple(spec.call_keys or ()))
    return key if policy == "float32" else key + (policy,)


def has_unused_outputs(state):
    """Whether some output has no loss, so its own weights get no gradient."""
    return any(loss is None for loss in state.output_losses)


def test_step(state, spec, options):
    """The test step (forward, loss, metrics), compiled with jit_compile; kept in the
    compiled state."""
    precision = state.precision
    key = _step_key("test", spec, precision.key)
    step = state.steps.get(key)
    if step is None:
        penalties = _Penalties(spec.module)

        def test_step(xs, ys, sws):
            with precision.autocast():
                outputs = spec.flatten_outputs(spec.call(xs))
            outputs = precision.to_float32(outputs)
            total, parts = state.compute_loss(ys, outputs, sws)
            if total is None:
                total = torch.zeros((), device=spec.device)
            return penalties.add(total), parts, outputs

        compute = (
            Compiled(test_step, "the test step", options.backend)
            if state.jit_compile
            else test_step
        )

        def step(xs, ys, sws):
            total, parts, outputs = compute(xs, ys, sws)
            state.update_metrics(total, parts, ys, outputs, sws, _batch_size(xs))

        state.steps[key] = step
    return step


def predict_step(state, spec, options):
    """The forward of `predict`: the module itself, or compiled with jit_compile."""
    if state is None or not state.jit_compile:
        return spec.predict_call
    key = _step_key("predict", spec, mixed_precision.global_policy().name)
    if key not in state.steps:
        state.steps[key] = Compiled(spec.call, "the predict step", options.backend)
    return state.steps[key]


def _batch_size(xs):
    return xs[0].shape[0]


def _per_execution(state):
    return getattr(state, "steps_per_execution", 1) or 1
