"""The mechanisms behind plait's speed (issue 7), checked directly rather than timed:

1. a model's forward is generated straight-line code and walks no graph when it runs;
2. fit makes no host-device sync (`.item()`, `.cpu()`, `.tolist()`, `float(tensor)`, ...)
   per step: the count over an epoch of 2N steps equals the count over N steps;
3. predict runs under `torch.inference_mode()`;
4. mixed precision: layers compute in the policy's dtype under autocast, while softmax
   outputs, normalization statistics and the variables stay float32.
"""

import ast
import gc
import sys
import weakref

import numpy as np
import pytest
import torch

from plait import Input, Model, mixed_precision
from plait.graph import graph as graph_module, node as node_module
from plait.layers import BatchNormalization, Dense, Dropout, Layer
from tests.models import tutorial_models


# ---------------------------------------------------------------------------- 1. no graph walk


def calls_in(source):
    return [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]


def two_heads():
    visible = Input(shape=(6,))
    hidden = Dense(8, activation="relu")(visible)
    return Model(
        visible,
        [
            Dense(1, activation="sigmoid", name="flag")(hidden),
            Dense(2, name="size")(Dropout(0.2)(hidden)),
        ],
    )


@pytest.mark.parametrize("build", [tutorial_models.mlp, tutorial_models.shared_input, two_heads])
def test_generated_forward_only_calls_the_registered_layers(build):
    model = build()
    children = dict(model.named_children())
    called = []
    for call in calls_in(model.code):
        func = call.func
        assert (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "self"
        ), ast.unparse(call)
        assert func.attr in children, func.attr
        called.append(func.attr)
    # One call per layer call: no loop, no lookup, nothing else.
    assert sorted(called) == sorted(
        model.layer_key(l) for l in model.layers if type(l).__name__ != "InputLayer"
    )
    tree = ast.parse(model.code)
    assert not [n for n in ast.walk(tree) if isinstance(n, (ast.For, ast.While, ast.If))]


class _NoGraph:
    """Stands in for `model._graph`: any use of it fails the test."""

    def __getattr__(self, name):
        raise AssertionError(f"the graph was used at run time: _graph.{name}")


@pytest.fixture
def graph_walks_raise(monkeypatch):
    def refuse(name):
        def method(*args, **kwargs):
            raise AssertionError(f"a graph method ran at run time: {name}")

        return method

    def arm(model):
        for cls in (graph_module.Graph, node_module.Node):
            for name, value in list(vars(cls).items()):
                if callable(value) and name not in ("__init__", "__repr__"):
                    monkeypatch.setattr(cls, name, refuse(f"{cls.__name__}.{name}"))
                elif isinstance(value, property):
                    monkeypatch.setattr(cls, name, property(refuse(f"{cls.__name__}.{name}")))
        monkeypatch.setitem(model.__dict__, "_graph", _NoGraph())

    return arm


def test_forward_predict_and_fit_never_walk_the_graph(graph_walks_raise):
    model = two_heads()
    model.compile("adam", loss=["binary_crossentropy", "mse"], metrics=[["accuracy"], []])
    x = np.random.rand(8, 6).astype("float32")
    y = [np.arange(8).reshape(8, 1) % 2, np.random.rand(8, 2)]
    # The first fit binds the losses to the outputs and makes its steps: walks allowed.
    model.fit(x, y, batch_size=4, epochs=1, validation_split=0.25, verbose=0)
    graph_walks_raise(model)
    out = model(torch.as_tensor(x))
    assert [tuple(o.shape) for o in out] == [(8, 1), (8, 2)]
    assert model.predict(x, batch_size=4, verbose=0)[1].shape == (8, 2)
    history = model.fit(x, y, batch_size=4, epochs=2, validation_split=0.25, verbose=0)
    assert len(history.history["val_loss"]) == 2
    model.evaluate(x, y, verbose=0)


def test_the_graph_is_really_disarmed(graph_walks_raise):
    """The fixture above can fail: a graph walk under it raises."""
    model = tutorial_models.mlp()
    graph_walks_raise(model)
    with pytest.raises(AssertionError, match=r"the graph was used at run time"):
        model.summary()


# ---------------------------------------------------------------------------- 2. host syncs

SYNCS = ("item", "tolist", "cpu", "numpy", "__float__", "__int__", "__bool__", "__index__")


