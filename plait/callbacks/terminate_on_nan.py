"""`TerminateOnNaN`: stop training when the loss becomes NaN or infinite."""

import math


from plait.callbacks._util import (
    _print,
)
from plait.callbacks.callback import Callback
from plait.serialization import register_serializable

__all__ = ["TerminateOnNaN"]


@register_serializable(package="plait")
class TerminateOnNaN(Callback):
    """Stop training when the loss becomes NaN or infinite, saying at which batch.

    Args:
        raise_error: raise a `RuntimeError` at once instead of stopping after the batch
            (no `on_train_end`, no more callbacks). Default False.

    It reads the loss after every batch, which makes the host wait for the device each step.

    Example:
        >>> import numpy as np
        >>> from plait import Input, Sequential, layers, optimizers, callbacks
        >>> model = Sequential([Input((2,)), layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="mse")
        >>> x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
        >>> x[0, 0] = np.nan
        >>> history = model.fit(x, y, epochs=3, verbose=0, callbacks=[callbacks.TerminateOnNaN()])
        Batch 0: Invalid loss, terminating training
        >>> history.epoch
        [0]
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
