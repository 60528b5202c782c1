"""fit, evaluate, predict and the `*_on_batch` functions, with Keras's arguments and meaning.

Per step the loop runs the forward, the loss, the backward and the optimizer update and
nothing else on the host: metrics accumulate as tensors on the device, and values are read
(one transfer) at the end of an epoch, or when the progress bar or a callback asks.

This file is the public API and the epoch loop. The rest lives by job: `steps.py` (eager,
compiled and measured steps), `targets.py` (outputs, targets, class weights), `precision.py`
(mixed precision), `distributed.py` (the runner: data-parallel or a single process).
"""

import itertools
import numbers
import warnings

import torch

from plait import callbacks as callbacks_module
from plait.training import data as data_lib, distributed, steps as step_lib
from plait.training import faults
from plait.training.compile import get_state
from plait.training.modes import mode as _mode
from plait.training.precision import Precision as _Precision, set_precision as _set_precision
from plait.training.steps import FasterStep as _FasterStep  # noqa: F401 (tests use it)
from plait.training.steps import JitTrainStep as _JitTrainStep  # noqa: F401 (tests use it)
from plait.training.targets import (
    ClassWeights as _ClassWeights,
    adopt_outputs as _adopt_outputs,
    bind as _bind,
    check_sparse_labels as _check_sparse_labels,
    check_targets as _check_targets,
    warn_single_class as _warn_single_class,
)
from plait.utils.progbar import is_interactive
from plait.utils.py_dataset import epoch_batches

__all__ = ["fit", "evaluate", "predict", "train_on_batch", "test_on_batch", "predict_on_batch"]

# jit_compile=True times this many compiled and eager steps each, then keeps the faster
# (`_FasterStep`; 0: keep the compiled step unmeasured, as tests of the compiled path do).
_JIT_TRIAL_STEPS = 5
# The torch.compile backend used for jit_compile=True (tests may pick a cheaper one).
_COMPILE_BACKEND = "inductor"


def _jit_options():
    """The jit knobs above, read when a step is made (tests set them)."""
    return step_lib.JitOptions(backend=_COMPILE_BACKEND, trials=_JIT_TRIAL_STEPS)


# ---------------------------------------------------------------------------- fit