@pytest.fixture
def sync_counter(monkeypatch):
    counts = {}

    def spy(name):
        real = getattr(torch.Tensor, name)

        def read(self, *args, **kwargs):
            caller = sys._getframe(1).f_code.co_filename
            # torch.optim keeps its step counts on the CPU by design (no device sync).
            if "torch/optim" not in caller:
                counts[name] = counts.get(name, 0) + 1
            return real(self, *args, **kwargs)

        return read

    for name in SYNCS:
        monkeypatch.setattr(torch.Tensor, name, spy(name))
    return counts


def syncs_of_a_fit(counts, steps, **fit_kwargs):
    model = tutorial_models.mlp()
    model.compile("adam", loss="binary_crossentropy", metrics=["accuracy", "mae"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(steps * 4, 10)).astype("float32")
    y = rng.integers(0, 2, (steps * 4, 1)).astype("float32")
    model.fit(x[:8], y[:8], batch_size=4, epochs=1, verbose=0)  # first-fit binding
    counts.clear()
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, **fit_kwargs)
    return dict(counts)


def test_fit_makes_no_host_sync_per_step(sync_counter):
    few = syncs_of_a_fit(sync_counter, steps=4)
    many = syncs_of_a_fit(sync_counter, steps=8)
    assert few == many, (few, many)
    assert sum(few.values()) <= 8  # reading the epoch's logs: a few per epoch
    # Validation batches sync no more than training steps do.
    short, long = ((np.ones((n, 10), "float32"), np.ones((n, 1), "float32")) for n in (8, 32))
    assert syncs_of_a_fit(sync_counter, steps=4, validation_data=short) == syncs_of_a_fit(
        sync_counter, steps=4, validation_data=long
    )


def test_the_sync_counter_sees_a_per_step_read(sync_counter):
    """A callback reading the batch loss syncs every step, and the counter sees it."""
    from plait.callbacks import LambdaCallback

    def each_step(steps):
        return syncs_of_a_fit(
            sync_counter,
            steps=steps,
            callbacks=[LambdaCallback(on_train_batch_end=lambda batch, logs: logs["loss"])],
        )

    assert sum(each_step(8).values()) > sum(each_step(4).values())


# ---------------------------------------------------------------------------- 3. inference mode


