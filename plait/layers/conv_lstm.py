"""`plait.layers.conv_lstm`: the convolutional LSTMs `ConvLSTM1D`, `ConvLSTM2D`,
`ConvLSTM3D` (Shi et al., 2015). They live in the recurrent family
(`plait/layers/recurrent/conv_lstm.py`); this module names them for programs that import
them from here.

    >>> from plait.layers.conv_lstm import ConvLSTM2D
    >>> ConvLSTM2D(8, 3).filters
    8
"""

from plait.utils.forwarding import forwarded_names

_NAMES = ("ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")
__all__ = list(_NAMES)


__getattr__ = forwarded_names(__name__, _NAMES, "plait.layers")


def __dir__() -> list:
    return sorted(list(globals()) + list(_NAMES))