def fit(
    module,
    x=None,
    y=None,
    batch_size=None,
    epochs=1,
    verbose="auto",
    callbacks=None,
    validation_split=0.0,
    validation_data=None,
    shuffle=True,
    class_weight=None,
    sample_weight=None,
    initial_epoch=0,
    steps_per_epoch=None,
    validation_steps=None,
    validation_batch_size=None,
    validation_freq=1,
    *,
    distribute="auto",
):
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
        distribute: "auto", "ddp" or "fsdp": see below. Default "auto".

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
        process, from a folder they share). Validation arrays and Datasets are split among
        the processes (each sample once) and their metric states summed, so `val_*` values
        are the same in every process. BatchNormalization's moving statistics are averaged
        over the processes at the end of each epoch. `model.stop_training = True` set in any
        process stops every process at the same point: after the epoch when set in an epoch
        hook, after the batch when set in a batch hook. `jit_compile=True` averages the
        compiled step's gradients with
        one all-reduce instead of the DDP wrapper.
    """
    state = get_state(module, "fit")
    _build_from_data(module, x, state)
    _check_fit_arguments(
        epochs,
        batch_size,
        validation_batch_size,
        steps_per_epoch,
        validation_steps,
        validation_freq,
        shuffle,
    )
    # First: on CUDA it may move the module to this process's GPU.
    runner = distributed.runner(module, distribute, state.optimizer)
    spec = data_lib.ModelSpec(module)
    _adopt_outputs(state, spec)
    _set_precision(state, spec)
    split_data = None
    if validation_split and validation_data is None:
        (x, y, sample_weight), split_data = data_lib.split_for_validation(
            x, y, sample_weight, validation_split
        )
        validation_data = split_data

    class_weight_fn = _ClassWeights(class_weight, state, spec) if class_weight else None
    source = data_lib.make_source(
        spec,
        x,
        y,
        sample_weight,
        batch_size,
        shuffle,
        class_weight_fn,
        prepare=lambda xs: _bind(state, spec, xs),
        check_targets=lambda ys: _check_targets(state, ys, "y"),
        check_labels=lambda ys: _check_sparse_labels(state, ys, host_only=True),
        shard=runner.shard(),
    )
    runner.warn_if_unsharded(source)
    _build_from_source(module, spec, source, state)
    if not state.has_loss and not _may_add_loss(module):
        raise ValueError(
            "fit() needs a loss to minimize, but compile() was given none for any output. "
            "Call compile(loss=...) first. Received: loss=None"
        )
    if isinstance(source, data_lib.ArraySource):
        _check_sparse_labels(state, source.ys)
    if split_data is not None:
        _warn_single_class(spec, y, split_data[1], validation_split)
    val_batches = None
    if validation_data is not None:
        val_source = _validation_source(
            state, spec, validation_data, validation_batch_size or batch_size, runner.eval_shard()
        )
        val_batches = data_lib.EpochIterator(val_source, validation_steps, repeat=False)

    batches = data_lib.EpochIterator(source, steps_per_epoch)
    verbose = _resolve_verbose(verbose)
    if not runner.is_chief:
        verbose = 0
    cbs = callbacks_module.CallbackList(
        callbacks,
        add_history=True,
        add_progbar=verbose != 0,
        model=module,
        verbose=verbose,
        epochs=epochs,
        steps=batches.steps,
        do_validation=val_batches is not None,
    )
    module.stop_training = False
    module.history = cbs.history  # Keras: there from on_train_begin
    with (
        _mode(module, training=True),
        faults.interrupts_at_step_ends(),
        data_lib.closing(batches, val_batches),
    ):
        cbs.on_train_begin()
        resume = module.__dict__.pop("_initial_epoch", None)  # set by BackupAndRestore
        start = initial_epoch if resume is None else resume
        start = runner.broadcast_int(start)  # every process resumes where rank 0 does
        logs = _run_epochs(
            module, state, spec, batches, val_batches, cbs, start, epochs, validation_freq, runner
        )
        if epochs > start:  # as Keras: use_ema's averages become the weights
            state.optimizer.finalize_variable_values(list(module.parameters()))
        cbs.on_train_end(logs)
    runner.barrier()  # no process runs ahead into what follows (another fit, a save)
    module.history = cbs.history
    return cbs.history


def _run_epochs(
    module, state, spec, batches, val_batches, cbs, start, epochs, validation_freq, runner
):
    """Epochs `start..epochs-1`; returns the last epoch's logs."""
    train_step = _custom_step(module, "train_step", state, spec) or runner.train_step(
        state, spec, _jit_options()
    )
    train_step = faults.guard_train_step(train_step, module, state)
    # A stop asked for in a batch hook stops every process after that batch: the flag is
    # reduced after each batch, but only when a callback of the user's has batch hooks.
    stop_each_batch = runner.stops_mid_epoch or _user_batch_hooks(cbs)
    per_execution = _steps_per_execution(state)
    logs = {}
    for epoch in range(start, epochs):
        state.reset_metrics()
        cbs.on_epoch_begin(epoch)
        module.stop_training = runner.any_true(module.stop_training)
        steps_done = 0
        for step, group in _executions(batches.epoch(), per_execution):
            cbs.on_train_batch_begin(step)
            if per_execution == 1:
                train_step(*group)
            else:
                step_lib.run_group(train_step, group)
            steps_done += 1
            cbs.on_train_batch_end(step + per_execution - 1, state.batch_logs())
            if stop_each_batch:
                module.stop_training = runner.any_true(module.stop_training)
                if module.stop_training:
                    break
        if steps_done == 0:
            break  # the data ran out
        module.stop_training = runner.reduce_metrics(state, module.stop_training)
        runner.average_buffers(spec.module)
        logs = state.read_logs()
        if val_batches is not None and _should_validate(epoch, validation_freq):
            logs.update(_validation_logs(module, state, spec, val_batches, cbs, runner))
        cbs.on_epoch_end(epoch, logs)
        module.stop_training = runner.any_true(module.stop_training)
        if module.stop_training or batches.ran_out:
            break
    return logs


def _steps_per_execution(state):
    return getattr(state, "steps_per_execution", 1) or 1


def _executions(steps, per_execution):
    """`(step, batch)` pairs of an epoch as executions of `per_execution` batches, as
    Keras's EpochIterator groups them: `(first step, batch)` for 1, else
    `(first step, [batch, ...])`, the last execution shorter when the batches run out."""
    if per_execution == 1:
        yield from steps
        return
    group, first = [], 0
    for step, batch in steps:
        if not group:
            first = step
        group.append(batch)
        if len(group) == per_execution:
            yield first, group
            group = []
    if group:
        yield first, group


