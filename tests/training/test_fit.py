"""fit / evaluate / train_on_batch over hand-made nn.Modules, with Keras's semantics."""

import sys
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from plait import losses, optimizers, training
from plait.callbacks import Callback, LambdaCallback, ProgbarLogger
from plait.training import loop
from plait.utils import progbar
from plait.training.compile import get_state
from tests.training.helpers import (
    KerasAdam,
    TTY,
    Clock,
    DictHeads,
    Recorder,
    TwoHeads,
    assert_same_state,
    state_copy,
)


def regression_data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype="float32") + 0.1
    return x, y


def hand_written_fit(module, torch_optimizer, x, y, batch_size, epochs, shuffle, seed):
    """The PyTorch loop fit should equal: same batches, mse, same optimizer math."""
    torch.manual_seed(seed)
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    for _ in range(epochs):
        order = torch.randperm(len(x)) if shuffle else torch.arange(len(x))
        for start in range(0, len(x), batch_size):
            index = order[start : start + batch_size]
            torch_optimizer.zero_grad()
            loss = ((module(x[index]) - y[index]) ** 2).mean()
            loss.backward()
            torch_optimizer.step()


# ---------------------------------------------------------------------------- the same weights


@pytest.mark.parametrize(
    "name, make_torch",
    [
        ("sgd", lambda p: torch.optim.SGD(p, lr=0.01)),
        ("adam", lambda p: KerasAdam(p, lr=0.001)),
    ],
)
@pytest.mark.parametrize("shuffle", [False, True])
def test_fit_equals_a_hand_written_loop(name, make_torch, shuffle):
    x, y = regression_data(50)
    ours = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    theirs = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    theirs.load_state_dict(ours.state_dict())
    training.compile(ours, optimizer=name, loss="mse")
    torch.manual_seed(7)
    training.fit(ours, x, y, batch_size=16, epochs=3, shuffle=shuffle, verbose=0)
    hand_written_fit(theirs, make_torch(theirs.parameters()), x, y, 16, 3, shuffle, seed=7)
    assert_same_state(state_copy(ours), state_copy(theirs), atol=1e-6)


def test_a_torch_optimizer_can_be_passed():
    x, y = regression_data()
    ours, theirs = nn.Linear(4, 1), nn.Linear(4, 1)
    theirs.load_state_dict(ours.state_dict())
    training.compile(
        ours, optimizer=torch.optim.SGD(ours.parameters(), lr=0.05, momentum=0.9), loss="mse"
    )
    training.fit(ours, x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    hand_written_fit(
        theirs,
        torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9),
        x,
        y,
        8,
        2,
        False,
        seed=0,
    )
    assert_same_state(state_copy(ours), state_copy(theirs), atol=1e-6)


def test_history_holds_the_running_means_of_each_epoch():
    x, y = regression_data(30)
    model = nn.Linear(4, 1)
    training.compile(
        model, optimizer=optimizers.SGD(learning_rate=0.0), loss="mse", metrics=["mae"]
    )
    history = training.fit(model, x, y, batch_size=8, epochs=2, verbose=0)
    with torch.no_grad():
        error = model(torch.as_tensor(x)) - torch.as_tensor(y)
    assert history is model.history
    assert history.epoch == [0, 1]
    assert list(history.history) == ["loss", "mae"]
    # lr=0: every epoch sees the same weights, so the running mean is the full-data mean.
    np.testing.assert_allclose(history.history["loss"], [float((error**2).mean())] * 2, rtol=1e-5)
    np.testing.assert_allclose(history.history["mae"], [float(error.abs().mean())] * 2, rtol=1e-5)
    assert history.params == {"verbose": 0, "epochs": 2, "steps": 4, "do_validation": False}


# ---------------------------------------------------------------------------- several outputs


def two_head_data(n=24):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, {
        "score": rng.normal(size=(n, 1)).astype("float32"),
        "label": rng.integers(0, 3, size=n),
    }


def test_several_outputs_name_their_losses_and_metrics():
    x, y = two_head_data()
    model = TwoHeads()
    training.compile(
        model,
        "sgd",
        loss={"score": "mse", "label": "sparse_categorical_crossentropy"},
        metrics={"label": ["accuracy"], "score": "mae"},
        loss_weights=[0.5, 2.0],
    )
    history = training.fit(model, x, y, validation_data=(x, y), epochs=1, verbose=0)
    assert list(history.history) == [
        "loss",
        "score_loss",
        "label_loss",
        "score_mae",
        "label_accuracy",
        "val_loss",
        "val_score_loss",
        "val_label_loss",
        "val_score_mae",
        "val_label_accuracy",
    ]
    result = training.evaluate(model, x, y, verbose=0, return_dict=True)
    np.testing.assert_allclose(
        result["loss"], 0.5 * result["score_loss"] + 2.0 * result["label_loss"], rtol=1e-5
    )
    # evaluate's list follows metrics_names.
    values = training.evaluate(model, x, [y["score"], y["label"]], verbose=0)
    assert model._compile_state.metrics_names == list(result)
    np.testing.assert_allclose(values, list(result.values()), rtol=1e-6)


