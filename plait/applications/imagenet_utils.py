"""ImageNet helpers shared by the applications: input checks, preprocessing modes, the
decoding of predictions, and weight loading (`None`, a path, or "imagenet")."""

import json
import warnings

import numpy as np

CLASS_INDEX_PATH = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
)
_CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"
_CLASS_INDEX = None
_CAFFE_MEAN = np.array([103.939, 116.779, 123.68], dtype="float32")  # BGR
_TORCH_MEAN = np.array([0.485, 0.456, 0.406], dtype="float32")
_TORCH_STD = np.array([0.229, 0.224, 0.225], dtype="float32")


def preprocess_input(x, mode="caffe", data_format=None):
    """Scale a batch of RGB images in [0, 255] as the model's ImageNet weights expect.

    Args:
        x: array of shape `(..., height, width, 3)` (channels last).
        mode: "caffe" (RGB -> BGR, minus the ImageNet mean, VGG/ResNet), "tf" (to [-1, 1],
            MobileNetV2) or "torch" (to [0, 1], then ImageNet mean/std, DenseNet).
        data_format: only "channels_last" (or None).

    Returns:
        A float32 array of the same shape.
    """
    if data_format not in (None, "channels_last"):
        raise ValueError(
            f"plait's applications take channels-last images. Received: data_format={data_format!r}"
        )
    x = np.asarray(x, dtype="float32")
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        return (x / 255.0 - _TORCH_MEAN) / _TORCH_STD
    if mode == "caffe":
        return x[..., ::-1] - _CAFFE_MEAN
    raise ValueError(
        f"Unknown preprocessing mode. Expected 'caffe', 'tf' or 'torch'. Received: mode={mode!r}"
    )


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction, as `(class_id, name, score)` tuples.

    The class index (a small JSON file) is fetched once through `plait.utils.get_file`.

    Raises:
        ValueError: `preds` is not a batch of 1000 scores.
    """
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(
            "decode_predictions expects a batch of ImageNet predictions (a 2D "
            f"array of shape (samples, 1000)). Received: shape={preds.shape}"
        )
    index = _class_index()
    results = []
    for row in preds:
        best = row.argsort()[-top:][::-1]
        results.append([tuple(index[str(i)]) + (row[i],) for i in best])
    return results


def _class_index():
    global _CLASS_INDEX
    if _CLASS_INDEX is None:
        path = _get_file("imagenet_class_index.json", CLASS_INDEX_PATH, _CLASS_INDEX_HASH)
        with open(path) as f:
            _CLASS_INDEX = json.load(f)
    return _CLASS_INDEX


def _get_file(name, origin, file_hash):
    from plait.utils import get_file  # the utils branch's downloader (Keras's cache layout)

    return get_file(name, origin, cache_subdir="models", file_hash=file_hash)


def check_weights(weights, include_top, classes):
    """Keras's checks of `weights=` and `classes=`."""
    if not (
        weights in (None, "imagenet")
        or isinstance(weights, (str, bytes))
        or hasattr(weights, "__fspath__")
    ):
        raise ValueError(
            "The `weights` argument should be either `None` (random "
            "initialization), 'imagenet' (pre-training on ImageNet), or the path "
            f"to the weights file to be loaded. Received: weights={weights!r}"
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            "If using `weights='imagenet'` with `include_top=True`, `classes` "
            f"should be 1000. Received: classes={classes}"
        )


def input_shape(shape, default, minimum, include_top, weights):
    """The `(height, width, channels)` a model is built for, checked as Keras checks it."""
    if shape is None:
        return (default, default, 3) if include_top or weights == "imagenet" else (None, None, 3)
    shape = tuple(shape)
    if len(shape) != 3:
        raise ValueError(
            f"`input_shape` must be a tuple of three integers (height, width, "
            f"channels). Received: input_shape={shape}"
        )
    if weights == "imagenet" and shape[-1] != 3:
        raise ValueError(
            f"The input must have 3 channels for ImageNet weights. Received: input_shape={shape}"
        )
    if include_top and weights == "imagenet" and shape[:2] != (default, default):
        raise ValueError(
            f"When setting `include_top=True` and loading 'imagenet' weights, "
            f"`input_shape` should be ({default}, {default}, 3). "
            f"Received: input_shape={shape}"
        )
    if any(s is not None and s < minimum for s in shape[:2]):
        raise ValueError(
            f"Input size must be at least {minimum}x{minimum}. Received: input_shape={shape}"
        )
    return shape


