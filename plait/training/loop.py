"""fit, evaluate, predict and the `*_on_batch` functions, with Keras's arguments and meaning.

Per step the loop runs the forward, the loss, the backward and the optimizer update and
nothing else on the host: metrics accumulate as tensors on the device, and values are read
(one transfer) at the end of an epoch, or when the progress bar or a callback asks.
"""
import contextlib
import numbers
import statistics
import time
import warnings

import numpy as np
import torch

from plait import callbacks as callbacks_module, losses, mixed_precision
from plait.training import data as data_lib, distributed, jit_step
from plait.training.compile import get_state, known_output_shapes
from plait.utils.progbar import is_interactive

__all__ = ["fit", "evaluate", "predict", "train_on_batch", "test_on_batch",
           "predict_on_batch"]

# jit_compile=True times this many compiled and eager steps each, then keeps the faster
# (`_FasterStep`; 0: keep the compiled step unmeasured, as tests of the compiled path do).
_JIT_TRIAL_STEPS = 5
# The torch.compile backend used for jit_compile=True (tests may pick a cheaper one).
_COMPILE_BACKEND = "inductor"


# ---------------------------------------------------------------------------- fit

def fit(module, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
        validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
        sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
        validation_batch_size=None, validation_freq=1):
    """Train `module` for `epochs` epochs (Keras's `Model.fit`).

    Args:
        module: a compiled `torch.nn.Module`.
        x: inputs: an array or tensor, a list or dict of them (several inputs), a torch
            Dataset or DataLoader, or a generator of `(x, y)` / `(x, y, sample_weight)`.
        y: targets like `x` (one per output); None when `x` yields them.
        batch_size: samples per step for in-memory data. Default None (32).
        epochs: the epoch to stop at (training runs `initial_epoch..epochs-1`). Default 1.
        verbose: "auto", 0, 1 or 2. "auto" is 1 on a terminal and 2 (one line per epoch)
            otherwise. Default "auto".
        callbacks: a list of `plait.callbacks.Callback`. Default None.
        validation_split: a fraction of the in-memory data, taken from the end before
            shuffling, to validate on. Default 0.
        validation_data: `(x_val, y_val)`, `(x_val, y_val, sample_weight_val)`, a Dataset,
            DataLoader or generator. Overrides `validation_split`. Default None.
        shuffle: shuffle in-memory data every epoch (True, False or "batch"). Default True.
        class_weight: `{class: weight}` scaling each sample's loss by its class; for several
            outputs a dict keyed by output name of such dicts (or a list of them).
        sample_weight: per-sample weights (an array, or one per output).
        initial_epoch: the epoch to start from (to resume). Default 0.
        steps_per_epoch: batches per epoch; data streams on across epochs. Default None
            (one pass over the data).
        validation_steps: batches per validation. Default None (all).
        validation_batch_size: batch size for validation. Default None (`batch_size`).
        validation_freq: validate every this many epochs, or on the epochs (from 1) listed.
            Default 1.

    Returns:
        A `History`, also set as `module.history`.

    Data-parallel training under `torchrun`:
        Run the same script in several processes (`torchrun --nproc_per_node=N train.py`).
        When `torch.distributed` is available and the environment has `WORLD_SIZE` > 1 (or
        a process group of several processes is already initialized), fit trains
        data-parallel: it starts the process group when needed (gloo on CPU, nccl on CUDA,
        where each process uses GPU `LOCAL_RANK` and moves the model there), and runs the
        train step's forward through `torch.nn.parallel.DistributedDataParallel`, which
        starts every process from rank 0's weights and averages the gradients; the
        `module` itself stays as it is. `batch_size` is per process: N processes with
        `batch_size=8` take steps of 8 * N samples. In-memory arrays are split among the
        processes: each epoch's permutation is drawn alike in every process from a shared
        seed, padded by repeating its first samples to a multiple of N, and each process
        takes every N-th sample from its rank on; a Dataset gets a `DistributedSampler`; a
        DataLoader or generator is used as given (give it a `DistributedSampler`). The loss
        and metrics are summed over the processes at the end of each epoch (one
        all-reduce), so History, callbacks and the progress bar see the values of all the
        data; the progress bar prints in rank 0 only, and ModelCheckpoint, CSVLogger and
        BackupAndRestore write files in rank 0 only (BackupAndRestore restores in every
        process, from a folder they share). Validation runs on all of the validation data
        in every process. A stop requested in the middle of an epoch (TerminateOnNaN,
        `model.stop_training = True`) takes effect at the end of that epoch, in every
        process together. `jit_compile=True` averages the compiled step's gradients with
        one all-reduce instead of the DDP wrapper.
    """
    state = get_state(module, "fit")
    _check_fit_arguments(epochs, batch_size, validation_batch_size, steps_per_epoch,
                         validation_steps, validation_freq, shuffle)
    # First: on CUDA it may move the module to this process's GPU.
    parallel = distributed.data_parallel(module)
    spec = data_lib.ModelSpec(module)
    _adopt_outputs(state, spec)
    _set_precision(state, spec)
    split_data = None
    if validation_split and validation_data is None:
        (x, y, sample_weight), split_data = data_lib.split_for_validation(
            x, y, sample_weight, validation_split)
        validation_data = split_data

    class_weight_fn = _ClassWeights(class_weight, state, spec) if class_weight else None
    source = data_lib.make_source(
        spec, x, y, sample_weight, batch_size, shuffle, class_weight_fn,
        prepare=lambda xs: _bind(state, spec, xs),
        check_targets=lambda ys: _check_targets(state, ys, "y"),
        check_labels=lambda ys: _check_sparse_labels(state, ys, host_only=True),
        shard=parallel.shard() if parallel is not None else None)
    if parallel is not None:
        parallel.warn_if_unsharded(source)
    if not state.has_loss:
        raise ValueError(
            "fit() needs a loss to minimize, but compile() was given none for any output. "
            "Call compile(loss=...) first. Received: loss=None")
    if isinstance(source, data_lib.ArraySource):
        _check_sparse_labels(state, source.ys)
    if split_data is not None:
        _warn_single_class(spec, y, split_data[1], validation_split)
    val_batches = None
    if validation_data is not None:
        val_source = _validation_source(state, spec, validation_data,
                                        validation_batch_size or batch_size)
        val_batches = data_lib.EpochIterator(val_source, validation_steps, repeat=False)

    batches = data_lib.EpochIterator(source, steps_per_epoch)
    verbose = _resolve_verbose(verbose)
    if parallel is not None and not parallel.is_chief:
        verbose = 0
    cbs = callbacks_module.CallbackList(
        callbacks, add_history=True, add_progbar=verbose != 0, model=module, verbose=verbose,
        epochs=epochs, steps=batches.steps, do_validation=val_batches is not None)
    module.stop_training = False
    with _mode(module, training=True):
        cbs.on_train_begin()
        resume = module.__dict__.pop("_initial_epoch", None)  # set by BackupAndRestore
        start = initial_epoch if resume is None else resume
        if parallel is not None:
            start = parallel.broadcast_int(start)  # every process resumes where rank 0 does
        logs = _run_epochs(module, state, spec, batches, val_batches, cbs, start, epochs,
                           validation_freq, parallel)
        if epochs > start:  # as Keras: use_ema's averages become the weights
            state.optimizer.finalize_variable_values(list(module.parameters()))
        cbs.on_train_end(logs)
    if parallel is not None:
        parallel.barrier()  # no process runs ahead into what follows (another fit, a save)
    module.history = cbs.history
    return cbs.history