class ModeProbe(Layer):
    """Records, on real tensors, whether it ran under inference mode and grad mode."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs):
        if inputs.device.type != "meta":
            self.seen.append(
                (torch.is_inference_mode_enabled(), torch.is_grad_enabled(), self.training)
            )
        return inputs * 2.0


def test_predict_runs_under_inference_mode():
    visible = Input(shape=(3,))
    probe = ModeProbe()
    model = Model(visible, Dense(2)(probe(visible)))
    model.compile("sgd", loss="mse")
    x, y = np.ones((6, 3), "float32"), np.ones((6, 2), "float32")
    probe.seen.clear()
    model.predict(x, batch_size=2, verbose=0)
    assert probe.seen == [(True, False, False)] * 3
    probe.seen.clear()
    model.predict_on_batch(x)
    assert probe.seen == [(True, False, False)]
    probe.seen.clear()
    model.fit(x, y, batch_size=6, verbose=0)  # training: gradients, not inference mode
    assert probe.seen == [(False, True, True)]
    probe.seen.clear()
    model.evaluate(x, y, verbose=0)
    assert probe.seen == [(False, False, False)]


def test_predict_sets_the_mode_only_where_it_changes(monkeypatch):
    visible = Input(shape=(3,))
    model = Model(visible, Dense(1)(Dense(2)(visible)))
    model.eval()
    model.get_layer("dense_2").train()  # a mixed state, given back as it was
    set_modes = []
    original = torch.nn.Module.__setattr__

    def recording(self, name, value):
        if name == "training":
            set_modes.append((getattr(self, "name", None), value))
        original(self, name, value)

    monkeypatch.setattr(torch.nn.Module, "__setattr__", recording)
    model.predict(np.ones((4, 3), "float32"), verbose=0)
    assert set_modes.count(("dense_2", False)) == 1 and set_modes[-1] == ("dense_2", True)
    assert not model.training and model.get_layer("dense_2").training
    model.get_layer("dense_2").eval()
    set_modes.clear()
    model.predict(np.ones((4, 3), "float32"), verbose=0)
    assert set_modes == []  # already in eval mode: nothing set


# ---------------------------------------------------------------------------- 4. mixed precision


@pytest.fixture
def policy():
    before = mixed_precision.global_policy()
    yield mixed_precision.set_global_policy
    mixed_precision.set_global_policy(before)
    assert mixed_precision.global_policy() == before


def dtypes_of(model, names):
    """Record the output dtype of the named layers on every real call."""
    seen = {name: [] for name in names}
    for name in names:
        model.get_layer(name).register_forward_hook(
            lambda module, args, out, name=name: seen[name].append(out.dtype)
        )
    return seen


def classifier():
    visible = Input(shape=(8,))
    hidden = Dense(16, activation="relu", name="hidden")(visible)
    normed = BatchNormalization(name="norm")(hidden)
    return Model(visible, Dense(3, activation="softmax", name="probs")(Dropout(0.1)(normed)))


def test_mixed_bfloat16_computes_in_bfloat16_and_keeps_float32_where_needed(policy):
    policy("mixed_bfloat16")
    assert mixed_precision.global_policy().compute_dtype == "bfloat16"
    model = classifier()
    model.compile("adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    seen = dtypes_of(model, ["hidden", "probs"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 8)).astype("float32")
    y = rng.integers(0, 3, 32)
    norm = model.get_layer("norm")
    before = norm.moving_mean.detach().clone()
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert set(seen["hidden"]) == {torch.bfloat16}  # Dense computes in bfloat16
    assert set(seen["probs"]) == {torch.float32}  # the softmax probabilities do not
    assert np.isfinite(history.history["loss"]).all()
    # Normalization statistics and every variable stay float32; the statistics moved.
    assert norm.moving_mean.dtype == norm.moving_variance.dtype == torch.float32
    assert not torch.equal(before, norm.moving_mean)
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    assert {b.dtype for b in model.buffers() if b.is_floating_point()} == {torch.float32}
    seen["hidden"].clear(), seen["probs"].clear()
    probs = model.predict(x, verbose=0)
    assert probs.dtype == np.float32 and np.allclose(probs.sum(-1), 1, atol=1e-5)
    assert set(seen["hidden"]) == {torch.bfloat16} and set(seen["probs"]) == {torch.float32}
    seen["hidden"].clear()
    model.evaluate(x, y, verbose=0)
    assert set(seen["hidden"]) == {torch.bfloat16}


def test_float32_policy_computes_in_float32(policy):
    policy("float32")
    model = classifier()
    model.compile("adam", loss="sparse_categorical_crossentropy")
    seen = dtypes_of(model, ["hidden", "probs"])
    model.fit(np.ones((8, 8), "float32"), np.zeros(8), verbose=0)
    assert set(seen["hidden"]) == set(seen["probs"]) == {torch.float32}


def test_mixed_bfloat16_trains_close_to_float32(policy):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = rng.integers(0, 3, 64)
    results = {}
    for name in ("float32", "mixed_bfloat16"):
        policy(name)
        torch.manual_seed(0)
        model = classifier()
        model.compile("adam", loss="sparse_categorical_crossentropy")
        results[name] = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history[
            "loss"
        ]
    np.testing.assert_allclose(results["mixed_bfloat16"], results["float32"], rtol=0.05)


def test_mixed_float16_scales_the_loss(policy):
    policy("mixed_float16")
    model = classifier()
    model.compile("sgd", loss="sparse_categorical_crossentropy")
    seen = dtypes_of(model, ["hidden"])
    history = model.fit(
        np.random.rand(16, 8).astype("float32"),
        np.arange(16) % 3,
        batch_size=8,
        epochs=1,
        verbose=0,
    )
    assert set(seen["hidden"]) == {torch.float16}
    assert np.isfinite(history.history["loss"]).all()
    scaler = model._compile_state.grad_scaler
    assert scaler.is_enabled() and scaler.get_scale() > 1
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    assert all(torch.isfinite(p).all() for p in model.parameters())


class AliveProbe(Layer):
    """Records, at each call, whether the previous call's output still exists."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.last = None
        self.alive = []

    def call(self, inputs):
        out = inputs * 1.0
        if inputs.device.type != "meta":
            if self.last is not None:
                self.alive.append(self.last() is not None)
            self.last = weakref.ref(out)
        return out


def test_fit_holds_a_steps_outputs_until_the_next_step_has_its_own():
    # as a hand-written loop's variables: glibc then keeps the activations' memory in its
    # heap between steps (bench/ANALYSIS.md, the CNN's fit at batch 32)
    visible = Input(shape=(3,))
    probe = AliveProbe()
    model = Model(visible, probe(Dense(2)(visible)))
    model.compile("sgd", loss="mse")
    x, y = np.ones((8, 3), "float32"), np.ones((8, 2), "float32")
    probe.alive.clear()
    model.fit(x, y, batch_size=2, epochs=2, verbose=0)
    assert probe.alive == [True] * 7
    gc.collect()
    assert probe.last() is None  # fit holds nothing once it returns
