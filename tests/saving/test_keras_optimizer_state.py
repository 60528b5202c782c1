"""The optimizer's state in Keras files: a model Keras trained and saved continues training
in plait exactly as it continues in Keras, and the other way round (SGD with momentum,
Adam; `.keras` and legacy `.h5`)."""

import os

import numpy as np
import pytest

import plait
from plait import models, optimizers

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
pytest.importorskip("h5py")

OPTIMIZERS = {
    "sgd-momentum": (
        lambda: keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
        lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9),
    ),
    "adam": (
        lambda: keras.optimizers.Adam(learning_rate=0.01),
        lambda: optimizers.Adam(learning_rate=0.01),
    ),
}


def _build(lib, optimizer):
    """A small convnet (a conv kernel and a dense kernel: slots in both layouts) after a
    BatchNormalization (non-trainable weights between trainable ones), compiled."""
    inputs = lib.layers.Input(shape=(6, 6, 2))
    x = lib.layers.BatchNormalization(name="bn")(inputs)
    x = lib.layers.Conv2D(3, 3, activation="tanh", name="conv")(x)
    x = lib.layers.Flatten(name="flat")(x)
    outputs = lib.layers.Dense(2, name="out")(x)
    model = lib.Model(inputs, outputs)
    model.compile(optimizer=optimizer, loss="mse")
    return model


def _data():
    rng = np.random.default_rng(0)
    return (
        rng.standard_normal((32, 6, 6, 2)).astype("float32"),
        rng.standard_normal((32, 2)).astype("float32"),
    )


def _fit(model, x, y, epochs=2):
    model.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0)


def _close(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_plait_continues_keras_training(name, suffix, tmp_path):
    x, y = _data()
    theirs = _build(keras, OPTIMIZERS[name][0]())
    _fit(theirs, x, y)
    path = tmp_path / f"m{suffix}"
    theirs.save(path)
    ours = models.load_model(path)
    assert type(ours.optimizer).__name__ == type(theirs.optimizer).__name__
    assert int(ours.optimizer.iterations) == 8
    _fit(theirs, x, y)
    _fit(ours, x, y)
    _close(ours.get_weights(), theirs.get_weights())
    assert int(ours.optimizer.iterations) == int(theirs.optimizer.iterations) == 16


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_keras_continues_plait_training(name, tmp_path):
    x, y = _data()
    ours = _build(plait, OPTIMIZERS[name][1]())
    _fit(ours, x, y)
    ours.save(tmp_path / "m.keras")
    theirs = keras.saving.load_model(tmp_path / "m.keras")
    _close(theirs.optimizer.variables[2:], _keras_order_slots(ours))
    _fit(theirs, x, y)
    _fit(ours, x, y)
    _close(ours.get_weights(), theirs.get_weights())


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_plait_h5_optimizer_state_is_keras_3s(name, tmp_path):
    """Keras 3's own legacy loader builds the optimizer on no variables and so restores no
    state, from its files or plait's; the state plait writes is the list Keras's
    `optimizer.set_weights` takes, and continues Keras's training as plait continues it."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    x, y = _data()
    ours = _build(plait, OPTIMIZERS[name][1]())
    _fit(ours, x, y)
    ours.save(tmp_path / "m.h5")
    theirs = keras.saving.load_model(tmp_path / "m.h5")
    theirs.compile(optimizer=OPTIMIZERS[name][0](), loss="mse")
    theirs.optimizer.build(theirs.trainable_variables)
    with h5py.File(tmp_path / "m.h5", "r") as f:
        theirs.optimizer.set_weights(legacy_h5_format.load_optimizer_weights_from_hdf5_group(f))
    _fit(theirs, x, y)
    _fit(ours, x, y)
    _close(ours.get_weights(), theirs.get_weights())


def _keras_order_slots(model):
    from plait.saving.keras import optimizer_state

    values = optimizer_state.keras_variables(model)
    return [v for _, v in values[2:]]


def test_round_trip_in_plait_keeps_state(tmp_path):
    x, y = _data()
    first = _build(plait, optimizers.Adam(learning_rate=0.01))
    _fit(first, x, y)
    first.save(tmp_path / "m.keras")
    second = models.load_model(tmp_path / "m.keras")
    _fit(first, x, y)
    _fit(second, x, y)
    _close(first.get_weights(), second.get_weights())


def test_other_optimizer_state_warns_and_starts_fresh(tmp_path):
    x, y = _data()
    trained = _build(keras, keras.optimizers.SGD(learning_rate=0.05, momentum=0.9))
    _fit(trained, x, y)
    trained.save(tmp_path / "m.keras")
    model = models.load_model(tmp_path / "m.keras", compile=False)
    model.compile(optimizer="adam", loss="mse")
    from plait.saving.keras import keras_format, optimizer_state

    with keras_format.open_weights(tmp_path / "m.keras") as handle:
        with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
            optimizer_state.read_keras3(model, handle, "'m.keras'")
    assert int(model.optimizer.iterations) == 0


def test_wrong_shape_raises(tmp_path):
    model = _build(plait, optimizers.SGD(momentum=0.9))
    from plait.saving.keras import optimizer_state

    values = [np.int64(3), np.float32(0.01)] + [
        np.zeros(w.shape, "float32") for w in model.trainable_weights
    ]
    with pytest.raises(ValueError, match=r"optimizer variable \d+ has shape"):
        optimizer_state.load_variables(model, values, "'x.keras'")


def test_tf_keras_file_loads_compiled(recwarn):
    """tf.keras 2.15 names its optimizers "Custom>Adam" and keeps an unbuilt optimizer's
    step count alone in `optimizer_weights`: the model loads compiled, without warnings."""
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "fixtures" / "tf_keras" / "mlp.h5"
    model = models.load_model(path)
    assert type(model.optimizer).__name__ == "Adam"
    assert int(model.optimizer.iterations) == 0
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def test_unbuilt_optimizer_loads_without_warning(recwarn, tmp_path):
    """Keras saved the model compiled but before any step: its optimizer state is the step
    count and learning rate only, which plait restores as they are."""
    model = _build(keras, keras.optimizers.SGD(learning_rate=0.05, momentum=0.9))
    model.save(tmp_path / "m.keras")
    ours = models.load_model(tmp_path / "m.keras")
    assert int(ours.optimizer.iterations) == 0
    assert float(ours.optimizer.learning_rate) == pytest.approx(0.05)
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]
