"""ResNet50 (He et al., 2015) with Keras's layer names, so Keras's weight files
(`keras.applications.ResNet50`) load into it."""

from plait.applications import imagenet_utils as utils

BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
HASHES = ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626")
_EPS = 1.001e-5


def _block(layers, x, filters, stride=1, conv_shortcut=True, name=None):
    """A bottleneck residual block (1x1, 3x3, 1x1 convolutions)."""
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = layers.BatchNormalization(epsilon=_EPS, name=f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(epsilon=_EPS, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(epsilon=_EPS, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = layers.BatchNormalization(epsilon=_EPS, name=f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def _stack(layers, x, filters, blocks, stride=2, name=None):
    x = _block(layers, x, filters, stride=stride, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = _block(layers, x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def ResNet50(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet50",
):
    """The ResNet50 network, as `keras.applications.ResNet50` builds it.

    Args:
        include_top: with the `avg_pool` + `predictions` classifier.
        weights: None (random), "imagenet" (Keras's published weights, downloaded once
            through `plait.utils.get_file`), or the path of a weights file for it.
        input_tensor: a plait Input to build on.
        input_shape: `(height, width, 3)`, default `(224, 224, 3)` with the top; at least
            32x32.
        pooling: without the top, None (4D output), "avg" or "max".
        classes: number of classes of the top.
        classifier_activation: the `predictions` layer's activation.

    Returns:
        A plait Model named `name`.

    Example:
        >>> model = ResNet50(weights=None, include_top=False, input_shape=(64, 64, 3))
    """
    from plait import layers
    from plait.models import Model

    utils.check_weights(weights, include_top, classes)
    shape = utils.input_shape(input_shape, 224, 32, include_top, weights)
    inputs = input_tensor if input_tensor is not None else layers.Input(shape=shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(inputs)
    x = layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    x = layers.BatchNormalization(epsilon=_EPS, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = _stack(layers, x, 64, 3, stride=1, name="conv2")
    x = _stack(layers, x, 128, 4, name="conv3")
    x = _stack(layers, x, 256, 6, name="conv4")
    x = _stack(layers, x, 512, 3, name="conv5")
    x = utils.head(x, layers, include_top, pooling, classes, classifier_activation)
    model = Model(inputs, x, name=name)
    return utils.load(model, weights, include_top, "resnet50", BASE_URL, HASHES)


def preprocess_input(x, data_format=None):
    """Caffe-style preprocessing (RGB -> BGR, minus the ImageNet mean)."""
    return utils.preprocess_input(x, mode="caffe", data_format=data_format)


decode_predictions = utils.decode_predictions
