"""`plait.layers.conv_lstm`: the convolutional LSTMs `ConvLSTM1D`, `ConvLSTM2D`,
`ConvLSTM3D` (Shi et al., 2015). They live in the recurrent family
(`plait/layers/recurrent/conv_lstm.py`); this module names them for programs that import
them from here.

    >>> from plait.layers.conv_lstm import ConvLSTM2D
    >>> ConvLSTM2D(8, 3).filters
    8
"""

from typing import Any

_NAMES = ("ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")
__all__ = list(_NAMES)


def __getattr__(name: str) -> Any:
    # Looked up in plait.layers when asked for: a family module imports no other family.
    if name in _NAMES:
        import plait.layers

        return getattr(plait.layers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    return sorted(list(globals()) + list(_NAMES))
