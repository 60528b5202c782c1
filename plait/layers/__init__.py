"""plait's layers. The Keras 2 family modules are real import paths:
`plait.layers.core`, `.convolutional`, `.pooling`, `.reshaping`, `.merge`, `.recurrent`,
`.wrappers`."""
from plait.layers.convolutional import Conv1D, Conv2D, Conv3D, Convolution1D, Convolution2D, Convolution3D  # noqa: F401
from plait.layers.core import Activation, Dense, Input, InputLayer  # noqa: F401
from plait.layers.layer import Layer  # noqa: F401
from plait.layers.merge import Concatenate, concatenate  # noqa: F401
from plait.layers.pooling import (  # noqa: F401
    AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool1D, AvgPool2D, AvgPool3D,
    MaxPool1D, MaxPool2D, MaxPool3D, MaxPooling1D, MaxPooling2D, MaxPooling3D)
from plait.layers.recurrent import LSTM  # noqa: F401
from plait.layers.reshaping import Flatten  # noqa: F401
from plait.layers.wrappers import TimeDistributed  # noqa: F401