def test_one_loss_and_a_flat_metric_list_apply_to_every_output():
    x, y = two_head_data()
    model = TwoHeads()
    training.compile(model, "sgd", loss="mse", metrics=["mae"])
    result = training.evaluate(
        model, x, [y["score"], np.eye(3)[y["label"]]], verbose=0, return_dict=True
    )
    assert list(result) == ["loss", "score_loss", "label_loss", "score_mae", "label_mae"]


def test_an_output_without_loss_needs_no_target():
    x, y = two_head_data()
    model = TwoHeads()
    training.compile(model, "sgd", loss={"score": "mse"})
    history = training.fit(model, x, {"score": y["score"]}, epochs=1, verbose=0)
    assert list(history.history) == ["loss", "score_loss"]


def test_a_plain_module_returning_a_dict_uses_its_keys_as_output_names():
    model = DictHeads()
    training.compile(
        model,
        "adam",
        loss={"price": "mse", "kind": "categorical_crossentropy"},
        metrics={"kind": "accuracy"},
    )
    x = np.random.rand(12, 4)
    y = {"price": np.random.rand(12, 1), "kind": np.eye(2)[np.arange(12) % 2]}
    history = training.fit(model, x, y, epochs=2, verbose=0)
    assert list(history.history) == ["loss", "price_loss", "kind_loss", "kind_accuracy"]
    assert set(training.predict(model, x, verbose=0)) == {"price", "kind"}


def test_loss_dict_keys_are_checked_against_the_outputs():
    with pytest.raises(
        ValueError,
        match=r"`loss` names \['scor'\], which is not an output of "
        r"the model. Did you mean 'score'\? The model's "
        r"outputs are \['score', 'label'\]",
    ):
        training.compile(TwoHeads(), "sgd", loss={"scor": "mse"})
    with pytest.raises(ValueError, match=r"`loss` is an empty dict: it names no output"):
        training.compile(TwoHeads(), "sgd", loss={})
    with pytest.raises(ValueError, match=r"`metrics` names \['labels'\].*Did you mean 'label'"):
        training.compile(TwoHeads(), "sgd", loss="mse", metrics={"labels": "mae"})
    with pytest.raises(ValueError, match=r"`loss` is a list of 3 entries, but the model has 2"):
        training.compile(TwoHeads(), "sgd", loss=["mse"] * 3)
    with pytest.raises(ValueError, match=r"`metrics` is a list of 1 lists, but the model has 2"):
        training.compile(TwoHeads(), "sgd", loss="mse", metrics=[["mae"]])
    with pytest.raises(TypeError, match=r"`metrics` mixes metrics and lists of metrics"):
        training.compile(TwoHeads(), "sgd", loss="mse", metrics=["mae", ["mse"]])
    with pytest.raises(TypeError, match=r"`loss_weights` must be a list"):
        training.compile(TwoHeads(), "sgd", loss="mse", loss_weights="equal")


def test_a_plain_module_checks_loss_keys_at_its_first_fit():
    model = DictHeads()
    training.compile(model, "sgd", loss={"prize": "mse"})
    with pytest.raises(ValueError, match=r"\['prize'\].*Did you mean 'price'\?"):
        training.fit(model, np.ones((4, 4)), {"price": np.ones((4, 1))}, verbose=0)


def test_targets_must_match_the_outputs():
    model = TwoHeads()
    training.compile(model, "sgd", loss="mse")
    x = np.ones((6, 4))
    with pytest.raises(
        ValueError,
        match=r"The model has 2 outputs \['score', 'label'\], but "
        r"`y` is a single array",
    ):
        training.fit(model, x, np.ones((6, 1)), verbose=0)
    with pytest.raises(
        ValueError,
        match=r"`y` has keys that name no output of the model: "
        r"\['lable'\]. Did you mean 'label'\?",
    ):
        training.fit(model, x, {"score": np.ones((6, 1)), "lable": np.ones((6, 3))}, verbose=0)
    with pytest.raises(ValueError, match=r"Output 'label' has a loss, but `y` gives no target"):
        training.fit(model, x, {"score": np.ones((6, 1))}, verbose=0)
    with pytest.raises(ValueError, match=r"`y` is a list of 3 entries"):
        training.fit(model, x, [np.ones((6, 1))] * 3, verbose=0)


# ---------------------------------------------------------------------------- weights