def _run_epochs(module, state, spec, batches, val_batches, cbs, start, epochs,
                validation_freq, parallel=None):
    """Epochs `start..epochs-1`; returns the last epoch's logs."""
    train_step = _train_step(state, spec, parallel)
    logs = {}
    for epoch in range(start, epochs):
        state.reset_metrics()
        cbs.on_epoch_begin(epoch)
        steps_done = 0
        for step, (xs, ys, sws) in batches.epoch():
            cbs.on_train_batch_begin(step)
            train_step(xs, ys, sws)
            steps_done += 1
            cbs.on_train_batch_end(step, state.batch_logs())
            # Data-parallel processes must run the same steps: they stop together, below.
            if module.stop_training and parallel is None:
                break
        if steps_done == 0:
            break  # the data ran out
        if parallel is not None:
            module.stop_training = parallel.reduce_metrics(state, module.stop_training)
        logs = state.read_logs()
        if val_batches is not None and _should_validate(epoch, validation_freq):
            logs.update(_validation_logs(module, state, spec, val_batches, cbs))
        cbs.on_epoch_end(epoch, logs)
        if module.stop_training or batches.ran_out:
            break
    return logs


def _validation_logs(module, state, spec, val_batches, cbs):
    logs = _run_test(module, state, spec, val_batches, cbs)
    if logs is None:
        warnings.warn(
            "`validation_data` gave no batches, so this epoch has no validation values (a "
            "generator is consumed once: pass arrays, a DataLoader, or a generator that "
            "loops).", UserWarning, stacklevel=4)
        return {}
    return {"val_" + k: v for k, v in logs.items()}


def _validation_source(state, spec, validation_data, batch_size):
    if isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3) and (
            data_lib.is_array_like(validation_data[0])):
        vx, vy, vsw = data_lib.unpack_batch(tuple(validation_data))
        source = data_lib.make_source(
            spec, vx, vy, vsw, batch_size, False, argument="validation_data",
            check_targets=lambda ys: _check_targets(state, ys, "validation_data"))
        _check_sparse_labels(state, source.ys)
        return source
    if isinstance(validation_data, (tuple, list)):
        raise ValueError(
            "`validation_data` must be `(x_val, y_val)` or `(x_val, y_val, sample_weight)`, "
            "or a Dataset, DataLoader or generator. "
            f"Received: validation_data, a {type(validation_data).__name__} of "
            f"{len(validation_data)} entries")
    return data_lib.make_source(
        spec, validation_data, batch_size=batch_size, argument="validation_data",
        check_targets=lambda ys: _check_targets(state, ys, "validation_data"),
        check_labels=lambda ys: _check_sparse_labels(state, ys, host_only=True))


def _should_validate(epoch, freq):
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return (epoch + 1) in freq


