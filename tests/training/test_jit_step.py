"""jit_compile=True's one-graph step (plait/training/jit_step.py): the same results as eager
steps, one compiled graph per step, and the two-graph path where the update cannot join."""

import copy
import time
import warnings

import numpy as np
import pytest
import torch
from torch import nn

import plait.layers as L
from plait import optimizers, training
from plait.models import Model
from plait.optimizers import schedules
from plait.training import loop


@pytest.fixture
def cheap_compile(monkeypatch):
    """aot_eager traces exactly what inductor would compile, without generating C++."""
    monkeypatch.setattr(loop, "_COMPILE_BACKEND", "aot_eager")
    monkeypatch.setattr(loop, "_JIT_TRIAL_STEPS", 0)  # test the compiled step itself
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


class CountingBackend:
    """A torch.compile backend (aot_eager underneath) counting the graphs run."""

    def __init__(self):
        self.runs = 0

    def __call__(self, gm, example_inputs):
        inner = torch._dynamo.backends.registry.lookup_backend("aot_eager")(gm, example_inputs)

        def run(*args):
            self.runs += 1
            return inner(*args)

        return run


def data(n=24, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x @ rng.normal(size=(4, 1)) + 0.1).astype("float32")


def net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))


def twins(make_optimizer, make_module=net):
    """The same module twice, compiled eager and jit with equal optimizers."""
    eager = make_module()
    jitted = copy.deepcopy(eager)
    training.compile(eager, make_optimizer(), loss="mse")
    training.compile(jitted, make_optimizer(), loss="mse", jit_compile=True)
    return eager, jitted


def train_step(module):
    (step,) = [s for key, s in module._compile_state.steps.items() if key[0] == "train"]
    return step.compiled


def assert_same_training(eager, jitted, atol=1e-6):
    for (name, a), b in zip(eager.state_dict().items(), jitted.state_dict().values()):
        torch.testing.assert_close(b, a, atol=atol, rtol=1e-5, msg=name)
    ea, ja = eager._compile_state.optimizer, jitted._compile_state.optimizer
    assert ja.iterations == ea.iterations
    a, b = ea.state_dict()["slots"], ja.state_dict()["slots"]
    assert a.keys() == b.keys()
    for key, values in a.items():
        assert len(b[key]) == len(values)
        for value, other in zip(values, b[key]):
            assert other.dtype == value.dtype and other.device == value.device, key
            torch.testing.assert_close(other, value, atol=atol, rtol=1e-5, msg=key)