def frozen(model):
    """Compile with a zero learning rate: train_on_batch reports the loss, changes nothing."""
    training.compile(
        model,
        optimizers.SGD(learning_rate=0.0),
        loss="binary_crossentropy",
        weighted_metrics=["binary_accuracy"],
    )
    return model


def bce(y, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p)).reshape(-1)


def test_class_weight_and_sample_weight_scale_the_loss_as_keras_does():
    model = frozen(nn.Sequential(nn.Linear(4, 1), nn.Sigmoid()))
    x = np.random.rand(8, 4).astype("float32")
    y = np.array([0, 1, 1, 0, 1, 1, 1, 0], dtype="float32").reshape(-1, 1)
    p = training.predict(model, x, verbose=0)
    per_sample = bce(y, p)
    sw = np.arange(1, 9, dtype="float32")
    cw = {0: 2.0, 1: 0.5}
    class_w = np.where(y.reshape(-1) == 0, 2.0, 0.5)
    got = training.train_on_batch(model, x, y, class_weight=cw)[0]
    np.testing.assert_allclose(got, (per_sample * class_w).sum() / 8, rtol=1e-5)
    got = training.train_on_batch(model, x, y, sample_weight=sw)[0]
    np.testing.assert_allclose(got, (per_sample * sw).sum() / 8, rtol=1e-5)
    # The two multiply, as in Keras.
    got = training.train_on_batch(model, x, y, sample_weight=sw, class_weight=cw)[0]
    np.testing.assert_allclose(got, (per_sample * sw * class_w).sum() / 8, rtol=1e-5)
    # fit applies the same weights.
    history = training.fit(model, x, y, batch_size=8, class_weight=cw, shuffle=False, verbose=0)
    np.testing.assert_allclose(
        history.history["loss"][0], (per_sample * class_w).sum() / 8, rtol=1e-5
    )


def test_class_weight_per_output():
    model = TwoHeads()
    training.compile(
        model, optimizers.SGD(learning_rate=0.0), loss=["mse", "sparse_categorical_crossentropy"]
    )
    x, y = two_head_data(9)
    labels = np.array([0, 1, 2] * 3)
    plain = training.train_on_batch(model, x, [y["score"], labels], return_dict=True)
    weighted = training.train_on_batch(
        model,
        x,
        [y["score"], labels],
        class_weight={"label": {0: 0.0, 1: 0.0, 2: 3.0}},
        return_dict=True,
    )
    assert weighted["score_loss"] == pytest.approx(plain["score_loss"])
    probs = training.predict(model, x, verbose=0)[1]
    ce = -np.log(np.clip(probs[np.arange(9), labels], 1e-7, 1))
    assert weighted["label_loss"] == pytest.approx((ce * (labels == 2) * 3.0).sum() / 9, rel=1e-5)
    with pytest.raises(ValueError, match=r"give `class_weight` as a dict keyed by output name"):
        training.train_on_batch(model, x, [y["score"], labels], class_weight={0: 1.0})
    with pytest.raises(ValueError, match=r"`class_weight` names \['lable'\]"):
        training.train_on_batch(model, x, [y["score"], labels], class_weight={"lable": {0: 1}})


def test_one_hot_targets_pick_their_class_weight_by_argmax():
    model = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=-1))
    training.compile(model, optimizers.SGD(learning_rate=0.0), loss="categorical_crossentropy")
    x = np.random.rand(6, 4).astype("float32")
    labels = np.array([0, 1, 2, 2, 1, 0])
    y = np.eye(3, dtype="float32")[labels]
    p = training.predict(model, x, verbose=0)
    ce = -np.log(p[np.arange(6), labels])
    got = training.train_on_batch(model, x, y, class_weight={2: 5.0})
    np.testing.assert_allclose(got, (ce * np.where(labels == 2, 5.0, 1.0)).sum() / 6, rtol=1e-5)


# ---------------------------------------------------------------------------- validation


def test_validation_split_takes_the_last_fraction_before_shuffling():
    x, y = regression_data(40)
    model = nn.Linear(4, 1)
    training.compile(model, optimizers.SGD(learning_rate=0.0), loss="mse")
    history = training.fit(model, x, y, validation_split=0.25, epochs=1, verbose=0)
    assert history.params["steps"] == 1  # 30 samples in one batch of 32
    want = training.evaluate(model, x[30:], y[30:], verbose=0)
    assert history.history["val_loss"] == [pytest.approx(want)]
    assert history.history["loss"] == [
        pytest.approx(training.evaluate(model, x[:30], y[:30], verbose=0))
    ]


