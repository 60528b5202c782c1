"""compile(steps_per_execution=N): N train steps per execution (one compiled call with
jit_compile=True), the same weights as N single steps, and the batch hooks Keras calls
(compared with Keras's own EpochIterator, which every Keras backend's fit loop walks)."""

import warnings

import numpy as np
import pytest
import torch
from keras.src.trainers.epoch_iterator import EpochIterator as KerasEpochIterator
from torch import nn

from plait import callbacks, optimizers, training
from plait.optimizers import schedules
from plait.training import loop, steps


class CountingBackend:
    """aot_eager (what inductor would compile, without C++), counting graph runs."""

    def __init__(self):
        self.runs = 0

    def __call__(self, gm, example_inputs):
        inner = torch._dynamo.backends.registry.lookup_backend("aot_eager")(gm, example_inputs)

        def run(*args):
            self.runs += 1
            return inner(*args)

        return run


@pytest.fixture
def counting(monkeypatch):
    backend = CountingBackend()
    monkeypatch.setattr(loop, "_COMPILE_BACKEND", backend)
    monkeypatch.setattr(loop, "_JIT_TRIAL_STEPS", 0)  # test the compiled steps themselves
    torch._dynamo.reset()
    yield backend
    torch._dynamo.reset()


def data(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x @ rng.normal(size=(4, 1)) + 0.1).astype("float32")


def net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))


def trained(per_execution, jit, n, make_optimizer, epochs=2, **fit_kwargs):
    module = net()
    training.compile(
        module,
        make_optimizer(),
        loss="mse",
        jit_compile=jit,
        steps_per_execution=per_execution,
    )
    x, y = data(n)
    history = training.fit(
        module, x, y, batch_size=4, epochs=epochs, shuffle=False, verbose=0, **fit_kwargs
    )
    return module, history


def assert_same_weights(a, b):
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        torch.testing.assert_close(q, p, atol=1e-6, rtol=0, msg=name)
    assert a._compile_state.optimizer.iterations == b._compile_state.optimizer.iterations


MAKERS = {
    "adam": lambda: optimizers.Adam(0.01),
    "sgd_schedule": lambda: optimizers.SGD(schedules.ExponentialDecay(0.05, 2, 0.5), momentum=0.5),
}


# 44 samples: 11 batches of 4, executions of 3, 3, 3 and 2; 42: the last batch has 2.
@pytest.mark.parametrize("n", [44, 42])
@pytest.mark.parametrize("name", list(MAKERS))
def test_n_steps_as_one_graph_train_as_n_single_steps(counting, name, n):
    single, a = trained(1, False, n, MAKERS[name])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no fallback
        grouped, b = trained(3, True, n, MAKERS[name])
    assert_same_weights(single, grouped)
    np.testing.assert_allclose(b.history["loss"], a.history["loss"], rtol=1e-5)
    assert grouped._compile_state.optimizer.iterations == 22
    # Per epoch: 3 calls of the 3-step graph, then the 2 batches left one by one (the
    # short one eagerly); nothing recompiles.
    step = grouped._compile_state.steps[("train", "single", ())].compiled
    assert step.multi is not None and step.eager is None
    assert counting.runs == 2 * (3 + (2 if n == 44 else 1))


def test_eager_executions_train_as_single_steps():
    single, _ = trained(1, False, 42, MAKERS["adam"])
    grouped, _ = trained(4, False, 42, MAKERS["adam"])
    assert_same_weights(single, grouped)


def test_steps_per_epoch_caps_the_last_execution(counting):
    grouped, _ = trained(3, True, 44, MAKERS["adam"], epochs=2, steps_per_epoch=5)
    single, _ = trained(1, False, 44, MAKERS["adam"], epochs=2, steps_per_epoch=5)
    assert grouped._compile_state.optimizer.iterations == 10
    assert_same_weights(single, grouped)


# ------------------------------------------------------------------ hooks, against Keras


