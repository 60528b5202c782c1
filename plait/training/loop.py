"""fit, evaluate, predict and the `*_on_batch` functions, with Keras's arguments and meaning.

Per step the loop runs the forward, the loss, the backward and the optimizer update and
nothing else on the host: metrics accumulate as tensors on the device, and values are read
(one transfer) at the end of an epoch, or when the progress bar or a callback asks.

This file is the public API: what each call sets up once before its first batch. The rest
lives by job: `epoch_loop.py` (the loops over epochs and batches, and their hooks),
`building.py` (building a model on its first data, the user's own steps), `arguments.py`
(argument checks), `data/` (data to batches), `steps.py` (eager, compiled and measured
steps), `targets.py` (outputs, targets, class weights), `precision.py` (mixed precision),
`distributed.py` (the runner: data-parallel or a single process).
"""

import torch

from plait import callbacks as callbacks_module
from plait.training import data as data_lib, distributed, steps as step_lib
from plait.training import faults
from plait.training.arguments import (
    check_batch_size as _check_batch_size,
    check_fit_arguments as _check_fit_arguments,
    check_optional_steps as _check_optional_steps,
    resolve_verbose as _resolve_verbose,
)
from plait.training.building import (
    build_from_data as _build_from_data,
    build_from_source as _build_from_source,
    custom_step as _custom_step,
    may_add_loss as _may_add_loss,
)
from plait.training.compile import get_state
from plait.training.epoch_loop import (
    run_epochs as _run_epochs,
    run_predict as _run_predict,
    run_test as _run_test,
    to_host as _to_host,
    to_numpy as _to_numpy,
    validation_source as _validation_source,
    wait_for as _wait_for,
)
from plait.training.modes import mode as _mode
from plait.training.precision import Precision as _Precision, set_precision as _set_precision
from plait.training.steps import FasterStep as _FasterStep  # noqa: F401 (tests use it)
from plait.training.steps import JitTrainStep as _JitTrainStep  # noqa: F401 (tests use it)
from plait.training.sub_batches import in_sub_batches, slice_choice, sub_batch_rows
from plait.training.targets import (
    ClassWeights as _ClassWeights,
    adopt_outputs as _adopt_outputs,
    bind as _bind,
    check_sparse_labels as _check_sparse_labels,
    check_targets as _check_targets,
    warn_single_class as _warn_single_class,
)

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
    split = bool(validation_split) and validation_data is None
    if split:
        (x, y, sample_weight), validation_data = data_lib.split_for_validation(
            x, y, sample_weight, validation_split
        )
    source = _training_source(
        state, spec, runner, x, y, sample_weight, batch_size, shuffle, class_weight
    )
    runner.warn_if_unsharded(source)
    _check_training_source(module, state, spec, source)
    if split:
        _warn_single_class(spec, y, validation_data[1], validation_split)
    val_batches = _validation_batches(
        state, spec, validation_data, validation_batch_size or batch_size, validation_steps, runner
    )
    batches = data_lib.EpochIterator(source, steps_per_epoch)
    cbs = _fit_callbacks(module, callbacks, verbose, runner, epochs, batches, val_batches)
    module.stop_training = False
    module.history = cbs.history  # Keras: there from on_train_begin
    _train(
        module,
        state,
        spec,
        batches,
        val_batches,
        cbs,
        runner,
        initial_epoch,
        epochs,
        validation_freq,
    )
    runner.barrier()  # no process runs ahead into what follows (another fit, a save)
    module.history = cbs.history
    return cbs.history


def _train(
    module, state, spec, batches, val_batches, cbs, runner, initial_epoch, epochs, validation_freq
):
    """fit's epochs between the callbacks' `on_train_begin` and `on_train_end`, with every
    layer in training mode and Ctrl-C held until the running step ends."""
    with (
        _mode(module, training=True),
        faults.interrupts_at_step_ends(),
        data_lib.closing(batches, val_batches),
    ):
        cbs.on_train_begin()
        try:
            logs = _run_epochs(
                module,
                state,
                spec,
                batches,
                val_batches,
                cbs,
                initial_epoch=initial_epoch,
                epochs=epochs,
                validation_freq=validation_freq,
                runner=runner,
                jit=_jit_options(),
            )
        except KeyboardInterrupt:
            # Ctrl-C still ends training for the callbacks (logs written, files closed);
            # BackupAndRestore sees the epochs unfinished and keeps its backup.
            cbs.on_train_end(_last_epoch_logs(cbs.history))
            raise
        cbs.on_train_end(logs)


