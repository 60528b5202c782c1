"""`compile`: resolve the optimizer, losses and metrics of a module once, for every step.

The result is one `CompileState` stored as `module._compile_state`. Losses and metrics are
bound to the model's outputs by name as soon as the names are known: at compile time for a
module with `output_names` (a plait Model), at the first fit/evaluate for a plain module.
"""

import copy
import difflib
import numbers

import torch

from plait import losses, metrics as metrics_module, optimizers

__all__ = ["compile", "CompileState", "get_state"]


def compile(
    module,
    optimizer="rmsprop",
    loss=None,
    metrics=None,
    loss_weights=None,
    weighted_metrics=None,
    run_eagerly=False,
    steps_per_execution=1,
    jit_compile=False,
    auto_scale_loss=True,
):
    """Configure `module` for training (Keras's `Model.compile`).

    Args:
        module: any `torch.nn.Module`.
        optimizer: a name ("rmsprop", "adam", ...), a plait optimizer or a
            `torch.optim.Optimizer`. Default "rmsprop".
        loss: a name, a Loss, a callable `(y_true, y_pred)`, or for several outputs a list
            (in output order) or a dict keyed by output name. One value applies to every
            output. Default None.
        metrics: a list of metric names/objects for every output, a list of such lists (one
            per output), or a dict keyed by output name. Default None.
        loss_weights: a list or dict of weights for the outputs' losses; the loss optimized
            is their weighted sum. Default None (all 1).
        weighted_metrics: like `metrics`, but these see `sample_weight` and `class_weight`.
        run_eagerly: never compile the train step (for debugging). Default False.
        steps_per_execution: the number of batches one execution runs. The callbacks'
            batch hooks and the progress bar see executions, as in Keras (the begin hook
            gets the first step's index, the end hook `first + N - 1`; a shorter last
            execution trains on the batches left). With `jit_compile=True`, the N train
            steps of an execution run as one compiled call (unrolled in one graph), which
            saves torch.compile's fixed per-call cost N - 1 times. Default 1.
        jit_compile: run the whole train step (forward, loss, backward and optimizer update)
            under `torch.compile`; falls back to eager, with a warning, when it cannot.
            Default False.
        auto_scale_loss: accepted for Keras compatibility: under the 'mixed_float16'
            policy fit always scales the loss with a `torch.amp.GradScaler`. Default True.

    Returns:
        The `CompileState`, also stored as `module._compile_state`.
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(
            "compile() works on a torch.nn.Module. "
            f"Received: module of type {type(module).__name__}"
        )
    if not (isinstance(steps_per_execution, int) and steps_per_execution >= 1):
        raise ValueError(
            "`steps_per_execution` must be a positive integer. "
            f"Received: steps_per_execution={steps_per_execution!r}"
        )
    for name, value in (("run_eagerly", run_eagerly), ("jit_compile", jit_compile)):
        if not isinstance(value, bool) and value != "auto":
            raise TypeError(f"`{name}` must be True or False. Received: {name}={value!r}")
    state = CompileState(
        module,
        optimizer,
        loss,
        metrics,
        loss_weights,
        weighted_metrics,
        run_eagerly=bool(run_eagerly),
        jit_compile=jit_compile is True and not run_eagerly,
        steps_per_execution=steps_per_execution,
    )
    names = getattr(module, "output_names", None)
    if names:
        state.resolve([str(n) for n in names], known_output_shapes(module))
    module._compile_state = state
    return state


def get_state(module, caller):
    """The module's CompileState; a clear error when it was never compiled."""
    state = getattr(module, "_compile_state", None)
    if state is None:
        raise RuntimeError(
            f"You must call compile() before {caller}(): the model has no optimizer or loss "
            "yet. Call model.compile(optimizer=..., loss=...) first."
        )
    return state


def known_output_shapes(module):
    """Output shapes (tuples with None) the module declares, or None."""
    shapes = getattr(module, "_output_shapes", None)
    if shapes is not None:
        return [None if s is None else tuple(s) for s in shapes]
    outputs = getattr(module, "outputs", None)
    if isinstance(outputs, (list, tuple)) and outputs and all(hasattr(t, "shape") for t in outputs):
        return [tuple(t.shape) for t in outputs]
    return None