def _user_batch_hooks(cbs):
    """Whether a callback other than History and the progress bar has train-batch hooks."""
    hooks = ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end")
    own = (callbacks_module.History, callbacks_module.ProgbarLogger)
    return any(
        getattr(getattr(cb, hook), "__func__", None) is not getattr(callbacks_module.Callback, hook)
        for cb in cbs
        if not isinstance(cb, own)
        for hook in hooks
    )


def _validation_logs(module, state, spec, val_batches, cbs, runner):
    logs = _run_test(module, state, spec, val_batches, cbs, runner)
    if logs is None:
        warnings.warn(
            "`validation_data` gave no batches, so this epoch has no validation values (a "
            "generator is consumed once: pass arrays, a DataLoader, or a generator that "
            "loops).",
            UserWarning,
            stacklevel=4,
        )
        return {}
    return {"val_" + k: v for k, v in logs.items()}


def _validation_source(state, spec, validation_data, batch_size, shard=None):
    if (
        isinstance(validation_data, (tuple, list))
        and len(validation_data) in (2, 3)
        and (data_lib.is_array_like(validation_data[0]))
    ):
        vx, vy, vsw = data_lib.unpack_batch(tuple(validation_data))
        source = data_lib.make_source(
            spec,
            vx,
            vy,
            vsw,
            batch_size,
            False,
            argument="validation_data",
            check_targets=lambda ys: _check_targets(state, ys, "validation_data"),
            shard=shard,
        )
        _check_sparse_labels(state, source.ys)
        return source
    if isinstance(validation_data, (tuple, list)):
        raise ValueError(
            "`validation_data` must be `(x_val, y_val)` or `(x_val, y_val, sample_weight)`, "
            "or a Dataset, DataLoader or generator. "
            f"Received: validation_data, a {type(validation_data).__name__} of "
            f"{len(validation_data)} entries"
        )
    return data_lib.make_source(
        spec,
        validation_data,
        batch_size=batch_size,
        argument="validation_data",
        check_targets=lambda ys: _check_targets(state, ys, "validation_data"),
        check_labels=lambda ys: _check_sparse_labels(state, ys, host_only=True),
        shard=shard,
    )


def _should_validate(epoch, freq):
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return (epoch + 1) in freq


# ---------------------------------------------------------------------------- evaluate


def evaluate(
    module,
    x=None,
    y=None,
    batch_size=None,
    verbose="auto",
    sample_weight=None,
    steps=None,
    callbacks=None,
    return_dict=False,
):
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
    _build_from_data(module, x)
    _check_batch_size(batch_size, "batch_size")
    _check_optional_steps(steps, "steps")
    spec = data_lib.ModelSpec(module)
    _adopt_outputs(state, spec)
    _set_precision(state, spec)
    source = data_lib.make_source(
        spec,
        x,
        y,
        sample_weight,
        batch_size,
        False,
        prepare=lambda xs: _bind(state, spec, xs),
        check_targets=lambda ys: _check_targets(state, ys, "y"),
        check_labels=lambda ys: _check_sparse_labels(state, ys, host_only=True),
    )
    if isinstance(source, data_lib.ArraySource):
        _check_sparse_labels(state, source.ys)
    batches = data_lib.EpochIterator(source, steps, repeat=False)
    verbose = _resolve_verbose(verbose)
    cbs = callbacks_module.CallbackList(
        callbacks,
        add_progbar=verbose != 0,
        model=module,
        verbose=verbose,
        epochs=1,
        steps=batches.steps,
    )
    with data_lib.closing(batches):
        logs = _run_test(module, state, spec, batches, cbs)
    if logs is None:
        raise ValueError(
            "evaluate() got no batches from `x`: the data is empty (or `steps=0`). "
            f"Received: x of type {type(x).__name__}"
        )
    return _results(state, logs, return_dict)


