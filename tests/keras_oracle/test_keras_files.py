"""Whole-model Keras files between plait and Keras 3: `.keras` and legacy `.h5`, both ways,
on 16 twin models (the tutorial's seven, nested, shared layers, BatchNormalization,
Bidirectional LSTM/GRU, Embedding, attention, the Conv families, Sequential); compile
settings; safe mode; a class outside plait."""

import json
import zipfile

import numpy as np
import pytest

import plait
from tests.keras_oracle import keras_twins as T

keras = pytest.importorskip("keras")
pytest.importorskip("h5py")
from keras.src.legacy.saving import legacy_h5_format

NAMES = sorted(T.MODELS)


def _keras_model(name):
    k = T.MODELS[name][0](keras)
    T.randomize(k)
    return k


def _close(expected, got):
    assert len(expected) == len(got)
    for a, b in zip(expected, got):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_keras_file_keras_to_plait_to_keras(name, tmp_path):
    k = _keras_model(name)
    x = T.inputs(name)
    expected = T.predict(k, x)
    k.save(tmp_path / "k.keras")
    p = plait.models.load_model(tmp_path / "k.keras")
    assert isinstance(p, plait.Model)
    _close(expected, T.predict(p, x))
    p.save(tmp_path / "p.keras")
    _close(expected, T.predict(keras.saving.load_model(tmp_path / "p.keras"), x))


@pytest.mark.parametrize("name", NAMES)
def test_legacy_h5_file_keras_to_plait_to_keras(name, tmp_path):
    k = _keras_model(name)
    x = T.inputs(name)
    expected = T.predict(k, x)
    legacy_h5_format.save_model_to_hdf5(k, str(tmp_path / "k.h5"))
    p = plait.models.load_model(tmp_path / "k.h5")
    _close(expected, T.predict(p, x))
    p.save(tmp_path / "p.hdf5")
    _close(expected, T.predict(keras.saving.load_model(tmp_path / "p.hdf5"), x))


def test_keras_weights_of_a_keras_file_load(tmp_path):
    k = _keras_model("batchnorm")
    k.save(tmp_path / "k.keras")
    p = T.MODELS["batchnorm"][0](plait)
    p.load_weights(tmp_path / "k.keras")
    x = T.inputs("batchnorm")
    _close(T.predict(k, x), T.predict(p, x))


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_compile_config_restored_both_ways(suffix, tmp_path):
    k = _keras_model("mlp")
    k.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.005),
        loss="mean_squared_error",
        metrics=["mae"],
    )
    k.save(tmp_path / f"k{suffix}") if suffix == ".keras" else legacy_h5_format.save_model_to_hdf5(
        k, str(tmp_path / f"k{suffix}")
    )
    p = plait.models.load_model(tmp_path / f"k{suffix}")
    assert type(p.optimizer).__name__ == "Adam"
    assert float(p.optimizer.learning_rate) == pytest.approx(0.005)
    x, y = T.inputs("mlp", batch=8), np.zeros((8, 1), "float32")
    expected = k.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(p.evaluate(x, y, verbose=0), expected, rtol=1e-5)
    p.save(tmp_path / f"p{suffix}")
    k2 = keras.saving.load_model(tmp_path / f"p{suffix}")
    assert type(k2.optimizer).__name__ == "Adam"
    np.testing.assert_allclose(k2.evaluate(x, y, verbose=0), expected, rtol=1e-5)


def test_model_checkpoint_writes_keras_files(tmp_path):
    p = T.MODELS["mlp"][0](plait)
    p.compile("adam", "mse")
    x, y = T.inputs("mlp", batch=8), np.zeros((8, 1), "float32")
    p.fit(
        x,
        y,
        epochs=1,
        verbose=0,
        callbacks=[
            plait.callbacks.ModelCheckpoint(str(tmp_path / "best.keras")),
            plait.callbacks.ModelCheckpoint(str(tmp_path / "w.weights.h5"), save_weights_only=True),
            plait.callbacks.ModelCheckpoint(str(tmp_path / "old.h5")),
        ],
    )
    expected = T.predict(p, x)
    _close(expected, T.predict(keras.saving.load_model(tmp_path / "best.keras"), x))
    _close(expected, T.predict(keras.saving.load_model(tmp_path / "old.h5"), x))
    k = T.MODELS["mlp"][0](keras)
    k.load_weights(tmp_path / "w.weights.h5")
    _close(expected, T.predict(k, x))


# --------------------------------------------------------------- refusals


def test_lambda_refused_in_safe_mode(tmp_path):
    visible = keras.Input((3,))
    doubled = keras.layers.Lambda(lambda t: t * 2, name="times_two")(visible)
    k = keras.Model(visible, keras.layers.Dense(2)(doubled))
    k.save(tmp_path / "k.keras")
    with pytest.raises(ValueError, match=r"(?s)Lambda layer \('times_two'\).*safe_mode=False"):
        plait.models.load_model(tmp_path / "k.keras")
    p = plait.models.load_model(tmp_path / "k.keras", safe_mode=False)
    x = np.ones((2, 3), "float32")
    _close(T.predict(k, x), T.predict(p, x))


