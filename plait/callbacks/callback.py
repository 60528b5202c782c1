"""The `Callback` base class: the hooks the training loop calls."""

__all__ = ["Callback"]


class Callback:
    """The base class: override the hooks you need.

    `self.model` is the module being trained (set by `set_model`); `self.params` holds
    `verbose`, `epochs` and `steps` (set by `set_params`). `logs` is a dict of the epoch's
    running metric values (`loss`, `accuracy`, `val_loss`, ...).

    Example:
        >>> import numpy as np
        >>> from plait import Input, Sequential, layers, optimizers, callbacks
        >>> model = Sequential([Input((2,)), layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="mse")
        >>> x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
        >>> class PrintEpochs(callbacks.Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         print(f"epoch {epoch}: loss {logs['loss']:.1f}")
        >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[PrintEpochs()])
        epoch 0: loss 1.0
        epoch 1: loss 1.0
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