def _run_test(module, state, spec, batches, cbs, runner=None):
    """One pass of test steps; under data-parallel training (`runner`), each process runs
    its shard and the metric states are summed over the processes before they are read."""
    state.reset_metrics()
    test_step = _custom_step(module, "test_step", state, spec) or step_lib.test_step(
        state, spec, _jit_options()
    )
    test_step = faults.guard_test_step(test_step, module, what="evaluate()")
    steps = 0
    per_execution = _steps_per_execution(state)
    with _mode(module, training=False), torch.no_grad():
        cbs.on_test_begin()
        for step, group in _executions(batches.epoch(), per_execution):
            cbs.on_test_batch_begin(step)
            if per_execution == 1:
                test_step(*group)
            else:
                step_lib.run_group(test_step, group)
            steps += 1
            cbs.on_test_batch_end(step + per_execution - 1, state.batch_logs())
        if runner is not None:
            runner.reduce_metrics(state, False)
            steps = state.loss_tracker.count
        logs = state.read_logs() if steps else None
        cbs.on_test_end(logs)
    return logs


def _results(state, logs, return_dict):
    if return_dict:
        return dict(logs)
    if state.custom_logs is not None:
        values = list(logs.values())
        return values[0] if len(values) == 1 else values
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
    _build_from_data(module, x)
    spec = data_lib.ModelSpec(module)
    state = getattr(module, "_compile_state", None)
    if state is not None:
        _adopt_outputs(state, spec)
    source = data_lib.make_source(spec, x, batch_size=batch_size, with_targets=False)
    batches = data_lib.EpochIterator(source, steps, repeat=False)
    verbose = _resolve_verbose(verbose)
    cbs = callbacks_module.CallbackList(
        callbacks,
        add_progbar=verbose != 0,
        model=module,
        verbose=verbose,
        epochs=1,
        steps=batches.steps,
    )
    forward = _custom_step(module, "predict_step", state, spec) or step_lib.predict_step(
        state, spec, _jit_options()
    )
    forward = faults.guard_predict(forward, module, batch_size)
    chunks = []
    on_device = False  # whether outputs come off a device (known from the first batch)
    precision = _Precision(spec.device)
    # Per batch, only what is needed: hooks that do nothing are not called, and outputs
    # already on the host are checked once, not copied (a small model's batch costs only
    # tens of microseconds).
    batch_hooks = cbs.overrides("on_predict_batch_begin", "on_predict_batch_end")
    # steps_per_execution=N: the batch hooks see executions of N batches, as in Keras (the
    # end hook gets the execution's outputs, concatenated).
    per_execution = 1 if state is None else _steps_per_execution(state)
    with (
        _mode(module, training=False),
        torch.inference_mode(),
        precision.autocast(),
        data_lib.closing(batches),
    ):
        cbs.on_predict_begin()
        for step, group in _executions(batches.epoch(), per_execution):
            if batch_hooks:
                cbs.on_predict_batch_begin(step)
            executed = []
            for xs, _, _ in group if per_execution > 1 else (group,):
                outputs = forward(xs)
                if batch_hooks and per_execution > 1:
                    executed.append(outputs)
                if chunks:
                    flat = spec.flatten_outputs(outputs)
                    chunks.append([_to_host(t) for t in flat] if on_device else flat)
                else:
                    spec.learn_outputs(outputs)
                    flat = [_to_host(t) for t in spec.flatten_outputs(outputs)]
                    on_device = any(t.device.type != "cpu" for t in flat)
                    chunks.append(flat)
            if batch_hooks:
                if per_execution > 1:
                    outputs = _concat_outputs(executed)
                cbs.on_predict_batch_end(step + per_execution - 1, {"outputs": outputs})
        cbs.on_predict_end()
    if not chunks:
        raise ValueError(
            "predict() got no batches from `x`: the data is empty (or `steps=0`). "
            f"Received: x of type {type(x).__name__}"
        )
    _wait_for(spec.device)
    flat = [_to_numpy(torch.cat([chunk[i] for chunk in chunks])) for i in range(len(chunks[0]))]
    return spec.pack_outputs(flat)


def _concat_outputs(outputs):
    """The outputs of an execution's batches (tensors, or lists or dicts of them) joined
    along the batch axis, in the same structure."""
    first = outputs[0]
    if isinstance(first, dict):
        return {key: torch.cat([out[key] for out in outputs]) for key in first}
    if isinstance(first, (list, tuple)):
        return type(first)(torch.cat(parts) for parts in zip(*outputs))
    return torch.cat(outputs)


def _to_host(tensor):
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(
            "predict() needs the module to return tensors (one, a list or a dict). "
            f"Received: an output of type {type(tensor).__name__}"
        )
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


