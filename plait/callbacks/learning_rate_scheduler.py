"""`LearningRateScheduler`: set the learning rate each epoch from a function."""

import numpy as np
import torch

from plait.callbacks._util import (
    _get_lr,
    _optimizer_of,
    _print,
)
from plait.callbacks.callback import Callback
from plait.serialization import register_serializable

__all__ = ["LearningRateScheduler"]


@register_serializable(package="plait")
class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch from `schedule(epoch, lr)`.

    Args:
        schedule: a function `(epoch, lr) -> new_lr` (or `(epoch) -> new_lr`), epoch from 0.
        verbose: 1 prints each change. Default 0.

    Example:
        >>> import numpy as np
        >>> from plait import Input, Sequential, layers, optimizers, callbacks
        >>> model = Sequential([Input((2,)), layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
        >>> x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
        >>> halve = callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch == 0 else lr / 2)
        >>> history = model.fit(x, y, epochs=3, verbose=0, callbacks=[halve])
        >>> [round(lr, 4) for lr in history.history["learning_rate"]]
        [0.1, 0.05, 0.025]
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