def test_validation_split_warns_when_the_held_out_labels_hold_one_class():
    x = np.random.rand(20, 4).astype("float32")
    y = np.sort(np.random.randint(0, 2, 20)).astype("float32")
    y[:5], y[-5:] = 0, 1
    model = nn.Sequential(nn.Linear(4, 1), nn.Sigmoid())
    training.compile(model, "sgd", loss="binary_crossentropy")
    with pytest.warns(
        UserWarning,
        match=r"validation_split=0.2 takes the last 20% of the "
        r"samples before shuffling, and its labels hold a "
        r"single class \(1.0\)",
    ):
        training.fit(model, x, y, validation_split=0.2, verbose=0)
    y_mixed = np.array([0, 1] * 10, dtype="float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        training.fit(model, x, y_mixed, validation_split=0.2, verbose=0)


def test_validation_data_with_sample_weight_and_validation_freq():
    x, y = regression_data(20)
    model = nn.Linear(4, 1)
    training.compile(model, optimizers.SGD(learning_rate=0.0), loss="mse")
    sw = np.zeros(20, dtype="float32")
    history = training.fit(
        model, x, y, validation_data=(x, y, sw), epochs=4, validation_freq=2, verbose=0
    )
    assert history.history["val_loss"] == [0.0, 0.0]
    history = training.fit(
        model, x, y, validation_data=(x, y), epochs=3, validation_freq=[1, 3], verbose=0
    )
    assert len(history.history["val_loss"]) == 2
    with pytest.raises(ValueError, match=r"`validation_data` must be `\(x_val, y_val\)`"):
        training.fit(model, x, y, validation_data=(x,), verbose=0)
    with pytest.raises(ValueError, match=r"`validation_split` is only supported for numpy"):
        training.fit(
            model,
            torch.utils.data.TensorDataset(torch.as_tensor(x), torch.as_tensor(y)),
            validation_split=0.5,
            verbose=0,
        )
    with pytest.raises(
        ValueError,
        match=r"`validation_split=0.5` of 1 samples leaves no "
        r"training samples",
    ):
        training.fit(model, x[:1], y[:1], validation_split=0.5, verbose=0)
    with pytest.raises(ValueError, match=r"must be a fraction between 0 and 1"):
        training.fit(model, x, y, validation_split=1.5, verbose=0)
    with pytest.raises(ValueError, match=r"`validation_freq` must be a positive integer"):
        training.fit(model, x, y, validation_freq=0, verbose=0)


def test_validation_runs_in_eval_mode_and_fit_in_train_mode():
    model = Recorder()
    model.eval()
    training.compile(model, "sgd", loss="mse")
    x, y = regression_data(8)
    training.fit(model, x, y, batch_size=4, validation_data=(x[:4], y[:4]), verbose=0)
    # two training batches, then one validation batch
    assert model.modes[-3:] == [True, True, False]
    assert not model.training and not model.dense.training


# ---------------------------------------------------------------------------- the epochs


def test_initial_epoch_and_stop_training():
    x, y = regression_data(16)
    model = nn.Linear(4, 1)
    training.compile(model, "sgd", loss="mse")
    history = training.fit(model, x, y, epochs=4, initial_epoch=2, verbose=0)
    assert history.epoch == [2, 3]
    seen = []

    def stop_after_two(batch, logs):
        seen.append(batch)
        if batch == 1:
            model.stop_training = True

    history = training.fit(
        model,
        x,
        y,
        batch_size=4,
        epochs=5,
        verbose=0,
        callbacks=[LambdaCallback(on_train_batch_end=stop_after_two)],
    )
    assert seen == [0, 1] and history.epoch == [0]


def test_steps_per_epoch_streams_on_across_epochs():
    x = np.arange(10, dtype="float32").reshape(10, 1).repeat(4, axis=1)
    model = Recorder()
    training.compile(model, "sgd", loss="mse")
    training.fit(
        model,
        x,
        np.zeros((10, 1)),
        batch_size=4,
        epochs=2,
        steps_per_epoch=2,
        shuffle=False,
        verbose=0,
    )
    firsts = [float(b[0, 0]) for b in model.batches]
    # epoch 1: samples 0-3, 4-7; epoch 2: 8-9, then a new pass from 0.
    assert firsts == [0.0, 4.0, 8.0, 0.0]


def test_generators_and_dataloaders():
    x, y = regression_data(12)
    model = nn.Linear(4, 1)
    training.compile(model, "sgd", loss="mse")

    def batches():
        for start in range(0, 12, 4):
            yield x[start : start + 4], y[start : start + 4]

    history = training.fit(model, batches(), epochs=1, verbose=0)
    assert history.params["steps"] is None and len(history.history["loss"]) == 1
    with pytest.warns(UserWarning, match=r"Your input ran out of data"):
        history = training.fit(model, batches(), epochs=3, steps_per_epoch=2, verbose=0)
    assert history.epoch == [0, 1]  # the third epoch found no batch
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.as_tensor(x), torch.as_tensor(y)), batch_size=5
    )
    history = training.fit(model, loader, epochs=2, validation_data=loader, verbose=0)
    assert history.params["steps"] == 3 and len(history.history["val_loss"]) == 2
    with pytest.raises(ValueError, match=r"`y` must be None when `x` is a DataLoader"):
        training.fit(model, loader, y, verbose=0)


