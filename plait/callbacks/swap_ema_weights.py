"""`SwapEMAWeights`: evaluate with the optimizer's moving averages of the weights."""

import torch

from plait.callbacks._util import (
    _optimizer_of,
)
from plait.callbacks.callback import Callback

__all__ = ["SwapEMAWeights"]


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

    Example: the validation loss is the moving averages' (as in Keras).

        >>> import numpy as np
        >>> from plait import Input, Sequential, layers, optimizers, callbacks
        >>> model = Sequential([Input((2,)), layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(optimizer=optimizers.SGD(learning_rate=0.1, use_ema=True), loss="mse")
        >>> x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
        >>> history = model.fit(
        ...     x, y, epochs=2, verbose=0, validation_data=(x, y),
        ...     callbacks=[callbacks.SwapEMAWeights()],
        ... )
        >>> {k: [round(v, 4) for v in vs] for k, vs in history.history.items()}
        {'loss': [1.0, 0.16], 'val_loss': [0.16, 0.1581]}
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
