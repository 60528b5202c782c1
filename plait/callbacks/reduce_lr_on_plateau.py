"""`ReduceLROnPlateau`: lower the learning rate when a monitored value stalls."""

import math
import warnings

import numpy as np

from plait.callbacks._util import (
    _auto_mode,
    _check_mode,
    _get_lr,
    _optimizer_of,
    _print,
)
from plait.callbacks.callback import Callback
from plait.serialization import register_serializable

__all__ = ["ReduceLROnPlateau"]


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

    Example:
        >>> import numpy as np
        >>> from plait import Input, Sequential, layers, optimizers, callbacks
        >>> model = Sequential([Input((2,)), layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
        >>> x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
        >>> reduce = callbacks.ReduceLROnPlateau(monitor="loss", patience=1, min_delta=10)
        >>> history = model.fit(x, y, epochs=3, verbose=0, callbacks=[reduce])
        >>> [round(lr, 4) for lr in history.history["learning_rate"]]
        [0.1, 0.1, 0.01]
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