def head(x, layers, include_top, pooling, classes, classifier_activation, top=None):
    """The classifier (`top(x)` then the `predictions` Dense) or the pooling of a base."""
    if include_top:
        x = top(x) if top is not None else layers.GlobalAveragePooling2D(name="avg_pool")(x)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


def load(model, weights, include_top, name, base_url, hashes):
    """Load `weights` into `model`: a path, or "imagenet" (Keras's published file, fetched
    and checked by hash)."""
    if weights == "imagenet":
        suffix = "" if include_top else "_notop"
        file_name = f"{name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
        weights = fetch(file_name, base_url + file_name, hashes[0 if include_top else 1])
    return load_path(model, weights)


def fetch(file_name, origin, file_hash):
    """The local path of Keras's published weights file `file_name` (downloaded once into
    Keras's cache, `~/.keras/models`, and checked against `file_hash` when given)."""
    return _get_file(file_name, origin, file_hash)


def load_path(model, weights):
    """`model` with the weights of the file `weights` loaded (None: left as built)."""
    if weights is not None:
        model.load_weights(weights)
    return model


def correct_pad(x, kernel_size):
    """The `((top, bottom), (left, right))` zero padding before a strided "valid"
    convolution that makes it match TensorFlow's "same" (Keras's `correct_pad`).

    Args:
        x: a channels-last symbolic tensor `(batch, height, width, channels)`.
        kernel_size: an int or a pair.

    Returns:
        The padding, as `ZeroPadding2D(padding=...)` takes it.
    """
    size = tuple(x.shape[1:3])
    kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    half = (kernel[0] // 2, kernel[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))


def validate_activation(classifier_activation, weights):
    """Keras's check: pretrained weights take only a softmax or linear classifier."""
    if weights is None or classifier_activation in (None, "softmax", "linear"):
        return
    raise ValueError(
        "Only `None` and `softmax` activations are allowed for the "
        "`classifier_activation` argument when using pretrained weights, with "
        f"`include_top=True`; Received: classifier_activation={classifier_activation!r}"
    )


def imagenet_rows(shape, sizes):
    """The input size whose ImageNet weights a MobileNet loads: the input's own when it is
    square and one of the published `sizes`, else 224 (with Keras's warning)."""
    rows = shape[0]
    if rows == shape[1] and rows in sizes:
        return rows
    warnings.warn(
        "`input_shape` is undefined or non-square, or `rows` is not in "
        f"{list(sizes)}. Weights for input shape (224, 224) will be loaded as the default.",
        stacklevel=3,
    )
    return 224


def application_doc(title, summary, top, example, input_note="", weights_note=" for it", size=224):
    """The docstring of an application builder (`ResNet50`, `DenseNet121`, ...): `summary`,
    then the arguments they all share, then `example` (doctest lines, unindented).

    Args:
        title: the builder's name, as in `keras.applications`.
        summary: what follows "The {title} network, as Keras builds it" (e.g. the stages).
        top: what `include_top` adds (e.g. "the `avg_pool` + `predictions` classifier").
        example: the doctest lines of the example.
        input_note: a sentence more on `input_shape` (e.g. the input size, the scaling).
        weights_note: what a weights file must fit (default " for it").
        size: the default input size with the top (default 224).

    Returns:
        The docstring.

    Example:
        >>> doc = application_doc("VGG16", "", "three dense layers", "")
        >>> doc.splitlines()[0]
        'The VGG16 network, as `keras.applications.VGG16` builds it.'
    """
    example = "".join(f"\n        {line}" for line in example.splitlines())
    return f"""The {title} network, as `keras.applications.{title}` builds it{summary}.

    Args:
        include_top: with {top}.
        weights: None (random), "imagenet" (Keras's published weights, downloaded once
            through `plait.utils.get_file`), or the path of a weights file{weights_note}.
        input_tensor: a plait Input to build on.
        input_shape: `(height, width, 3)`, default `({size}, {size}, 3)` with the top; at
            least 32x32.{input_note}
        pooling: without the top, None (4D output), "avg" or "max" (2D output).
        classes: number of classes of the top.
        classifier_activation: the `predictions` layer's activation.
        name: the model's name.

    Returns:
        A plait Model.

    Example:{example}
    """