def test_batch_logs_are_read_only_when_asked():
    x, y = regression_data(64)
    model = nn.Linear(4, 1)
    state = training.compile(model, "sgd", loss="mse")
    reads = []
    real = state.read_logs
    state.read_logs = lambda: reads.append(1) or real()
    training.fit(model, x, y, batch_size=4, epochs=2, verbose=0)
    assert len(reads) == 2  # once per epoch, not once per step (16 steps)
    reads.clear()
    seen = []
    training.fit(
        model,
        x,
        y,
        batch_size=4,
        epochs=1,
        verbose=0,
        callbacks=[LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(logs["loss"]))],
    )
    assert (
        len(seen) == 16
        and len(reads) == 17
        and seen[-1] == pytest.approx(model.history.history["loss"][-1])
    )


# ---------------------------------------------------------------------------- bad input


def test_fit_before_compile():
    for fn in (training.fit, training.evaluate, training.train_on_batch, training.test_on_batch):
        with pytest.raises(
            RuntimeError,
            match=rf"You must call compile\(\) before "
            rf"{fn.__name__}\(\)",
        ):
            fn(nn.Linear(4, 1), np.ones((2, 4)), np.ones((2, 1)))


def test_sample_count_mismatch_names_the_arrays():
    model = nn.Linear(4, 1)
    training.compile(model, "sgd", loss="mse")
    with pytest.raises(ValueError, match=r"same number of samples.*x: 10, y: 9"):
        training.fit(model, np.ones((10, 4)), np.ones((9, 1)), verbose=0)
    with pytest.raises(ValueError, match=r"x: 10, y: 10, sample_weight: 3"):
        training.fit(model, np.ones((10, 4)), np.ones((10, 1)), sample_weight=np.ones(3), verbose=0)


def test_sparse_labels_out_of_range_raise_before_any_update():
    model = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=-1))
    training.compile(model, "adam", loss="sparse_categorical_crossentropy")
    before = state_copy(model)
    labels = np.array([0, 1, 2, 3, 1, 0])
    with pytest.raises(
        ValueError,
        match=r"model predicts 3 classes. Received: a label value of "
        r"3 at index 3",
    ):
        training.fit(model, np.ones((6, 4)), labels, verbose=0)
    with pytest.raises(ValueError, match=r"a label value of 3"):
        training.fit(
            model, np.ones((6, 4)), labels % 3, validation_data=(np.ones((6, 4)), labels), verbose=0
        )
    assert_same_state(before, state_copy(model))


def test_a_later_generator_batch_is_checked_like_the_first():
    # its labels, its shapes and its sample counts; on CUDA a bad label would be a device
    # assert that ends the process
    model = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=-1))
    training.compile(model, "adam", loss="sparse_categorical_crossentropy")
    good = (np.ones((4, 4), "float32"), np.array([0, 1, 2, 1]))
    bad_label = (good[0], np.array([0, 1, 7, 1]))
    with pytest.raises(
        ValueError,
        match=r"model predicts 3 classes. Received: a label value "
        r"of 7 at index 2",
    ):
        training.fit(model, iter([good, bad_label]), verbose=0)
    with pytest.raises(ValueError, match=r"a label value of 7"):
        training.fit(model, iter([good]), validation_data=iter([good, bad_label]), verbose=0)
    with pytest.raises(ValueError, match=r"a label value of 7"):
        training.evaluate(model, iter([bad_label]), verbose=0)
    with pytest.raises(ValueError, match=r"a label value of 7"):
        training.train_on_batch(model, *bad_label)
    with pytest.raises(ValueError, match=r"they differ: x: 4, y: 3"):
        training.fit(model, iter([good, (good[0], good[1][:3])]), verbose=0)


def test_a_later_generator_batch_of_another_shape_names_the_input():
    from plait import Input, Model
    from plait.layers import Dense

    visible = Input(shape=(4,), name="features")
    model = Model(visible, Dense(1)(visible))
    model.compile("sgd", loss="mse")
    batches = [
        (np.ones((4, 4), "float32"), np.ones((4, 1))),
        (np.ones((4, 3), "float32"), np.ones((4, 1))),
    ]
    with pytest.raises(
        ValueError,
        match=r"Input 'features' of the model expects data of shape "
        r"\(None, 4\), but `x` gives shape \(4, 3\)",
    ):
        model.fit(iter(batches), verbose=0)


