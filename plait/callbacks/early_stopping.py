"""`EarlyStopping`: stop training when a monitored value stops improving."""

import warnings


from plait.callbacks._util import (
    _auto_mode,
    _check_mode,
    _copy_state,
    _print,
)
from plait.callbacks.callback import Callback
from plait.serialization import register_serializable

__all__ = ["EarlyStopping"]


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

    Example:
        >>> import numpy as np
        >>> from plait import Input, Sequential, layers, optimizers, callbacks
        >>> model = Sequential([Input((2,)), layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="mse")
        >>> x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
        >>> stop = callbacks.EarlyStopping(monitor="loss", patience=1)
        >>> history = model.fit(x, y, epochs=10, verbose=0, callbacks=[stop])
        >>> history.epoch, stop.stopped_epoch
        ([0, 1], 1)
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
