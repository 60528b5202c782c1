"""DenseNet 121, 169 and 201 (Huang et al., 2017) with Keras's layer names, so Keras's weight
files (`keras.applications.DenseNet121`, ...) load into them."""

from plait.applications import imagenet_utils as utils

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
# blocks per stage: (name, (hash with the top, hash without))
_VARIANTS = {
    (6, 12, 24, 16): (
        "densenet121",
        ("9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738"),
    ),
    (6, 12, 32, 32): (
        "densenet169",
        ("d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b"),
    ),
    (6, 12, 48, 32): (
        "densenet201",
        ("1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1"),
    ),
}
_EPS = 1.001e-5


def dense_block(layers, x, blocks, name):
    """`blocks` conv blocks, each concatenating 32 new channels to its input."""
    for i in range(blocks):
        x = conv_block(layers, x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(layers, x, reduction, name):
    """BN, ReLU, a 1x1 convolution keeping `reduction` of the channels, 2x2 average pool."""
    x = layers.BatchNormalization(epsilon=_EPS, name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[-1] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def conv_block(layers, x, growth_rate, name):
    """BN-ReLU-1x1 conv, BN-ReLU-3x3 conv, concatenated to the block's input."""
    x1 = layers.BatchNormalization(epsilon=_EPS, name=f"{name}_0_bn")(x)
    x1 = layers.Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = layers.BatchNormalization(epsilon=_EPS, name=f"{name}_1_bn")(x1)
    x1 = layers.Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x1)
    return layers.Concatenate(axis=3, name=f"{name}_concat")([x, x1])


def DenseNet(
    blocks,
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor=None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation="softmax",
    name: str = "densenet",
):
    """A DenseNet with `blocks` conv blocks in each of its four dense blocks.

    Args:
        blocks: four ints ([6, 12, 24, 16] is DenseNet121).
        include_top: with the `avg_pool` + `predictions` classifier.
        weights: None (random), "imagenet" (Keras's published weights, for the three
            published depths, downloaded once through `plait.utils.get_file`), or the path
            of a weights file for it.
        input_tensor: a plait Input to build on.
        input_shape: `(height, width, 3)`, default `(224, 224, 3)` with the top; at least
            32x32.
        pooling: without the top, None (4D output), "avg" or "max".
        classes: number of classes of the top.
        classifier_activation: the `predictions` layer's activation.
        name: the model's name.

    Returns:
        A plait Model.

    Raises:
        ValueError: an argument Keras refuses; "imagenet" weights for a depth Keras has
            not published.

    Example:
        >>> model = DenseNet([1, 1, 1, 1], weights=None, include_top=False,
        ...                  input_shape=(32, 32, 3))
        >>> model.output_shape
        (None, 1, 1, 68)
    """
    from plait import layers
    from plait.models import Model

    utils.check_weights(weights, include_top, classes)
    if input_shape is None and input_tensor is not None:
        input_shape = tuple(input_tensor.shape[1:])
    shape = utils.input_shape(input_shape, 224, 32, include_top, weights)
    inputs = input_tensor if input_tensor is not None else layers.Input(shape=shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(inputs)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = layers.BatchNormalization(epsilon=_EPS, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, count in enumerate(blocks):
        x = dense_block(layers, x, count, name=f"conv{stage + 2}")
        if stage < 3:
            x = transition_block(layers, x, 0.5, name=f"pool{stage + 2}")
    x = layers.BatchNormalization(epsilon=_EPS, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    if include_top:
        utils.validate_activation(classifier_activation, weights)
    x = utils.head(x, layers, include_top, pooling, classes, classifier_activation)
    model = Model(inputs, x, name=name)
    if weights == "imagenet":
        variant = _VARIANTS.get(tuple(blocks))
        if variant is None:
            raise ValueError(
                "ImageNet weights exist for DenseNet121, 169 and 201 only. "
                f"Received: blocks={list(blocks)}"
            )
        file_name = f"{variant[0]}_weights_tf_dim_ordering_tf_kernels"
        file_name += ".h5" if include_top else "_notop.h5"
        file_hash = variant[1][0 if include_top else 1]
        weights = utils.fetch(file_name, BASE_WEIGHTS_PATH + file_name, file_hash)
    return utils.load_path(model, weights)


def _variant(blocks, model_name):
    def build(
        include_top: bool = True,
        weights: str | None = "imagenet",
        input_tensor=None,
        input_shape: tuple | None = None,
        pooling: str | None = None,
        classes: int = 1000,
        classifier_activation="softmax",
        name: str = model_name,
    ):
        return DenseNet(
            list(blocks),
            include_top,
            weights,
            input_tensor,
            input_shape,
            pooling,
            classes,
            classifier_activation,
            name=name,
        )

    title = model_name.replace("densenet", "DenseNet")
    build.__name__ = build.__qualname__ = title
    build.__doc__ = utils.application_doc(
        title,
        f" (dense blocks of {', '.join(map(str, blocks))} conv blocks)",
        "the `avg_pool` + `predictions` classifier",
        f">>> import inspect\n>>> inspect.signature({title}).parameters['name'].default\n"
        f"'{model_name}'",
    )
    return build


DenseNet121 = _variant((6, 12, 24, 16), "densenet121")
DenseNet169 = _variant((6, 12, 32, 32), "densenet169")
DenseNet201 = _variant((6, 12, 48, 32), "densenet201")


def preprocess_input(x, data_format=None):
    """Scales RGB pixels in [0, 255] to [0, 1], then by the ImageNet mean and standard
    deviation ("torch" mode), as DenseNet expects."""
    return utils.preprocess_input(x, mode="torch", data_format=data_format)


decode_predictions = utils.decode_predictions
