"""predict runs large-activation models in slices on a CPU (plait/training/sub_batches.py):
which models are split, how, and that the outputs are the whole batch's."""

import numpy as np
import pytest
import torch

from plait import Input, Model, Sequential, layers, ops
from plait.training import sub_batches
from plait.training.sub_batches import in_sub_batches, sub_batch_rows

CPU = torch.device("cpu")


def tutorial_cnn():
    visible = Input(shape=(64, 64, 1))
    x = layers.MaxPooling2D()(layers.Conv2D(32, 4, activation="relu")(visible))
    x = layers.MaxPooling2D()(layers.Conv2D(16, 4, activation="relu")(x))
    x = layers.Dense(10, activation="relu")(layers.Flatten()(x))
    return Model(visible, layers.Dense(1, activation="sigmoid")(x))


def test_the_tutorial_cnn_is_split_by_its_first_activation():
    # Conv2D(32, 4) on 64x64x1 makes 61 * 61 * 32 float32 per sample, the graph's largest
    rows = sub_batch_rows(tutorial_cnn(), CPU)
    assert rows == sub_batches.SUB_BATCH_BYTES // (61 * 61 * 32 * 4) == 17


def test_small_models_get_at_least_min_rows_and_only_on_a_cpu():
    visible = Input(shape=(512, 512, 3))
    model = Model(visible, layers.Conv2D(64, 3, padding="same")(visible))
    assert sub_batch_rows(model, CPU) == sub_batches.MIN_ROWS
    assert sub_batch_rows(model, torch.device("meta")) is None


class Doubler(layers.Layer):
    def call(self, inputs):
        return inputs * 2


def _dense_after(make):
    visible = Input(shape=(8, 8, 4))
    return Model(visible, layers.Dense(2)(make(visible)))


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(
            lambda: _dense_after(lambda x: ops.mean(x, axis=0) + x), id="op over the batch"
        ),
        pytest.param(lambda: _dense_after(lambda x: x * 2.0), id="any op layer"),
        pytest.param(lambda: _dense_after(layers.Lambda(lambda x: x - x.mean(0))), id="Lambda"),
        pytest.param(lambda: _dense_after(Doubler()), id="a user's layer class"),
        pytest.param(
            lambda: _dense_after(lambda x: layers.BatchNormalization()(x, training=True)),
            id="training=True in the graph",
        ),
        pytest.param(
            lambda: Model(i := Input(batch_shape=(4, 8)), layers.Dense(2)(i)), id="fixed batch"
        ),
    ],
)
def test_models_whose_samples_may_meet_are_never_split(model):
    assert sub_batch_rows(model(), CPU) is None


def test_a_subclassed_model_is_never_split():
    class Net(Model):
        def __init__(self):
            super().__init__()
            self.conv = layers.Conv2D(8, 3)

        def call(self, x):
            return self.conv(x)

    net = Net()
    net(torch.zeros(1, 32, 32, 3))
    assert sub_batch_rows(net, CPU) is None


def test_a_nested_model_is_looked_into():
    inner = Sequential([Input((16,)), layers.Lambda(lambda x: x - x.mean(0))])
    visible = Input((16,))
    assert sub_batch_rows(Model(visible, inner(visible)), CPU) is None
    inner = Sequential([Input((16,)), layers.Dense(4)])
    assert sub_batch_rows(Model(visible, inner(visible)), CPU) is not None


def test_in_sub_batches_slices_every_input_alike_and_joins_each_structure():
    seen = []

    def forward(xs):
        seen.append([x.shape[0] for x in xs])
        return {"sum": xs[0] + xs[1], "pair": [xs[0], xs[1] * 2]}

    a, b = torch.arange(10.0)[:, None], torch.ones(10, 1)
    out = in_sub_batches(forward, rows=4)([a, b])
    assert seen == [[4, 4], [4, 4], [2, 2]]
    torch.testing.assert_close(out["sum"], a + b)
    torch.testing.assert_close(out["pair"][1], b * 2)


def test_in_sub_batches_runs_small_batches_whole():
    calls = []
    run = in_sub_batches(lambda xs: calls.append(xs[0].shape[0]) or xs[0], rows=8)
    run([torch.zeros(15, 2)])
    assert calls == [15]


def _record_rows(monkeypatch, model):
    """The rows of every call of `model.forward`, in order."""
    rows = []
    original = model.forward
    monkeypatch.setattr(
        model, "forward", lambda *a, **k: rows.append(a[0].shape[0]) or original(*a, **k)
    )
    return rows


def test_predict_in_slices_equals_the_whole_batch(monkeypatch):
    model = tutorial_cnn()
    x = np.random.default_rng(0).random((70, 64, 64, 1), dtype=np.float32)
    calls = _record_rows(monkeypatch, model)
    predicted = model.predict(x, batch_size=70, verbose=0)
    assert calls == [14] * 5  # 70 rows in five equal slices of at most 17
    with torch.no_grad():
        whole = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(predicted, whole, rtol=1e-5, atol=1e-6)


def test_a_batch_mixing_model_predicts_on_whole_batches():
    visible = Input(shape=(64, 64, 1))
    centred = layers.Conv2D(32, 4)(visible) - ops.mean(layers.Conv2D(32, 4)(visible), axis=0)
    model = Model(visible, layers.Dense(1)(layers.Flatten()(centred)))
    x = np.random.default_rng(1).random((64, 64, 64, 1), dtype=np.float32)
    with torch.no_grad():
        whole = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model.predict(x, batch_size=64, verbose=0), whole, rtol=1e-5)


