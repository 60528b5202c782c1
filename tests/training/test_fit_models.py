"""fit on plait models: the tutorial's MLP, CNN and multiple-output model end with the
weights a hand-written PyTorch loop gives, from the same weights on the same batches."""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from plait import Input, Model, callbacks, config, training
from plait.layers import Dense, Dropout, concatenate
from plait.utils import enable_determinism, set_random_seed
from tests.models import tutorial_models
from tests.training.helpers import KerasAdam, assert_same_state, state_copy

EPS = 1e-7


def bce(p, y):
    return F.binary_cross_entropy(p.clamp(EPS, 1 - EPS), y)


def mse(p, y):
    return ((p - y) ** 2).mean()


CASES = {
    "mlp": (
        tutorial_models.mlp,
        lambda n, r: r.normal(size=(n, 10)),
        lambda n, r: r.integers(0, 2, (n, 1)),
        "binary_crossentropy",
        lambda out, y: bce(out, y),
    ),
    "cnn": (
        tutorial_models.cnn,
        lambda n, r: r.normal(size=(n, 64, 64, 1)),
        lambda n, r: r.integers(0, 2, (n, 1)),
        "binary_crossentropy",
        lambda out, y: bce(out, y),
    ),
    "multiple_outputs": (
        tutorial_models.multiple_outputs,
        lambda n, r: r.normal(size=(n, 100, 1)),
        lambda n, r: [r.integers(0, 2, (n, 1)), r.normal(size=(n, 100, 1))],
        ["binary_crossentropy", "mse"],
        lambda out, y: bce(out[0], y[0]) + mse(out[1], y[1]),
    ),
}


def to_tensor(value):
    if isinstance(value, list):
        return [to_tensor(v) for v in value]
    return torch.as_tensor(value, dtype=torch.float32)


def rows(value, start, stop):
    if isinstance(value, list):
        return [v[start:stop] for v in value]
    return value[start:stop]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("case", list(CASES))
def test_fit_equals_a_hand_written_loop(case, optimizer):
    build, make_x, make_y, loss, hand_loss = CASES[case]
    rng = np.random.default_rng(0)
    n, batch = 12, 4
    x = make_x(n, rng).astype("float32")
    y = make_y(n, rng)
    model = build()
    theirs = copy.deepcopy(model)
    initial = state_copy(model)
    training.compile(model, optimizer, loss=loss)
    training.fit(model, x, y, batch_size=batch, epochs=2, shuffle=False, verbose=0)

    if optimizer == "sgd":
        torch_optimizer = torch.optim.SGD(theirs.parameters(), lr=0.01)
    else:
        torch_optimizer = KerasAdam(theirs.parameters(), lr=0.001)
    theirs.train()
    xt, yt = to_tensor(x), to_tensor(y)
    for _ in range(2):
        for start in range(0, n, batch):
            torch_optimizer.zero_grad()
            out = theirs(xt[start : start + batch])
            hand_loss(out, rows(yt, start, start + batch)).backward()
            torch_optimizer.step()
    assert_same_state(state_copy(model), state_copy(theirs), atol=1e-5)
    assert not model.training  # plait models compute in inference mode outside fit
    # Training moved the weights far more than the tolerance: the comparison means something.
    moved = max(
        float((a - b).abs().max()) for a, b in zip(model.state_dict().values(), initial.values())
    )
    assert moved > 1e-4


def test_history_keys_follow_the_output_layer_names():
    model = tutorial_models.multiple_outputs()
    training.compile(model, "adam", loss=["binary_crossentropy", "mse"], metrics=[["accuracy"], []])
    first, second = model.output_names
    x = np.random.rand(6, 100, 1).astype("float32")
    history = model.fit(
        x, [np.ones((6, 1)), np.zeros((6, 100, 1))], validation_split=0.5, verbose=0
    )
    assert list(history.history) == [
        "loss",
        f"{first}_loss",
        f"{second}_loss",
        f"{first}_accuracy",
        "val_loss",
        f"val_{first}_loss",
        f"val_{second}_loss",
        f"val_{first}_accuracy",
    ]


