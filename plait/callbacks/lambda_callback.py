"""`LambdaCallback`: a callback made of plain functions."""

from plait.callbacks._util import (
    _HOOKS,
)
from plait.callbacks.callback import Callback

__all__ = ["LambdaCallback"]


class LambdaCallback(Callback):
    """A callback from plain functions.

    Args:
        on_epoch_begin, on_epoch_end: `f(epoch, logs)`.
        on_train_begin, on_train_end: `f(logs)`.
        on_train_batch_begin, on_train_batch_end: `f(batch, logs)`.
        **kwargs: any other hook by name (`on_batch_end=`, `on_test_end=`, ...).

    Example:
        >>> import numpy as np
        >>> from plait import Input, Sequential, layers, optimizers, callbacks
        >>> model = Sequential([Input((2,)), layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="mse")
        >>> x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
        >>> show = callbacks.LambdaCallback(
        ...     on_epoch_end=lambda epoch, logs: print(epoch, round(logs["loss"], 2)),
        ...     on_train_end=lambda logs: print("done"),
        ... )
        >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[show])
        0 1.0
        1 1.0
        done
    """

    def __init__(
        self,
        on_epoch_begin=None,
        on_epoch_end=None,
        on_train_begin=None,
        on_train_end=None,
        on_train_batch_begin=None,
        on_train_batch_end=None,
        **kwargs,
    ):
        super().__init__()
        hooks = dict(
            on_epoch_begin=on_epoch_begin,
            on_epoch_end=on_epoch_end,
            on_train_begin=on_train_begin,
            on_train_end=on_train_end,
            on_train_batch_begin=on_train_batch_begin,
            on_train_batch_end=on_train_batch_end,
            **kwargs,
        )
        for name, fn in hooks.items():
            if fn is None:
                continue
            if name not in _HOOKS:
                raise ValueError(
                    f"LambdaCallback got an unknown hook `{name}`. Expected one of "
                    f"{list(_HOOKS)}. Received: {name}={fn!r}"
                )
            setattr(self, name, fn)
