"""`ProgbarLogger`: Keras's progress bar."""

from plait.callbacks._util import (
    _print,
)
from plait.callbacks.callback import Callback
from plait.serialization import register_serializable
from plait.utils.progbar import Progbar

__all__ = ["ProgbarLogger"]


@register_serializable(package="plait")
class ProgbarLogger(Callback):
    """Prints `Epoch 3/10` and Keras's progress bar; fit and evaluate add one for verbose>0.

    The values shown are the epoch's running means. The bar reads them (which waits for the
    device) at most a few times a second on a terminal, and only at the end of the epoch
    when the output is not a terminal.

    Example:
        >>> from plait.callbacks import ProgbarLogger
        >>> logger = ProgbarLogger()
        >>> logger.set_params({"verbose": 1, "epochs": 3, "steps": 10})
        >>> logger.epochs, logger.target
        (3, 10)
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
