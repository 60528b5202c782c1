"""VGG19 (Simonyan & Zisserman, 2015) with Keras's layer names, so Keras's weight files
(`keras.applications.VGG19`) load into it."""

from plait.applications import imagenet_utils as utils
from plait.applications import vgg16

BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/"
HASHES = ("cbe5617147190e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6")
_BLOCKS = ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))


def VGG19(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor=None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation="softmax",
    name: str = "vgg19",
):
    """The VGG19 network, as `keras.applications.VGG19` builds it.

    Args:
        include_top: with the three fully connected layers (`fc1`, `fc2`, `predictions`).
        weights: None (random), "imagenet" (Keras's published weights, downloaded once
            through `plait.utils.get_file`), or the path of a weights file (`.h5` legacy,
            `.weights.h5`) written for this architecture.
        input_tensor: a plait Input to build on.
        input_shape: `(height, width, 3)`, default `(224, 224, 3)` with the top; at least
            32x32.
        pooling: without the top, None (4D output), "avg" or "max" (2D output).
        classes: number of classes of the top.
        classifier_activation: the `predictions` layer's activation.
        name: the model's name.

    Returns:
        A plait Model.

    Example:
        >>> model = VGG19(weights=None, include_top=False, input_shape=(32, 32, 3))
        >>> model.output_shape
        (None, 1, 1, 512)
    """
    return vgg16.build(
        _BLOCKS,
        "vgg19",
        BASE_URL,
        HASHES,
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
    )


def preprocess_input(x, data_format=None):
    """Caffe-style preprocessing (RGB -> BGR, minus the ImageNet mean)."""
    return utils.preprocess_input(x, mode="caffe", data_format=data_format)


decode_predictions = utils.decode_predictions
