"""`CSVLogger`: each epoch's logs as a row of a CSV file."""

import csv
import os

import numpy as np

from plait.callbacks._util import (
    _is_chief,
)
from plait.callbacks.callback import Callback
from plait.serialization import register_serializable

__all__ = ["CSVLogger"]


@register_serializable(package="plait")
class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file: `epoch,accuracy,loss,val_...`. In a
    data-parallel fit (torchrun) only rank 0 writes.

    Args:
        filename: the CSV file.
        separator: the column separator. Default ",".
        append: add to an existing file instead of overwriting it. Default False.

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> from plait import Input, Sequential, layers, optimizers, callbacks
        >>> model = Sequential([Input((2,)), layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="mse")
        >>> x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
        >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
        >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(path)])
        >>> print(open(path).read().strip())
        epoch,loss
        0,1.0
        1,1.0
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self.writer = None
        self.csv_file = None
        self._header = True

    def on_train_begin(self, logs=None):
        if not _is_chief():
            return
        self._header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename) as f:
                self._header = not bool(f.readline())
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")
        self.keys = None
        self.writer = None

    def on_epoch_end(self, epoch, logs=None):
        if not _is_chief():
            return
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.params.get("do_validation") and not any(
                k.startswith("val_") for k in self.keys
            ):
                self.keys += ["val_" + k for k in self.keys]
        if self.writer is None:
            self.writer = csv.writer(self.csv_file, delimiter=self.sep)
            if self._header:
                self.writer.writerow(["epoch"] + self.keys)
        self.writer.writerow([epoch] + [_csv_value(logs.get(k, "NA")) for k in self.keys])
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.csv_file = None
        self.writer = None


def _csv_value(value):
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value) > 0:
        return "[" + ", ".join(map(str, value)) + "]"
    return value