def test_a_failing_step_leaves_the_weights_untouched():
    model = nn.Linear(4, 2)
    training.compile(model, "adam", loss="mse")
    before = state_copy(model)
    with pytest.raises(Exception):
        training.train_on_batch(model, np.ones((6, 4)), np.ones((6, 5)))
    assert_same_state(before, state_copy(model))


def test_fit_without_any_loss():
    model = nn.Linear(4, 1)
    training.compile(model, "sgd", metrics=["mae"])
    with pytest.raises(ValueError, match=r"fit\(\) needs a loss to minimize"):
        training.fit(model, np.ones((2, 4)), np.ones((2, 1)), verbose=0)
    # evaluate works with metrics only (the loss reads 0).
    assert training.evaluate(model, np.ones((2, 4)), np.ones((2, 1)), verbose=0)[0] == 0.0


def test_argument_checks():
    model = nn.Linear(4, 1)
    training.compile(model, "sgd", loss="mse")
    x, y = np.ones((4, 4)), np.ones((4, 1))
    with pytest.raises(ValueError, match=r"`shuffle` must be True, False or 'batch'"):
        training.fit(model, x, y, shuffle="yes", verbose=0)
    with pytest.raises(TypeError, match=r"`epochs` must be an integer. Received: epochs=1.5"):
        training.fit(model, x, y, epochs=1.5, verbose=0)
    with pytest.raises(ValueError, match=r"`steps_per_epoch` must be positive"):
        training.fit(model, x, y, steps_per_epoch=0, verbose=0)
    with pytest.raises(TypeError, match=r"compile\(\) works on a torch.nn.Module"):
        training.compile("model", "sgd")
    with pytest.raises(ValueError, match=r"`steps_per_execution` must be a positive integer"):
        training.compile(model, "sgd", steps_per_execution=0)
    with pytest.raises(TypeError, match=r"`jit_compile` must be True or False"):
        training.compile(model, "sgd", jit_compile="yes")
    with pytest.raises(TypeError, match=r"must be a plait.callbacks.Callback"):
        training.fit(model, x, y, callbacks=[print], verbose=0)


# ---------------------------------------------------------------------------- evaluate & co


def test_evaluate_and_the_on_batch_functions_return_keras_shapes():
    x, y = regression_data(10)
    model = nn.Linear(4, 1)
    training.compile(model, "sgd", loss="mse")
    assert isinstance(training.evaluate(model, x, y, verbose=0), float)
    training.compile(model, "sgd", loss="mse", metrics=["mae", "mse"])
    loss, mae, mse = training.evaluate(model, x, y, verbose=0)
    assert loss == pytest.approx(mse)
    assert set(training.test_on_batch(model, x, y, return_dict=True)) == {"loss", "mae", "mse"}
    first = training.test_on_batch(model, x[:5], y[:5])
    running = training.test_on_batch(model, x[5:], y[5:], reset_metrics=False)
    whole = training.evaluate(model, x, y, batch_size=5, verbose=0)
    np.testing.assert_allclose(running, whole, rtol=1e-5)
    assert first != running
    before = state_copy(model)
    training.train_on_batch(model, x, y)
    assert not torch.equal(before["weight"], model.weight)


def test_shuffle_batch_keeps_batches_whole():
    x = np.arange(12, dtype="float32").reshape(12, 1).repeat(4, axis=1)
    model = Recorder()
    training.compile(model, "sgd", loss="mse")
    training.fit(model, x, np.zeros((12, 1)), batch_size=4, shuffle="batch", verbose=0)
    starts = sorted(float(b[0, 0]) for b in model.batches)
    assert starts == [0.0, 4.0, 8.0]
    assert all(torch.equal(b[:, 0], b[0, 0] + torch.arange(4.0)) for b in model.batches)


def test_deepcopy_and_pickle_after_fit():
    import copy
    import pickle

    x, y = regression_data(8)
    model = nn.Linear(4, 1)
    training.compile(model, "adam", loss="mse")
    training.fit(model, x, y, verbose=0)
    clone = copy.deepcopy(model)
    training.fit(clone, x, y, verbose=0)
    assert pickle.loads(pickle.dumps(model))._compile_state.steps == {}


# ---------------------------------------------------------------------------- printing


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)
    fake = Clock(0.002)
    monkeypatch.setattr(progbar, "_now", fake)
    return fake


def constant_model():
    """Loss and metric values that never change: zero weights, zero learning rate."""
    model = nn.Linear(4, 1)
    nn.init.zeros_(model.weight)
    nn.init.zeros_(model.bias)
    training.compile(model, optimizers.SGD(learning_rate=0.0), loss="mse", metrics=["mae"])
    return model


