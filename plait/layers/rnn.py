"""`plait.layers.rnn`: Keras's generic recurrent layer `RNN` and its cells (`SimpleRNNCell`,
`LSTMCell`, `GRUCell`, `StackedRNNCells`). They live in the recurrent family
(`plait/layers/recurrent/`, `cells.py` and `rnn.py`); this module names them for programs
that import them from here.

    >>> from plait.layers.rnn import LSTMCell
    >>> LSTMCell(4).state_size
    [4, 4]
"""

from typing import Any

_NAMES = ("GRUCell", "LSTMCell", "RNN", "SimpleRNNCell", "StackedRNNCells")
__all__ = list(_NAMES)


def __getattr__(name: str) -> Any:
    # Looked up in plait.layers when asked for: a family module imports no other family.
    if name in _NAMES:
        import plait.layers

        return getattr(plait.layers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    return sorted(list(globals()) + list(_NAMES))