def test_hooks_on_a_plait_model_and_its_layers_still_run_in_predict():
    # predict calls a graph model's forward directly only while the model has no hooks
    visible = Input((4,))
    dense = layers.Dense(3)
    model = Model(visible, dense(visible))
    on_model, on_layer = [], []
    model.register_forward_pre_hook(lambda m, args: on_model.append(args[0].shape[0]))
    dense.register_forward_hook(lambda m, i, o: on_layer.append(o.shape[0]))
    model.predict(np.ones((10, 4), "float32"), batch_size=4, verbose=0)
    assert on_model == [4, 4, 2] and on_layer == [4, 4, 2]


def test_a_sequential_built_by_predict_is_split_from_its_first_predict():
    model = Sequential(
        [layers.Conv2D(32, 4, activation="relu"), layers.MaxPooling2D(), layers.Flatten()]
    )
    sizes = []
    forward = model.forward
    model.forward = lambda *a, **k: sizes.append(a[0].shape[0]) or forward(*a, **k)
    model.predict(np.zeros((64, 64, 64, 1), "float32"), batch_size=64, verbose=0)
    assert sizes[-4:] == [16, 16, 16, 16]  # after the build's own call
    model.add(layers.Lambda(lambda x: x - ops.mean(x, axis=0)))
    sizes.clear()
    model.predict(np.zeros((64, 64, 64, 1), "float32"), batch_size=64, verbose=0)
    assert sizes == [64]


def test_sparse_inputs_run_whole():
    calls = []
    run = in_sub_batches(lambda xs: calls.append(xs[0].shape[0]) or xs[0].to_dense(), rows=4)
    sparse = torch.eye(16).to_sparse()
    torch.testing.assert_close(run([sparse]), torch.eye(16))
    assert calls == [16]


class FakeClock:
    """`time.perf_counter` for sub_batches: each forward call advances it by its cost."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_the_faster_kind_is_chosen_by_timing_the_first_full_batches(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(sub_batches.time, "perf_counter", clock)
    calls = []

    def forward(xs, per_call=1.0):
        calls.append(xs[0].shape[0])
        clock.now += per_call  # a call costs the same whatever its rows: whole wins
        return xs[0]

    choice = sub_batches.SliceChoice()
    run = in_sub_batches(forward, rows=4, choice=choice)
    x = torch.arange(16.0).reshape(16, 1)
    for _ in range(choice.TRIALS):
        torch.testing.assert_close(run([x]), x)
    assert calls == [4, 4, 4, 4, 16, 4, 4, 4, 4, 16]  # sliced, whole, sliced, whole
    assert choice.sliced is False
    calls.clear()
    run([x])
    assert calls == [16]


def test_slices_are_kept_when_they_are_faster(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(sub_batches.time, "perf_counter", clock)

    def forward(xs):
        clock.now += xs[0].shape[0] ** 2  # cost grows faster than the rows: slices win
        return xs[0]

    choice = sub_batches.SliceChoice()
    run = in_sub_batches(forward, rows=4, choice=choice)
    for _ in range(choice.TRIALS):
        run([torch.zeros(16, 1)])
    assert choice.sliced is True


def test_the_choice_is_kept_per_model_and_batch_size():
    model, other = tutorial_cnn(), tutorial_cnn()
    first = sub_batches.slice_choice(model, 17, 256)
    assert sub_batches.slice_choice(model, 17, 256) is first
    assert sub_batches.slice_choice(model, 17, 64) is not first
    assert sub_batches.slice_choice(other, 17, 256) is not first


def test_predict_times_both_kinds_then_keeps_one(monkeypatch):
    model = tutorial_cnn()
    x = np.random.default_rng(2).random((68, 64, 64, 1), dtype=np.float32)
    sizes = _record_rows(monkeypatch, model)
    with torch.no_grad():
        whole = model(torch.from_numpy(x)).numpy()
    sizes.clear()
    predicted = model.predict(np.concatenate([x] * 3), batch_size=68, verbose=0)
    np.testing.assert_allclose(predicted, np.concatenate([whole] * 3), rtol=1e-5, atol=1e-6)
    assert sizes == [17] * 4 + [68] + [17] * 4  # the first three trials
    sizes.clear()
    model.predict(x, batch_size=68, verbose=0)  # the last trial, then the choice
    choice = sub_batches.slice_choice(model, 17, 68)
    assert choice.sliced is not None
    assert sizes == [68]
    sizes.clear()
    model.predict(x, batch_size=68, verbose=0)
    assert sizes == ([17] * 4 if choice.sliced else [68])


def test_a_compiled_predict_is_not_timed_against_whole_batches(monkeypatch):
    from plait.training import loop

    # the compiled forward stands in as the eager one: only the choice is looked at here
    monkeypatch.setattr(loop.step_lib, "predict_step", lambda state, spec, options: spec.call)
    model = tutorial_cnn()
    model.compile(loss="mse", jit_compile=True)
    model.predict(np.zeros((68, 64, 64, 1), "float32"), batch_size=68, verbose=0)
    assert not sub_batches._choices.get(model)
    model.compile(loss="mse")
    model.predict(np.zeros((68, 64, 64, 1), "float32"), batch_size=68, verbose=0)
    assert sub_batches._choices.get(model)