def test_verbose_auto_writes_one_line_per_epoch_to_a_log(clock, capsys):
    model = constant_model()
    x, y = np.ones((20, 4)), np.full((20, 1), 0.5)
    training.fit(model, x, y, batch_size=8, epochs=2, validation_data=(x, y * 2))
    assert capsys.readouterr().out == (
        "Epoch 1/2\n"
        "3/3 - 0s - loss: 0.2500 - mae: 0.5000 - val_loss: 1.0000 - val_mae: 1.0000"
        " - 2ms/epoch - 667us/step\n"
        "Epoch 2/2\n"
        "3/3 - 0s - loss: 0.2500 - mae: 0.5000 - val_loss: 1.0000 - val_mae: 1.0000"
        " - 2ms/epoch - 667us/step\n"
    )


def test_verbose_1_on_a_terminal_draws_the_bar_in_place(clock, monkeypatch):
    stream = TTY()
    monkeypatch.setattr(sys, "stdout", stream)
    monkeypatch.setattr(ProgbarLogger, "interval", 0.0)
    model = constant_model()
    training.fit(model, np.ones((10, 4)), np.full((10, 1), 0.5), batch_size=4, verbose=1)
    assert stream.getvalue() == (
        "\r1/3 [=========>....................] - ETA: 0s - loss: 0.2500 - mae: 0.5000"
        "\r2/3 [===================>..........] - ETA: 0s - loss: 0.2500 - mae: 0.5000"
        "\r3/3 [==============================] - ETA: 0s - loss: 0.2500 - mae: 0.5000"
        "\r3/3 [==============================] - 0s 5ms/step - loss: 0.2500 - mae: 0.5000\n"
    )


def test_the_bar_shows_the_running_means_of_the_epoch(clock, monkeypatch):
    """Targets 1, 2, 3 by batch against a zero prediction: mae 1, then (1+2)/2, then
    (1+2+3)/3, as Keras shows them; verbose=2 prints the epoch's mean once."""
    stream = TTY()
    monkeypatch.setattr(sys, "stdout", stream)
    monkeypatch.setattr(ProgbarLogger, "interval", 0.0)
    model = constant_model()
    x, y = np.ones((6, 4)), np.repeat([1.0, 2.0, 3.0], 2).reshape(-1, 1)
    training.fit(model, x, y, batch_size=2, shuffle=False, verbose=1)
    assert stream.getvalue() == (
        "\r1/3 [=========>....................] - ETA: 0s - loss: 1.0000 - mae: 1.0000"
        "\r2/3 [===================>..........] - ETA: 0s - loss: 2.5000 - mae: 1.5000"
        "\r3/3 [==============================] - ETA: 0s - loss: 4.6667 - mae: 2.0000"
        "\r3/3 [==============================] - 0s 5ms/step - loss: 4.6667 - mae: 2.0000\n"
    )
    stream.seek(0), stream.truncate()
    training.fit(model, x, y, batch_size=2, epochs=2, shuffle=False, verbose=2)
    assert stream.getvalue() == (
        "Epoch 1/2\n"
        "3/3 - 0s - loss: 4.6667 - mae: 2.0000 - 2ms/epoch - 667us/step\n"
        "Epoch 2/2\n"
        "3/3 - 0s - loss: 4.6667 - mae: 2.0000 - 2ms/epoch - 667us/step\n"
    )


def test_verbose_1_in_a_log_writes_the_finished_bar_only(clock, capsys):
    model = constant_model()
    training.evaluate(model, np.ones((10, 4)), np.full((10, 1), 0.5), batch_size=4, verbose=1)
    assert (
        capsys.readouterr().out
        == "3/3 [==============================] - 0s 667us/step - loss: 0.2500 - mae: 0.5000\n"
    )


# ---------------------------------------------------------------------------- jit_compile


