"""`plait.layers.rnn`: Keras's generic recurrent layer `RNN` and its cells (`SimpleRNNCell`,
`LSTMCell`, `GRUCell`, `StackedRNNCells`). They live in the recurrent family
(`plait/layers/recurrent/`, `cells.py` and `rnn.py`); this module names them for programs
that import them from here.

    >>> from plait.layers.rnn import LSTMCell
    >>> LSTMCell(4).state_size
    [4, 4]
"""

from plait.utils.forwarding import forwarded_names

_NAMES = ("GRUCell", "LSTMCell", "RNN", "SimpleRNNCell", "StackedRNNCells")
__all__ = list(_NAMES)


__getattr__ = forwarded_names(__name__, _NAMES, "plait.layers")


def __dir__() -> list:
    return sorted(list(globals()) + list(_NAMES))