def train_on_batch(
    module, x, y=None, sample_weight=None, class_weight=None, reset_metrics=True, return_dict=False
):
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
    _build_from_data(module, x, state)
    spec = data_lib.ModelSpec(module)
    _adopt_outputs(state, spec)
    _set_precision(state, spec)
    xs, ys, sws = _one_batch(state, spec, x, y, sample_weight)
    if not state.has_loss and not _may_add_loss(module):
        raise ValueError(
            "train_on_batch() needs a loss to minimize, but compile() was given none. "
            "Call compile(loss=...) first. Received: loss=None"
        )
    if class_weight:
        sws = _ClassWeights(class_weight, state, spec)(ys, sws)
    if reset_metrics:
        state.reset_metrics()
    train_step = _custom_step(module, "train_step", state, spec) or step_lib.train_step(
        state, spec, _jit_options()
    )
    with _mode(module, training=True):
        train_step(xs, ys, sws)
    return _results(state, state.read_logs(), return_dict)


def test_on_batch(module, x, y=None, sample_weight=None, reset_metrics=True, return_dict=False):
    """The loss and metrics on one batch, without updating (Keras's `test_on_batch`)."""
    state = get_state(module, "test_on_batch")
    _build_from_data(module, x)
    spec = data_lib.ModelSpec(module)
    _adopt_outputs(state, spec)
    _set_precision(state, spec)
    xs, ys, sws = _one_batch(state, spec, x, y, sample_weight)
    if reset_metrics:
        state.reset_metrics()
    test_step = _custom_step(module, "test_step", state, spec) or step_lib.test_step(
        state, spec, _jit_options()
    )
    with _mode(module, training=False), torch.no_grad():
        test_step(xs, ys, sws)
    return _results(state, state.read_logs(), return_dict)


def predict_on_batch(module, x):
    """The module's outputs on one batch, as numpy arrays (Keras's `predict_on_batch`)."""
    _build_from_data(module, x)
    spec = data_lib.ModelSpec(module)
    xs = data_lib.array_inputs(spec, x)
    with _mode(module, training=False), torch.inference_mode(), _Precision(spec.device).autocast():
        outputs = spec.call(xs)
        spec.learn_outputs(outputs)
        flat = [_to_host(t) for t in spec.flatten_outputs(outputs)]
    _wait_for(spec.device)
    return spec.pack_outputs([_to_numpy(t) for t in flat])


def _one_batch(state, spec, x, y, sample_weight):
    if not data_lib.is_array_like(x):
        raise TypeError(
            "The *_on_batch functions take one batch of arrays or tensors (or a list or dict "
            f"of them). Received: x of type {type(x).__name__}"
        )
    xs = data_lib.array_inputs(spec, x)
    _bind(state, spec, xs)
    _check_sparse_labels(state, spec.flatten_y(y), host_only=True)
    ys, sws = data_lib.array_targets(spec, y, sample_weight)
    data_lib.check_sample_counts(data_lib._named(spec, xs, ys, sws))
    _check_targets(state, ys, "y")
    return xs, ys, sws


# ---------------------------------------------------------------------------- small helpers


def _may_add_loss(module):
    """Whether the loss may come from the model itself: `add_loss`, or an overridden
    `train_step` (then `compile(optimizer=...)` alone is legal, as in Keras)."""
    return callable(getattr(module, "regularization_losses", None)) or _overridden(
        module, "train_step"
    )


def _overridden(module, kind):
    method = getattr(type(module), kind, None)
    return method is not None and not getattr(method, "_plait_default", False)


def _custom_step(module, kind, state, spec):
    """The user's own `train_step`/`test_step`/`predict_step` (Keras 3's pattern: it gets
    `data` — `x`, `(x, y)` or `(x, y, sample_weight)` — and returns a dict of logs, or the
    predictions), as a step of the loop; None for the built-in steps. Looked up once per
    fit/evaluate/predict, not per batch."""
    if not _overridden(module, kind):
        return None
    method = getattr(module, kind)

    def pack(values):
        return values[0] if len(values) == 1 else list(values)

    def inputs(xs):
        args, kwargs = spec.call_args(xs)
        return args[0] if len(args) == 1 and not kwargs else (kwargs or list(args))

    if kind == "predict_step":
        return lambda xs: method(inputs(xs))

    def step(xs, ys, sws):
        x = inputs(xs)
        y = None if ys is None or all(v is None for v in ys) else pack(ys)
        sw = None if sws is None or all(v is None for v in sws) else pack(sws)
        data = x if y is None and sw is None else (x, y) if sw is None else (x, y, sw)
        logs = method(data)
        if state is not None:
            state.custom_logs = dict(logs) if isinstance(logs, dict) else {"loss": logs}

    return step


