"""The epoch runner of fit, evaluate and predict: the loops over batches and their hooks.

Per step the loop runs the step (forward, loss, backward, update) and the callbacks' batch
hooks, nothing else on the host: metrics accumulate as tensors on the device and are read
once per epoch. `executions` groups the batches for `steps_per_execution`.
"""

import warnings

import torch

from plait import callbacks as callbacks_module
from plait.training import data as data_lib, faults, steps as step_lib
from plait.training.building import custom_step
from plait.training.modes import mode as _mode
from plait.training.precision import Precision
from plait.training.sub_batches import concat_outputs
from plait.training.targets import (
    check_sparse_labels as _check_sparse_labels,
    check_targets as _check_targets,
)

__all__ = [
    "run_epochs",
    "run_test",
    "run_predict",
    "validation_source",
    "steps_per_execution",
    "executions",
    "to_host",
    "wait_for",
    "to_numpy",
]


def run_epochs(
    module,
    state,
    spec,
    batches,
    val_batches,
    cbs,
    initial_epoch,
    epochs,
    validation_freq,
    runner,
    jit,
):
    """fit's epochs, from `initial_epoch` (or where BackupAndRestore resumes) to `epochs - 1`;
    returns the last epoch's logs. Call it after `on_train_begin`.

    Per batch only the step and the callbacks' batch hooks run; the loss and metrics are
    read once per epoch. `jit`: the `steps.JitOptions` for a compiled step."""
    resume = module.__dict__.pop("_initial_epoch", None)  # set by BackupAndRestore
    start = initial_epoch if resume is None else resume
    start = runner.broadcast_int(start)  # every process resumes where rank 0 does
    train_step = custom_step(module, "train_step", state, spec) or runner.train_step(
        state, spec, jit
    )
    train_step = faults.guard_train_step(train_step, module, state)
    # A stop asked for in a batch hook stops every process after that batch: the flag is
    # reduced after each batch, but only when a callback of the user's has batch hooks.
    stop_each_batch = runner.stops_mid_epoch or _user_batch_hooks(cbs)
    per_execution = steps_per_execution(state)
    logs = {}
    for epoch in range(start, epochs):
        state.reset_metrics()
        cbs.on_epoch_begin(epoch)
        module.stop_training = runner.any_true(module.stop_training)
        steps_done = 0
        for step, group in executions(batches.epoch(), per_execution):
            cbs.on_train_batch_begin(step)
            if per_execution == 1:
                # The step's outputs and loss live until the next step's exist, as a
                # hand-written loop's variables do. Freed at the step's end, they left the
                # top of glibc's heap empty, which it then gave back to the kernel, and the
                # next step faulted its activations in again: a CNN's fit at batch 32 ran
                # 0.65-0.7x a hand-written loop (bench/ANALYSIS.md).
                held = train_step(*group)  # noqa: F841 - held on purpose (above)
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
            logs.update(_validation_logs(module, state, spec, val_batches, cbs, runner, jit))
        cbs.on_epoch_end(epoch, logs)
        module.stop_training = runner.any_true(module.stop_training)
        if module.stop_training or batches.ran_out:
            break
    if epochs > start:  # as Keras: use_ema's averages become the weights
        state.optimizer.finalize_variable_values(list(module.parameters()))
    return logs


def steps_per_execution(state):
    return getattr(state, "steps_per_execution", 1) or 1


def executions(steps, per_execution):
    """`(step, batch)` pairs of an epoch as executions of `per_execution` batches, as
    Keras's EpochIterator groups them: `(first step, batch)` for 1, else
    `(first step, [batch, ...])`, the last execution shorter when the batches run out."""
    if per_execution == 1:
        return steps  # as they are: a generator around them costs a microsecond a batch
    return _grouped(steps, per_execution)


def _grouped(steps, per_execution):
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


def _validation_logs(module, state, spec, val_batches, cbs, runner, jit):
    logs = run_test(module, state, spec, val_batches, cbs, jit, runner)
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


def validation_source(state, spec, validation_data, batch_size, shard=None):
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


def run_test(module, state, spec, batches, cbs, jit, runner=None):
    """One pass of test steps; under data-parallel training (`runner`), each process runs
    its shard and the metric states are summed over the processes before they are read."""
    state.reset_metrics()
    test_step = custom_step(module, "test_step", state, spec) or step_lib.test_step(
        state, spec, jit
    )
    test_step = faults.guard_test_step(test_step, module, what="evaluate()")
    steps = 0
    per_execution = steps_per_execution(state)
    with _mode(module, training=False), torch.no_grad():
        cbs.on_test_begin()
        for step, group in executions(batches.epoch(), per_execution):
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


def run_predict(module, state, spec, batches, cbs, forward):
    """predict's pass over the batches in eval mode, under `torch.inference_mode()` and the
    precision policy's autocast; returns the flat outputs of each batch, on the host (their
    copies may still be in flight: `wait_for(spec.device)` before reading them).

    Per batch, only what is needed: hooks that do nothing are not called, and outputs
    already on the host are checked once, not copied (a small model's batch costs only
    tens of microseconds). With steps_per_execution=N the batch hooks see executions of N
    batches, as in Keras (the end hook gets the execution's outputs, concatenated)."""
    chunks = []
    on_device = False  # whether outputs come off a device (known from the first batch)
    batch_hooks = cbs.overrides("on_predict_batch_begin", "on_predict_batch_end")
    per_execution = 1 if state is None else steps_per_execution(state)
    with (
        _mode(module, training=False),
        torch.inference_mode(),
        Precision(spec.device).autocast(),
        data_lib.closing(batches),
    ):
        cbs.on_predict_begin()
        for step, group in executions(batches.epoch(), per_execution):
            if batch_hooks:
                cbs.on_predict_batch_begin(step)
            executed = []
            for xs, _, _ in group if per_execution > 1 else (group,):
                outputs = forward(xs)
                if batch_hooks and per_execution > 1:
                    executed.append(outputs)
                if chunks:
                    flat = spec.flatten_outputs(outputs)
                    chunks.append([to_host(t) for t in flat] if on_device else flat)
                else:
                    spec.learn_outputs(outputs)
                    flat = [to_host(t) for t in spec.flatten_outputs(outputs)]
                    on_device = any(t.device.type != "cpu" for t in flat)
                    chunks.append(flat)
            if batch_hooks:
                if per_execution > 1:
                    outputs = concat_outputs(executed)
                cbs.on_predict_batch_end(step + per_execution - 1, {"outputs": outputs})
        cbs.on_predict_end()
    return chunks


def to_host(tensor):
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(
            "predict() needs the module to return tensors (one, a list or a dict). "
            f"Received: an output of type {type(tensor).__name__}"
        )
    if tensor.device.type == "cpu":
        return tensor
    return tensor.to("cpu", non_blocking=True)


def wait_for(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def to_numpy(tensor):
    if tensor.dtype in (torch.bfloat16,):
        tensor = tensor.float()
    return tensor.numpy()