def test_dict_outputs_are_named_by_their_keys_everywhere():
    visible = Input(shape=(3,), name="features")
    model = Model(
        visible, {"price": Dense(1)(visible), "kind": Dense(2, activation="softmax")(visible)}
    )
    model.compile(
        "adam",
        loss={"price": "mse", "kind": "sparse_categorical_crossentropy"},
        metrics={"kind": "accuracy"},
    )
    x = np.random.rand(8, 3).astype("float32")
    y = {"price": np.random.rand(8, 1), "kind": np.arange(8) % 2}
    history = model.fit({"features": x}, y, epochs=1, verbose=0)
    assert list(history.history) == ["loss", "price_loss", "kind_loss", "kind_accuracy"]
    out = model.predict(x, verbose=0)
    assert set(out) == {"price", "kind"} and out["kind"].shape == (8, 2)
    with pytest.raises(ValueError, match=r"`loss` names \['prices'\].*Did you mean 'price'"):
        model.compile("adam", loss={"prices": "mse"})


def test_accuracy_resolves_from_the_output_shape():
    model = tutorial_models.mlp()
    model.compile("adam", loss="mse", metrics=["accuracy"])
    metric = model._compile_state.metric_keys[0][1]
    assert type(metric).__name__ == "BinaryAccuracy" and metric.name == "accuracy"


def test_wrong_input_shape_names_the_input():
    model = tutorial_models.mlp()
    model.compile("adam", loss="binary_crossentropy")
    with pytest.raises(
        ValueError,
        match=rf"Input '{model.input_names[0]}' of the model expects "
        r"data of shape \(None, 10\), but `x` gives shape "
        r"\(4, 9\)",
    ):
        model.fit(np.ones((4, 9)), np.ones((4, 1)), verbose=0)


def test_integer_data_for_a_float_input_is_cast_as_keras_does():
    from plait.layers import Embedding, Flatten

    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, (8, 10))
    model = tutorial_models.mlp()
    model.compile("sgd", loss="binary_crossentropy")
    twin = copy.deepcopy(model)
    model.fit(x, np.ones((8, 1)), batch_size=4, shuffle=False, verbose=0)
    twin.fit(x.astype("float32"), np.ones((8, 1)), batch_size=4, shuffle=False, verbose=0)
    assert_same_state(state_copy(model), state_copy(twin), atol=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x * 1.0, verbose=0))
    model.train_on_batch(torch.as_tensor(x[:4]), np.ones((4, 1)))
    # an Embedding behind a default (float) Input still looks its integers up
    visible = Input(shape=(10,))
    words = Model(visible, Dense(1)(Flatten()(Embedding(5, 2)(visible))))
    words.compile("sgd", loss="mse")
    words.fit(x, np.ones((8, 1)), verbose=0)


def penalized_model():
    from plait import constraints, regularizers

    visible = Input(shape=(4,))
    hidden = Dense(
        5,
        activation="relu",
        kernel_regularizer=regularizers.L2(0.1),
        kernel_constraint=constraints.NonNeg(),
    )(visible)
    return Model(visible, Dense(1, activity_regularizer=regularizers.L1(0.01))(hidden))


def test_regularizers_join_the_loss_and_constraints_follow_each_update():
    model = penalized_model()
    theirs = copy.deepcopy(model)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")
    model.compile("sgd", loss="mse")
    loss = model.evaluate(x, y, verbose=0)
    kernel = model.layers[1].kernel
    out = torch.as_tensor(model.predict(x, verbose=0))
    penalty = 0.1 * float((kernel**2).sum())
    plain = float(((out - torch.as_tensor(y)) ** 2).mean())
    assert loss > plain + penalty  # the activity penalty comes on top
    model.fit(x, y, batch_size=4, shuffle=False, verbose=0)

    optimizer = torch.optim.SGD(theirs.parameters(), lr=0.01)
    theirs.train()
    xt, yt = torch.as_tensor(x), torch.as_tensor(y)
    for start in (0, 4):
        optimizer.zero_grad()
        out = theirs(xt[start : start + 4])
        total = mse(out, yt[start : start + 4]) + sum(theirs.regularization_losses())
        total.backward()
        optimizer.step()
        theirs.apply_constraints()
    assert_same_state(state_copy(model), state_copy(theirs), atol=1e-6)
    assert float(model.layers[1].kernel.min()) >= 0.0


