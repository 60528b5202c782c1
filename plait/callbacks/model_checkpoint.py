"""`ModelCheckpoint`: save the model or its weights while training."""

import os
import warnings


from plait.callbacks._util import (
    _auto_mode,
    _check_mode,
    _is_chief,
    _print,
    _save_safetensors,
)
from plait.callbacks.callback import Callback
from plait.serialization import register_serializable

__all__ = ["ModelCheckpoint"]


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

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> from plait import Input, Sequential, layers, optimizers, callbacks
        >>> model = Sequential([Input((2,)), layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="mse")
        >>> x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
        >>> folder = tempfile.mkdtemp()
        >>> path = os.path.join(folder, "w-{epoch}.weights.safetensors")
        >>> save = callbacks.ModelCheckpoint(path, save_weights_only=True)
        >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[save])
        >>> sorted(os.listdir(folder))
        ['w-1.weights.safetensors', 'w-2.weights.safetensors']
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
