"""Convolutions over channels-last data: Conv1D/2D/3D, Conv1D/2D/3DTranspose,
SeparableConv1D/2D, DepthwiseConv1D/2D.

Inputs are `(batch, *spatial, channels)` as in Keras. Inside, the tensor is viewed as
PyTorch's `(batch, channels, *spatial)` by a permute, not a copy: a contiguous channels-last
tensor seen that way is PyTorch's channels_last memory format, which its kernels take as it is.
Weights are stored in PyTorch's layout; `get_weights` gives Keras's (see each class).
"""

from plait.utils.forwarding import forwarded_names
from plait.layers.convolutional.base_conv import (
    Conv,
    Conv1D,
    Conv2D,
    Conv3D,
    Convolution1D,
    Convolution2D,
    Convolution3D,
)
from plait.layers.convolutional.conv_transpose import (
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
    ConvTranspose,
    Convolution2DTranspose,
    Convolution3DTranspose,
)
from plait.layers.convolutional.depthwise_conv import (
    DepthwiseConv,
    DepthwiseConv1D,
    DepthwiseConv2D,
)
from plait.layers.spatial import check_rank, tf_same_pads, to_channels_first, to_channels_last
from plait.layers.convolutional.separable_conv import (
    SeparableConv,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)

__all__ = [
    "Conv",
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "ConvTranspose",
    "Convolution1D",
    "Convolution2D",
    "Convolution2DTranspose",
    "Convolution3D",
    "Convolution3DTranspose",
    "DepthwiseConv",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "SeparableConv",
    "SeparableConv1D",
    "SeparableConv2D",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
    "check_rank",
    "tf_same_pads",
    "to_channels_first",
    "to_channels_last",
]


def __dir__():  # dir() lists the public API, not the submodules or helpers
    return list(__all__)


# Keras 2 kept these in `keras.layers.convolutional`; old programs import them from here. They are
# looked up in plait.layers when asked for (a family module imports no other family).
_KERAS2_NAMES = (
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
)


__getattr__ = forwarded_names(__name__, _KERAS2_NAMES, "plait.layers")
