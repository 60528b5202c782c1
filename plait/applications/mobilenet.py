"""MobileNet (Howard et al., 2017) with Keras's layer names, so Keras's weight files
(`keras.applications.MobileNet`) load into it."""

from plait.applications import imagenet_utils as utils

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
_ALPHA_TEXT = {1.0: "1_0", 0.75: "7_5", 0.50: "5_0", 0.25: "2_5"}
_SIZES = (128, 160, 192, 224)
# (pointwise filters, stride) of blocks 1..13
_BLOCKS = (
    ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2))
    + ((512, 1),) * 5
    + ((1024, 2), (1024, 1))
)


def _depthwise_conv_block(layers, x, filters, alpha, depth_multiplier, stride, block_id):
    """Depthwise 3x3 (BN, ReLU6), then pointwise 1x1 (BN, ReLU6)."""
    if stride != 1:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D(
        (3, 3),
        padding="same" if stride == 1 else "valid",
        depth_multiplier=depth_multiplier,
        strides=(stride, stride),
        use_bias=False,
        name=f"conv_dw_{block_id}",
    )(x)
    x = layers.BatchNormalization(name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(
        int(filters * alpha), (1, 1), padding="same", use_bias=False, name=f"conv_pw_{block_id}"
    )(x)
    x = layers.BatchNormalization(name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def MobileNet(
    input_shape: tuple | None = None,
    alpha: float = 1.0,
    depth_multiplier: int = 1,
    dropout: float = 1e-3,
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor=None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation="softmax",
    name: str | None = None,
):
    """The MobileNet network, as `keras.applications.MobileNet` builds it.

    Args:
        input_shape: `(height, width, 3)`, default `(224, 224, 3)` with the top; at least
            32x32. Square 128, 160, 192 or 224 pick the matching ImageNet weights.
        alpha: width multiplier (ImageNet weights for 0.25, 0.5, 0.75 and 1.0).
        depth_multiplier: of the depthwise convolutions (1 for ImageNet weights).
        dropout: before the classifier.
        include_top: with the classifier (a 1x1 `conv_preds` convolution).
        weights: None (random), "imagenet" (Keras's published weights, downloaded once
            through `plait.utils.get_file`), or the path of a weights file for it.
        input_tensor: a plait Input to build on.
        pooling: without the top, None (4D output), "avg" or "max".
        classes: number of classes of the top.
        classifier_activation: the `predictions` activation.
        name: the model's name, default `mobilenet_{alpha:0.2f}_{rows}`.

    Returns:
        A plait Model.

    Raises:
        ValueError: an argument Keras refuses (with ImageNet weights: `alpha`,
            `depth_multiplier`).

    Example:
        >>> model = MobileNet(weights=None, include_top=False, input_shape=(32, 32, 3))
        >>> model.output_shape
        (None, 1, 1, 1024)
    """
    from plait import layers
    from plait.models import Model

    utils.check_weights(weights, include_top, classes)
    if input_shape is None and input_tensor is not None:
        input_shape = tuple(input_tensor.shape[1:])
    default = 224
    if input_shape is not None and input_shape[0] == input_shape[1] and input_shape[0] in _SIZES:
        default = input_shape[0]
    shape = utils.input_shape(input_shape, default, 32, include_top, weights)
    rows = shape[0]
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError(
                "If imagenet weights are being loaded, depth multiplier must be 1.  "
                f"Received depth_multiplier={depth_multiplier}"
            )
        if alpha not in _ALPHA_TEXT:
            raise ValueError(
                "If imagenet weights are being loaded, alpha can be one of`0.25`, `0.50`, "
                f"`0.75` or `1.0` only.  Received alpha={alpha}"
            )
        rows = utils.imagenet_rows(shape, _SIZES)
    inputs = input_tensor if input_tensor is not None else layers.Input(shape=shape)
    x = layers.Conv2D(
        int(32 * alpha), (3, 3), padding="same", use_bias=False, strides=(2, 2), name="conv1"
    )(inputs)
    x = layers.BatchNormalization(name="conv1_bn")(x)
    x = layers.ReLU(6.0, name="conv1_relu")(x)
    for block_id, (filters, stride) in enumerate(_BLOCKS, start=1):
        x = _depthwise_conv_block(layers, x, filters, alpha, depth_multiplier, stride, block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)
    model = Model(inputs, x, name=name or f"mobilenet_{alpha:0.2f}_{rows}")
    if weights == "imagenet":
        suffix = "" if include_top else "_no_top"
        file_name = f"mobilenet_{_ALPHA_TEXT[alpha]}_{rows}_tf{suffix}.h5"
        weights = utils.fetch(file_name, BASE_WEIGHT_PATH + file_name, None)
    return utils.load_path(model, weights)


def preprocess_input(x, data_format=None):
    """Scales RGB pixels in [0, 255] to [-1, 1] ("tf" mode), as MobileNet expects."""
    return utils.preprocess_input(x, mode="tf", data_format=data_format)


decode_predictions = utils.decode_predictions
