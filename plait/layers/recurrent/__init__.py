"""Recurrent layers (Keras 2's `keras.layers.recurrent`): `SimpleRNN`, `GRU`, `LSTM` over
`(batch, timesteps, features)` on PyTorch's fused kernels, the cells `SimpleRNNCell`,
`GRUCell`, `LSTMCell`, `StackedRNNCells` and the generic `RNN(cell)`, and the convolutional
LSTMs `ConvLSTM1D`, `ConvLSTM2D`, `ConvLSTM3D`.

One family, one module per job: `arguments.py` (the arguments, weights and config every
recurrent class shares), `base.py` (what SimpleRNN, GRU and LSTM share: states, masks,
dropout, the step loop), `simple_rnn.py`, `gru.py`, `lstm.py`, `cells.py`, `rnn.py` (`RNN`,
`StackedRNNCells`), `conv_lstm.py`. `plait.layers.rnn` and `plait.layers.conv_lstm` name the
same classes.

    >>> from plait import Input
    >>> x = Input(shape=(10, 8))
    >>> LSTM(4, return_sequences=True)(x).shape
    (None, 10, 4)
"""

from plait.layers.recurrent.base import check_sequence_input
from plait.layers.recurrent.cells import GRUCell, LSTMCell, SimpleRNNCell
from plait.layers.recurrent.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from plait.layers.recurrent.gru import GRU
from plait.layers.recurrent.lstm import LSTM
from plait.layers.recurrent.rnn import RNN, StackedRNNCells
from plait.layers.recurrent.simple_rnn import SimpleRNN

__all__ = [
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "GRU",
    "GRUCell",
    "LSTM",
    "LSTMCell",
    "RNN",
    "SimpleRNN",
    "SimpleRNNCell",
    "StackedRNNCells",
    "check_sequence_input",
]
