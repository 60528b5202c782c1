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
    # Its docstring is set below: the arguments every application shares, one text.
    return vgg16.build(
        _BLOCKS,
        "vgg19",
        BASE_URL,
        HASHES,
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
    )


VGG19.__doc__ = vgg16.vgg_doc("VGG19")
preprocess_input = vgg16.preprocess_input  # Caffe-style, as for VGG16
decode_predictions = utils.decode_predictions
