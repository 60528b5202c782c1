"""VGG16 (Simonyan & Zisserman, 2015) with Keras's layer names, so Keras's weight files
(`keras.applications.VGG16`) load into it."""

from plait.applications import imagenet_utils as utils

BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
HASHES = ("64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc")
_BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))


def VGG16(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="vgg16",
):
    # Its docstring is set below: the arguments every application shares, one text.
    return build(
        _BLOCKS,
        "vgg16",
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


def build(
    blocks,
    key,
    base_url,
    hashes,
    include_top,
    weights,
    input_tensor,
    input_shape,
    pooling,
    classes,
    classifier_activation,
    name,
):
    """A VGG network of `blocks` (`(filters, convolutions)` per block); `key` names
    Keras's published weights files (shared by VGG16 and VGG19)."""
    from plait import layers
    from plait.models import Model

    utils.check_weights(weights, include_top, classes)
    shape = utils.input_shape(input_shape, 224, 32, include_top, weights)
    inputs = input_tensor if input_tensor is not None else layers.Input(shape=shape)
    x = inputs
    for block, (filters, convs) in enumerate(blocks, start=1):
        for i in range(1, convs + 1):
            x = layers.Conv2D(
                filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{i}"
            )(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)

    def top(x):
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        return layers.Dense(4096, activation="relu", name="fc2")(x)

    if not include_top and pooling in ("avg", "max"):
        pool = layers.GlobalAveragePooling2D if pooling == "avg" else layers.GlobalMaxPooling2D
        x = pool()(x)
    else:
        x = utils.head(x, layers, include_top, None, classes, classifier_activation, top)
    model = Model(inputs, x, name=name)
    return utils.load(model, weights, include_top, key, base_url, hashes)


def vgg_doc(title):
    """The docstring of `VGG16` and `VGG19` (`title`), with a runnable example."""
    return utils.application_doc(
        title,
        "",
        "the three fully connected layers (`fc1`, `fc2`, `predictions`)",
        f">>> model = {title}(weights=None, include_top=False, input_shape=(32, 32, 3))\n"
        ">>> model.output_shape\n(None, 1, 1, 512)",
        weights_note=" (`.h5` legacy, `.weights.h5`) written for this architecture",
    )


VGG16.__doc__ = vgg_doc("VGG16")


def preprocess_input(x, data_format=None):
    """Caffe-style preprocessing (RGB -> BGR, minus the ImageNet mean)."""
    return utils.preprocess_input(x, mode="caffe", data_format=data_format)


decode_predictions = utils.decode_predictions
