"""EfficientNet B0 to B7 (Tan & Le, 2019) with Keras's layer names, so Keras's weight files
(`keras.applications.EfficientNetB0`, ...) load into them.

The input scaling is part of the model (a `Rescaling` and a `Normalization` layer): feed
pixels in [0, 255]; `preprocess_input` returns its input unchanged, as Keras's does.
"""

import copy
import math

from plait.applications import imagenet_utils as utils

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/keras-applications/"
WEIGHTS_HASHES = {
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}
# (kernel_size, repeats, filters_in, filters_out, expand_ratio, strides); all with
# id_skip=True and se_ratio=0.25
DEFAULT_BLOCKS_ARGS = [
    {"kernel_size": k, "repeats": r, "filters_in": i, "filters_out": o, "expand_ratio": e,
     "id_skip": True, "strides": s, "se_ratio": 0.25}
    for k, r, i, o, e, s in (
        (3, 1, 32, 16, 1, 1),
        (3, 2, 16, 24, 6, 2),
        (5, 2, 24, 40, 6, 2),
        (3, 3, 40, 80, 6, 2),
        (5, 3, 80, 112, 6, 1),
        (5, 4, 112, 192, 6, 2),
        (3, 1, 192, 320, 6, 1),
    )
]  # fmt: skip
CONV_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"},
}
DENSE_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"},
}
IMAGENET_STDDEV_RGB = [0.229, 0.224, 0.225]
# name: (width_coefficient, depth_coefficient, default_size, dropout_rate)
_VARIANTS = {
    "b0": (1.0, 1.0, 224, 0.2),
    "b1": (1.0, 1.1, 240, 0.2),
    "b2": (1.1, 1.2, 260, 0.3),
    "b3": (1.2, 1.4, 300, 0.3),
    "b4": (1.4, 1.8, 380, 0.4),
    "b5": (1.6, 2.2, 456, 0.4),
    "b6": (1.8, 2.6, 528, 0.5),
    "b7": (2.0, 3.1, 600, 0.5),
}


def _conv(layers, filters, kernel, name, **kwargs):
    return layers.Conv2D(
        filters,
        kernel,
        padding=kwargs.pop("padding", "same"),
        use_bias=kwargs.pop("use_bias", False),
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        name=name,
        **kwargs,
    )


