"""Keras's callbacks: hooks the training loop calls at the start and end of training, of each
epoch and of each batch, for fit, evaluate and predict.

Callbacks work on any `torch.nn.Module` trained by `plait.training`. They reach the optimizer
as `model.optimizer` when the model has one, else through the compiled state
`model._compile_state.optimizer`. Batch-level `logs` are lazy: reading a value makes the
host wait for the device, so callbacks that do not look at them cost nothing.
"""

import csv
import json
import math
import os
import random
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np
import torch
import torch.distributed as dist
from safetensors.torch import load_file, save_file

from plait.serialization import register_serializable
from plait.utils import atomic
from plait.utils.progbar import Progbar


def __dir__():  # dir() lists the public API, not torch, re or helpers
    return sorted(
        set(__all__)
        | {
            n
            for n, v in globals().items()
            if isinstance(v, type) and v.__module__ == __name__ and not n.startswith("_")
        }
    )


__all__ = [
    "Callback",
    "CallbackList",
    "History",
    "ProgbarLogger",
    "EarlyStopping",
    "ModelCheckpoint",
    "ReduceLROnPlateau",
    "LearningRateScheduler",
    "CSVLogger",
    "TerminateOnNaN",
    "LambdaCallback",
    "BackupAndRestore",
    "RemoteMonitor",
    "TensorBoard",
    "SwapEMAWeights",
]

_HOOKS = (
    "on_batch_begin",
    "on_batch_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
    "on_train_begin",
    "on_train_end",
    "on_test_begin",
    "on_test_end",
    "on_predict_begin",
    "on_predict_end",
)


def _print(message):
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


class Callback:
    """The base class: override the hooks you need.

    `self.model` is the module being trained (set by `set_model`); `self.params` holds
    `verbose`, `epochs` and `steps` (set by `set_params`). `logs` is a dict of the epoch's
    running metric values (`loss`, `accuracy`, `val_loss`, ...).
    """

    def __init__(self):
        self.params = {}
        self._model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @property
    def model(self):
        return self._model

    @model.setter
    def model(self, model):
        self._model = model

    def on_batch_begin(self, batch, logs=None):
        """A training batch begins (an alias that `on_train_batch_begin` calls)."""

    def on_batch_end(self, batch, logs=None):
        """A training batch ended (an alias that `on_train_batch_end` calls)."""

    def on_epoch_begin(self, epoch, logs=None):
        """Epoch `epoch` (counted from 0) begins."""

    def on_epoch_end(self, epoch, logs=None):
        """Epoch `epoch` ended; `logs` holds its metrics and the validation metrics."""

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """A batch of `evaluate` (or of validation in `fit`) begins."""

    def on_test_batch_end(self, batch, logs=None):
        """A batch of `evaluate` ended."""

    def on_predict_batch_begin(self, batch, logs=None):
        """A batch of `predict` begins."""

    def on_predict_batch_end(self, batch, logs=None):
        """A batch of `predict` ended; `logs["outputs"]` holds its predictions."""

    def on_train_begin(self, logs=None):
        """`fit` begins."""

    def on_train_end(self, logs=None):
        """`fit` ended; `logs` holds the last epoch's metrics."""

    def on_test_begin(self, logs=None):
        """`evaluate` (or validation in `fit`) begins."""

    def on_test_end(self, logs=None):
        """`evaluate` ended."""

    def on_predict_begin(self, logs=None):
        """`predict` begins."""

    def on_predict_end(self, logs=None):
        """`predict` ended."""


