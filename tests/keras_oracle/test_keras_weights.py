"""Weights between plait and Keras 3: `get_weights`/`set_weights` order, `.weights.h5`
(Keras 3 layout) and legacy `.h5` (Keras 2 layout) both ways, on twin models."""

import numpy as np
import pytest

import plait
from tests.keras_oracle import keras_twins as T

keras = pytest.importorskip("keras")
h5py = pytest.importorskip("h5py")
from keras.src.legacy.saving import legacy_h5_format

NAMES = sorted(T.MODELS)


def _pair(name):
    build = T.MODELS[name][0]
    k = build(keras)
    T.randomize(k)
    return k, build(plait)


def _close(a_outputs, b_outputs):
    assert len(a_outputs) == len(b_outputs)
    for a, b in zip(a_outputs, b_outputs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_set_weights_takes_keras_get_weights(name):
    k, p = _pair(name)
    p.set_weights(k.get_weights())
    x = T.inputs(name)
    _close(T.predict(k, x), T.predict(p, x))
    assert [w.shape for w in p.get_weights()] == [tuple(w.shape) for w in k.weights]


def test_get_weights_order_is_keras_3s():
    k, p = _pair("batchnorm")
    names = [w.path.rpartition("/")[2] for w in k.weights]
    assert names[:6] == ["kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance"]
    p.set_weights(k.get_weights())
    for ours, theirs in zip(p.get_weights(), k.get_weights()):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("name", NAMES)
def test_weights_h5_keras_to_plait_to_keras(name, tmp_path):
    k, p = _pair(name)
    x = T.inputs(name)
    expected = T.predict(k, x)
    k.save_weights(tmp_path / "k.weights.h5")
    p.load_weights(tmp_path / "k.weights.h5")
    _close(expected, T.predict(p, x))
    p.save_weights(tmp_path / "p.weights.h5")
    k2 = T.MODELS[name][0](keras)
    k2.load_weights(tmp_path / "p.weights.h5")
    _close(expected, T.predict(k2, x))


@pytest.mark.parametrize("name", NAMES)
def test_legacy_h5_weights_both_ways(name, tmp_path):
    k, p = _pair(name)
    x = T.inputs(name)
    expected = T.predict(k, x)
    with h5py.File(tmp_path / "k.h5", "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, k)
    p.load_weights(tmp_path / "k.h5")
    _close(expected, T.predict(p, x))
    p.save_weights(tmp_path / "p.h5")
    k2 = T.MODELS[name][0](keras)
    with h5py.File(tmp_path / "p.h5", "r") as f:
        legacy_h5_format.load_weights_from_hdf5_group(f, k2)
    _close(expected, T.predict(k2, x))


def test_legacy_h5_by_name_and_skip_mismatch(tmp_path):
    k, _ = _pair("mlp")
    with h5py.File(tmp_path / "k.h5", "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, k)
    names = [layer.name for layer in k.layers if layer.weights]
    L = plait.layers
    visible = plait.Input(shape=(10,))
    x = L.Dense(10, activation="relu", name=names[0])(visible)
    x = L.Dense(7, name="other")(x)
    p = plait.Model(visible, L.Dense(3, name=names[3])(x))
    before = p.get_layer("other").get_weights()
    with pytest.raises(ValueError, match=rf"(?s)'{names[3]}'.*shape.*skip_mismatch=True"):
        p.load_weights(tmp_path / "k.h5", by_name=True)
    with pytest.warns(UserWarning, match="Skipped weights"):
        p.load_weights(tmp_path / "k.h5", by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(
        p.get_layer(names[0]).get_weights()[0], k.layers[1].get_weights()[0]
    )
    np.testing.assert_array_equal(p.get_layer("other").get_weights()[0], before[0])


def test_weights_h5_mismatch_changes_nothing(tmp_path):
    k, _ = _pair("mlp")
    k.save_weights(tmp_path / "k.weights.h5")
    p = T.MODELS["cnn"][0](plait)
    before = p.get_weights()
    with pytest.raises(ValueError, match=r"(?s)k\.weights\.h5.*do not match.*layers/dense"):
        p.load_weights(tmp_path / "k.weights.h5")
    for a, b in zip(before, p.get_weights()):
        np.testing.assert_array_equal(a, b)
