"""ResNet 50, 101 and 152 (He et al., 2015) and their V2 (pre-activation) siblings with
Keras's layer names, so Keras's weight files (`keras.applications.ResNet50`, ...) load into
them. `ResNet` is the shared builder; `resnet_v2` holds the V2 entry points."""

from plait.applications import imagenet_utils as utils

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
BASE_URL = BASE_WEIGHTS_PATH
WEIGHTS_HASHES = {
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}
HASHES = WEIGHTS_HASHES["resnet50"]
_EPS = 1.001e-5


def residual_block_v1(layers, x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """A bottleneck residual block (1x1, 3x3, 1x1 convolutions), post-activation."""
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = layers.BatchNormalization(epsilon=_EPS, name=f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(epsilon=_EPS, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(epsilon=_EPS, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = layers.BatchNormalization(epsilon=_EPS, name=f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(layers, x, filters, blocks, stride1=2, name=None):
    """`blocks` V1 blocks, the first with a projection shortcut and stride `stride1`."""
    x = residual_block_v1(layers, x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(layers, x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def residual_block_v2(layers, x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """A pre-activation bottleneck block (BN and ReLU before each convolution)."""
    preact = layers.BatchNormalization(epsilon=_EPS, name=f"{name}_preact_bn")(x)
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = layers.BatchNormalization(epsilon=_EPS, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, kernel_size, strides=stride, use_bias=False, name=f"{name}_2_conv")(
        x
    )
    x = layers.BatchNormalization(epsilon=_EPS, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def stack_residual_blocks_v2(layers, x, filters, blocks, stride1=2, name=None):
    """`blocks` V2 blocks; the last one strides by `stride1`."""
    x = residual_block_v2(layers, x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = residual_block_v2(layers, x, filters, name=f"{name}_block{i}")
    return residual_block_v2(layers, x, filters, stride=stride1, name=f"{name}_block{blocks}")


def ResNet(
    stack_fn,
    preact: bool,
    use_bias: bool,
    name: str = "resnet",
    weights_name: str | None = None,
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor=None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation="softmax",
):
    """A ResNet whose residual stages `stack_fn(layers, x)` builds, as Keras's `ResNet`.

    Args:
        stack_fn: `(layers, x) -> x`, the residual stages.
        preact: V2 (pre-activation): no BN/ReLU after the stem, `post_bn` at the end.
        use_bias: whether the stem convolution has a bias.
        name: the model's name.
        weights_name: the key of Keras's published weights ("resnet50", ...).
        include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation: as for `ResNet50`.

    Returns:
        A plait Model.
    """
    from plait import layers
    from plait.models import Model

    utils.check_weights(weights, include_top, classes)
    if input_shape is None and input_tensor is not None:
        input_shape = tuple(input_tensor.shape[1:])
    shape = utils.input_shape(input_shape, 224, 32, include_top, weights)
    inputs = input_tensor if input_tensor is not None else layers.Input(shape=shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(inputs)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = layers.BatchNormalization(epsilon=_EPS, name="conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack_fn(layers, x)
    if preact:
        x = layers.BatchNormalization(epsilon=_EPS, name="post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)
    if include_top:
        utils.validate_activation(classifier_activation, weights)
    x = utils.head(x, layers, include_top, pooling, classes, classifier_activation)
    model = Model(inputs, x, name=name)
    if weights == "imagenet" and weights_name in WEIGHTS_HASHES:
        return utils.load(
            model,
            weights,
            include_top,
            weights_name,
            BASE_WEIGHTS_PATH,
            WEIGHTS_HASHES[weights_name],
        )
    return utils.load_path(model, None if weights == "imagenet" else weights)


def _variant(model_name, depths, v2=False):
    def stack_fn(layers, x):
        if v2:
            for stage, (filters, blocks) in enumerate(zip((64, 128, 256, 512), depths)):
                stride = 1 if stage == 3 else 2
                x = stack_residual_blocks_v2(
                    layers, x, filters, blocks, stride1=stride, name=f"conv{stage + 2}"
                )
            return x
        for stage, (filters, blocks) in enumerate(zip((64, 128, 256, 512), depths)):
            stride = 1 if stage == 0 else 2
            x = stack_residual_blocks_v1(
                layers, x, filters, blocks, stride1=stride, name=f"conv{stage + 2}"
            )
        return x

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
        return ResNet(
            stack_fn,
            v2,
            True,
            name=name,
            weights_name=model_name,
            include_top=include_top,
            weights=weights,
            input_tensor=input_tensor,
            input_shape=input_shape,
            pooling=pooling,
            classes=classes,
            classifier_activation=classifier_activation,
        )

    title = model_name.replace("resnet", "ResNet").replace("v2", "V2")
    build.__name__ = build.__qualname__ = title
    build.__doc__ = utils.application_doc(
        title,
        f" (stages of {', '.join(map(str, depths))} "
        f"{'pre-activation ' if v2 else ''}bottleneck blocks)",
        "the `avg_pool` + `predictions` classifier",
        f">>> import inspect\n>>> inspect.signature({title}).parameters['name'].default\n"
        f"'{model_name}'",
    )
    return build


ResNet50 = _variant("resnet50", (3, 4, 6, 3))
ResNet101 = _variant("resnet101", (3, 4, 23, 3))
ResNet152 = _variant("resnet152", (3, 8, 36, 3))
ResNet50V2 = _variant("resnet50v2", (3, 4, 6, 3), v2=True)
ResNet101V2 = _variant("resnet101v2", (3, 4, 23, 3), v2=True)
ResNet152V2 = _variant("resnet152v2", (3, 8, 36, 3), v2=True)


def preprocess_input(x, data_format=None):
    """Caffe-style preprocessing (RGB -> BGR, minus the ImageNet mean), for the V1 models."""
    return utils.preprocess_input(x, mode="caffe", data_format=data_format)


decode_predictions = utils.decode_predictions