class Recorder(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def _record(self, kind, batch):
        self.calls.append((kind, batch))

    def on_train_batch_begin(self, batch, logs=None):
        self._record("begin", batch)

    def on_train_batch_end(self, batch, logs=None):
        self._record("end", batch)
        assert "loss" in logs and np.isfinite(logs["loss"])

    def on_test_batch_begin(self, batch, logs=None):
        self._record("test_begin", batch)

    def on_test_batch_end(self, batch, logs=None):
        self._record("test_end", batch)

    def on_predict_batch_begin(self, batch, logs=None):
        self._record("predict_begin", batch)

    def on_predict_batch_end(self, batch, logs=None):
        self._record("predict_end", batch)
        self.calls.append(("rows", logs["outputs"].shape[0]))


def keras_hooks(n, per_execution, prefix="", rows=False):
    """The batch hooks Keras's fit/evaluate/predict call: `begin(begin_step)` and
    `end(end_step)` for each execution its EpochIterator yields."""
    iterator = KerasEpochIterator(
        np.zeros((n, 4), "float32"),
        np.zeros((n, 1), "float32"),
        batch_size=4,
        steps_per_execution=per_execution,
    )
    calls = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras warns "ran out of data" on a short last one
        for begin, end, batches in iterator:
            calls += [(prefix + "begin", begin), (prefix + "end", end)]
            if rows:
                calls.append(("rows", sum(len(b[0]) for b in batches)))
    return calls


@pytest.mark.parametrize("jit", [False, True])
def test_batch_hooks_are_called_per_execution_as_in_keras(counting, jit):
    module = net()
    training.compile(module, "sgd", loss="mse", jit_compile=jit, steps_per_execution=3)
    x, y = data(42)  # 11 batches: executions of 3, 3, 3 and 2
    recorder = Recorder()
    training.fit(module, x, y, batch_size=4, epochs=2, callbacks=[recorder], verbose=0)
    assert recorder.calls == keras_hooks(42, 3) * 2
    assert module._compile_state.optimizer.iterations == 22

    recorder.calls = []
    training.evaluate(module, x, y, batch_size=4, callbacks=[recorder], verbose=0)
    assert recorder.calls == keras_hooks(42, 3, "test_")

    recorder.calls = []
    out = training.predict(module, x, batch_size=4, callbacks=[recorder], verbose=0)
    assert recorder.calls == keras_hooks(42, 3, "predict_", rows=True)
    assert out.shape == (42, 1)


def test_the_progress_bar_counts_executions(capsys):
    module = net()
    training.compile(module, "sgd", loss="mse", steps_per_execution=3)
    x, y = data(42)
    training.fit(module, x, y, batch_size=4, epochs=1, verbose=2)
    assert "11/11" in capsys.readouterr().out


def test_evaluate_and_predict_give_the_single_step_values():
    x, y = data(42)
    a, b = net(), net()
    training.compile(a, "sgd", loss="mse", metrics=["mae"])
    training.compile(b, "sgd", loss="mse", metrics=["mae"], steps_per_execution=4)
    np.testing.assert_allclose(
        training.evaluate(b, x, y, batch_size=4, verbose=0),
        training.evaluate(a, x, y, batch_size=4, verbose=0),
        rtol=1e-6,
    )
    np.testing.assert_array_equal(
        training.predict(b, x, batch_size=4, verbose=0),
        training.predict(a, x, batch_size=4, verbose=0),
    )


def test_metrics_accumulate_per_step_in_a_compiled_execution(counting):
    x, y = data(40)
    a, b = net(), net()
    training.compile(a, optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    training.compile(
        b,
        optimizers.Adam(0.01),
        loss="mse",
        metrics=["mae"],
        jit_compile=True,
        steps_per_execution=5,
    )
    ha = training.fit(a, x, y, batch_size=4, shuffle=False, verbose=0)
    hb = training.fit(b, x, y, batch_size=4, shuffle=False, verbose=0)
    for key in ("loss", "mae"):
        np.testing.assert_allclose(hb.history[key], ha.history[key], rtol=1e-5)
    assert counting.runs == 2


def test_the_measured_choice_times_executions_per_step():
    class Fake:
        def __init__(self):
            self.batches, self.eager = 0, None

        def __call__(self, xs, ys, sws):
            self.batches += 1

    compiled, eager = Fake(), Fake()
    step = steps.FasterStep(compiled, eager, trials=2)
    batch = ([torch.zeros(2, 1)], [None], [None])
    for _ in range(5):  # compiling execution, then 2 timed executions of each kind
        step.group([batch] * 3)
    assert step.chosen in ("jit", "eager")
    assert (compiled.batches, eager.batches) == (9, 6)
    assert all(len(t) == 2 for t in step.times.values())
