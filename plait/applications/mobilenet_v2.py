"""MobileNetV2 (Sandler et al., 2018) with Keras's layer names, so Keras's weight files
(`keras.applications.MobileNetV2`) load into it."""

from plait.applications import imagenet_utils as utils

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
_ALPHAS = (0.35, 0.50, 0.75, 1.0, 1.3, 1.4)
_SIZES = (96, 128, 160, 192, 224)
# (filters, stride, expansion) of blocks 0..16
_BLOCKS = (
    (16, 1, 1),
    (24, 2, 6),
    (24, 1, 6),
    (32, 2, 6),
    (32, 1, 6),
    (32, 1, 6),
    (64, 2, 6),
    (64, 1, 6),
    (64, 1, 6),
    (64, 1, 6),
    (96, 1, 6),
    (96, 1, 6),
    (96, 1, 6),
    (160, 2, 6),
    (160, 1, 6),
    (160, 1, 6),
    (320, 1, 6),
)


def _make_divisible(value, divisor=8):
    """`value` rounded to a multiple of `divisor`, never more than 10% below it."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _bn(layers, name):
    return layers.BatchNormalization(epsilon=1e-3, momentum=0.999, name=name)


def _inverted_res_block(layers, inputs, expansion, stride, alpha, filters, block_id):
    """Expand (1x1), depthwise 3x3, project (1x1); a residual add when shapes allow."""
    in_channels = inputs.shape[-1]
    pointwise = _make_divisible(int(filters * alpha))
    x = inputs
    prefix = f"block_{block_id}_" if block_id else "expanded_conv_"
    if block_id:
        x = layers.Conv2D(
            expansion * in_channels, 1, padding="same", use_bias=False, name=f"{prefix}expand"
        )(x)
        x = _bn(layers, f"{prefix}expand_BN")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=utils.correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(
        3,
        strides=stride,
        use_bias=False,
        padding="same" if stride == 1 else "valid",
        name=f"{prefix}depthwise",
    )(x)
    x = _bn(layers, f"{prefix}depthwise_BN")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(pointwise, 1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = _bn(layers, f"{prefix}project_BN")(x)
    if in_channels == pointwise and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def MobileNetV2(
    input_shape: tuple | None = None,
    alpha: float = 1.0,
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor=None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation="softmax",
    name: str | None = None,
):
    """The MobileNetV2 network, as `keras.applications.MobileNetV2` builds it.

    Args:
        input_shape: `(height, width, 3)`, default `(224, 224, 3)` with the top; at least
            32x32. Square 96, 128, 160, 192 or 224 pick the matching ImageNet weights.
        alpha: width multiplier of every layer (ImageNet weights exist for 0.35, 0.5,
            0.75, 1.0, 1.3 and 1.4).
        include_top: with the global average pooling + `predictions` classifier.
        weights: None (random), "imagenet" (Keras's published weights, downloaded once
            through `plait.utils.get_file`), or the path of a weights file for it.
        input_tensor: a plait Input to build on.
        pooling: without the top, None (4D output), "avg" or "max".
        classes: number of classes of the top.
        classifier_activation: the `predictions` layer's activation.
        name: the model's name, default `mobilenetv2_{alpha:0.2f}_{rows}`.

    Returns:
        A plait Model.

    Raises:
        ValueError: `weights`, `classes`, `input_shape` or (with ImageNet weights) `alpha`
            or `classifier_activation` is not one Keras accepts.

    Example:
        >>> model = MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3))
        >>> model.output_shape
        (None, 1, 1, 1280)
    """
    from plait import layers
    from plait.models import Model

    utils.check_weights(weights, include_top, classes)
    if input_shape is None and input_tensor is not None:
        input_shape = tuple(input_tensor.shape[1:])
    rows = input_shape[0] if input_shape is not None else None
    default = rows if input_shape is not None and rows == input_shape[1] else 224
    default = default if default in _SIZES else 224
    if input_shape is not None and None in tuple(input_shape)[:2]:
        default = 224
    shape = utils.input_shape(input_shape, default, 32, include_top, weights)
    rows = shape[0]
    if weights == "imagenet":
        if alpha not in _ALPHAS:
            raise ValueError(
                "If imagenet weights are being loaded, alpha must be one of `0.35`, `0.50`, "
                f"`0.75`, `1.0`, `1.3` or `1.4` only; Received `alpha={alpha}`"
            )
        rows = utils.imagenet_rows(shape, _SIZES)
    inputs = input_tensor if input_tensor is not None else layers.Input(shape=shape)
    x = layers.Conv2D(
        _make_divisible(32 * alpha), 3, strides=2, padding="same", use_bias=False, name="Conv1"
    )(inputs)
    x = _bn(layers, "bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(layers, x, expansion, stride, alpha, filters, block_id)
    last = _make_divisible(1280 * alpha) if alpha > 1.0 else 1280
    x = layers.Conv2D(last, 1, use_bias=False, name="Conv_1")(x)
    x = _bn(layers, "Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    if include_top:
        utils.validate_activation(classifier_activation, weights)
        x = layers.GlobalAveragePooling2D()(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)
    model = Model(inputs, x, name=name or f"mobilenetv2_{alpha:0.2f}_{rows}")
    if weights == "imagenet":
        suffix = "" if include_top else "_no_top"
        file_name = (
            f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}{suffix}.h5"
        )
        weights = utils.fetch(file_name, BASE_WEIGHT_PATH + file_name, None)
    return utils.load_path(model, weights)


def preprocess_input(x, data_format=None):
    """Scales RGB pixels in [0, 255] to [-1, 1] ("tf" mode), as MobileNetV2 expects."""
    return utils.preprocess_input(x, mode="tf", data_format=data_format)


decode_predictions = utils.decode_predictions