def test_jit_compile_keeps_regularizers_and_constraints(monkeypatch):
    from plait.training import loop

    monkeypatch.setattr(loop, "_COMPILE_BACKEND", "aot_eager")

    monkeypatch.setattr(loop, "_JIT_TRIAL_STEPS", 0)  # test the compiled step itself
    torch._dynamo.reset()
    eager = penalized_model()
    jitted = copy.deepcopy(eager)
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")
    eager.compile("sgd", loss="mse")
    jitted.compile("sgd", loss="mse", jit_compile=True)
    a = eager.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    b = jitted.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    step = jitted._compile_state.steps[("train", None, ())].compiled
    assert step.eager is None
    np.testing.assert_allclose(a.history["loss"], b.history["loss"], rtol=1e-5)
    assert_same_state(state_copy(eager), state_copy(jitted), atol=1e-6)
    torch._dynamo.reset()


def test_jit_compile_matches_eager_on_a_cnn(monkeypatch):
    # Convolution gradients come back channels-last; the compiled update must still see
    # them in the kernels' layout (it once silently mixed them up).
    from plait.training import loop

    monkeypatch.setattr(loop, "_COMPILE_BACKEND", "aot_eager")

    monkeypatch.setattr(loop, "_JIT_TRIAL_STEPS", 0)  # test the compiled step itself
    torch._dynamo.reset()
    eager = tutorial_models.cnn()
    jitted = copy.deepcopy(eager)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(6, 64, 64, 1)).astype("float32")
    y = rng.integers(0, 2, (6, 1))
    eager.compile("sgd", loss="binary_crossentropy")
    jitted.compile("sgd", loss="binary_crossentropy", jit_compile=True)
    eager.fit(x, y, batch_size=3, shuffle=False, verbose=0)
    jitted.fit(x, y, batch_size=3, shuffle=False, verbose=0)
    assert jitted._compile_state.steps[("train", None, ())].compiled.eager is None
    assert_same_state(state_copy(eager), state_copy(jitted), atol=1e-6)
    torch._dynamo.reset()


# ---------------------------------------------------------------------------- data and inputs


def two_inputs():
    left, right = Input(shape=(4,), name="left"), Input(shape=(3,), name="right")
    joined = concatenate([Dense(4, activation="relu")(left), right])
    return Model([left, right], Dense(1, name="out")(joined))


def test_every_kind_of_data_trains_a_two_input_model_alike():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(12, 4)).astype("float32")
    b = rng.normal(size=(12, 3)).astype("float32")
    y = rng.normal(size=(12, 1)).astype("float32")
    ta, tb, ty = (torch.as_tensor(v) for v in (a, b, y))

    class Pairs(torch.utils.data.Dataset):  # a Dataset yielding ((a, b), y) samples
        def __len__(self):
            return 12

        def __getitem__(self, i):
            return (ta[i], tb[i]), ty[i]

    def generator():
        for start in range(0, 12, 4):
            yield (
                {"left": a[start : start + 4], "right": b[start : start + 4]},
                y[start : start + 4],
            )

    kinds = {
        "numpy list": dict(x=[a, b], y=y),
        "numpy dict": dict(x={"right": b, "left": a}, y={"out": y}),
        "tensors": dict(x=[ta, tb], y=ty),
        "python lists": dict(x=[a.tolist(), b.tolist()], y=y.tolist()),
        "Dataset": dict(x=Pairs()),
        "DataLoader": dict(x=torch.utils.data.DataLoader(Pairs(), batch_size=4)),
        "generator": dict(x=generator()),
    }
    start = two_inputs()
    results = {}
    for kind, data in kinds.items():
        model = copy.deepcopy(start)
        model.compile("sgd", loss="mse")
        model.fit(**data, batch_size=4, epochs=1, shuffle=False, verbose=0)
        results[kind] = state_copy(model)
    for state in results.values():
        assert_same_state(state, results["numpy list"], atol=1e-6)
    assert not torch.equal(
        results["numpy list"]["dense_2.weight"], state_copy(start)["dense_2.weight"]
    )