class _Mean:
    """A running mean kept on the device: no host sync until `result()` is read."""

    def __init__(self, name):
        self.name = name
        self.total = None
        self.count = 0

    def reset_state(self):
        self.total = None
        self.count = 0

    def update_state(self, values, sample_weight=None):
        """Keras's Metric API, for custom train steps (`self.metrics[0]` is "loss")."""
        values = torch.as_tensor(values).detach()
        count = 1 if sample_weight is None else float(sample_weight)
        self.update(values.float().mean(), count)

    def update(self, value, count):
        value = value.detach() * count
        self.total = value if self.total is None else self.total + value
        self.count += count

    def result(self):
        if self.total is None:
            return torch.tensor(0.0)
        return self.total / self.count


class CompileState:
    """Everything `compile` resolved: optimizer, per-output losses, weights and metrics."""

    def __init__(
        self,
        module,
        optimizer,
        loss,
        metrics,
        loss_weights,
        weighted_metrics,
        run_eagerly=False,
        jit_compile=False,
        steps_per_execution=1,
    ):
        self.optimizer = optimizers.get(optimizer)
        params = [p for p in module.parameters() if p.requires_grad]
        self.optimizer.build(params)
        self.loss = loss
        self.metrics = metrics
        self.loss_weights = loss_weights
        self.weighted_metrics = weighted_metrics
        self.run_eagerly = run_eagerly
        self.jit_compile = jit_compile
        self.steps_per_execution = steps_per_execution
        self.resolved = False
        self.output_names = None
        self.output_shapes = None
        self.output_losses = []
        self.output_loss_weights = []
        self.output_metrics = []
        self.output_weighted_metrics = []
        self.loss_tracker = _Mean("loss")
        self.output_loss_trackers = []
        self.metrics_names = ["loss"]
        self.metric_keys = []
        self.plain_output_structure = None
        self.steps = {}
        self.trained_on_batch = False  # train_on_batch has run (faults: copy only the first)

    def __getstate__(self):
        # Compiled step functions are closures: they are rebuilt on first use, not copied.
        state = self.__dict__.copy()
        state["steps"] = {}
        return state

    # -- binding to outputs --------------------------------------------------------------

    def resolve(self, output_names, output_shapes=None):
        """Bind the losses and metrics to the outputs `output_names` (once)."""
        if self.resolved:
            if list(output_names) != self.output_names:
                raise ValueError(
                    f"The model's outputs changed since compile(): {self.output_names} then, "
                    f"{list(output_names)} now. Call compile() again."
                )
            if output_shapes is not None and self.output_shapes is None:
                self.output_shapes = output_shapes
            return
        names = list(output_names)
        n = len(names)
        loss_specs = _per_output(self.loss, names, "loss")
        self.output_losses = [None if spec is None else losses.get(spec) for spec in loss_specs]
        self.output_loss_weights = _loss_weights(self.loss_weights, names)
        shapes = output_shapes or [None] * n
        self.output_metrics = self._bind_metrics(self.metrics, names, shapes, "metrics")
        self.output_weighted_metrics = self._bind_metrics(
            self.weighted_metrics, names, shapes, "weighted_metrics"
        )
        self.output_names = names
        self.output_shapes = output_shapes
        with_loss = [names[i] for i in range(n) if self.output_losses[i] is not None]
        self.output_loss_trackers = [
            _Mean(f"{names[i]}_loss") if self.output_losses[i] is not None and n > 1 else None
            for i in range(n)
        ]
        self.metrics_names = ["loss"] + [f"{name}_loss" for name in with_loss if n > 1]
        self._name_metrics(names)
        self.resolved = True

    def _bind_metrics(self, value, names, shapes, argument):
        per_output = _metrics_per_output(value, names, argument)
        bound = []
        seen = set()
        for i, specs in enumerate(per_output):
            objs = []
            for spec in specs:
                metric = metrics_module.get(
                    spec, loss=self.output_losses[i], output_shape=shapes[i]
                )
                if id(metric) in seen:
                    metric = copy.deepcopy(metric)
                seen.add(id(metric))
                if isinstance(spec, str):
                    _set_name(metric, spec)
                objs.append(metric)
            bound.append(objs)
        return bound

    def _name_metrics(self, names):
        multi = len(names) > 1
        self.metric_keys = []
        for i, name in enumerate(names):
            plain = set()
            for metric in self.output_metrics[i]:
                key = f"{name}_{metric.name}" if multi else metric.name
                plain.add(metric.name)
                self.metric_keys.append((key, metric))
            for metric in self.output_weighted_metrics[i]:
                short = metric.name if metric.name not in plain else "weighted_" + metric.name
                key = f"{name}_{short}" if multi else short
                self.metric_keys.append((key, metric))
        self.metrics_names += [key for key, _ in self.metric_keys]

    @property
    def has_loss(self):
        if self.resolved:
            return any(loss is not None for loss in self.output_losses)
        spec = self.loss
        if isinstance(spec, dict):
            return any(v is not None for v in spec.values())
        if isinstance(spec, (list, tuple)):
            return any(v is not None for v in spec)
        return spec is not None

    # -- per step ------------------------------------------------------------------------

    def compute_loss(self, ys, outs, sws):
        """The weighted total loss and each output's own loss, as 0-d tensors."""
        total = None
        parts = []
        for i, loss in enumerate(self.output_losses):
            if loss is None:
                parts.append(None)
                continue
            value = loss(ys[i], outs[i], sample_weight=sws[i])
            parts.append(value)
            weighted = (
                value * self.output_loss_weights[i] if self.output_loss_weights[i] != 1.0 else value
            )
            total = weighted if total is None else total + weighted
        return total, parts

    def update_metrics(self, total, parts, ys, outs, sws, batch_size):
        """Accumulate the loss trackers and metrics; everything stays on the device."""
        with torch.no_grad():
            self.loss_tracker.update(total, batch_size)
            for tracker, part in zip(self.output_loss_trackers, parts):
                if tracker is not None:
                    tracker.update(part, batch_size)
            for i, out in enumerate(outs):
                if ys[i] is None:
                    continue
                out = out.detach()
                for metric in self.output_metrics[i]:
                    metric.update_state(ys[i], out)
                for metric in self.output_weighted_metrics[i]:
                    metric.update_state(ys[i], out, sample_weight=sws[i])

    def update_group_metrics(self, results, batches, batch_size):
        """`update_metrics` for the steps of one execution (`results`: each step's
        `(total, (parts, outputs))`; `batches`: each step's `(xs, ys, sws)`, all of
        `batch_size` samples). Only the loss tracked: one update for all the steps."""
        if self.metric_keys or any(t is not None for t in self.output_loss_trackers):
            for (total, (parts, outputs)), (_, ys, sws) in zip(results, batches):
                self.update_metrics(total, parts, ys, outputs, sws, batch_size)
            return
        with torch.no_grad():
            totals = torch.stack([total for total, _ in results])
            self.loss_tracker.update(totals.mean(), batch_size * len(results))

    def reset_metrics(self):
        self.custom_logs = None
        self.loss_tracker.reset_state()
        for tracker in self.output_loss_trackers:
            if tracker is not None:
                tracker.reset_state()
        for _, metric in self.metric_keys:
            metric.reset_state()

    def result_tensors(self):
        values = [self.loss_tracker.result()]
        values += [t.result() for t in self.output_loss_trackers if t is not None]
        values += [metric.result() for _, metric in self.metric_keys]
        return values

    custom_logs = None  # what a user's own train_step/test_step returned last

    def read_logs(self):
        """The current running values as a dict of floats (one host sync)."""
        if self.custom_logs is not None:
            return _flat_logs(self.custom_logs)
        return dict(zip(self.metrics_names, read_floats(self.result_tensors())))

    def batch_logs(self):
        """Logs whose values are read from the device only when a callback asks."""
        if self.custom_logs is not None:
            return LazyLogs(list(_flat_logs_names(self.custom_logs)), self.read_logs)
        return LazyLogs(self.metrics_names, self.read_logs)


