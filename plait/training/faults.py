"""Faults during training: out-of-memory errors and Ctrl-C, with the model left consistent.

What `fit` promises (and `evaluate`, `predict`, `train_on_batch` where it applies):

- Ctrl-C (SIGINT, the default handler) during a training step does not stop the step
  midway: the step finishes and `KeyboardInterrupt` is raised right after it, so the
  weights and the optimizer state are those of the last completed step, never a
  half-applied update. A second Ctrl-C while the step runs stops at once (for a step that
  hangs). Outside a step (data loading, callbacks) Ctrl-C stops at once, as usual. The
  interrupted fit still runs the callbacks' `on_train_end` (with the last finished epoch's
  logs), so loggers write and close their files; unlike Keras, which skips it.
  `BackupAndRestore` sees that the epochs did not all run and keeps its backup to resume
  from. `model.history` holds the epochs finished so far, and every layer's training mode
  is given back.
- An out-of-memory error (`torch.OutOfMemoryError` on CUDA, the CPU allocator's
  "can't allocate memory" RuntimeError) becomes an `OutOfMemoryError` (a subclass of
  `torch.OutOfMemoryError`, so existing `except` clauses still catch it) that names the
  call, the model, the batch size, the failed allocation and the largest weight, and
  suggests a smaller `batch_size`. The step's gradients are dropped (their memory freed)
  and the model is put back as it was before the failing step:

  * a failure in the forward or backward pass changes no weight and no optimizer state;
    the buffers that a forward updates (BatchNormalization's moving statistics) are copied
    before every step and put back;
  * a failure inside the optimizer update (after the backward pass) is undone from a copy
    of the weights and the optimizer state. That copy costs a copy of the model per step,
    so by default (`UNDO_UPDATES = "first"`) it is taken for the first step of each `fit`
    and the first `train_on_batch` of a compiled model only, where lazily made state and
    the first allocations fail, and only for a model whose trainable weights take at most
    `UNDO_FIRST_MAX_BYTES` (64 MiB: a larger copy would raise the peak memory of fit by
    about three times the weights); `UNDO_UPDATES = True`
    takes it before every step, `False` never. Without a copy the error says so: some
    weights may then hold part of that step's update.

Example:
    >>> import plait, numpy as np
    >>> model = plait.Sequential([plait.layers.Input((2,)), plait.layers.Dense(1)])
    >>> _ = model.compile(optimizer="sgd", loss="mse")
    >>> def too_big(*args):
    ...     raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 9.00 GiB")
    >>> before = [w.copy() for w in model.get_weights()]
    >>> model.layers[0].forward = too_big
    >>> try:
    ...     model.fit(np.ones((8, 2)), np.ones((8, 1)), batch_size=8, verbose=0)
    ... except torch.OutOfMemoryError as error:
    ...     print(error.batch_size, error.restored)
    8 True
    >>> all((a == b).all() for a, b in zip(before, model.get_weights()))
    True
"""

import contextlib
import os
import re
import signal
import sys
import threading
import traceback
import warnings

import torch

__all__ = [
    "OutOfMemoryError",
    "UNDO_UPDATES",
    "guard_predict",
    "guard_test_step",
    "guard_train_step",
    "interrupts_at_step_ends",
    "is_out_of_memory",
]

# When the guard copies the weights and the optimizer state before a training step, so
# that a failure inside the optimizer update can be undone: "first" (the first step of each
# fit, and the first train_on_batch after compile), True (every step) or False (never).
UNDO_UPDATES: "bool | str" = "first"
# "first" copies a model only while its trainable weights take at most this many bytes: the
# copy of the weights and the optimizer state lasts through the step, so for a large model
# it would raise fit's peak memory by about three times the weights (ResNet50, 98 MiB of
# weights: 600 MiB peak instead of 422), just where running out of memory is likeliest.
UNDO_FIRST_MAX_BYTES = 64 * 2**20

_CPU_ALLOCATOR = re.compile(r"can't allocate memory|DefaultCPUAllocator|Cannot allocate memory")
_REQUEST = re.compile(
    r"[Tt]ried to allocate ([0-9.]+ ?[KMGT]?i?B)|you tried to allocate (\d+) bytes"
)


