"""`CallbackList`: calls a list of callbacks in order."""

from plait.callbacks._util import (
    _HOOKS,
)
from plait.callbacks.callback import Callback
from plait.callbacks.history import History
from plait.callbacks.progbar_logger import ProgbarLogger

__all__ = ["CallbackList"]


class CallbackList(Callback):
    """Calls a list of callbacks in order.

    Args:
        callbacks: a list of `Callback`s, or None.
        add_history: add a `History` when the list has none. Default False.
        add_progbar: add a `ProgbarLogger` when the list has none. Default False.
        model: the model the callbacks get.
        **params: the params the callbacks get (`verbose`, `epochs`, `steps`).

    Example:
        >>> from plait.callbacks import CallbackList, History
        >>> cbs = CallbackList([History()], add_progbar=True, verbose=0, epochs=1)
        >>> [type(cb).__name__ for cb in cbs]
        ['History', 'ProgbarLogger']
        >>> cbs.on_train_begin()
        >>> cbs.on_epoch_end(0, {"loss": 0.5})
        >>> cbs.history.history
        {'loss': [0.5]}
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        if isinstance(callbacks, Callback):
            callbacks = [callbacks]
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    "Every entry of `callbacks` must be a plait.callbacks.Callback (subclass "
                    f"Callback and override its hooks). Received: callbacks entry {cb!r}"
                )
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        self._progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        if add_history and self._history is None:
            self._history = History()
            self.callbacks.append(self._history)
        if add_progbar and self._progbar is None:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    @property
    def history(self):
        return self._history

    def overrides(self, *hooks):
        """Whether some callback in the list defines one of `hooks` itself (the base
        class's are no-ops, so the loops skip calling them per batch)."""
        return any(
            getattr(getattr(cb, hook), "__func__", None) is not getattr(Callback, hook)
            for cb in self.callbacks
            for hook in hooks
        )

    def append(self, callback):
        self.callbacks.append(callback)

    def set_params(self, params):
        self.params = params
        for cb in self.callbacks:
            cb.set_params(params)

    def set_model(self, model):
        super().set_model(model)
        for cb in self.callbacks:
            cb.set_model(model)

    def __iter__(self):
        return iter(self.callbacks)


def _dispatch(name):
    # (batch, logs), (epoch, logs) or (logs,)
    positional = 2 if "batch" in name or name.startswith("on_epoch") else 1

    def hook(self, *args, **kwargs):
        # Keras always passes `logs`, a dict (empty when there are no values):
        # LambdaCallback functions are written `lambda batch, logs: ...` and
        # `lambda logs: ...`, and callbacks read `logs.get("loss")`.
        if len(args) >= positional:
            if args[positional - 1] is None:
                args = args[: positional - 1] + ({},) + args[positional:]
        elif kwargs.get("logs") is None:
            kwargs["logs"] = {}
        for cb in self.callbacks:
            getattr(cb, name)(*args, **kwargs)

    hook.__name__ = name
    return hook


for _name in _HOOKS:
    setattr(CallbackList, _name, _dispatch(_name))
