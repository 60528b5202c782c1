"""ResNet50V2, ResNet101V2 and ResNet152V2 (He et al., 2016: identity mappings, BN and ReLU
before each convolution) with Keras's layer names; built by `resnet.ResNet`."""

from plait.applications import imagenet_utils as utils
from plait.applications.resnet import ResNet101V2, ResNet152V2, ResNet50V2

__all__ = ["ResNet50V2", "ResNet101V2", "ResNet152V2", "preprocess_input", "decode_predictions"]


def preprocess_input(x, data_format=None):
    """Scales RGB pixels in [0, 255] to [-1, 1] ("tf" mode), as the V2 models expect.

    Example:
        >>> preprocess_input([0.0, 255.0]).tolist()
        [-1.0, 1.0]
    """
    return utils.preprocess_input(x, mode="tf", data_format=data_format)


decode_predictions = utils.decode_predictions