def _last_epoch_logs(history):
    """The logs of the last finished epoch (empty when none finished)."""
    return {name: values[-1] for name, values in history.history.items() if values}


def _training_source(state, spec, runner, x, y, sample_weight, batch_size, shuffle, class_weight):
    """fit's batch source: the targets checked against the compiled losses as they come,
    class weights applied, the data sharded under data-parallel training."""
    class_weight_fn = _ClassWeights(class_weight, state, spec) if class_weight else None
    return data_lib.make_source(
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


def _check_training_source(module, state, spec, source):
    """Build a model without input shapes on the first batch, then check that there is a
    loss to minimize and (for in-memory data, once) that sparse labels fit the outputs."""
    _build_from_source(module, spec, source, state)
    if not state.has_loss and not _may_add_loss(module):
        raise ValueError(
            "fit() needs a loss to minimize, but compile() was given none for any output. "
            "Call compile(loss=...) first. Received: loss=None"
        )
    if isinstance(source, data_lib.ArraySource):
        _check_sparse_labels(state, source.ys)


def _validation_batches(state, spec, validation_data, batch_size, steps, runner):
    """The validation batches of a fit (None without validation data): evaluated once per
    validated epoch, split among the processes under data-parallel training."""
    if validation_data is None:
        return None
    source = _validation_source(state, spec, validation_data, batch_size, runner.eval_shard())
    return data_lib.EpochIterator(source, steps, repeat=False)


def _fit_callbacks(module, callbacks, verbose, runner, epochs, batches, val_batches):
    """The user's callbacks with History and (unless `verbose` is 0, or this process is not
    the chief of a data-parallel fit) the progress bar."""
    verbose = _resolve_verbose(verbose)
    if not runner.is_chief:
        verbose = 0
    return callbacks_module.CallbackList(
        callbacks,
        add_history=True,
        add_progbar=verbose != 0,
        model=module,
        verbose=verbose,
        epochs=epochs,
        steps=batches.steps,
        do_validation=val_batches is not None,
    )


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
        logs = _run_test(module, state, spec, batches, cbs, _jit_options())
    if logs is None:
        raise ValueError(
            "evaluate() got no batches from `x`: the data is empty (or `steps=0`). "
            f"Received: x of type {type(x).__name__}"
        )
    return _results(state, logs, return_dict)


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
    custom = _custom_step(module, "predict_step", state, spec)
    forward = custom or step_lib.predict_step(state, spec, _jit_options())
    rows = None if custom else sub_batch_rows(module, spec.device)
    if rows is not None and (batch_size is None or batch_size >= 2 * rows):  # sub_batches.py
        # A compiled forward is not timed against whole batches: that would compile twice.
        compiled = state is not None and state.jit_compile
        choice = None if compiled else slice_choice(module, rows, batch_size)
        forward = in_sub_batches(forward, rows, choice)
    forward = faults.guard_predict(forward, module, batch_size)
    chunks = _run_predict(module, state, spec, batches, cbs, forward)
    if not chunks:
        raise ValueError(
            "predict() got no batches from `x`: the data is empty (or `steps=0`). "
            f"Received: x of type {type(x).__name__}"
        )
    _wait_for(spec.device)
    flat = [_to_numpy(torch.cat([chunk[i] for chunk in chunks])) for i in range(len(chunks[0]))]
    return spec.pack_outputs(flat)


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
    # the first call copies the update state to undo a failed update (UNDO_UPDATES)
    first, state.trained_on_batch = not state.trained_on_batch, True
    train_step = faults.guard_train_step(
        train_step, module, state, what="train_on_batch()", first=first
    )
    with _mode(module, training=True), faults.interrupts_at_step_ends():
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
    test_step = faults.guard_test_step(test_step, module, what="test_on_batch()")
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
    data_lib.check_sample_counts(data_lib.named_tensors(spec, xs, ys, sws))
    _check_targets(state, ys, "y")
    return xs, ys, sws