# ---------------------------------------------------------------------------- evaluate

def evaluate(module, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
             steps=None, callbacks=None, return_dict=False):
    """The loss and metrics of `module` on data (Keras's `Model.evaluate`).

    Args:
        module: a compiled `torch.nn.Module`.
        x, y, sample_weight: data, as for `fit`.
        batch_size: samples per step for in-memory data. Default None (32).
        verbose: "auto", 0, 1 or 2. Default "auto".
        steps: batches to evaluate. Default None (all the data).
        callbacks: a list of callbacks (their `on_test_*` hooks run).
        return_dict: return `{name: value}` instead of a list. Default False.

    Returns:
        The loss (a float) when there are no metrics, else `[loss, *metrics]` in
        `metrics_names` order, or a dict with `return_dict=True`.
    """
    state = get_state(module, "evaluate")
    _check_batch_size(batch_size, "batch_size")
    _check_optional_steps(steps, "steps")
    spec = data_lib.ModelSpec(module)
    _adopt_outputs(state, spec)
    _set_precision(state, spec)
    source = data_lib.make_source(
        spec, x, y, sample_weight, batch_size, False,
        prepare=lambda xs: _bind(state, spec, xs),
        check_targets=lambda ys: _check_targets(state, ys, "y"),
        check_labels=lambda ys: _check_sparse_labels(state, ys, host_only=True))
    if isinstance(source, data_lib.ArraySource):
        _check_sparse_labels(state, source.ys)
    batches = data_lib.EpochIterator(source, steps, repeat=False)
    verbose = _resolve_verbose(verbose)
    cbs = callbacks_module.CallbackList(
        callbacks, add_progbar=verbose != 0, model=module, verbose=verbose, epochs=1,
        steps=batches.steps)
    logs = _run_test(module, state, spec, batches, cbs)
    if logs is None:
        raise ValueError(
            "evaluate() got no batches from `x`: the data is empty (or `steps=0`). "
            f"Received: x of type {type(x).__name__}")
    return _results(state, logs, return_dict)


def _run_test(module, state, spec, batches, cbs):
    state.reset_metrics()
    test_step = _test_step(state, spec)
    steps = 0
    with _mode(module, training=False), torch.no_grad():
        cbs.on_test_begin()
        for step, (xs, ys, sws) in batches.epoch():
            cbs.on_test_batch_begin(step)
            test_step(xs, ys, sws)
            steps += 1
            cbs.on_test_batch_end(step, state.batch_logs())
        logs = state.read_logs() if steps else None
        cbs.on_test_end(logs)
    return logs


def _results(state, logs, return_dict):
    if return_dict:
        return dict(logs)
    values = [logs[name] for name in state.metrics_names]
    return values[0] if len(values) == 1 else values


# ---------------------------------------------------------------------------- predict