class CallbackList(Callback):
    """Calls a list of callbacks in order.

    Args:
        callbacks: a list of `Callback`s, or None.
        add_history: add a `History` when the list has none. Default False.
        add_progbar: add a `ProgbarLogger` when the list has none. Default False.
        model: the model the callbacks get.
        **params: the params the callbacks get (`verbose`, `epochs`, `steps`).
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        if isinstance(callbacks, Callback):
            callbacks = [callbacks]
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    "Every entry of `callbacks` must be a plait.callbacks.Callback (subclass "
                    f"Callback and override its hooks). Received: callbacks entry {cb!r}"
                )
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        self._progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        if add_history and self._history is None:
            self._history = History()
            self.callbacks.append(self._history)
        if add_progbar and self._progbar is None:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    @property
    def history(self):
        return self._history

    def overrides(self, *hooks):
        """Whether some callback in the list defines one of `hooks` itself (the base
        class's are no-ops, so the loops skip calling them per batch)."""
        return any(
            getattr(getattr(cb, hook), "__func__", None) is not getattr(Callback, hook)
            for cb in self.callbacks
            for hook in hooks
        )

    def append(self, callback):
        self.callbacks.append(callback)

    def set_params(self, params):
        self.params = params
        for cb in self.callbacks:
            cb.set_params(params)

    def set_model(self, model):
        super().set_model(model)
        for cb in self.callbacks:
            cb.set_model(model)

    def __iter__(self):
        return iter(self.callbacks)


def _dispatch(name):
    # (batch, logs), (epoch, logs) or (logs,)
    positional = 2 if "batch" in name or name.startswith("on_epoch") else 1

    def hook(self, *args, **kwargs):
        # Keras always passes `logs`, a dict (empty when there are no values):
        # LambdaCallback functions are written `lambda batch, logs: ...` and
        # `lambda logs: ...`, and callbacks read `logs.get("loss")`.
        if len(args) >= positional:
            if args[positional - 1] is None:
                args = args[: positional - 1] + ({},) + args[positional:]
        elif kwargs.get("logs") is None:
            kwargs["logs"] = {}
        for cb in self.callbacks:
            getattr(cb, name)(*args, **kwargs)

    hook.__name__ = name
    return hook


for _name in _HOOKS:
    setattr(CallbackList, _name, _dispatch(_name))


# ---------------------------------------------------------------------------- helpers


def _is_chief():
    """False in the processes other than rank 0 of a data-parallel run (torchrun): they
    leave writing files to rank 0."""
    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0


def _optimizer_of(model, who):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        state = getattr(model, "_compile_state", None)
        optimizer = getattr(state, "optimizer", None)
    if optimizer is None:
        raise ValueError(
            f"{who} needs the model's optimizer, but the model is not compiled. Call "
            f"model.compile(optimizer=...) before fit. Received: model={type(model).__name__}"
        )
    return optimizer


def _get_lr(optimizer):
    return float(optimizer.learning_rate)


def _copy_state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _auto_mode(monitor):
    name = monitor[4:] if monitor.startswith("val_") else monitor
    name = name.lower()  # metrics=["AUC"] logs "AUC", as in Keras
    if name.endswith("loss"):
        return "min"
    for word in (
        "acc",
        "auc",
        "precision",
        "recall",
        "f1",
        "iou",
        "fbeta",
        "cosine_similarity",
        "r2_score",
        "true_positives",
        "true_negatives",
    ):
        if word in name:
            return "max"
    return "min"


def _check_mode(mode, who):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{who} `mode` must be 'auto', 'min' or 'max'. Received: mode={mode!r}")


def _check_checkpoint_path(filepath, save_weights_only):
    """Refuse, before any training, a file type the first save would refuse after an epoch."""
    name = filepath.lower()
    # Keras's files: a whole model as '.keras' or legacy '.h5'; weights as '.weights.h5'
    if save_weights_only and name.endswith(".keras"):
        raise ValueError(
            "With save_weights_only=True, ModelCheckpoint writes weights: name the file "
            "'.weights.h5' (Keras's layout) or '.weights.safetensors'; '.keras' holds a whole "
            f"model. Received: filepath={filepath!r}, save_weights_only=True"
        )
    if not save_weights_only and name.endswith(".weights.h5"):
        raise ValueError(
            "ModelCheckpoint saves whole models as '.plait', '.keras' or '.h5' files; a "
            "'.weights.h5' file holds weights only (pass save_weights_only=True). "
            f"Received: filepath={filepath!r}, save_weights_only=False"
        )
    if save_weights_only and name.endswith(".plait"):
        raise ValueError(
            "With save_weights_only=True, ModelCheckpoint writes weights, which go in a "
            "'.safetensors' file; '.plait' holds a whole model (save_weights_only=False). "
            f"Received: filepath={filepath!r}, save_weights_only=True"
        )
    if not save_weights_only and name.endswith(".safetensors"):
        raise ValueError(
            "ModelCheckpoint saves whole models as '.plait' files; a '.safetensors' file "
            "holds weights only (pass save_weights_only=True). "
            f"Received: filepath={filepath!r}, save_weights_only=False"
        )


def _atomic_write(path, write):
    """Write `path` through `write(tmp_path)` then rename: a crash leaves the old file."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic.atomic_path(path) as tmp:
        mode = os.stat(tmp).st_mode & 0o777  # what the umask gives a new file
        write(tmp)
        os.chmod(tmp, mode)  # safetensors' save_file leaves a private (0600) file


def _save_safetensors(tensors, path, metadata=None):
    plain = {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
    _atomic_write(path, lambda tmp: save_file(plain, tmp, metadata=metadata))


# ---------------------------------------------------------------------------- History, progbar


@register_serializable(package="plait")
class History(Callback):
    """Records every epoch's logs: `history.history["loss"]` is the list of epoch losses.

    `fit` adds one and returns it; it is also set as `model.history`.
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []
        # The epochs each key was logged at (val_ keys skip epochs with validation_freq > 1),
        # so plot_history places every value at its epoch.
        self._logged_epochs = {}

    def on_train_begin(self, logs=None):
        self.epoch = []
        try:  # Keras sets model.history from the start of training
            self.model.history = self
        except AttributeError:
            pass

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
            self._logged_epochs.setdefault(key, []).append(epoch)
        try:
            self.model.history = self
        except AttributeError:
            pass


@register_serializable(package="plait")
class ProgbarLogger(Callback):
    """Prints `Epoch 3/10` and Keras's progress bar; fit and evaluate add one for verbose>0.

    The values shown are the epoch's running means. The bar reads them (which waits for the
    device) at most a few times a second on a terminal, and only at the end of the epoch
    when the output is not a terminal.
    """

    interval = 0.25

    def __init__(self):
        super().__init__()
        self.progbar = None
        self.seen = 0
        self.epochs = 1
        self.verbose = 1
        self.target = None
        self._in_fit = False

    def set_params(self, params):
        super().set_params(params)
        self.verbose = params.get("verbose", 1)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _reset(self, target):
        self.seen = 0
        self.progbar = Progbar(
            target=target,
            verbose=self.verbose,
            interval=self.interval,
            stateful_metrics=None,
            unit_name="step",
        )
        self.progbar.stateful_metrics = _AllNames()

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._reset(self.params.get("steps"))
        if self.verbose and self.epochs > 1:
            _print(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._batch(batch, logs)

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._reset(self.params.get("steps"))

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._batch(batch, logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._finish(logs)

    def on_predict_begin(self, logs=None):
        self._reset(self.params.get("steps"))

    def on_predict_batch_end(self, batch, logs=None):
        self._batch(batch, None)

    def on_predict_end(self, logs=None):
        self._finish(None)

    def on_epoch_end(self, epoch, logs=None):
        self._finish(logs)

    def _batch(self, batch, logs):
        self.seen = batch + 1
        if self.progbar is None or not self.verbose:
            return
        if self.progbar.due(self.seen):
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finish(self, logs):
        if self.progbar is None or not self.verbose:
            return
        if self.progbar.target is None:
            self.progbar.target = self.seen
        self.progbar.update(self.progbar.target, list((logs or {}).items()), finalize=True)
        self.progbar = None


class _AllNames:
    """A set that contains every name: logs already hold running means."""

    def __contains__(self, name):
        return True


# ---------------------------------------------------------------------------- EarlyStopping


@register_serializable(package="plait")
class EarlyStopping(Callback):
    """Stop training when a monitored value has stopped improving.

    Args:
        monitor: the logged value to watch. Default "val_loss".
        min_delta: the least change that counts as an improvement. Default 0.
        patience: epochs without improvement before stopping. Default 0.
        verbose: 1 prints when it stops and restores. Default 0.
        mode: "min", "max" or "auto" (max for accuracy-like names). Default "auto".
        baseline: a value the monitor must beat; training stops after `patience` epochs
            that do not beat it. Default None.
        restore_best_weights: at the end, load the weights of the best epoch. Default False.
        start_from_epoch: epochs to wait before watching. Default 0.
    """

    def __init__(
        self,
        monitor="val_loss",
        min_delta=0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=False,
        start_from_epoch=0,
    ):
        super().__init__()
        _check_mode(mode, "EarlyStopping")
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.verbose = verbose
        self.mode = mode
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    @property
    def _maximize(self):
        return (self.mode if self.mode != "auto" else _auto_mode(self.monitor)) == "max"

    def _improves(self, value, reference):
        if reference is None:
            return True
        if self._maximize:
            return value - self.min_delta > reference
        return value + self.min_delta < reference

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(logs or {})}",
                stacklevel=2,
            )
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = _copy_state(self.model)
            self.best_epoch = epoch
        self.wait += 1
        if self._improves(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = _copy_state(self.model)
            if self.baseline is None or self._improves(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            _print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                _print(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.load_state_dict(self.best_weights)


# ---------------------------------------------------------------------------- ModelCheckpoint


@register_serializable(package="plait")
class ModelCheckpoint(Callback):
    """Save the model or its weights every epoch (or every `save_freq` batches). In a
    data-parallel fit (torchrun) only rank 0 writes.

    Args:
        filepath: where to save; may hold `{epoch}` (from 1), `{batch}` and logged values,
            e.g. "ckpt/{epoch:02d}-{val_loss:.2f}.weights.safetensors".
        monitor: the logged value `save_best_only` watches. Default "val_loss".
        verbose: 1 prints a line for each save. Default 0.
        save_best_only: save only when `monitor` improves. Default False.
        save_weights_only: call `model.save_weights(path)` instead of `model.save(path)`.
            A module without `save_weights` gets its `state_dict` written as safetensors.
            Default False.
        mode: "min", "max" or "auto". Default "auto".
        save_freq: "epoch" or a number of batches. Default "epoch".
        initial_value_threshold: the value the monitor must beat for the first save with
            `save_best_only`. Default None.
    """

    def __init__(
        self,
        filepath,
        monitor="val_loss",
        verbose=0,
        save_best_only=False,
        save_weights_only=False,
        mode="auto",
        save_freq="epoch",
        initial_value_threshold=None,
    ):
        super().__init__()
        _check_mode(mode, "ModelCheckpoint")
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(
                "ModelCheckpoint `save_freq` must be 'epoch' or a positive number of batches. "
                f"Received: save_freq={save_freq!r}"
            )
        self.filepath = os.fspath(filepath)
        _check_checkpoint_path(self.filepath, save_weights_only)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.mode = mode
        self.save_freq = save_freq
        self.best = initial_value_threshold
        self._batches_seen = 0
        self._epoch = 0
        self._maximize = (mode if mode != "auto" else _auto_mode(monitor)) == "max"

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_seen += 1
        if self._batches_seen % self.save_freq == 0:
            self._save(self._epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _better(self, current):
        if self.best is None:
            return True
        return current > self.best if self._maximize else current < self.best

    def _save(self, epoch, batch, logs):
        if not _is_chief():
            return
        logs = dict(logs or {})
        path = self._format_path(epoch, batch, logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(
                    f"Can save best model only with {self.monitor} available, skipping.",
                    stacklevel=2,
                )
                return
            if not self._better(current):
                if self.verbose > 0:
                    _print(
                        f"\nEpoch {epoch + 1}: {self.monitor} did not improve from "
                        f"{self._best_text()}"
                    )
                return
            if self.verbose > 0:
                _print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from "
                    f"{self._best_text()} to {current:.5f}, saving model to {path}"
                )
            self.best = current
        elif self.verbose > 0:
            _print(f"\nEpoch {epoch + 1}: saving model to {path}")
        self._write(path)

    def _best_text(self):
        if self.best is None:
            return "-inf" if self._maximize else "inf"
        return f"{self.best:.5f}"

    def _format_path(self, epoch, batch, logs):
        try:
            if batch is None:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(
                f"Failed to format the ModelCheckpoint filepath {self.filepath!r}: the key "
                f"{e} is not among the logged values {sorted(logs)} (nor `epoch`/`batch`). "
                f"Received: filepath={self.filepath!r}"
            ) from None

    def _write(self, path):
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        model = self.model
        if self.save_weights_only:
            if hasattr(model, "save_weights"):
                model.save_weights(path)
            else:
                _save_safetensors(model.state_dict(), path)
            return
        if not hasattr(model, "save"):
            raise TypeError(
                f"ModelCheckpoint saves whole models with model.save(path), which "
                f"{type(model).__name__} does not have. Pass save_weights_only=True to write "
                f"its weights. Received: save_weights_only=False"
            )
        model.save(path)


# ---------------------------------------------------------------------------- learning rate


@register_serializable(package="plait")
class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by `factor` when a monitored value stops improving.

    Args:
        monitor: the logged value to watch. Default "val_loss".
        factor: the multiplier, below 1. Default 0.1.
        patience: epochs without improvement before reducing. Default 10.
        verbose: 1 prints each reduction. Default 0.
        mode: "min", "max" or "auto". Default "auto".
        min_delta: the least change that counts as an improvement. Default 1e-4.
        cooldown: epochs to wait after a reduction before watching again. Default 0.
        min_lr: the learning rate never goes below this. Default 0.
    """

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        verbose=0,
        mode="auto",
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
        **kwargs,
    ):
        super().__init__()
        _check_mode(mode, "ReduceLROnPlateau")
        if factor >= 1.0:
            raise ValueError(
                "ReduceLROnPlateau does not support a factor >= 1.0: it must reduce the "
                f"learning rate. Received: factor={factor!r}"
            )
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau got unexpected arguments {sorted(kwargs)}.")
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.mode = mode
        self.min_delta = min_delta
        self.cooldown = cooldown
        self.min_lr = min_lr
        self._maximize = (mode if mode != "auto" else _auto_mode(monitor)) == "max"
        self._reset()

    def _reset(self):
        self.best = -math.inf if self._maximize else math.inf
        self.wait = 0
        self.cooldown_counter = 0

    def _improves(self, value):
        if self._maximize:
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        optimizer = _optimizer_of(self.model, "ReduceLROnPlateau")
        logs["learning_rate"] = _get_lr(optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is "
                f"not available. Available metrics are: {','.join(logs)}.",
                stacklevel=2,
            )
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improves(current):
            self.best = current
            self.wait = 0
            return
        if self.cooldown_counter > 0:
            return
        self.wait += 1
        if self.wait < self.patience:
            return
        old = _get_lr(optimizer)
        if old > np.float32(self.min_lr):
            new = max(old * self.factor, self.min_lr)
            optimizer.learning_rate = new
            if self.verbose > 0:
                _print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}.")
            self.cooldown_counter = self.cooldown
            self.wait = 0


@register_serializable(package="plait")
class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch from `schedule(epoch, lr)`.

    Args:
        schedule: a function `(epoch, lr) -> new_lr` (or `(epoch) -> new_lr`), epoch from 0.
        verbose: 1 prints each change. Default 0.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                "LearningRateScheduler `schedule` must be a function (epoch, lr) -> lr. "
                f"Received: schedule={schedule!r}"
            )
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = _optimizer_of(self.model, "LearningRateScheduler")
        try:
            lr = self.schedule(epoch, _get_lr(optimizer))
        except TypeError:
            lr = self.schedule(epoch)
        if isinstance(lr, torch.Tensor) and lr.dim() == 0:
            lr = lr.item()
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating, np.integer)):
            raise ValueError(
                "The output of the LearningRateScheduler `schedule` function should be a "
                f"float. Received: schedule({epoch}) = {lr!r}"
            )
        optimizer.learning_rate = float(lr)
        if self.verbose > 0:
            _print(
                f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(lr)}."
            )

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _get_lr(_optimizer_of(self.model, "LearningRateScheduler"))


# ---------------------------------------------------------------------------- logging


@register_serializable(package="plait")
class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file: `epoch,accuracy,loss,val_...`. In a
    data-parallel fit (torchrun) only rank 0 writes.

    Args:
        filename: the CSV file.
        separator: the column separator. Default ",".
        append: add to an existing file instead of overwriting it. Default False.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self.writer = None
        self.csv_file = None
        self._header = True

    def on_train_begin(self, logs=None):
        if not _is_chief():
            return
        self._header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename) as f:
                self._header = not bool(f.readline())
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")
        self.keys = None
        self.writer = None

    def on_epoch_end(self, epoch, logs=None):
        if not _is_chief():
            return
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.params.get("do_validation") and not any(
                k.startswith("val_") for k in self.keys
            ):
                self.keys += ["val_" + k for k in self.keys]
        if self.writer is None:
            self.writer = csv.writer(self.csv_file, delimiter=self.sep)
            if self._header:
                self.writer.writerow(["epoch"] + self.keys)
        self.writer.writerow([epoch] + [_csv_value(logs.get(k, "NA")) for k in self.keys])
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.csv_file = None
        self.writer = None


def _csv_value(value):
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value) > 0:
        return "[" + ", ".join(map(str, value)) + "]"
    return value


@register_serializable(package="plait")
class TerminateOnNaN(Callback):
    """Stop training when the loss becomes NaN or infinite, saying at which batch.

    Args:
        raise_error: raise a `RuntimeError` at once instead of stopping after the batch
            (no `on_train_end`, no more callbacks). Default False.

    It reads the loss after every batch, which makes the host wait for the device each step.
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. Loss value: "
                    f"{float(loss)}. Terminating training immediately."
                )
            _print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from plain functions.

    Args:
        on_epoch_begin, on_epoch_end: `f(epoch, logs)`.
        on_train_begin, on_train_end: `f(logs)`.
        on_train_batch_begin, on_train_batch_end: `f(batch, logs)`.
        **kwargs: any other hook by name (`on_batch_end=`, `on_test_end=`, ...).
    """

    def __init__(
        self,
        on_epoch_begin=None,
        on_epoch_end=None,
        on_train_begin=None,
        on_train_end=None,
        on_train_batch_begin=None,
        on_train_batch_end=None,
        **kwargs,
    ):
        super().__init__()
        hooks = dict(
            on_epoch_begin=on_epoch_begin,
            on_epoch_end=on_epoch_end,
            on_train_begin=on_train_begin,
            on_train_end=on_train_end,
            on_train_batch_begin=on_train_batch_begin,
            on_train_batch_end=on_train_batch_end,
            **kwargs,
        )
        for name, fn in hooks.items():
            if fn is None:
                continue
            if name not in _HOOKS:
                raise ValueError(
                    f"LambdaCallback got an unknown hook `{name}`. Expected one of "
                    f"{list(_HOOKS)}. Received: {name}={fn!r}"
                )
            setattr(self, name, fn)


# ---------------------------------------------------------------------------- BackupAndRestore


@register_serializable(package="plait")
class BackupAndRestore(Callback):
    """Back up training at the end of every epoch; a fit interrupted (even killed) resumes
    from the last finished epoch when the same fit runs again with this callback.

    The backup holds the model's `state_dict`, the optimizer's state, the epoch and the
    random generators' states (so shuffling and dropout continue as an unbroken run would).
    Tensors go to `state-<epoch>.safetensors`, the rest to `state.json`, written last and
    atomically; a crash while writing leaves the previous backup usable. In a data-parallel
    fit (torchrun) only rank 0 writes the backup, and every process restores from it (the
    folder must be one they share).

    Args:
        backup_dir: the folder for the backup.
        save_freq: "epoch" (the only supported value). Default "epoch".
        delete_checkpoint: delete the backup when fit ends normally. Default True.
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError(
                "BackupAndRestore needs a folder for its backup. "
                f"Received: backup_dir={backup_dir!r}"
            )
        if save_freq != "epoch":
            raise ValueError(
                "BackupAndRestore only backs up at epoch ends in plait. "
                f"Received: save_freq={save_freq!r}; use save_freq='epoch'"
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self._json = os.path.join(self.backup_dir, "state.json")

    def on_train_begin(self, logs=None):
        if not os.path.exists(self._json):
            return
        with open(self._json) as f:
            meta = json.load(f)
        tensors = load_file(os.path.join(self.backup_dir, meta["file"]))
        model_state = {k[len("model/") :]: v for k, v in tensors.items() if k.startswith("model/")}
        self.model.load_state_dict(model_state)
        optimizer = _optimizer_of(self.model, "BackupAndRestore")
        optimizer.load_state_dict(_decode(meta["optimizer"], tensors))
        _set_rng_state(meta["rng"], tensors)
        self.model._initial_epoch = meta["epoch"] + 1

    def on_epoch_end(self, epoch, logs=None):
        if not _is_chief():
            return
        tensors = {"model/" + k: v for k, v in self.model.state_dict().items()}
        optimizer = _optimizer_of(self.model, "BackupAndRestore")
        encoded = _encode(optimizer.state_dict(), tensors, "optimizer")
        rng = _get_rng_state(tensors)
        name = f"state-{epoch}.safetensors"
        _save_safetensors(tensors, os.path.join(self.backup_dir, name))
        meta = {"epoch": epoch, "file": name, "optimizer": encoded, "rng": rng}

        def write(tmp):
            with open(tmp, "w") as f:
                json.dump(meta, f)

        _atomic_write(self._json, write)
        for old in os.listdir(self.backup_dir):
            if old.startswith("state-") and old != name:
                os.remove(os.path.join(self.backup_dir, old))

    def on_train_end(self, logs=None):
        if not _is_chief() or not self.delete_checkpoint or not os.path.isdir(self.backup_dir):
            return
        for name in os.listdir(self.backup_dir):
            if name == "state.json" or name.startswith("state-"):
                os.remove(os.path.join(self.backup_dir, name))
        try:
            os.rmdir(self.backup_dir)
        except OSError:
            pass


def _encode(value, tensors, path):
    """A nested state as JSON, its tensors moved into `tensors` under `path` keys."""
    if isinstance(value, torch.Tensor):
        tensors[path] = value
        return {"__tensor__": path}
    if isinstance(value, dict):
        return {"__dict__": [[k, _encode(v, tensors, f"{path}/{k}")] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, tensors, f"{path}/{i}") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, tensors, f"{path}/{i}") for i, v in enumerate(value)]
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


def _decode(value, tensors):
    if isinstance(value, dict):
        if "__tensor__" in value:
            return tensors[value["__tensor__"]]
        if "__dict__" in value:
            return {k: _decode(v, tensors) for k, v in value["__dict__"]}
        if "__tuple__" in value:
            return tuple(_decode(v, tensors) for v in value["__tuple__"])
        return {k: _decode(v, tensors) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, tensors) for v in value]
    return value


def _get_rng_state(tensors):
    tensors["rng/torch"] = torch.get_rng_state()
    cuda = 0
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, state in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng/cuda/{i}"] = state
        cuda = torch.cuda.device_count()
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    tensors["rng/numpy"] = torch.from_numpy(keys.astype(np.int64))
    version, state, py_gauss = random.getstate()
    return {
        "cuda": cuda,
        "numpy": [kind, int(pos), int(has_gauss), float(gauss)],
        "python": [version, list(state), py_gauss],
    }


def _set_rng_state(meta, tensors):
    torch.set_rng_state(tensors["rng/torch"])
    if meta["cuda"] and torch.cuda.is_available() and torch.cuda.device_count() == meta["cuda"]:
        torch.cuda.set_rng_state_all([tensors[f"rng/cuda/{i}"] for i in range(meta["cuda"])])
    kind, pos, has_gauss, gauss = meta["numpy"]
    keys = tensors["rng/numpy"].numpy().astype(np.uint32)
    np.random.set_state((kind, keys, pos, has_gauss, gauss))
    version, state, py_gauss = meta["python"]
    random.setstate((version, tuple(state), py_gauss))


# ------------------------------------------------------------------------- TensorBoard


def _model_weight_entries(model):
    """(Keras path, tensor in Keras layout) of every weight of `model`'s layers."""
    entries = []
    for layer in getattr(model, "layers", []):
        ordered = getattr(layer, "_ordered_entries", None)
        if ordered is None:
            continue
        for path, tensor, spec, _ in ordered():
            entries.append((path, spec.to_keras(tensor.detach())))
    return entries


def _example_inputs(model):
    """Zeros shaped like the model's inputs (unknown dimensions as 1), or None."""
    inputs = getattr(model, "inputs", None)
    if not inputs:
        return None
    try:
        device = next(model.parameters()).device
    except StopIteration:
        device = torch.device("cpu")
    tensors = []
    for symbolic in inputs:
        shape = tuple(1 if d is None else int(d) for d in symbolic.shape)
        dtype = getattr(symbolic, "dtype", torch.float32)
        dtype = dtype if isinstance(dtype, torch.dtype) else torch.float32
        tensors.append(torch.zeros(shape, dtype=dtype, device=device))
    return tensors[0] if len(tensors) == 1 else tuple(tensors)


class RemoteMonitor(Callback):
    """Post each epoch's logs to a server (Keras's `RemoteMonitor`), through the standard
    library's `urllib` (Keras's needs `requests`; plait needs nothing).

    At the end of each epoch it sends an HTTP POST to `root + path` with the dict
    `{"epoch": epoch, **logs}` (NumPy and 0-d torch values as Python numbers): as a JSON
    body (`Content-Type: application/json`) when `send_as_json`, else as a form field
    `field=<the dict as JSON>` (`application/x-www-form-urlencoded`), as `requests.post`
    sends them. A server that cannot be reached gives a warning, not an error; the
    server's HTTP status is not checked. Under `torchrun` only rank 0 posts.

    Args:
        root: the server's root URL, default "http://localhost:9000".
        path: the path under `root`, default "/publish/epoch/end/".
        field: the form field holding the JSON (form posts only), default "data".
        headers: extra HTTP headers, a dict. Default None.
        send_as_json: send the dict as a JSON body. Default False.
        timeout: seconds to wait for the server (plait's addition; Keras waits without
            a limit). Default None: no limit.

    Example:
        >>> from plait import callbacks
        >>> monitor = callbacks.RemoteMonitor(root="http://localhost:9000")
        >>> monitor.root + monitor.path
        'http://localhost:9000/publish/epoch/end/'
    """

    def __init__(
        self,
        root="http://localhost:9000",
        path="/publish/epoch/end/",
        field="data",
        headers=None,
        send_as_json=False,
        timeout=None,
    ):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json
        self.timeout = timeout

    def on_epoch_end(self, epoch, logs=None):
        if dist.is_available() and dist.is_initialized() and dist.get_rank() != 0:
            return
        send = {"epoch": epoch}
        for key, value in (logs or {}).items():
            if isinstance(value, (np.ndarray, np.generic)) or (
                isinstance(value, torch.Tensor) and value.numel() == 1
            ):
                value = value.item()
            send[key] = value
        if self.send_as_json:
            body, kind = json.dumps(send).encode(), "application/json"
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode()
            kind = "application/x-www-form-urlencoded"
        request = urllib.request.Request(
            self.root + self.path,
            data=body,
            headers={"Content-Type": kind, **(self.headers or {})},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError:
            pass  # the server answered: requests.post does not raise on a status either
        except (urllib.error.URLError, OSError, ValueError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}", stacklevel=2)


class TensorBoard(Callback):
    """Write TensorBoard logs through `torch.utils.tensorboard`, laid out as Keras does.

    Event files go to `log_dir/train` and `log_dir/validation`. Per epoch: scalars
    `epoch_<metric>` (training logs and `epoch_learning_rate` in `train`, `val_` logs without
    the prefix in `validation`) at step `epoch`; with `histogram_freq`, a histogram
    `<layer>/<weight>/histogram` of every weight (Keras layout). Per batch, when
    `update_freq` is "batch" or an int N: scalars `batch_<metric>` every N batches at the
    global batch number (from 1). After each evaluation: `evaluation_<metric>_vs_iterations`
    at the optimizer's iteration count. With `write_graph`, the model's traced graph
    (`add_graph`) and its Keras JSON (tag `keras`, the graph dashboard's Keras plugin) are
    written once, after the first batch.

    Args:
        log_dir: the folder of the logs. Default "logs".
        histogram_freq: write weight histograms every this many epochs; 0 (default) never.
        write_graph: write the graph. Default True.
        write_images: accepted for Keras compatibility and ignored: weights are not
            written as images.
        write_steps_per_second: also write `epoch_steps_per_second` (and
            `batch_steps_per_second` with batch updates). Default False.
        update_freq: "epoch" (default), "batch" (every batch) or an int N (every N
            batches). Batch scalars read the batch logs, a device sync each time.
        profile_batch, embeddings_freq, embeddings_metadata: accepted for Keras
            compatibility; profiling and embeddings are not written (use
            `torch.profiler`).

    Raises:
        ValueError: for an `update_freq` that is not "epoch", "batch" or an int >= 1.

    Example:
        >>> model.fit(x, y, epochs=3, callbacks=[plait.callbacks.TensorBoard("logs")])
        # then: tensorboard --logdir logs
    """

    def __init__(
        self,
        log_dir="logs",
        histogram_freq=0,
        write_graph=True,
        write_images=False,
        write_steps_per_second=False,
        update_freq="epoch",
        profile_batch=0,
        embeddings_freq=0,
        embeddings_metadata=None,
    ):
        super().__init__()
        if update_freq not in ("epoch", "batch") and (
            isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1
        ):
            raise ValueError(
                "Invalid value for argument `update_freq` of TensorBoard. "
                "Expected 'epoch', 'batch' or an integer >= 1. "
                f"Received: update_freq={update_freq!r}"
            )
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.profile_batch = profile_batch
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._global_train_batch = 0
        self._graph_pending = False
        self._epoch_start = None
        self._epoch_steps = 0
        self._batch_start = None

    def _writer(self, which):
        if which not in self._writers:
            from torch.utils.tensorboard import SummaryWriter

            folder = os.path.join(self.log_dir, "train" if which == "train" else "validation")
            self._writers[which] = SummaryWriter(log_dir=folder)
        return self._writers[which]

    def set_model(self, model):
        super().set_model(model)
        self._graph_pending = bool(self.write_graph)

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0

    def on_train_end(self, logs=None):
        self._close()

    def _close(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.time()
        self._epoch_steps = 0

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        self._epoch_steps += 1
        if self.write_steps_per_second:
            self._batch_start = time.time()

    def on_train_batch_end(self, batch, logs=None):
        if self._graph_pending:
            self._graph_pending = False
            self._write_graph()
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        writer, step = self._writer("train"), self._global_train_batch
        if self.write_steps_per_second and self._batch_start is not None:
            elapsed = max(time.time() - self._batch_start, 1e-9)
            writer.add_scalar("batch_steps_per_second", 1.0 / elapsed, step)
        for name, value in (logs or {}).items():
            writer.add_scalar(f"batch_{name}", float(value), step)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None) or getattr(
            getattr(self.model, "_compile_state", None), "optimizer", None
        )
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            try:
                train["learning_rate"] = _get_lr(optimizer)
            except (TypeError, ValueError):
                pass
        if self.write_steps_per_second and self._epoch_start is not None:
            elapsed = max(time.time() - self._epoch_start, 1e-9)
            train["steps_per_second"] = self._epoch_steps / elapsed
        if train:
            writer = self._writer("train")
            for name, value in train.items():
                writer.add_scalar(f"epoch_{name}", float(value), epoch)
        if val:
            writer = self._writer("val")
            for name, value in val.items():
                writer.add_scalar(f"epoch_{name}", float(value), epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_histograms(epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        iterations = getattr(optimizer, "iterations", None)
        if iterations is None or not logs:
            return
        writer = self._writer("val")
        for name, value in logs.items():
            writer.add_scalar(f"evaluation_{name}_vs_iterations", float(value), int(iterations))
        writer.flush()

    def _write_histograms(self, epoch):
        writer = self._writer("train")
        for path, value in _model_weight_entries(self.model):
            writer.add_histogram(
                f"{path.replace(':', '_')}/histogram", value.float().cpu().numpy(), epoch
            )

    def _write_graph(self):
        writer = self._writer("train")
        self._write_keras_json(writer)
        example = _example_inputs(self.model)
        if example is None:
            return
        was_training = self.model.training
        try:
            self.model.eval()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                writer.add_graph(self.model, example)
        except Exception as error:  # tracing is best effort, as in Keras  # noqa: BLE001
            warnings.warn(
                f"TensorBoard could not trace the model's graph ({error}); the "
                "graph is left out of the logs.",
                stacklevel=2,
            )
        finally:
            self.model.train(was_training)
        writer.flush()

    def _write_keras_json(self, writer):
        to_json = getattr(self.model, "to_json", None)
        if to_json is None:
            return
        try:
            text = to_json()
        except Exception as error:  # noqa: BLE001
            warnings.warn(f"Model failed to serialize as JSON. Ignoring... {error}", stacklevel=2)
            return
        from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
        from tensorboard.compat.proto.tensor_pb2 import TensorProto

        metadata = SummaryMetadata()
        metadata.plugin_data.plugin_name = "graph_keras_model"
        metadata.plugin_data.content = b"1"
        tensor = TensorProto(dtype=7, string_val=[text.encode()])  # 7: DT_STRING
        summary = Summary(value=[Summary.Value(tag="keras", metadata=metadata, tensor=tensor)])
        writer._get_file_writer().add_summary(summary, 0)


# ---------------------------------------------------------------------- SwapEMAWeights


def _ema_pairs(optimizer):
    """(weight, moving average) pairs of an optimizer made with `use_ema=True`."""
    averages = getattr(optimizer, "_model_variables_moving_average", None)
    if averages is not None:
        weights = getattr(optimizer, "_trainable_variables", None) or getattr(
            optimizer, "_params", None
        )
        return list(zip(weights, averages))
    slots = getattr(optimizer, "_slots", None)
    if isinstance(slots, dict) and slots.get("average") is not None:
        return list(zip(optimizer._params, slots["average"]))
    return None


class SwapEMAWeights(Callback):
    """Evaluate and predict with the optimizer's moving averages of the weights.

    The optimizer must be made with `use_ema=True`. Before each evaluation (and
    prediction) the model's weights and their moving averages are swapped, and swapped
    back after it, so validation metrics are the EMA model's. With `swap_on_epoch=True`
    the swap also happens at each epoch's end (so callbacks after this one, such as
    `ModelCheckpoint`, see the EMA weights) and back at the next epoch's start; after
    the last epoch the model keeps the EMA weights.

    Args:
        swap_on_epoch: also swap at epoch ends. Default False.

    Raises:
        ValueError: (at the first swap) when the optimizer keeps no moving averages.

    Example:
        >>> model.compile(optimizer=plait.optimizers.SGD(use_ema=True), loss="mse")
        >>> model.fit(x, y, validation_data=(xv, yv),
        ...           callbacks=[plait.callbacks.SwapEMAWeights()])
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _pairs(self):
        optimizer = _optimizer_of(self.model, "SwapEMAWeights")
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        pairs = _ema_pairs(optimizer)
        if not pairs:
            raise ValueError(
                "SwapEMAWeights must be used when `use_ema=True` is set on the "
                "optimizer. Received: use_ema="
                f"{getattr(optimizer, 'use_ema', False)}"
            )
        return pairs

    def _swap(self):
        with torch.no_grad():
            for weight, average in self._pairs():
                held = weight.detach().clone()
                weight.copy_(average)
                average.copy_(held)

    def _finalize(self):
        with torch.no_grad():
            for weight, average in self._pairs():
                average.copy_(weight)

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = True
            if epoch == self.params.get("epochs", 0) - 1:
                self._finalize()

    def on_test_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = True

    def on_test_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = False

    on_predict_begin = on_test_begin
    on_predict_end = on_test_end