def block(
    layers,
    inputs,
    activation="swish",
    drop_rate=0.0,
    name="",
    filters_in=32,
    filters_out=16,
    kernel_size=3,
    strides=1,
    expand_ratio=1,
    se_ratio=0.0,
    id_skip=True,
):
    """A mobile inverted bottleneck block with squeeze-and-excitation (Keras's `block`)."""
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = _conv(layers, filters, 1, f"{name}expand_conv")(x)
        x = layers.BatchNormalization(name=f"{name}expand_bn")(x)
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    padding = "same"
    if strides == 2:
        pad = utils.correct_pad(x, kernel_size)
        x = layers.ZeroPadding2D(padding=pad, name=f"{name}dwconv_pad")(x)
        padding = "valid"
    x = layers.DepthwiseConv2D(
        kernel_size,
        strides=strides,
        padding=padding,
        use_bias=False,
        depthwise_initializer=CONV_KERNEL_INITIALIZER,
        name=f"{name}dwconv",
    )(x)
    x = layers.BatchNormalization(name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        filters_se = max(1, int(filters_in * se_ratio))
        se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
        se = layers.Reshape((1, 1, filters), name=f"{name}se_reshape")(se)
        se = _conv(layers, filters_se, 1, f"{name}se_reduce", activation=activation, use_bias=True)(
            se
        )
        se = _conv(layers, filters, 1, f"{name}se_expand", activation="sigmoid", use_bias=True)(se)
        x = layers.multiply([x, se], name=f"{name}se_excite")
    x = _conv(layers, filters_out, 1, f"{name}project_conv")(x)
    x = layers.BatchNormalization(name=f"{name}project_bn")(x)
    if id_skip and strides == 1 and filters_in == filters_out:
        if drop_rate > 0:
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def EfficientNet(
    width_coefficient: float,
    depth_coefficient: float,
    default_size: int,
    dropout_rate: float = 0.2,
    drop_connect_rate: float = 0.2,
    depth_divisor: int = 8,
    activation="swish",
    blocks_args="default",
    name: str = "efficientnet",
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor=None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation="softmax",
    weights_name: str | None = None,
):
    """An EfficientNet of the given width and depth scaling, as Keras builds it.

    Args:
        width_coefficient: scaling of every layer's filters.
        depth_coefficient: scaling of every stage's number of blocks.
        default_size: the input size the ImageNet weights were trained at.
        dropout_rate: dropout before the classifier.
        drop_connect_rate: the largest stochastic-depth rate (of the last block).
        depth_divisor: filters are rounded to multiples of it.
        activation: the activation of the blocks.
        blocks_args: "default" or a list of block argument dicts (with `repeats`).
        name: the model's name.
        include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation: as for `EfficientNetB0`.
        weights_name: "b0".."b7", which published weights "imagenet" fetches.

    Returns:
        A plait Model.

    Raises:
        ValueError: an argument Keras refuses (`weights`, `classes`, `input_shape`, a
            block with `repeats` <= 0).
    """
    from plait import layers
    from plait.models import Model

    blocks_args = DEFAULT_BLOCKS_ARGS if blocks_args == "default" else blocks_args
    utils.check_weights(weights, include_top, classes)
    if input_shape is None and input_tensor is not None:
        input_shape = tuple(input_tensor.shape[1:])
    shape = utils.input_shape(input_shape, default_size, 32, include_top, weights)

    def round_filters(filters):
        return _round_filters(filters, width_coefficient, depth_divisor)

    inputs = input_tensor if input_tensor is not None else layers.Input(shape=shape)
    x = layers.Rescaling(1.0 / 255.0)(inputs)
    x = layers.Normalization(axis=3)(x)
    if weights == "imagenet":
        x = layers.Rescaling([1.0 / math.sqrt(s) for s in IMAGENET_STDDEV_RGB])(x)
    x = layers.ZeroPadding2D(padding=utils.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = _conv(layers, round_filters(32), 3, "stem_conv", strides=2, padding="valid")(x)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)
    x = _stages(
        layers, x, blocks_args, round_filters, depth_coefficient, drop_connect_rate, activation
    )
    x = _conv(layers, round_filters(1280), 1, "top_conv")(x)
    x = layers.BatchNormalization(name="top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(
            classes,
            activation=classifier_activation,
            kernel_initializer=DENSE_KERNEL_INITIALIZER,
            name="predictions",
        )(x)
    else:
        x = utils.head(x, layers, False, pooling, classes, classifier_activation)
    model = Model(inputs, x, name=name)
    if weights == "imagenet":
        file_name = name + (".h5" if include_top else "_notop.h5")
        file_hash = WEIGHTS_HASHES[weights_name or "b0"][0 if include_top else 1]
        weights = utils.fetch(file_name, BASE_WEIGHTS_PATH + file_name, file_hash)
    return utils.load_path(model, weights)


def _round_filters(filters, width_coefficient, depth_divisor):
    """`filters` scaled by `width_coefficient`, rounded to a multiple of `depth_divisor` (never
    more than 10% down), as Keras rounds them."""
    filters *= width_coefficient
    rounded = max(depth_divisor, int(filters + depth_divisor / 2) // depth_divisor * depth_divisor)
    return int(rounded + depth_divisor if rounded < 0.9 * filters else rounded)


def _stages(
    layers, x, blocks_args, round_filters, depth_coefficient, drop_connect_rate, activation
):
    """The MBConv blocks of every stage (`blocks_args`, repeats scaled by
    `depth_coefficient`), named `block{stage}{a, b, ...}_`; the stochastic-depth rate grows
    linearly from 0 to `drop_connect_rate` over all the blocks."""

    def round_repeats(repeats):
        return int(math.ceil(depth_coefficient * repeats))

    blocks_args = copy.deepcopy(blocks_args)
    total = float(sum(round_repeats(args["repeats"]) for args in blocks_args))
    b = 0
    for i, args in enumerate(blocks_args):
        if args["repeats"] <= 0:
            raise ValueError(
                "The number of repeats in `EfficientNet` must be > 0. "
                f"Received: repeats={args['repeats']}"
            )
        args["filters_in"] = round_filters(args["filters_in"])
        args["filters_out"] = round_filters(args["filters_out"])
        for j in range(round_repeats(args.pop("repeats"))):
            if j > 0:
                args["strides"] = 1
                args["filters_in"] = args["filters_out"]
            rate = drop_connect_rate * b / total
            x = block(layers, x, activation, rate, name=f"block{i + 1}{chr(j + 97)}_", **args)
            b += 1
    return x


def _variant(key):
    width, depth, size, dropout = _VARIANTS[key]

    def build(
        include_top: bool = True,
        weights: str | None = "imagenet",
        input_tensor=None,
        input_shape: tuple | None = None,
        pooling: str | None = None,
        classes: int = 1000,
        classifier_activation="softmax",
        name: str = f"efficientnet{key}",
    ):
        return EfficientNet(
            width,
            depth,
            size,
            dropout,
            name=name,
            include_top=include_top,
            weights=weights,
            input_tensor=input_tensor,
            input_shape=input_shape,
            pooling=pooling,
            classes=classes,
            classifier_activation=classifier_activation,
            weights_name=key,
        )

    build.__name__ = build.__qualname__ = f"EfficientNet{key.upper()}"
    build.__doc__ = utils.application_doc(
        build.__name__,
        f" (width x{width}, depth x{depth}, {size}x{size} default input)",
        "the `avg_pool`, `top_dropout` and `predictions` classifier",
        f">>> import inspect\n>>> inspect.signature({build.__name__}).parameters['name'].default"
        f"\n'efficientnet{key}'",
        input_note=" Inputs are pixels in [0, 255]: the model scales them itself.",
        size=size,
    )
    return build


EfficientNetB0 = _variant("b0")
EfficientNetB1 = _variant("b1")
EfficientNetB2 = _variant("b2")
EfficientNetB3 = _variant("b3")
EfficientNetB4 = _variant("b4")
EfficientNetB5 = _variant("b5")
EfficientNetB6 = _variant("b6")
EfficientNetB7 = _variant("b7")


def preprocess_input(x, data_format=None):
    """Returns `x` unchanged: EfficientNet scales its inputs itself (Keras keeps this
    function for compatibility).

    Example:
        >>> preprocess_input([1.0, 2.0])
        [1.0, 2.0]
    """
    return x


decode_predictions = utils.decode_predictions