def _flat_logs_names(logs):
    for key, value in logs.items():
        if isinstance(value, dict):
            yield from _flat_logs_names(value)
        else:
            yield key


def _flat_logs(logs):
    """A custom step's logs as floats; nested dicts (a metric whose result is a dict)
    are merged in, as Keras does."""
    flat = {}
    for key, value in logs.items():
        if isinstance(value, dict):
            flat.update(_flat_logs(value))
        elif isinstance(value, torch.Tensor) and value.numel() == 1:
            flat[key] = float(value.detach())
        elif isinstance(value, numbers.Number):
            flat[key] = float(value)
        else:
            flat[key] = value
    return flat


def read_floats(values):
    """Floats from a list of 0-d tensors (or numbers), with one transfer when possible."""
    tensors = [v for v in values if isinstance(v, torch.Tensor)]
    if len(tensors) == len(values) and values:
        try:
            stacked = torch.stack([v.detach().reshape(()).to(torch.float64) for v in values])
            return stacked.tolist()
        except RuntimeError:
            pass
    return [float(v) for v in values]


class LazyLogs(dict):
    """A dict of batch logs filled on first read.

    The keys are known at once; reading any value computes them all in one transfer, so a
    loop whose callbacks never look at batch logs never waits for the device.
    """

    def __init__(self, names, compute):
        super().__init__()
        self._names = list(names)
        self._compute = compute
        self._filled = False

    def _fill(self):
        if not self._filled:
            self._filled = True
            extra = dict(super().items())
            super().update(self._compute())
            super().update(extra)

    def __getitem__(self, key):
        self._fill()
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._fill()
        return super().get(key, default)

    def __contains__(self, key):
        return key in self._names or super().__contains__(key)

    def __iter__(self):
        self._fill()
        return super().__iter__()

    def __len__(self):
        self._fill()
        return super().__len__()

    def keys(self):
        self._fill()
        return super().keys()

    def values(self):
        self._fill()
        return super().values()

    def items(self):
        self._fill()
        return super().items()

    def copy(self):
        self._fill()
        return dict(super().items())

    def __repr__(self):
        self._fill()
        return super().__repr__()

    def __eq__(self, other):
        self._fill()
        return dict(super().items()) == other

    __hash__ = None


