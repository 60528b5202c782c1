"""What a user's layer sees as `training`, and models first built by the data of `fit`,
each checked against Keras 3 (torch backend) on the same program."""

import numpy as np
import pytest
import torch

import plait

keras = pytest.importorskip("keras")


def _noise_layer(lib, seen):
    class Noise(lib.layers.Layer):
        def call(self, x, training=None):
            seen.append(training)
            return x + 1.0 if training else x

    return Noise


def _subclassed(lib, seen):
    noise = _noise_layer(lib, seen)

    class Net(lib.Model):
        def __init__(self):
            super().__init__()
            self.noise = noise()
            self.dense = lib.layers.Dense(1, kernel_initializer="ones")

        def call(self, x, training=None):
            seen.append(training)
            return self.dense(self.noise(x))

    return Net()


def _functional(lib, seen):
    inputs = lib.Input((3,))
    hidden = _noise_layer(lib, seen)()(inputs)
    return lib.Model(inputs, lib.layers.Dense(1, kernel_initializer="ones")(hidden))


def _sequential(lib, seen):
    noise = _noise_layer(lib, seen)
    return lib.Sequential([lib.Input((3,)), noise(), lib.layers.Dense(1)])


def _seen_by_phase(lib, make):
    """The `training` values the user's layers see in the last call of each phase."""
    seen = []
    model = make(lib, seen)
    x, y = np.ones((4, 3), "float32"), np.ones((4, 1), "float32")
    model.compile(optimizer="sgd", loss="mse")
    phases = {}
    for phase, run in (
        ("fit", lambda: model.fit(x, y, batch_size=4, verbose=0)),
        ("predict", lambda: model.predict(x, verbose=0)),
        ("evaluate", lambda: model.evaluate(x, y, verbose=0)),
        ("train_on_batch", lambda: model.train_on_batch(x, y)),
        ("explicit True", lambda: model(_tensor(lib, x), training=True)),
    ):
        seen.clear()
        run()
        phases[phase] = seen[-1]
    return phases


def _tensor(lib, x):
    return x if lib is keras else torch.as_tensor(x)


@pytest.mark.parametrize("make", [_subclassed, _functional, _sequential])
def test_a_users_layer_sees_the_training_value_keras_gives_it(make):
    assert _seen_by_phase(plait, make) == _seen_by_phase(keras, make)


def test_explicit_training_reaches_sublayers_called_without_it_and_modes_come_back():
    seen = []
    model = _subclassed(plait, seen)
    model(torch.ones(2, 3))  # builds
    seen.clear()
    out = model(torch.ones(2, 3), training=True)
    assert seen == [True, True] and float(out.sum()) == 2 * 6.0  # the noise ran
    assert not any(module.training for module in model.modules())  # restored: inference


def _fit_from(lib, source_kind):
    """Fit an unbuilt Sequential (no input shape) from a generator, a DataLoader or a
    PyDataset; returns the trained weights (Keras layout)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 5)).astype("float32")
    y = rng.normal(size=(24, 1)).astype("float32")
    model = lib.Sequential(
        [
            lib.layers.Dense(4, kernel_initializer=lib.initializers.Constant(0.1)),
            lib.layers.Dense(1, kernel_initializer=lib.initializers.Constant(-0.2)),
        ]
    )
    model.compile(optimizer=lib.optimizers.Adam(0.01), loss="mse")

    def batches():
        while True:
            for i in range(0, 24, 8):
                yield x[i : i + 8], y[i : i + 8]

    if source_kind == "generator":
        data = batches()
        kwargs = dict(steps_per_epoch=3)
    elif source_kind == "dataloader":
        data = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
            batch_size=8,
        )
        kwargs = {}
    else:

        class Batches(lib.utils.PyDataset):
            def __len__(self):
                return 3

            def __getitem__(self, index):
                return x[index * 8 : (index + 1) * 8], y[index * 8 : (index + 1) * 8]

        data, kwargs = Batches(), {}
    model.fit(data, epochs=2, verbose=0, shuffle=False, **kwargs)
    return model.get_weights()


@pytest.mark.parametrize("source_kind", ["generator", "dataloader", "pydataset"])
def test_a_model_without_input_shape_trains_from_batches_like_keras(source_kind):
    kind = "generator" if source_kind == "dataloader" else source_kind  # Keras: no DataLoader
    expected = _fit_from(keras, kind)
    for got, want in zip(_fit_from(plait, source_kind), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_a_generator_keeps_its_first_batch_for_training():
    seen = []

    def batches():
        for i in range(3):
            seen.append(i)
            yield np.full((2, 3), i, "float32"), np.zeros((2, 1), "float32")

    model = plait.Sequential([plait.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(batches(), epochs=1, verbose=0)
    assert seen == [0, 1, 2] and len(history.history["loss"]) == 1
    assert model.count_params() == 4