class OutOfMemoryError(torch.OutOfMemoryError):
    """The memory ran out in `fit`, `evaluate`, `predict` or `train_on_batch`.

    Attributes:
        batch_size: the samples in the batch that failed.
        restored: whether the model (weights, buffers, optimizer state) is as it was
            before the failing step.
    """

    def __init__(self, message, batch_size=None, restored=True):
        super().__init__(message)
        self.batch_size = batch_size
        self.restored = restored


def is_out_of_memory(error: BaseException) -> bool:
    """Whether `error` says an allocation failed (on CUDA, another accelerator or CPU).

    Example:
        >>> is_out_of_memory(torch.OutOfMemoryError("CUDA out of memory"))
        True
        >>> is_out_of_memory(RuntimeError("mat1 and mat2 shapes cannot be multiplied"))
        False
    """
    if isinstance(error, torch.OutOfMemoryError):
        return True
    if not isinstance(error, RuntimeError):
        return False
    text = str(error)
    return bool(_CPU_ALLOCATOR.search(text)) or "out of memory" in text.lower()


# ---------------------------------------------------------------------------- Ctrl-C


class _Interrupts(threading.local):
    in_step = False  # a guarded step is running: a first Ctrl-C waits for its end
    pending = False  # a Ctrl-C came during the step


_flags = _Interrupts()


def _on_sigint(signum, frame):
    if _flags.in_step and not _flags.pending:
        _flags.pending = True
        sys.stderr.write(
            "\nInterrupted: stopping after this training step (Ctrl-C again stops now).\n"
        )
        return
    _flags.pending = False
    raise KeyboardInterrupt