def test_multi_input_mistakes_name_the_expected_inputs():
    model = two_inputs()
    model.compile("sgd", loss="mse")
    a, b, y = np.ones((6, 4)), np.ones((6, 3)), np.ones((6, 1))
    before = state_copy(model)
    with pytest.raises(ValueError, match=r"expects 2 input\(s\) \['left', 'right'\].* list of 3"):
        model.fit([a, b, b], y, verbose=0)
    with pytest.raises(ValueError, match=r"\['rigth'\]. Did you mean 'right'\?"):
        model.fit({"left": a, "rigth": b}, y, verbose=0)
    with pytest.raises(
        ValueError,
        match=r"same number of samples.*x\['left'\]: 6, "
        r"x\['right'\]: 5, y: 6",
    ):
        model.fit([a, b[:5]], y, verbose=0)
    with pytest.raises(ValueError, match=r"`loss` names \['outt'\].*Did you mean 'out'\?"):
        model.compile("sgd", loss={"outt": "mse"})
    assert_same_state(before, state_copy(model))


def test_an_error_mid_fit_leaves_the_weights_of_the_finished_steps():
    """A bad third batch stops fit with an error; no step is left half-applied."""
    model = tutorial_models.mlp()
    model.compile("adam", loss="binary_crossentropy")
    rng = np.random.default_rng(4)
    x = rng.normal(size=(12, 10)).astype("float32")
    y = rng.integers(0, 2, (12, 1)).astype("float32")
    theirs = copy.deepcopy(model)

    def batches():
        yield x[:4], y[:4]
        yield x[4:8], y[4:8]
        yield x[8:12, :9], y[8:12]  # one feature short

    with pytest.raises(
        ValueError,
        match=r"expects data of shape \(None, 10\), but `x` gives "
        r"shape \(4, 9\)",
    ):
        model.fit(batches(), epochs=1, verbose=0)
    theirs.train_on_batch(x[:4], y[:4])
    theirs.train_on_batch(x[4:8], y[4:8])
    assert_same_state(state_copy(model), state_copy(theirs), atol=1e-6)


def test_terminate_on_nan_ends_fit_cleanly_after_a_whole_step(capsys):
    model = tutorial_models.mlp()
    model.compile("sgd", loss="mse")
    x = np.random.rand(8, 10).astype("float32")
    x[5, 0] = np.inf
    ended = []
    history = model.fit(
        x,
        np.zeros((8, 1)),
        batch_size=2,
        epochs=2,
        shuffle=False,
        verbose=0,
        callbacks=[callbacks.TerminateOnNaN(), callbacks.LambdaCallback(on_train_end=ended.append)],
    )
    assert capsys.readouterr().out == "Batch 2: Invalid loss, terminating training\n"
    assert ended and history.epoch == [0]
    # As in Keras, the step that met the NaN was applied in full: to every weight.
    assert all(torch.isnan(p).any() for p in model.parameters())


# ---------------------------------------------------------------------------- determinism, device


def seeded_fit(x, y):
    set_random_seed(11)
    visible = Input(shape=(10,))
    hidden = Dropout(0.5)(Dense(16, activation="relu")(visible))
    model = Model(visible, Dense(1, activation="sigmoid")(hidden))
    model.compile("adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=8, epochs=2, validation_split=0.25, verbose=0)
    return state_copy(model), history.history


def test_two_seeded_fits_of_a_model_are_bit_identical():
    before = torch.are_deterministic_algorithms_enabled()
    enable_determinism()
    try:
        rng = np.random.default_rng(5)
        x = rng.normal(size=(40, 10)).astype("float32")
        y = rng.integers(0, 2, (40, 1)).astype("float32")
        (first, h1), (second, h2) = seeded_fit(x, y), seeded_fit(x, y)
        # Exact, shuffling and dropout included (layer names differ: compare in order).
        for a, b in zip(first.values(), second.values(), strict=True):
            assert torch.equal(a, b)
        assert h1 == h2
    finally:
        torch.use_deterministic_algorithms(before)


def test_layers_are_built_on_the_configured_device():
    try:
        config.set_device("meta")
        assert config.device() == torch.device("meta")
        assert Dense(3)(Input(shape=(2,))) is not None
        layer = Dense(3)
        layer.build((None, 2))
        assert layer.kernel.device.type == "meta"
        config.set_device("cpu")
        layer = Dense(3)
        layer.build((None, 2))
        assert layer.kernel.device.type == "cpu"
    finally:
        config.set_device(None)
    want = "cuda" if torch.cuda.is_available() else "cpu"
    assert config.device().type == want