# ---------------------------------------------------------------------------- resolution helpers


def _unknown_key_error(argument, unknown, names):
    close = difflib.get_close_matches(str(unknown[0]), names, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return ValueError(
        f"`{argument}` names {unknown}, which {'is' if len(unknown) == 1 else 'are'} not an "
        f"output of the model.{hint} The model's outputs are {names}. "
        f"Received: {argument} with keys {unknown}"
    )


def _per_output(value, names, argument):
    """One entry per output from a single value (applied to all), a list or a dict."""
    n = len(names)
    if value is None:
        return [None] * n
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise _unknown_key_error(argument, unknown, names)
        if not value:
            raise ValueError(
                f"`{argument}` is an empty dict: it names no output of the model. Key it by "
                f"output name, one of {names}. Received: {argument}={{}}"
            )
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(
                f"`{argument}` is a list of {len(value)} entries, but the model has {n} "
                f"output(s) {names}. Give one entry per output (None for none), or a dict "
                f"keyed by output name. Received: {argument}={value!r}"
            )
        return list(value)
    return [value] * n


def _loss_weights(value, names):
    if value is None:
        return [1.0] * len(names)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return [float(value)] * len(names)
    if not isinstance(value, (list, tuple, dict)):
        raise TypeError(
            "`loss_weights` must be a list (one weight per output) or a dict keyed by output "
            f"name. Received: loss_weights={value!r}"
        )
    weights = _per_output(value, names, "loss_weights")
    return [1.0 if w is None else float(w) for w in weights]


def _metrics_per_output(value, names, argument):
    """Keras 2's rules: a flat list applies to every output, a list of lists (or a dict)
    gives each output its own."""
    n = len(names)
    if value is None:
        return [[] for _ in names]
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise _unknown_key_error(argument, unknown, names)
        return [_as_list(value.get(name)) for name in names]
    if isinstance(value, (list, tuple)):
        nested = [v for v in value if isinstance(v, (list, tuple)) or v is None]
        if nested and len(nested) == len(value):
            if len(value) != n:
                raise ValueError(
                    f"`{argument}` is a list of {len(value)} lists, but the model has {n} "
                    f"output(s) {names}. Give one list per output, or a dict keyed by output "
                    f"name. Received: {argument}={value!r}"
                )
            return [_as_list(v) for v in value]
        if nested:
            raise TypeError(
                f"`{argument}` mixes metrics and lists of metrics. Give a flat list (for every "
                f"output), a list of lists (one per output) or a dict. "
                f"Received: {argument}={value!r}"
            )
        return [list(value) for _ in names]
    return [[value] for _ in names]


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _set_name(metric, name):
    try:
        metric.name = name
    except AttributeError:
        try:
            metric._name = name
        except AttributeError:
            pass