def predict(module, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
    """The module's outputs on `x`, batch by batch, as numpy arrays (Keras's `predict`).

    Runs in eval mode (restored afterwards) under `torch.inference_mode()`, on the module's
    device. `module` need not be compiled.

    Args:
        module: any `torch.nn.Module`.
        x: inputs: an array or tensor, a list or dict of them (several inputs), a torch
            Dataset or DataLoader, or a generator (a batch's `y`, if any, is ignored).
        batch_size: samples per step for in-memory data. Default None (32).
        verbose: "auto", 0, 1 or 2. Default "auto".
        steps: batches to predict. Default None (all the data).
        callbacks: a list of callbacks (their `on_predict_*` hooks run).

    Returns:
        One numpy array for one output, a list for several, a dict for dict outputs.
    """
    _check_batch_size(batch_size, "batch_size")
    _check_optional_steps(steps, "steps")
    spec = data_lib.ModelSpec(module)
    state = getattr(module, "_compile_state", None)
    if state is not None:
        _adopt_outputs(state, spec)
    source = data_lib.make_source(spec, x, batch_size=batch_size, with_targets=False)
    batches = data_lib.EpochIterator(source, steps, repeat=False)
    verbose = _resolve_verbose(verbose)
    cbs = callbacks_module.CallbackList(
        callbacks, add_progbar=verbose != 0, model=module, verbose=verbose, epochs=1,
        steps=batches.steps)
    forward = _predict_step(state, spec)
    chunks = []
    precision = _Precision(spec.device)
    # Per batch, only what is needed: hooks that do nothing are not called, and outputs
    # already on the host are checked once, not copied (a small model's batch costs only
    # tens of microseconds).
    batch_hooks = cbs.overrides("on_predict_batch_begin", "on_predict_batch_end")
    with _mode(module, training=False), torch.inference_mode(), precision.autocast():
        cbs.on_predict_begin()
        for step, (xs, _, _) in batches.epoch():
            if batch_hooks:
                cbs.on_predict_batch_begin(step)
            outputs = forward(xs)
            if chunks:
                flat = spec.flatten_outputs(outputs)
                chunks.append([_to_host(t) for t in flat] if on_device else flat)
            else:
                spec.learn_outputs(outputs)
                flat = [_to_host(t) for t in spec.flatten_outputs(outputs)]
                on_device = any(t.device.type != "cpu" for t in flat)
                chunks.append(flat)
            if batch_hooks:
                cbs.on_predict_batch_end(step, {"outputs": outputs})
        cbs.on_predict_end()
    if not chunks:
        raise ValueError(
            "predict() got no batches from `x`: the data is empty (or `steps=0`). "
            f"Received: x of type {type(x).__name__}")
    _wait_for(spec.device)
    flat = [_to_numpy(torch.cat([chunk[i] for chunk in chunks]))
            for i in range(len(chunks[0]))]
    return spec.pack_outputs(flat)


def _to_host(tensor):
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(
            "predict() needs the module to return tensors (one, a list or a dict). "
            f"Received: an output of type {type(tensor).__name__}")
    if tensor.device.type == "cpu":
        return tensor
    return tensor.to("cpu", non_blocking=True)


def _wait_for(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _to_numpy(tensor):
    if tensor.dtype in (torch.bfloat16,):
        tensor = tensor.float()
    return tensor.numpy()


# ---------------------------------------------------------------------------- *_on_batch

def train_on_batch(module, x, y=None, sample_weight=None, class_weight=None,
                   reset_metrics=True, return_dict=False):
    """One gradient update on one batch (Keras's `train_on_batch`).

    Args:
        module: a compiled `torch.nn.Module`.
        x, y, sample_weight, class_weight: one batch of data, as for `fit`.
        reset_metrics: report this batch's values only (else the running values since
            the last reset). Default True.
        return_dict: return `{name: value}` instead of a list. Default False.

    Returns:
        The loss (a float) when there are no metrics, else `[loss, *metrics]`, or a dict.
    """
    state = get_state(module, "train_on_batch")
    spec = data_lib.ModelSpec(module)
    _adopt_outputs(state, spec)
    _set_precision(state, spec)
    xs, ys, sws = _one_batch(state, spec, x, y, sample_weight)
    if not state.has_loss:
        raise ValueError(
            "train_on_batch() needs a loss to minimize, but compile() was given none. "
            "Call compile(loss=...) first. Received: loss=None")
    if class_weight:
        sws = _ClassWeights(class_weight, state, spec)(ys, sws)
    if reset_metrics:
        state.reset_metrics()
    train_step = _train_step(state, spec)
    with _mode(module, training=True):
        train_step(xs, ys, sws)
    return _results(state, state.read_logs(), return_dict)


def test_on_batch(module, x, y=None, sample_weight=None, reset_metrics=True,
                  return_dict=False):
    """The loss and metrics on one batch, without updating (Keras's `test_on_batch`)."""
    state = get_state(module, "test_on_batch")
    spec = data_lib.ModelSpec(module)
    _adopt_outputs(state, spec)
    _set_precision(state, spec)
    xs, ys, sws = _one_batch(state, spec, x, y, sample_weight)
    if reset_metrics:
        state.reset_metrics()
    test_step = _test_step(state, spec)
    with _mode(module, training=False), torch.no_grad():
        test_step(xs, ys, sws)
    return _results(state, state.read_logs(), return_dict)


def predict_on_batch(module, x):
    """The module's outputs on one batch, as numpy arrays (Keras's `predict_on_batch`)."""
    spec = data_lib.ModelSpec(module)
    xs = data_lib.array_inputs(spec, x)
    with _mode(module, training=False), torch.inference_mode(), \
            _Precision(spec.device).autocast():
        outputs = spec.call(xs)
        spec.learn_outputs(outputs)
        flat = [_to_host(t) for t in spec.flatten_outputs(outputs)]
    _wait_for(spec.device)
    return spec.pack_outputs([_to_numpy(t) for t in flat])


def _one_batch(state, spec, x, y, sample_weight):
    if not data_lib.is_array_like(x):
        raise TypeError(
            "The *_on_batch functions take one batch of arrays or tensors (or a list or dict "
            f"of them). Received: x of type {type(x).__name__}")
    xs = data_lib.array_inputs(spec, x)
    _bind(state, spec, xs)
    _check_sparse_labels(state, spec.flatten_y(y), host_only=True)
    ys, sws = data_lib.array_targets(spec, y, sample_weight)
    data_lib.check_sample_counts(data_lib._named(spec, xs, ys, sws))
    _check_targets(state, ys, "y")
    return xs, ys, sws


# ---------------------------------------------------------------------------- steps

class _EagerTrainStep:
    """forward -> loss -> metrics -> backward -> optimizer update, in eager PyTorch.

    `forward(xs)` runs the module (default `spec.call`; data-parallel: through DDP)."""

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


class _Penalties:
    """The module's regularization penalties (`module.regularization_losses()`, a list of
    0-d tensors), added to the loss. A module that reports none at its first step is not
    asked again: the walk over its layers would cost every step."""

    def __init__(self, module):
        self.fn = getattr(module, "regularization_losses", None)
        self.active = callable(self.fn)

    def add(self, total):
        if not self.active:
            return total
        penalties = self.fn()
        if not penalties:
            self.active = False
            return total
        return total + torch.stack([p.reshape(()) for p in penalties]).sum()


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


class _WithPenalties(torch.nn.Module):
    """Runs a module and returns its outputs with its penalties, so `functional_call`
    sees the regularizers read the traced weights."""

    def __init__(self, module):
        super().__init__()
        self.inner = module

    def forward(self, args, kwargs):
        out = self.inner(*args, **kwargs)
        penalties = self.inner.regularization_losses()
        # plait layers keep their last activity penalty; a traced value must not outlive
        # the trace, so it is dropped once read.
        self.inner.clear_activity_penalties()
        return out, penalties


class _JitTrainStep:
    """The whole step compiled: forward, loss and backward as one graph
    (`torch.func.grad_and_value` over `functional_call`, `fullgraph=True`), the optimizer
    update as another. Falls back to eager, with a warning, when compiling fails.
    Data-parallel (`parallel`), the gradients are averaged over the processes between.
    Where the optimizer allows (jit_step.py), the update joins the first graph instead."""

    def __init__(self, state, spec, parallel=None):
        self.state = state
        self.spec = spec
        self.parallel = parallel
        self.optimizer = state.optimizer
        self.constrain = _constraint_fn(spec.module)
        module = spec.module
        penalized = callable(getattr(module, "regularization_losses", None))
        target = _WithPenalties(module) if penalized else module
        prefix = "inner." if penalized else ""
        self.params = [(prefix + n, p) for n, p in module.named_parameters() if p.requires_grad]
        buffers = {prefix + n: b for n, b in module.named_buffers()}

        precision = state.precision

        def loss_of(params, buffers, xs, ys, sws):
            args, kwargs = spec.call_args(xs)
            with precision.autocast():
                if penalized:
                    out, penalties = torch.func.functional_call(
                        target, (params, buffers), (args, kwargs))
                else:
                    out, penalties = torch.func.functional_call(
                        target, (params, buffers), args, kwargs), []
            outputs = precision.to_float32(spec.flatten_outputs(out))
            total, parts = state.compute_loss(ys, outputs, sws)
            for penalty in penalties:
                total = total + penalty.reshape(())
            parts = [None if p is None else p.detach() for p in parts]
            return total, (parts, [o.detach() for o in outputs])

        grad_and_value = torch.func.grad_and_value(loss_of, has_aux=True)
        params = self.params

        def forward_backward(xs, ys, sws):
            values = {n: p.detach() for n, p in params}
            grads, result = grad_and_value(values, buffers, xs, ys, sws)
            # Gradients in the parameters' own memory layout, as autograd gives them (a
            # channels-last gradient for a contiguous kernel trips the compiled update).
            grads = {n: g if g.stride() == values[n].stride() else
                     torch.empty_like(values[n]).copy_(g) for n, g in grads.items()}
            return grads, result

        self.forward_backward = torch.compile(
            forward_backward, fullgraph=True, backend=_COMPILE_BACKEND)
        self.one_graph = None if parallel is not None else jit_step.one_graph_step(
            self.optimizer, params, forward_backward, _COMPILE_BACKEND)
        # Compiled, the per-parameter update becomes one generated kernel; the fused kernel
        # eager steps use is opaque to torch.compile and runs slower here (bench/).
        for group in getattr(getattr(self.optimizer, "torch_optimizer", None),
                             "param_groups", ()) if self.one_graph is None else ():
            group["fused"] = False
        self.update = _Compiled(self.optimizer.step, "the optimizer update")
        self.eager = None

    def __call__(self, xs, ys, sws):
        if self.eager is not None:
            return self.eager(xs, ys, sws)
        try:
            if self.one_graph is not None:
                grads, (total, (parts, outputs)) = None, self.one_graph(xs, ys, sws)
            else:
                grads, (total, (parts, outputs)) = self.forward_backward(xs, ys, sws)
        except Exception as error:  # noqa: BLE001 - any compile failure means: run eagerly
            forward = self.parallel.forward(self.spec, _has_unused_outputs(self.state)) \
                if self.parallel is not None else None
            self.eager = _EagerTrainStep(self.state, self.spec, forward)
            self.eager(xs, ys, sws)
            _warn_fallback("the train step", error)
            return None
        if self.parallel is not None:
            grads = self.parallel.average_gradients(grads)
        self.state.update_metrics(total, parts, ys, outputs, sws, _batch_size(xs))
        if grads is not None:
            for (name, param) in self.params:
                param.grad = grads[name]
            self.update()
        if self.constrain is not None:
            self.constrain()
        return None


class _FasterStep:
    """jit_compile=True, measured. On CPUs torch.compile makes some models train slower
    than eager (convolutions lose mkldnn's kernels; a fused LSTM cannot be compiled at all),
    so after the compiled step's first (compiling) call, the next steps alternate the
    compiled and the eager step, which compute the same update on the same state, and the
    faster one is kept for the rest of training. `chosen` says which ("jit" or "eager");
    with `trials=0` the compiled step is kept unmeasured."""

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
        jit, eager = self.times["jit"], self.times["eager"]
        kind = "jit" if len(jit) <= len(eager) else "eager"
        device = xs[0].device if xs and isinstance(xs[0], torch.Tensor) else None
        _wait_for_any(device)
        start = time.perf_counter()
        result = (self.compiled if kind == "jit" else self.eager)(xs, ys, sws)
        _wait_for_any(device)
        self.times[kind].append(time.perf_counter() - start)
        if len(eager) >= self.trials:
            self.chosen = "jit" if statistics.median(jit) <= statistics.median(eager) \
                else "eager"
        return result


def _wait_for_any(device):
    if device is not None and device.type == "cuda":
        torch.cuda.synchronize(device)


class _Compiled:
    """`fn` under torch.compile; on a failure it runs `fn` eagerly from then on."""

    def __init__(self, fn, what, fullgraph=False):
        self.fn = fn
        self.what = what
        self.compiled = torch.compile(fn, fullgraph=fullgraph, backend=_COMPILE_BACKEND)
        self.failed = False

    def __call__(self, *args):
        if self.failed:
            return self.fn(*args)
        try:
            return self.compiled(*args)
        except Exception as error:  # noqa: BLE001 - see _JitTrainStep
            self.failed = True
            result = self.fn(*args)
            _warn_fallback(self.what, error)
            return result


def _warn_fallback(what, error):
    warnings.warn(
        f"jit_compile=True could not compile {what}; running it eagerly instead. "
        f"Reason: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}",
        RuntimeWarning, stacklevel=3)


def _jit_trainable(module):
    """False, with a warning, when a layer says torch.compile cannot train it."""
    for sub in module.modules():
        if getattr(sub, "jit_trainable", True) is False:
            warnings.warn(
                f"jit_compile=True: layer '{getattr(sub, 'name', type(sub).__name__)}' "
                f"({type(sub).__name__}) runs PyTorch's fused kernel, which torch.compile "
                "cannot differentiate; the train step runs eagerly (same results). "
                "Evaluation and prediction are still compiled.", RuntimeWarning, stacklevel=5)
            return False
    return True


def _train_step(state, spec, parallel=None):
    if parallel is not None:
        # Made for each fit, not kept: the DDP wrapper must not outlive it.
        if _jit_wanted(state, spec):
            parallel.sync_module(spec.module)
            return _JitTrainStep(state, spec, parallel)
        return _EagerTrainStep(state, spec, parallel.forward(spec, _has_unused_outputs(state)))
    key = _step_key("train", spec, state.precision.key)
    step = state.steps.get(key)
    if step is None:
        step = _FasterStep(_JitTrainStep(state, spec), _EagerTrainStep(state, spec),
                           _JIT_TRIAL_STEPS) if _jit_wanted(state, spec) \
            else _EagerTrainStep(state, spec)
        state.steps[key] = step
    return step


def _jit_wanted(state, spec):
    # The compiled step is made for one dtype policy; float16 loss scaling runs eagerly.
    return (state.jit_compile and state.precision.scaler is None
            and _jit_trainable(spec.module))


def _step_key(kind, spec, policy):
    """Steps are kept per call signature, and per dtype policy when it is not float32."""
    key = (kind, spec.call_kind, tuple(spec.call_keys or ()))
    return key if policy == "float32" else key + (policy,)


def _has_unused_outputs(state):
    """Whether some output has no loss, so its own weights get no gradient."""
    return any(loss is None for loss in state.output_losses)


def _test_step(state, spec):
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

        compute = _Compiled(test_step, "the test step") if state.jit_compile else test_step

        def step(xs, ys, sws):
            total, parts, outputs = compute(xs, ys, sws)
            state.update_metrics(total, parts, ys, outputs, sws, _batch_size(xs))

        state.steps[key] = step
    return step


def _predict_step(state, spec):
    if state is None or not state.jit_compile:
        return spec.call
    key = _step_key("predict", spec, mixed_precision.global_policy().name)
    if key not in state.steps:
        state.steps[key] = _Compiled(spec.call, "the predict step")
    return state.steps[key]


def _batch_size(xs):
    return xs[0].shape[0]


# ---------------------------------------------------------------------------- precision

def _set_precision(state, spec):
    """Read the global dtype policy once per fit/evaluate/*_on_batch call; the float16
    loss scaler lives in the compiled state, so its scale carries over between calls."""
    precision = _Precision(spec.device)
    if precision.needs_scaler:
        scaler = getattr(state, "grad_scaler", None)
        if scaler is None:
            scaler = state.grad_scaler = mixed_precision.grad_scaler(spec.device.type)
        precision.scaler = scaler
    state.precision = precision


class _Precision:
    """`plait.mixed_precision.global_policy()` as the loop applies it: the forward under
    `torch.autocast` in the compute dtype, the outputs cast to float32 for the losses and
    metrics (Keras computes losses in float32), and for float16 a gradient scaler."""

    def __init__(self, device):
        policy = mixed_precision.global_policy()
        self.key = policy.name
        self.mixed = policy.is_mixed
        self.device_type = device.type
        self.compute_dtype = policy.torch_compute_dtype
        self.needs_scaler = self.mixed and policy.compute_dtype == "float16"
        self.scaler = None

    def autocast(self):
        if not self.mixed:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.compute_dtype)

    def to_float32(self, outputs):
        if not self.mixed:
            return outputs
        return [o.float() if isinstance(o, torch.Tensor) and o.dtype == self.compute_dtype
                else o for o in outputs]

    def scaled_update(self, total, optimizer, module):
        """backward on the scaled loss; the update runs on the unscaled gradients, and is
        skipped (the scale lowered) when they hold inf or NaN. The check reads one value
        on the host per step, as PyTorch's own GradScaler.step does."""
        scaler = self.scaler
        scaler.scale(total).backward()
        shim = _ScalerOptimizer(optimizer, module)
        scaler.step(shim)
        scaler.update()


class _ScalerOptimizer:
    """What `torch.amp.GradScaler.step` needs of an optimizer: `param_groups` and `step`.
    The step is plait's own (clipping and learning-rate schedules included)."""

    def __init__(self, optimizer, module):
        self.param_groups = [{"params": [p for p in module.parameters() if p.requires_grad]}]
        self.optimizer = optimizer

    def step(self, *args, **kwargs):
        return self.optimizer.step()


# ---------------------------------------------------------------------------- binding

def _adopt_outputs(state, spec):
    """A plain module's outputs, learned once, are kept in the compiled state."""
    if spec.output_names is None and state.resolved:
        spec.output_names = state.output_names
        spec.output_structure = state.plain_output_structure


def _bind(state, spec, xs):
    """Know the module's outputs (names, shapes) and bind the losses and metrics to them."""
    if state.resolved and spec.output_names is not None:
        return
    shapes = _safe_output_shapes(spec.module)
    if spec.output_names is None or shapes is None:
        with torch.no_grad(), _mode(spec.module, training=False):
            outputs = spec.call([x[:2] for x in xs])
        spec.learn_outputs(outputs)
        shapes = [(None,) + tuple(t.shape[1:]) for t in spec.flatten_outputs(outputs)]
    state.resolve(spec.output_names, shapes)
    state.plain_output_structure = spec.output_structure


def _safe_output_shapes(module):
    try:
        return known_output_shapes(module)
    except (AttributeError, ValueError):
        return None


def _check_targets(state, ys, argument):
    for name, loss, target in zip(state.output_names, state.output_losses, ys):
        if loss is not None and target is None:
            raise ValueError(
                f"Output '{name}' has a loss, but `{argument}` gives no target for it. Pass "
                f"its targets (one per output, or a dict keyed by output name {state.output_names}),"
                f" or compile without a loss for it. Received: {argument} without '{name}'")


def _check_sparse_labels(state, ys, host_only=False):
    """Sparse labels out of range fail deep inside the loss (on CUDA: a device assert);
    check the full label arrays once, before training, or each batch of a loader or
    generator as it comes (`host_only`: labels already on a GPU are not read, that would
    wait for the device)."""
    shapes = state.output_shapes or [None] * len(ys)
    for loss, target, shape in zip(state.output_losses, ys, shapes):
        if target is None or not isinstance(loss, losses.SparseCategoricalCrossentropy):
            continue
        if host_only and isinstance(target, torch.Tensor) and target.device.type != "cpu":
            continue
        if not isinstance(target, torch.Tensor):
            target = np.asarray(target)
            if target.dtype.kind not in "biuf":
                continue  # not numbers: converting the batch says so
        axis = getattr(loss, "axis", -1)
        if shape and len(shape) > 0 and shape[axis] is not None:
            losses.check_sparse_labels(target, shape[axis],
                                       ignore_class=getattr(loss, "ignore_class", None))


class _ClassWeights:
    """`class_weight` as per-sample weights: a table lookup on the device, no host sync."""

    def __init__(self, class_weight, state, spec):
        self.class_weight = class_weight
        self.state = state
        self.spec = spec
        self.tables = None

    def bind(self):
        names = self.state.output_names
        per_output = self._per_output(self.class_weight, names)
        shapes = self.state.output_shapes or [None] * len(names)
        self.tables = []
        for mapping, shape in zip(per_output, shapes):
            if not mapping:
                self.tables.append(None)
                continue
            size = max(max(mapping) + 1, 2)
            if shape and shape[-1] is not None:
                size = max(size, shape[-1])
            table = [float(mapping.get(c, 1.0)) for c in range(size)]
            self.tables.append(torch.tensor(table, dtype=self.spec.float_dtype,
                                            device=self.spec.device))

    @staticmethod
    def _per_output(class_weight, names):
        if isinstance(class_weight, (list, tuple)):
            if len(class_weight) != len(names):
                raise ValueError(
                    f"`class_weight` is a list of {len(class_weight)} dicts, but the model has "
                    f"{len(names)} outputs {names}. Give one dict (or None) per output, or a "
                    f"dict keyed by output name. Received: class_weight={class_weight!r}")
            mappings = list(class_weight)
        elif not isinstance(class_weight, dict):
            raise TypeError(
                "`class_weight` must be a dict {class_index: weight} (for several outputs: a "
                f"dict keyed by output name of such dicts). Received: class_weight={class_weight!r}")
        elif class_weight and all(isinstance(k, str) for k in class_weight):
            unknown = [k for k in class_weight if k not in names]
            if unknown:
                raise ValueError(
                    f"`class_weight` names {unknown}, which are not outputs of the model. The "
                    f"model's outputs are {names}. Received: class_weight={class_weight!r}")
            mappings = [class_weight.get(name) for name in names]
        elif len(names) == 1:
            mappings = [class_weight]
        else:
            raise ValueError(
                f"The model has {len(names)} outputs {names}: give `class_weight` as a dict "
                "keyed by output name (or a list), each value a {class_index: weight} dict. "
                f"Received: class_weight={class_weight!r}")
        for mapping in mappings:
            if mapping is None:
                continue
            for key in mapping:
                if isinstance(key, bool) or not isinstance(key, (numbers.Integral,)) or key < 0:
                    raise ValueError(
                        "The keys of `class_weight` must be class indices (integers >= 0). "
                        f"Received: class_weight={class_weight!r}")
        return mappings

    def __call__(self, ys, sws):
        if self.tables is None:
            self.bind()
        out = list(sws)
        for i, table in enumerate(self.tables):
            if table is None or ys[i] is None:
                continue
            y = ys[i]
            if y.dim() > 1:
                y = y.argmax(-1) if y.shape[-1] != 1 else y.squeeze(-1)
            classes = (y.round() if y.is_floating_point() else y).long()
            weights = table[classes.clamp(0, table.shape[0] - 1)]
            out[i] = weights if out[i] is None else out[i] * weights
        return out


def _warn_single_class(spec, y_train, y_val, validation_split):
    """A validation split of sorted data holds one class: say so, it is a classic trap."""
    try:
        trains, vals = spec.flatten_y(y_train), spec.flatten_y(y_val)
    except (ValueError, TypeError):
        return
    for name, train, val in zip(spec.output_names, trains, vals):
        train_classes, val_classes = _classes(train), _classes(val)
        if train_classes is None or val_classes is None:
            continue
        if len(val_classes) == 1 and len(set(train_classes) | set(val_classes)) > 1:
            label = f" of output '{name}'" if len(spec.output_names) > 1 else ""
            warnings.warn(
                f"validation_split={validation_split} takes the last "
                f"{validation_split:.0%} of the samples before shuffling, and its labels{label} "
                f"hold a single class ({val_classes[0]}): the data looks sorted by label. "
                "Shuffle the arrays before fit (e.g. with one permutation of x and y), or pass "
                "validation_data=.", UserWarning, stacklevel=3)


def _classes(y):
    """The distinct class labels in `y`, or None when `y` does not look like labels."""
    if y is None:
        return None
    array = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    if array.size == 0:
        return None
    if array.ndim > 1 and array.shape[-1] > 1:
        if array.dtype.kind != "f" or not np.isin(array, (0, 1)).all():
            return None
        array = array.argmax(-1)
    elif array.dtype.kind == "f" and not np.isin(array, (0, 1)).all():
        return None
    elif array.dtype.kind not in "fiub":
        return None
    return np.unique(array).tolist()


# ---------------------------------------------------------------------------- small helpers

@contextlib.contextmanager
def _mode(module, training):
    """Switch `module` to train/eval mode, then give every submodule its own mode back."""
    modes = [(m, m.training) for m in module.modules()]
    module.train(training)
    try:
        yield
    finally:
        for m, mode in modes:
            m.training = mode


def _resolve_verbose(verbose):
    if verbose == "auto":
        return 1 if is_interactive() else 2
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise ValueError(f"`verbose` must be 'auto', 0, 1 or 2. Received: verbose={verbose!r}")
    return int(verbose)


def _check_batch_size(value, argument):
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{argument}` must be a positive integer. Received: {argument}={value!r}")
    if value < 1:
        raise ValueError(f"`{argument}` must be a positive integer. Received: {argument}={value!r}")


def _check_positive_int(value, argument, allow_zero=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{argument}` must be an integer. Received: {argument}={value!r}")
    if value < (0 if allow_zero else 1):
        raise ValueError(
            f"`{argument}` must be {'>= 0' if allow_zero else 'positive'}. "
            f"Received: {argument}={value!r}")


def _check_optional_steps(value, argument):
    if value is not None:
        _check_positive_int(value, argument)


def _check_fit_arguments(epochs, batch_size, validation_batch_size, steps_per_epoch,
                         validation_steps, validation_freq, shuffle):
    _check_positive_int(epochs, "epochs", allow_zero=True)
    _check_batch_size(batch_size, "batch_size")
    _check_batch_size(validation_batch_size, "validation_batch_size")
    _check_optional_steps(steps_per_epoch, "steps_per_epoch")
    _check_optional_steps(validation_steps, "validation_steps")
    _check_validation_freq(validation_freq)
    if shuffle not in (True, False, "batch"):
        raise ValueError(
            f"`shuffle` must be True, False or 'batch'. Received: shuffle={shuffle!r}")


def _check_validation_freq(value):
    if isinstance(value, bool):
        raise TypeError(f"`validation_freq` must be an integer or a list of epochs. "
                        f"Received: validation_freq={value!r}")
    if isinstance(value, numbers.Integral):
        if value < 1:
            raise ValueError(f"`validation_freq` must be a positive integer. "
                             f"Received: validation_freq={value!r}")
        return
    if not hasattr(value, "__contains__"):
        raise TypeError(f"`validation_freq` must be an integer or a list of epochs. "
                        f"Received: validation_freq={value!r}")
