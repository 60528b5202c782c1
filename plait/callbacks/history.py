"""`History`: the record of every epoch's logs that `fit` returns."""

from plait.callbacks.callback import Callback
from plait.serialization import register_serializable

__all__ = ["History"]


@register_serializable(package="plait")
class History(Callback):
    """Records every epoch's logs: `history.history["loss"]` is the list of epoch losses.

    `fit` adds one and returns it; it is also set as `model.history`.

    Example:
        >>> import numpy as np
        >>> from plait import Input, Sequential, layers, optimizers
        >>> model = Sequential([Input((2,)), layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
        >>> x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
        >>> history = model.fit(x, y, epochs=2, verbose=0)
        >>> history.epoch, [round(v, 4) for v in history.history["loss"]]
        ([0, 1], [1.0, 0.16])
        >>> model.history is history
        True
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
