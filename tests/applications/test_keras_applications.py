"""plait.applications against keras.applications, model by model: the same layer names and
parameter counts, and weights Keras writes (`.weights.h5`, legacy `.h5`, `.keras`) load into
plait and predict the same; plait's files load into Keras and predict the same."""

import numpy as np
import pytest

from plait import applications, models

keras = pytest.importorskip("keras")
h5py = pytest.importorskip("h5py")
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

SHAPE = (32, 32, 3)
# model: its module (for preprocess_input)
MODELS = {
    "MobileNetV2": "mobilenet_v2",
    "EfficientNetB0": "efficientnet",
    "DenseNet121": "densenet",
    "MobileNet": "mobilenet",
}
# Keras names the layers that have no name argument with its own counters (`rescaling`,
# plait: `rescaling_1`); these are compared by class only
AUTO = ("global_average_pooling2d", "zero_padding2d", "max_pooling2d", "rescaling", "normalization")


def _random_weights(model, seed=0):
    rng = np.random.default_rng(seed)
    model.set_weights(
        [
            rng.normal(scale=0.05, size=np.shape(value)).astype("float32")
            + (1.0 if "variance" in w.path else 0.0)
            for w, value in zip(model.weights, model.get_weights())
        ]
    )


def _images(seed=1):
    return np.random.default_rng(seed).uniform(0, 255, size=(2,) + SHAPE).astype("float32")


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """name -> Case: the Keras model (random weights), the same architecture in plait, the
    inputs, Keras's predictions and the files Keras wrote; made once per model."""
    cache = {}

    def make(name):
        if name not in cache:
            folder = tmp_path_factory.mktemp(name)
            k = getattr(keras.applications, name)(
                weights=None, include_top=False, input_shape=SHAPE, pooling="avg"
            )
            _random_weights(k)
            paths = {s: folder / f"m{s}" for s in (".weights.h5", ".h5", ".keras")}
            k.save_weights(paths[".weights.h5"])
            with h5py.File(paths[".h5"], "w") as f:
                legacy_h5_format.save_weights_to_hdf5_group(f, k)
            k.save(paths[".keras"])
            x = getattr(applications, MODELS[name]).preprocess_input(_images())
            y = np.asarray(k.predict(x, verbose=0))
            cache[name] = Case(k, _plait(name), x, y, paths)
        return cache[name]

    return make


class Case:
    def __init__(self, keras_model, plait_model, x, y, paths):
        self.k, self.p, self.x, self.y, self.paths = keras_model, plait_model, x, y, paths


def _plait(name, weights=None):
    return getattr(applications, name)(
        weights=weights, include_top=False, input_shape=SHAPE, pooling="avg"
    )


def _same_structure(p, k):
    assert p.count_params() == k.count_params()
    assert len(p.layers) == len(k.layers)
    for pl, kl in zip(p.layers[1:], k.layers[1:]):
        assert type(pl).__name__ == type(kl).__name__
        if not kl.name.startswith(AUTO):
            assert pl.name == kl.name
    assert [w.shape for w in p.get_weights()] == [tuple(w.shape) for w in k.weights]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_same_layers_and_weights_as_keras(name, built):
    case = built(name)
    _same_structure(case.p, case.k)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_keras_weights_load_into_plait(name, built):
    """`.weights.h5` (Keras 3 layout) and legacy `.h5` (Keras 2 layout), each loaded over
    other weights."""
    case = built(name)
    for seed, suffix in enumerate((".weights.h5", ".h5")):
        _random_weights(case.p, seed=10 + seed)
        case.p.load_weights(case.paths[suffix])
        _close(case.p.predict(case.x, verbose=0), case.y)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_plait_weights_load_into_keras(name, built, tmp_path):
    case = built(name)
    _random_weights(case.p, seed=20)
    expected = case.p.predict(case.x, verbose=0)
    for seed, suffix in enumerate((".weights.h5", ".h5")):
        case.p.save_weights(tmp_path / f"p{suffix}")
        _random_weights(case.k, seed=30 + seed)
        case.k.load_weights(tmp_path / f"p{suffix}")
        _close(case.k.predict(case.x, verbose=0), expected)