@pytest.fixture
def cheap_compile(monkeypatch):
    """aot_eager traces exactly what inductor would compile, without generating C++."""
    monkeypatch.setattr(loop, "_COMPILE_BACKEND", "aot_eager")
    monkeypatch.setattr(loop, "_JIT_TRIAL_STEPS", 0)  # test the compiled step itself
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def test_jit_compile_gives_the_eager_result(cheap_compile):
    x, y = regression_data(24)
    eager = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.BatchNorm1d(8), nn.Linear(8, 1))
    jitted = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.BatchNorm1d(8), nn.Linear(8, 1))
    jitted.load_state_dict(eager.state_dict())
    training.compile(eager, "sgd", loss="mse", metrics=["mae"])
    state = training.compile(jitted, "sgd", loss="mse", metrics=["mae"], jit_compile=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        a = training.fit(eager, x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        b = training.fit(jitted, x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert isinstance(state.steps[("train", "single", ())].compiled, loop._JitTrainStep)
    assert state.steps[("train", "single", ())].compiled.eager is None
    np.testing.assert_allclose(a.history["loss"], b.history["loss"], rtol=1e-5)
    assert_same_state(state_copy(eager), state_copy(jitted), atol=1e-5)
    np.testing.assert_allclose(
        training.predict(jitted, x, verbose=0), training.predict(eager, x, verbose=0), atol=1e-5
    )


def test_jit_compile_falls_back_to_eager_with_a_warning(cheap_compile):
    class HostSync(nn.Linear):
        def forward(self, x):
            torch._dynamo.graph_break()  # something torch.compile cannot hold in one graph
            return super().forward(x)

    x, y = regression_data(8)
    eager, jitted = HostSync(4, 1), HostSync(4, 1)
    jitted.load_state_dict(eager.state_dict())
    training.compile(eager, "sgd", loss="mse")
    training.compile(jitted, "sgd", loss="mse", jit_compile=True)
    training.fit(eager, x, y, batch_size=4, shuffle=False, verbose=0)
    with pytest.warns(
        RuntimeWarning,
        match=r"jit_compile=True could not compile the train "
        r"step; running it eagerly instead",
    ):
        training.fit(jitted, x, y, batch_size=4, shuffle=False, verbose=0)
    assert_same_state(state_copy(eager), state_copy(jitted), atol=1e-6)


def test_run_eagerly_wins_over_jit_compile():
    state = training.compile(nn.Linear(4, 1), "sgd", loss="mse", run_eagerly=True, jit_compile=True)
    assert not state.jit_compile


def test_compiled_state_is_read_from_the_module():
    model = nn.Linear(4, 1)
    state = training.compile(model, "sgd", loss="mse")
    assert model._compile_state is state
    assert get_state(model, "fit") is state
    assert isinstance(state.output_losses, list) and state.output_losses == []  # not bound yet
    training.fit(model, np.ones((2, 4)), np.ones((2, 1)), verbose=0)
    assert state.output_names == ["output_1"]
    assert isinstance(state.output_losses[0], losses.MeanSquaredError)


# ---------------------------------------------------------------------------- no host sync


def test_steps_never_read_tensors_on_the_host(monkeypatch):
    """On a GPU each of these would make the host wait for the device every step."""
    reads = []
    watching = [False]

    def spy(name):
        real = getattr(torch.Tensor, name)

        def read(self, *args, **kwargs):
            caller = sys._getframe(1).f_code.co_filename
            # torch.optim keeps its step counts on the CPU by design, even for GPU weights.
            if watching[0] and "torch/optim" not in caller:
                reads.append((name, caller))
            return real(self, *args, **kwargs)

        return read

    for name in ("item", "tolist", "cpu", "numpy", "__bool__", "__float__", "__int__"):
        monkeypatch.setattr(torch.Tensor, name, spy(name))

    class Watch(Callback):
        def on_train_batch_begin(self, batch, logs=None):
            watching[0] = True

        def on_train_batch_end(self, batch, logs=None):
            watching[0] = False

        on_test_batch_begin = on_train_batch_begin
        on_test_batch_end = on_train_batch_end

    model = TwoHeads()
    training.compile(
        model,
        "adam",
        loss=["mse", "sparse_categorical_crossentropy"],
        metrics=[["mae"], ["accuracy"]],
        weighted_metrics=[[], ["accuracy"]],
    )
    x, y = two_head_data(32)
    training.fit(
        model,
        x,
        [y["score"], y["label"]],
        batch_size=8,
        epochs=2,
        class_weight={"label": {0: 1.0, 1: 2.0, 2: 0.5}},
        validation_data=(x, [y["score"], y["label"]]),
        verbose=0,
        callbacks=[Watch()],
    )
    assert reads == []


def test_a_generator_for_validation_is_consumed_once():
    x, y = regression_data(8)
    model = nn.Linear(4, 1)
    training.compile(model, "sgd", loss="mse")

    def once():
        yield x, y

    with pytest.warns(UserWarning, match=r"`validation_data` gave no batches"):
        history = training.fit(model, x, y, epochs=2, validation_data=once(), verbose=0)
    assert len(history.history["val_loss"]) == 1
    with pytest.raises(ValueError, match=r"evaluate\(\) got no batches"):
        training.evaluate(model, iter([]), verbose=0)


def test_labels_must_be_numbers():
    model = nn.Linear(4, 1)
    training.compile(model, "sgd", loss="mse")
    with pytest.raises(
        TypeError,
        match=r"`y` could not be turned into a numeric array \(it "
        r"holds str.* values\)",
    ):
        training.fit(model, np.ones((2, 4)), np.array(["cat", "dog"]), verbose=0)