@contextlib.contextmanager
def interrupts_at_step_ends():
    """Within the block, a Ctrl-C during a guarded training step is raised when the step
    ends. Only in the main thread, and only where SIGINT has Python's default handler (a
    program's own handler is left alone)."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    _flags.pending = False
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        pending, _flags.pending = _flags.pending, False
        if pending and sys.exc_info()[0] is None:
            raise KeyboardInterrupt


# ---------------------------------------------------------------------------- state copies


class _Copy:
    """Copies of tensors (made once, refreshed in place) to put back after a failure.

    With `changing_only`, after the first step only the tensors that step changed in place
    (their version counter moved: BatchNormalization's statistics, not constant buffers)
    are copied again."""

    def __init__(self, tensors, changing_only=False):
        self.live = [t for t in tensors if isinstance(t, torch.Tensor)]
        self.saved = None
        self.changing_only = changing_only
        self.versions = None

    def take(self):
        if not self.live:
            return
        with torch.no_grad():
            if self.saved is None:
                self.saved = [t.detach().clone() for t in self.live]
                if self.changing_only:
                    self.versions = [t._version for t in self.live]
            else:
                if self.versions is not None:
                    self._narrow()
                if self.live:
                    torch._foreach_copy_(self.saved, [t.detach() for t in self.live])

    def _narrow(self):
        keep = [i for i, t in enumerate(self.live) if t._version != self.versions[i]]
        self.live = [self.live[i] for i in keep]
        self.saved = [self.saved[i] for i in keep]
        self.versions = None

    def put_back(self):
        if self.saved is None:
            return
        with torch.no_grad():
            for live, saved in zip(self.live, self.saved):
                live.copy_(saved)

    def drop(self):
        self.saved = None


def _forward_state(module):
    """The tensors a forward pass may change in place: the buffers."""
    return list(module.buffers())


def _update_state(module, optimizer):
    """The tensors an optimizer update changes: trainable weights and optimizer slots."""
    tensors = [p for p in module.parameters() if p.requires_grad]
    slots = getattr(optimizer, "_slots", None)
    if isinstance(slots, dict):
        tensors += [t for values in slots.values() for t in values if t is not None]
    tensors += list(getattr(optimizer, "_extra_variables", ()))
    extra = getattr(optimizer, "_extra_state_tensors", None)
    if callable(extra):
        tensors += list(extra())
    inner = getattr(optimizer, "inner_optimizer", None)
    if inner is not None and inner is not optimizer:
        tensors += _update_state(torch.nn.Module(), inner)
    torch_opt = getattr(optimizer, "state", None)
    if isinstance(torch_opt, dict):  # a torch.optim optimizer
        tensors += [v for s in torch_opt.values() for v in s.values() if torch.is_tensor(v)]
    return tensors


def _counters(optimizer):
    inner = getattr(optimizer, "inner_optimizer", None)
    own = (getattr(optimizer, "_iterations", None), getattr(optimizer, "_learning_rate", None))
    return own + (_counters(inner) if inner is not None and inner is not optimizer else ())


def _set_counters(optimizer, values):
    iterations, lr, *rest = values
    if iterations is not None:
        optimizer._iterations = iterations
    if lr is not None:
        optimizer._learning_rate = lr
    inner = getattr(optimizer, "inner_optimizer", None)
    if rest and inner is not None:
        _set_counters(inner, rest)


# ---------------------------------------------------------------------------- the guard


class _TrainGuard:
    """A training step that leaves the model consistent when it fails (see the module's
    docstring)."""

    def __init__(self, step, module, optimizer, what, batch_size):
        self.step = step
        self.module = module
        self.optimizer = optimizer
        self.what = what
        self.batch_size = batch_size
        self.forward_state = _Copy(_forward_state(module), changing_only=True)
        self.update_state = None
        self.counters = None
        self.calls = 0
        if getattr(step, "group", None) is not None:  # steps_per_execution's N-step graph
            self.group = self._group

    def __call__(self, xs, ys, sws):
        return self._run(lambda: self.step(xs, ys, sws), xs)

    def _group(self, batches):
        """The N steps of one execution (`steps.run_group`), guarded as one step."""
        return self._run(lambda: self.step.group(batches), batches[0][0])

    def _run(self, step, xs):
        undo = UNDO_UPDATES is True or (
            UNDO_UPDATES == "first" and self.calls == 0 and self._small_enough_to_copy()
        )
        self.calls += 1
        try:
            self.forward_state.take()
            if undo:
                self._copy_update_state()
        except BaseException as error:  # the copy itself ran out: nothing changed yet
            if not is_out_of_memory(error):
                raise
            self._drop_copies()
            undo = False
        _flags.in_step = True
        try:
            result = step()
        except BaseException as error:
            _flags.in_step = False
            failure = error
        else:
            _flags.in_step = False
            if undo:
                self.update_state.drop()  # the copy's memory is the model's again
            if _flags.pending:
                _flags.pending = False
                raise KeyboardInterrupt
            return result
        # Handled outside the `except` block: its traceback holds the step's activations.
        restored = self._restore(failure, undo)
        if not is_out_of_memory(failure):
            if not restored and isinstance(failure, KeyboardInterrupt):
                warnings.warn(
                    f"{self.what} was stopped inside the optimizer update: some weights may "
                    "hold part of that step's update.",
                    RuntimeWarning,
                    stacklevel=2,
                )
            raise failure
        oom = _oom_error(failure, self.what, self.module, xs, self.batch_size, restored)
        traceback.clear_frames(failure.__traceback__)
        del failure
        raise oom

    def _small_enough_to_copy(self):
        weights = (p for p in self.module.parameters() if p.requires_grad)
        return sum(p.numel() * p.element_size() for p in weights) <= UNDO_FIRST_MAX_BYTES

    def _copy_update_state(self):
        if self.update_state is None:
            self.update_state = _Copy(_update_state(self.module, self.optimizer))
        self.update_state.take()
        self.counters = _counters(self.optimizer)

    def _drop_copies(self):
        self.forward_state.drop()
        if self.update_state is not None:
            self.update_state.drop()

    def _restore(self, failure, undo):
        """Put the model back; whether it is now as before the step."""
        _drop_gradients(self.module)
        self.forward_state.put_back()
        if undo and self.update_state is not None:
            self.update_state.put_back()
            self.update_state.drop()
            _set_counters(self.optimizer, self.counters)
            return True
        return not _in_update(failure, self.optimizer)


def _drop_gradients(module):
    for p in module.parameters():
        p.grad = None


_UPDATE_FILES = (
    os.sep + os.path.join("plait", "optimizers") + os.sep,
    os.sep + os.path.join("torch", "optim") + os.sep,
    os.sep + os.path.join("torch", "amp", "grad_scaler.py"),
)


def _in_update(error, optimizer):
    """Whether `error` was raised inside the optimizer update (or inside a compiled step
    whose update cannot be told apart from its forward), read from its traceback."""
    tb = error.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        owner = frame.f_locals.get("self")
        if owner is optimizer or any(part in frame.f_code.co_filename for part in _UPDATE_FILES):
            return True
        if getattr(owner, "what", None) == "the optimizer update":  # steps.Compiled
            return True
        if getattr(owner, "one_graph", None) is not None:  # forward and update in one graph
            return True
        tb = tb.tb_next
    return False


def guard_train_step(step, module, state, batch_size=None, what="fit()", first=True):
    """`step(xs, ys, sws)` made safe against Ctrl-C and out-of-memory errors.

    Args:
        step: the training step.
        module: the model.
        state: its compiled state (for the optimizer).
        batch_size: the `batch_size` argument, named in the error. Default None.
        what: the call, for messages. Default "fit()".
        first: whether the guard's first step is the first of its run, which
            `UNDO_UPDATES = "first"` copies the update state for. False for the second and
            later `train_on_batch` calls, each of which makes its own guard. Default True.

    Returns:
        A callable with the step's signature.
    """
    guard = _TrainGuard(step, module, state.optimizer, what, batch_size)
    guard.calls = 0 if first else 1
    return guard


def guard_test_step(step, module, batch_size=None, what="evaluate()"):
    """`step(xs, ys, sws)` whose out-of-memory errors become `OutOfMemoryError`."""

    def guarded(xs, ys, sws):
        try:
            return step(xs, ys, sws)
        except RuntimeError as error:
            if not is_out_of_memory(error):
                raise
            failure = error
        raise _oom_error(failure, what, module, xs, batch_size, True)

    return guarded


def guard_predict(forward, module, batch_size=None):
    """`forward(xs)` whose out-of-memory errors become `OutOfMemoryError`."""

    def guarded(xs):
        try:
            return forward(xs)
        except RuntimeError as error:
            if not is_out_of_memory(error):
                raise
            failure = error
        raise _oom_error(failure, "predict()", module, xs, batch_size, True)

    return guarded


# ---------------------------------------------------------------------------- the message


def _oom_error(failure, what, module, xs, batch_size, restored):
    rows = _rows(xs)
    name = getattr(module, "name", None) or type(module).__name__
    given = "" if batch_size is None else f" (batch_size={batch_size})"
    parts = [f"{what} ran out of memory on model '{name}' with a batch of {rows} samples{given}."]
    request = _request(str(failure))
    largest = _largest_weight(module)
    if request or largest:
        parts.append(
            "; ".join(p for p in (request and f"It failed to allocate {request}", largest) if p)
            + "."
        )
    if what.startswith("fit") or what.startswith("train_on_batch"):
        parts.append(
            "The weights and the optimizer state are those of the last completed step."
            if restored
            else "The failure came inside the optimizer update: some weights may hold part "
            "of that step's update (reload a checkpoint; plait.training.faults.UNDO_UPDATES "
            "= True undoes such failures, at the cost of a copy of the model per step)."
        )
        if what.startswith("fit"):
            parts.append("model.history holds the epochs finished so far.")
    smaller = max(1, rows // 2) if rows else None
    parts.append(
        "Try a smaller batch_size"
        + (f" (e.g. batch_size={smaller})" if smaller else "")
        + ", a smaller model, or mixed precision "
        "(plait.mixed_precision.set_global_policy('mixed_bfloat16'))."
    )
    first_line = str(failure).strip().splitlines()[0] if str(failure).strip() else ""
    parts.append(f"Received: {type(failure).__name__}: {first_line}")
    return OutOfMemoryError(" ".join(parts), batch_size=rows, restored=restored)


def _rows(xs):
    for value in (
        xs.values() if isinstance(xs, dict) else xs if isinstance(xs, (list, tuple)) else [xs]
    ):
        if isinstance(value, torch.Tensor) and value.dim() > 0:
            return int(value.shape[0])
    return None


def _request(text):
    found = _REQUEST.search(text)
    if found is None:
        return None
    if found.group(1):
        return found.group(1)
    return _bytes(int(found.group(2)))


def _bytes(count):
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if count < 1024 or unit == "PiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.2f} {unit}"
        count /= 1024
    return f"{count} B"


def _largest_weight(module):
    best = None
    for key, tensor in list(module.named_parameters()) + list(module.named_buffers()):
        size = tensor.numel() * tensor.element_size()
        if best is None or size > best[0]:
            best = (size, key, tensor)
    if best is None:
        return None
    size, key, tensor = best
    dtype = str(tensor.dtype).removeprefix("torch.")
    return f"the largest weight is '{key}' ({dtype}, shape {tuple(tensor.shape)}, {_bytes(size)})"