@pytest.mark.parametrize("name", ["MobileNetV2", "EfficientNetB0"])
def test_keras_file_round_trip(name, built, tmp_path):
    """A `.keras` file Keras wrote loads as a plait model (config translated: ReLU6,
    DepthwiseConv2D, Normalization, Reshape, Multiply, Dropout with noise_shape), and
    plait's `.keras` file loads back into Keras."""
    case = built(name)
    p = models.load_model(case.paths[".keras"])
    _close(p.predict(case.x, verbose=0), case.y)
    p.save(tmp_path / "p.keras")
    back = keras.saving.load_model(tmp_path / "p.keras")
    _close(back.predict(case.x, verbose=0), case.y)


def test_mobilenet_v2_full_size_with_top(tmp_path):
    """The ImageNet-sized model with its classifier: names, parameters, predictions."""
    k = keras.applications.MobileNetV2(weights=None, classifier_activation=None)
    _random_weights(k)
    k.save_weights(tmp_path / "m.weights.h5")
    p = applications.MobileNetV2(weights=str(tmp_path / "m.weights.h5"), classifier_activation=None)
    assert p.name == k.name == "mobilenetv2_1.00_224"
    _same_structure(p, k)
    x = applications.mobilenet_v2.preprocess_input(
        np.random.default_rng(2).uniform(0, 255, size=(1, 224, 224, 3)).astype("float32")
    )
    _close(p.predict(x, verbose=0), k.predict(x, verbose=0))


@pytest.mark.parametrize(
    "name",
    ["ResNet101", "ResNet50V2", "EfficientNetB3", "VGG19"],
)
def test_siblings_same_structure(name):
    shape = (64, 64, 3)
    k = getattr(keras.applications, name)(weights=None, include_top=False, input_shape=shape)
    p = getattr(applications, name)(weights=None, include_top=False, input_shape=shape)
    assert p.name == k.name
    _same_structure(p, k)


@pytest.mark.parametrize("name", ["EfficientNetB0", "MobileNet"])
def test_with_top_same_structure(name):
    """The ImageNet-sized model with its classifier; Keras's `get_weights()` list set into
    plait (Keras 3's order) predicts the same."""
    k = getattr(keras.applications, name)(weights=None, classifier_activation=None)
    p = getattr(applications, name)(weights=None, classifier_activation=None)
    _same_structure(p, k)
    _random_weights(k)
    p.set_weights(k.get_weights())
    x = np.random.default_rng(3).uniform(0, 255, size=(1, 224, 224, 3)).astype("float32")
    _close(p.predict(x, verbose=0), k.predict(x, verbose=0))


@pytest.mark.parametrize(
    "module", ["mobilenet", "mobilenet_v2", "densenet", "resnet_v2", "efficientnet", "vgg19"]
)
def test_preprocess_input_matches_keras(module):
    x = _images()
    ours = getattr(applications, module).preprocess_input(x.copy())
    theirs = getattr(keras.applications, module).preprocess_input(x.copy())
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-6)


def test_argument_errors():
    with pytest.raises(ValueError, match="alpha must be one of"):
        applications.MobileNetV2(weights="imagenet", alpha=0.6)
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        applications.EfficientNetB0(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="at least 32x32"):
        applications.DenseNet121(weights=None, include_top=False, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="Only `None` and `softmax`"):
        applications.densenet.DenseNet([1, 1, 1, 1], weights="w.h5", classifier_activation="relu")
    with pytest.raises(ValueError, match="repeats"):
        applications.efficientnet.EfficientNet(
            1.0, 1.0, 224, blocks_args=[{"repeats": 0}], weights=None
        )
