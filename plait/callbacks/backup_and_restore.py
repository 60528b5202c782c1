"""`BackupAndRestore`: resume an interrupted fit from its last finished epoch."""

import json
import os
import random

import numpy as np
import torch
from safetensors.torch import load_file

from plait.callbacks._util import (
    _atomic_write,
    _is_chief,
    _optimizer_of,
    _save_safetensors,
)
from plait.callbacks.callback import Callback
from plait.serialization import register_serializable

__all__ = ["BackupAndRestore"]


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

    Example: a fit interrupted after its second epoch resumes at the third.

        >>> import os, tempfile
        >>> import numpy as np
        >>> from plait import Input, Sequential, layers, optimizers, callbacks
        >>> model = Sequential([Input((2,)), layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="mse")
        >>> x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
        >>> backup = callbacks.BackupAndRestore(os.path.join(tempfile.mkdtemp(), "backup"))
        >>> class Interrupt(callbacks.Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         if epoch == 1:
        ...             raise KeyboardInterrupt
        >>> try:
        ...     _ = model.fit(x, y, epochs=4, verbose=0, callbacks=[backup, Interrupt()])
        ... except KeyboardInterrupt:
        ...     print("interrupted")
        interrupted
        >>> model.fit(x, y, epochs=4, verbose=0, callbacks=[backup]).epoch
        [2, 3]
        >>> os.path.exists(backup.backup_dir)  # deleted when fit ends normally
        False
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
        self._last_epoch = None
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
        self._last_epoch = meta["epoch"]

    def on_epoch_end(self, epoch, logs=None):
        self._last_epoch = epoch
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
        if not self._finished():
            return  # an interrupted fit (Ctrl-C): the backup is what the next fit resumes from
        for name in os.listdir(self.backup_dir):
            if name == "state.json" or name.startswith("state-"):
                os.remove(os.path.join(self.backup_dir, name))
        try:
            os.rmdir(self.backup_dir)
        except OSError:
            pass

    def _finished(self):
        """Whether the fit ran to its end: every epoch, or stopped early by a callback."""
        if getattr(self.model, "stop_training", False):
            return True
        last = getattr(self, "_last_epoch", None)
        epochs = self.params.get("epochs")
        return epochs is None or (last if last is not None else -1) + 1 >= epochs


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