OPTIMIZERS = {
    "adam": lambda: optimizers.Adam(learning_rate=0.01),
    "adam_keras_decay": lambda: optimizers.Adam(learning_rate=0.01, weight_decay=0.1),
    "amsgrad": lambda: optimizers.Adam(learning_rate=0.01, amsgrad=True),
    "adamw": lambda: optimizers.AdamW(learning_rate=0.01, weight_decay=0.05),
    "sgd": lambda: optimizers.SGD(learning_rate=0.05),
    "sgd_momentum_decay": lambda: optimizers.SGD(
        learning_rate=0.05, momentum=0.9, weight_decay=0.01
    ),
    "nesterov": lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    "adam_schedule": lambda: optimizers.Adam(schedules.ExponentialDecay(0.02, 2, 0.5)),
    "sgd_schedule": lambda: optimizers.SGD(schedules.ExponentialDecay(0.05, 2, 0.5), momentum=0.5),
    "rmsprop": lambda: optimizers.RMSprop(0.01, centered=True, momentum=0.5),
    "adam_clipnorm": lambda: optimizers.Adam(0.01, clipnorm=1.0),
    "sgd_global_clipnorm": lambda: optimizers.SGD(0.05, momentum=0.9, global_clipnorm=0.5),
    "adam_ema": lambda: optimizers.Adam(0.01, use_ema=True, ema_momentum=0.9),
    "adamax": lambda: optimizers.Adamax(0.01, clipvalue=0.5),
    "adagrad": lambda: optimizers.Adagrad(0.05),
    "adadelta": lambda: optimizers.Adadelta(1.0),
    "lion": lambda: optimizers.Lion(0.001),
    "lamb": lambda: optimizers.Lamb(0.01),
    "ftrl": lambda: optimizers.Ftrl(0.05, l1_regularization_strength=0.001),
    "adafactor": lambda: optimizers.Adafactor(0.05),
    "schedule_free": lambda: optimizers.ScheduleFreeAdamW(0.01, warmup_steps=2),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_one_graph_step_gives_the_eager_result(cheap_compile, name):
    eager, jitted = twins(OPTIMIZERS[name])
    x, y = data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no fallback
        a = training.fit(eager, x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        b = training.fit(jitted, x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    step = train_step(jitted)
    assert step.one_graph is not None and step.eager is None
    np.testing.assert_allclose(b.history["loss"], a.history["loss"], rtol=1e-5)
    assert_same_training(eager, jitted)
    assert (
        jitted._compile_state.optimizer.learning_rate
        == eager._compile_state.optimizer.learning_rate
    )


def test_one_graph_per_step_and_no_recompile_as_the_learning_rate_changes(monkeypatch):
    backend = CountingBackend()
    monkeypatch.setattr(loop, "_COMPILE_BACKEND", backend)
    monkeypatch.setattr(loop, "_JIT_TRIAL_STEPS", 0)  # test the compiled step itself
    torch._dynamo.reset()
    module = net()
    optimizer = optimizers.Adam(schedules.ExponentialDecay(0.01, 1, 0.5))
    training.compile(module, optimizer, loss="mse", jit_compile=True)
    x, y = data(24)
    torch._dynamo.utils.counters.clear()
    training.fit(module, x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    graphs = torch._dynamo.utils.counters["stats"]["unique_graphs"]
    torch._dynamo.reset()
    assert (graphs, backend.runs) == (1, 6)
    assert optimizer.iterations == 6
    assert optimizer.learning_rate == pytest.approx(0.01 * 0.5**6)


def test_a_plait_model_with_a_regularizer_and_keras_weight_decay(cheap_compile):
    def model():
        torch.manual_seed(0)
        inputs = L.Input(shape=(4,))
        hidden = L.Dense(6, activation="relu", kernel_regularizer="l2")(inputs)
        return Model(inputs, L.Dense(1)(hidden))

    eager, jitted = twins(lambda: optimizers.Adam(0.01, weight_decay=0.1), model)
    x, y = data()
    a = eager.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    b = jitted.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert train_step(jitted).one_graph is not None
    np.testing.assert_allclose(b.history["loss"], a.history["loss"], rtol=1e-5)
    assert_same_training(eager, jitted)


def test_switching_between_jit_and_eager_and_reloading_the_optimizer_state(cheap_compile):
    eager, jitted = twins(OPTIMIZERS["amsgrad"])
    optimizer = jitted._compile_state.optimizer
    x, y = data()
    training.fit(eager, x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    training.fit(jitted, x, y, batch_size=8, shuffle=False, verbose=0)
    # The state is reloaded: the compiled step must carry on from it.
    optimizer.load_state_dict(copy.deepcopy(optimizer.state_dict()))
    training.fit(jitted, x, y, batch_size=8, shuffle=False, verbose=0)
    # Eager steps on the same optimizer carry on from the state the graph left.
    training.compile(jitted, optimizer, loss="mse")
    training.fit(jitted, x, y, batch_size=8, shuffle=False, verbose=0)
    assert_same_training(eager, jitted)


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda: optimizers.Nadam(0.01),
        lambda: optimizers.Adam(0.01, gradient_accumulation_steps=2),
        lambda: optimizers.SGD(0.05, momentum=0.9, use_ema=True, ema_overwrite_frequency=2),
    ],
    ids=["nadam", "accumulation", "ema_overwrite"],
)
def test_unsupported_optimizers_keep_the_two_graph_step(cheap_compile, make_optimizer):
    eager, jitted = twins(make_optimizer)
    x, y = data()
    a = training.fit(eager, x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    b = training.fit(jitted, x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    step = train_step(jitted)
    assert step.one_graph is None and step.eager is None
    np.testing.assert_allclose(b.history["loss"], a.history["loss"], rtol=1e-5)
    for a_param, b_param in zip(eager.parameters(), jitted.parameters()):
        torch.testing.assert_close(b_param, a_param, atol=1e-6, rtol=1e-5)


def test_a_raw_torch_optimizer_keeps_the_two_graph_step(cheap_compile):
    module = net()
    training.compile(module, torch.optim.Adam(module.parameters()), loss="mse", jit_compile=True)
    x, y = data()
    training.fit(module, x, y, batch_size=8, shuffle=False, verbose=0)
    step = train_step(module)
    assert step.one_graph is None and step.eager is None


def test_a_graph_break_falls_back_to_eager_with_a_warning(cheap_compile):
    class HostSync(nn.Linear):
        def forward(self, x):
            torch._dynamo.graph_break()
            return super().forward(x)

    def module():
        torch.manual_seed(0)
        return HostSync(4, 1)

    eager, jitted = twins(OPTIMIZERS["adam"], module)
    x, y = data()
    a = training.fit(eager, x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    with pytest.warns(RuntimeWarning, match="jit_compile=True could not compile the train"):
        b = training.fit(jitted, x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert train_step(jitted).eager is not None
    np.testing.assert_allclose(b.history["loss"], a.history["loss"], rtol=1e-6)
    assert_same_training(eager, jitted)


# --- the measured choice between the compiled and the eager step ----------------------


class FakeStep:
    def __init__(self, seconds, failed=False):
        self.seconds, self.calls = seconds, 0
        self.eager = object() if failed else None  # _JitTrainStep.eager: its fallback

    def __call__(self, xs, ys, sws):
        self.calls += 1
        clock = time.perf_counter() + self.seconds
        while time.perf_counter() < clock:
            pass


@pytest.mark.parametrize(
    "jit_seconds,eager_seconds,chosen", [(0.0, 0.004, "jit"), (0.004, 0.0, "eager")]
)
def test_the_faster_step_is_kept(jit_seconds, eager_seconds, chosen):
    compiled, eager = FakeStep(jit_seconds), FakeStep(eager_seconds)
    step = loop._FasterStep(compiled, eager, trials=3)
    batch = ([torch.zeros(2, 1)], [], [])
    for _ in range(7):  # the compiling call, then 3 timed steps of each kind
        step(*batch)
    assert step.chosen == chosen
    assert (compiled.calls, eager.calls) == (4, 3)
    for _ in range(5):
        step(*batch)
    assert (compiled.calls, eager.calls) == ((9, 3) if chosen == "jit" else (4, 8))


def test_a_step_that_could_not_compile_is_not_timed():
    compiled, eager = FakeStep(0.0, failed=True), FakeStep(0.0)
    step = loop._FasterStep(compiled, eager, trials=3)
    step([torch.zeros(2, 1)], [], [])
    assert step.chosen == "eager"


def test_jit_compile_fit_measures_then_trains_on(cheap_compile, monkeypatch):
    monkeypatch.setattr(loop, "_JIT_TRIAL_STEPS", 2)
    eager, jitted = twins(lambda: optimizers.Adam(0.01))
    x, y = data()
    for module in (eager, jitted):
        training.fit(module, x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    step = jitted._compile_state.steps[
        [k for k in jitted._compile_state.steps if k[0] == "train"][0]
    ]
    assert step.chosen in ("jit", "eager") and len(step.times["eager"]) == 2
    assert_same_training(eager, jitted, atol=1e-5)


def test_a_fused_lstm_trains_eagerly_with_one_warning_and_eager_results(monkeypatch):
    # Without plait's recurrent kernel (tests/training/test_jit_recurrent.py has it).
    from plait.ops import _recurrent as recurrent_compiled

    monkeypatch.setattr(recurrent_compiled, "available", lambda layer: False)

    def build():
        torch.manual_seed(0)
        visible = L.Input(shape=(5, 3))
        return Model(visible, L.Dense(1)(L.LSTM(4)(visible)))

    eager, jitted = build(), build()
    eager.compile("adam", loss="mse")
    jitted.compile("adam", loss="mse", jit_compile=True)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 5, 3)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")
    eager.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        jitted.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        jitted.fit(x, y, batch_size=4, epochs=0, shuffle=False, verbose=0)
    messages = [str(w.message) for w in caught if "jit_compile" in str(w.message)]
    assert len(messages) == 1
    assert "layer 'lstm_2' (LSTM) runs PyTorch's fused kernel" in messages[0]
    for a, b in zip(eager.get_weights(), jitted.get_weights()):
        np.testing.assert_array_equal(a, b)
