"""jit_compile=True makes its graphs for concrete shapes: a short last batch runs eagerly
(the same math) instead of a second, dynamic-shape graph, which torch cannot trace for some
layers (dropout under torch.func.grad: "Cannot call numel() on tensor with symbolic
sizes"); compiled predict equals eager predict."""

import warnings

import numpy as np
import pytest
import torch

import plait.layers as L
from plait.models import Model
from plait.training import loop, steps


@pytest.fixture
def cheap_compile(monkeypatch):
    """aot_eager traces exactly what inductor would compile, without generating C++."""
    monkeypatch.setattr(loop, "_COMPILE_BACKEND", "aot_eager")
    monkeypatch.setattr(loop, "_JIT_TRIAL_STEPS", 0)
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def digits_cnn():
    """The bench's digits CNN, smaller: conv, pool, flatten, dropout, softmax."""
    inputs = L.Input(shape=(12, 12, 1))
    x = L.MaxPooling2D()(L.Conv2D(4, 3, activation="relu")(inputs))
    x = L.Dropout(0.5)(L.Flatten()(x))
    return Model(inputs, L.Dense(3, activation="softmax")(x))


def test_the_digits_cnn_compiles_without_falling_back(cheap_compile):
    model = digits_cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", jit_compile=True)
    rng = np.random.default_rng(0)
    x = rng.random((21, 12, 12, 1), dtype=np.float32)  # batches of 8, 8 and 5
    y = rng.integers(0, 3, size=(21,))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        model.fit(x, y, batch_size=16, verbose=0)  # a larger batch: another static graph
        model.evaluate(x, y, batch_size=8, verbose=0)
    (step,) = [s.compiled for k, s in model._compile_state.steps.items() if k[0] == "train"]
    assert step.eager is None and step.short is not None
    assert model._compile_state.optimizer.iterations == 8


def test_compiled_predict_equals_eager_predict(cheap_compile):
    torch.manual_seed(0)
    a = L.Input(shape=(10, 10, 1))
    b = L.Input(shape=(6, 6, 3))
    tower_a = L.Flatten()(L.MaxPooling2D()(L.Conv2D(4, 3, activation="relu")(a)))
    tower_b = L.Flatten()(L.Conv2D(2, 3, activation="relu")(b))
    model = Model([a, b], L.Dense(1, activation="sigmoid")(L.concatenate([tower_a, tower_b])))
    rng = np.random.default_rng(0)
    xs = [rng.random((37, 10, 10, 1), dtype=np.float32), rng.random((37, 6, 6, 3), np.float32)]
    expected = model.predict(xs, batch_size=16, verbose=0)
    model.compile(optimizer="adam", loss="binary_crossentropy", jit_compile=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = model.predict(xs, batch_size=16, verbose=0)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    (predict,) = [s for k, s in model._compile_state.steps.items() if k[0] == "predict"]
    assert isinstance(predict, steps.Compiled) and not predict.failed and predict.rows == 16


def test_the_fallback_warning_gives_the_traced_error():
    error = RuntimeError(
        "RuntimeError when making fake tensor call\n"
        "  Explanation: Dynamo failed to run FX node with fake tensors: call_function "
        "dropout(x): got RuntimeError('Cannot call numel() on tensor with symbolic "
        "sizes\\nException raised from c10')\n"
        "  Hint: ...\n\nfrom user code:\n"
        '   File "model.py", line 3, in forward\n'
    )
    reason = steps.fallback_reason(error)
    assert "Cannot call numel() on tensor with symbolic sizes" in reason
    assert "c10" not in reason and 'File "model.py", line 3' in reason