def _build_from_data(module, x, state=None):
    """Build a plait model that has no input shape yet (a Sequential without one, a
    subclassed model) on the first rows of in-memory `x`, in inference mode, without
    gradients; then give the optimizer the parameters made after `compile`."""
    if (
        getattr(module, "built", True) is False
        and getattr(module, "_keras_call_convention", False)
        and data_lib.is_array_like(x)
        and x is not None
    ):
        device = data_lib.module_device(module)

        def first_rows(value):
            if isinstance(value, dict):
                return {k: first_rows(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)) and not data_lib._is_list_of_scalars(value):
                return [first_rows(v) for v in value]
            return data_lib.to_tensor(value, device, torch.float32)[:2]

        with _mode(module, training=False), torch.no_grad():
            module(first_rows(x))
        module.clear_added_losses()
        built = True
    else:
        built = False
    if state is not None and (built or getattr(state.optimizer, "built", True) is False):
        state.optimizer.build([p for p in module.parameters() if p.requires_grad])


def _build_from_source(module, spec, source, state):
    """Build a plait model with no input shape yet on the first batch of a DataLoader,
    Dataset, PyDataset or generator (arrays were handled by `_build_from_data`), so that
    the optimizer, the DDP wrapper and the compiled step see every weight from the first
    step. A generator's first batch is put back in front of it; a re-iterable source is
    read once more from the start."""
    if getattr(module, "built", True) is not False or not getattr(
        module, "_keras_call_convention", False
    ):
        return
    if isinstance(source, data_lib.GeneratorSource):
        try:
            item = next(source.iterator)
        except StopIteration:
            return  # no data: fit warns that the input ran out
        source.iterator = itertools.chain([item], source.iterator)
    elif isinstance(source, data_lib.LoaderSource):
        item = _first_item(source.loader)
        if item is None:
            return
    else:
        return
    xs = source.convert(item)[0]
    with _mode(module, training=False), torch.no_grad():
        spec.call(xs)
    module.clear_added_losses()
    state.optimizer.build([p for p in module.parameters() if p.requires_grad])


def _first_item(loader):
    """The first batch of a re-iterable source, read without starting an epoch (no
    `on_epoch_begin`, no shuffle drawn, no worker pool): by index where there is one."""
    if isinstance(loader, epoch_batches):  # a PyDataset
        return None if loader.count == 0 else loader.dataset[0]
    dataset = getattr(loader, "dataset", None)
    if isinstance(loader, torch.utils.data.DataLoader) and not isinstance(
        dataset, torch.utils.data.IterableDataset
    ):
        if len(dataset) == 0:
            return None
        first = dataset[0]
        return loader.collate_fn(first if loader.batch_size is None else [first])
    iterator = iter(loader)
    item = next(iterator, None)
    shutdown = getattr(iterator, "_shutdown_workers", None)  # a DataLoader's worker pool
    if callable(shutdown):
        shutdown()
    return item


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
            f"Received: {argument}={value!r}"
        )


def _check_optional_steps(value, argument):
    if value is not None:
        _check_positive_int(value, argument)


def _check_fit_arguments(
    epochs,
    batch_size,
    validation_batch_size,
    steps_per_epoch,
    validation_steps,
    validation_freq,
    shuffle,
):
    _check_positive_int(epochs, "epochs", allow_zero=True)
    _check_batch_size(batch_size, "batch_size")
    _check_batch_size(validation_batch_size, "validation_batch_size")
    _check_optional_steps(steps_per_epoch, "steps_per_epoch")
    _check_optional_steps(validation_steps, "validation_steps")
    _check_validation_freq(validation_freq)
    if shuffle not in (True, False, "batch"):
        raise ValueError(f"`shuffle` must be True, False or 'batch'. Received: shuffle={shuffle!r}")


def _check_validation_freq(value):
    if isinstance(value, bool):
        raise TypeError(
            f"`validation_freq` must be an integer or a list of epochs. "
            f"Received: validation_freq={value!r}"
        )
    if isinstance(value, numbers.Integral):
        if value < 1:
            raise ValueError(
                f"`validation_freq` must be a positive integer. Received: validation_freq={value!r}"
            )
        return
    if not hasattr(value, "__contains__"):
        raise TypeError(
            f"`validation_freq` must be an integer or a list of epochs. "
            f"Received: validation_freq={value!r}"
        )
