"""plait.applications against keras.applications: same parameter counts and layer names,
and weights Keras writes (legacy `.h5`, `.weights.h5`) load and predict the same."""

import numpy as np
import pytest

import plait
from plait import applications

keras = pytest.importorskip("keras")
h5py = pytest.importorskip("h5py")
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

CASES = {"VGG16": (32, 32, 3), "ResNet50": (32, 32, 3)}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("include_top", [True, False])
def test_same_parameters_and_names_as_keras(name, include_top):
    shape = None if include_top else CASES[name]
    k = getattr(keras.applications, name)(weights=None, include_top=include_top, input_shape=shape)
    p = getattr(applications, name)(weights=None, include_top=include_top, input_shape=shape)
    assert p.count_params() == k.count_params()
    assert [layer.name for layer in p.layers[1:]] == [layer.name for layer in k.layers[1:]]


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("suffix", [".h5", ".weights.h5"])
def test_keras_weights_load_and_predict_equal(name, suffix, tmp_path):
    shape = CASES[name]
    k = getattr(keras.applications, name)(
        weights=None, include_top=False, input_shape=shape, pooling="avg"
    )
    rng = np.random.default_rng(0)
    k.set_weights(
        [
            rng.normal(scale=0.05, size=tuple(w.shape)).astype("float32")
            + (1.0 if "variance" in w.path else 0.0)
            for w in k.weights
        ]
    )
    path = tmp_path / f"w{suffix}"
    if suffix == ".h5":
        with h5py.File(path, "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, k)
    else:
        k.save_weights(path)
    p = getattr(applications, name)(
        weights=str(path), include_top=False, input_shape=shape, pooling="avg"
    )
    x = rng.uniform(0, 255, size=(2,) + shape).astype("float32")
    x = getattr(
        applications, name.lower().rstrip("0123456789") if name != "VGG16" else "vgg16"
    ).preprocess_input(x)
    np.testing.assert_allclose(
        p.predict(x, verbose=0), np.asarray(k.predict(x, verbose=0)), rtol=1e-4, atol=1e-4
    )


def test_preprocess_input_matches_keras():
    x = np.random.default_rng(1).uniform(0, 255, size=(2, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(
        applications.resnet.preprocess_input(x.copy()),
        keras.applications.resnet.preprocess_input(x.copy()),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        applications.vgg16.preprocess_input(x.copy()),
        keras.applications.vgg16.preprocess_input(x.copy()),
        rtol=1e-6,
    )


def test_argument_errors():
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        applications.VGG16(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="at least 32x32"):
        applications.ResNet50(weights=None, include_top=False, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="decode_predictions expects"):
        applications.resnet.decode_predictions(np.zeros((2, 10)))
    assert isinstance(
        applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3)), plait.Model
    )