def test_legacy_lambda_refused_in_safe_mode(tmp_path):
    visible = keras.Input((3,))
    k = keras.Model(visible, keras.layers.Lambda(lambda t: t + 1, name="plus")(visible))
    legacy_h5_format.save_model_to_hdf5(k, str(tmp_path / "k.h5"))
    with pytest.raises(ValueError, match=r"(?s)Lambda.*safe_mode=False"):
        plait.models.load_model(tmp_path / "k.h5")


def test_class_outside_plait_is_refused(tmp_path):
    k = _keras_model("mlp")
    k.save(tmp_path / "k.keras")
    _rewrite_config(
        tmp_path / "k.keras",
        tmp_path / "bad.keras",
        lambda c: c["config"]["layers"][1].update(module="evil.module", class_name="Backdoor"),
    )
    with pytest.raises(
        ValueError,
        match=r"layer 'dense(_\d+)?' is a Backdoor from module "
        r"'evil.module', which plait does not have",
    ):
        plait.models.load_model(tmp_path / "bad.keras")


def test_keras_layer_plait_lacks_is_named(tmp_path):
    visible = keras.Input((4,))
    k = keras.Model(visible, keras.layers.Dropout(0.1)(keras.layers.Dense(3)(visible)))
    k.save(tmp_path / "k.keras")
    # a Keras layer plait does not have (RandAugment needs no weights, like Dropout)
    _rewrite_config(
        tmp_path / "k.keras",
        tmp_path / "lacking.keras",
        lambda c: c["config"]["layers"][2].update(class_name="RandAugment"),
    )
    with pytest.raises(ValueError, match=r"layer 'dropout(_\d+)?' is a RandAugment"):
        plait.models.load_model(tmp_path / "lacking.keras")


def test_keras_alpha_dropout_and_reversible_embedding_load(tmp_path):
    ids = keras.Input((5,), dtype="int64")
    embed = keras.layers.ReversibleEmbedding(12, 4, tie_weights=False)
    hidden = keras.layers.AlphaDropout(0.2)(embed(ids))
    k = keras.Model(ids, embed(hidden, reverse=True))
    k.save(tmp_path / "k.keras")
    p = plait.models.load_model(tmp_path / "k.keras")
    data = np.random.default_rng(0).integers(0, 12, size=(3, 5))
    np.testing.assert_allclose(
        p.predict(data, verbose=0), k.predict(data, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_truncated_keras_file(tmp_path):
    _keras_model("mlp").save(tmp_path / "k.keras")
    data = (tmp_path / "k.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"'.*cut\.keras' is not a readable \.keras file"):
        plait.models.load_model(tmp_path / "cut.keras")


def test_truncated_h5_file(tmp_path):
    legacy_h5_format.save_model_to_hdf5(_keras_model("mlp"), str(tmp_path / "k.h5"))
    data = (tmp_path / "k.h5").read_bytes()
    (tmp_path / "cut.h5").write_bytes(data[: len(data) // 3])
    with pytest.raises(ValueError, match=r"cut\.h5' is not a readable HDF5 file"):
        plait.models.load_model(tmp_path / "cut.h5")


def test_missing_weight_group(tmp_path):
    import h5py

    k = _keras_model("mlp")
    k.save_weights(tmp_path / "k.weights.h5")
    with h5py.File(tmp_path / "k.weights.h5", "a") as f:
        del f["layers/dense_2/vars/1"]
    p = T.MODELS["mlp"][0](plait)
    with pytest.raises(ValueError, match=r"'layers/dense_2/vars/1' \(.*bias\) is missing"):
        p.load_weights(tmp_path / "k.weights.h5")


def test_wrong_shapes_in_keras_file(tmp_path):
    k = _keras_model("mlp")
    k.save(tmp_path / "k.keras")
    _rewrite_config(
        tmp_path / "k.keras",
        tmp_path / "bad.keras",
        lambda c: c["config"]["layers"][2]["config"].update(units=21),
    )
    with pytest.raises(
        ValueError,
        match=r"(?s)bad\.keras.*do not match model.*"
        r"layers/dense_1/vars/0.*\(10, 20\) in the file but "
        r"\(10, 21\) in the model",
    ):
        plait.models.load_model(tmp_path / "bad.keras")


def test_huge_config_allocates_nothing(tmp_path):
    k = _keras_model("mlp")
    k.save(tmp_path / "k.keras")
    _rewrite_config(
        tmp_path / "k.keras",
        tmp_path / "big.keras",
        lambda c: c["config"]["layers"][2]["config"].update(units=10**7),
    )
    with pytest.raises(ValueError, match="do not match model"):
        plait.models.load_model(tmp_path / "big.keras")


def test_weights_file_is_not_a_model(tmp_path):
    with pytest.raises(ValueError, match=r"weights only: build the model"):
        plait.models.load_model(tmp_path / "w.weights.h5")


def test_torch_module_cannot_go_to_keras(tmp_path):
    from torch import nn

    visible = plait.Input((3,))
    p = plait.Model(visible, plait.layers.TorchModule(nn.Linear(3, 2), name="lin")(visible))
    with pytest.raises(ValueError, match=r"TorchModule layer 'lin' cannot be saved"):
        p.save(tmp_path / "p.keras")
    assert not (tmp_path / "p.keras").exists()


def _rewrite_config(src, dst, edit):
    with zipfile.ZipFile(src) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(dst, "w") as archive:
        for n, data in members.items():
            archive.writestr(n, data)
