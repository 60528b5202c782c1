"""jit_compile=True on LSTM and GRU layers (plait/ops/_recurrent.py): the time loop's
operators give the step loop's outputs and gradients, and a compiled train step that runs them
trains as the eager (fused-kernel) step does: masks, return_state, go_backwards, Bidirectional,
recurrent dropout; no fallback on the bench's recurrent models."""

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import plait.layers as L
from plait.ops import _recurrent as recurrent_compiled
from plait.models import Model
from plait.training import loop

pytestmark = pytest.mark.skipif(
    not recurrent_compiled.kernel_loaded(), reason="no C compiler builds the recurrent kernel"
)


@pytest.fixture
def cheap_compile(monkeypatch):
    """aot_eager traces exactly what inductor would compile, without generating C++."""
    monkeypatch.setattr(loop, "_COMPILE_BACKEND", "aot_eager")
    monkeypatch.setattr(loop, "_JIT_TRIAL_STEPS", 0)  # test the compiled step itself
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


# --------------------------------------------------------------------------- the operators
def _lstm_reference(proj, h0, c0, weight, keep, rmask):
    h, c, hs, cs = h0, c0, [], []
    for t in range(proj.shape[0]):
        hm = h if rmask is None else h * rmask
        i, f, g, o = (proj[t] + hm @ weight.t()).chunk(4, -1)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h_new = torch.sigmoid(o) * torch.tanh(c_new)
        if keep is not None:
            h_new = torch.where(keep[t].unsqueeze(-1), h_new, h)
            c_new = torch.where(keep[t].unsqueeze(-1), c_new, c)
        h, c = h_new, c_new
        hs.append(h)
        cs.append(c)
    return torch.stack(hs), torch.stack(cs)


def _gru_reference(proj, h0, weight, bias, keep):
    h, hs = h0, []
    for t in range(proj.shape[0]):
        x_r, x_z, x_n = proj[t].chunk(3, -1)
        h_r, h_z, h_n = (h @ weight.t() + bias).chunk(3, -1)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        h_new = (1 - z) * n + z * h
        if keep is not None:
            h_new = torch.where(keep[t].unsqueeze(-1), h_new, h)
        h = h_new
        hs.append(h)
    return torch.stack(hs)


def _leaves(*shapes):
    return [(torch.randn(*s) * 0.8).requires_grad_() for s in shapes]


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("dropped", [False, True])
def test_lstm_scan_gives_the_step_loops_states_and_gradients(masked, dropped):
    torch.manual_seed(0)
    steps, batch, units = 6, 3, 4
    proj, h0, c0, weight = _leaves((steps, batch, 4 * units), (batch, units), (batch, units),
                                   (4 * units, units))  # fmt: skip
    keep = torch.rand(steps, batch) > 0.3 if masked else None
    rmask = torch.rand(batch, units) * 2 if dropped else None
    expected = _lstm_reference(proj, h0, c0, weight, keep, rmask)
    got = recurrent_compiled.lstm_scan(proj, h0, c0, weight, keep, rmask)
    for a, b in zip(got, expected):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)

    def loss(hs, cs):
        return (hs**2).sum() + (cs[-1] * 3).sum()

    wrt = [proj, h0, c0, weight]
    for a, b in zip(
        torch.autograd.grad(loss(*got), wrt), torch.autograd.grad(loss(*expected), wrt)
    ):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("masked", [False, True])
def test_gru_scan_gives_the_step_loops_states_and_gradients(masked):
    torch.manual_seed(1)
    steps, batch, units = 6, 3, 4
    proj, h0, weight, bias = _leaves((steps, batch, 3 * units), (batch, units),
                                     (3 * units, units), (3 * units,))  # fmt: skip
    keep = torch.rand(steps, batch) > 0.3 if masked else None
    expected = _gru_reference(proj, h0, weight, bias, keep)
    got = recurrent_compiled.gru_scan(proj, h0, weight, bias, keep)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    wrt = [proj, h0, weight, bias]
    grads = torch.autograd.grad((got**2).sum(), wrt)
    for a, b in zip(grads, torch.autograd.grad((expected**2).sum(), wrt)):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_the_lstm_operator_saturates_like_torch_on_large_inputs():
    proj = torch.tensor([[[-200.0, 200.0, 150.0, -150.0]]]).repeat(3, 2, 1)
    zeros = torch.zeros(2, 1)
    hs, cs = recurrent_compiled.lstm_scan(proj, zeros, zeros, torch.ones(4, 1))
    ref_hs, ref_cs = _lstm_reference(proj, zeros, zeros, torch.ones(4, 1), None, None)
    torch.testing.assert_close(hs, ref_hs)
    torch.testing.assert_close(cs, ref_cs)
    assert torch.isfinite(hs).all()


# ------------------------------------------------------------------- compiled train steps
def _twins(build, optimizer="adam"):
    torch.manual_seed(0)
    eager = build()
    jitted = build()
    jitted.set_weights(eager.get_weights())
    eager.compile(optimizer, loss="mse")
    jitted.compile(optimizer, loss="mse", jit_compile=True)
    return eager, jitted


def _train_both(eager, jitted, x, y, count_op):
    calls = []
    library = recurrent_compiled._library()

    class Counting:
        def __getattr__(self, name):
            calls.append(name.split("_")[1])  # plait_lstm_forward -> lstm
            return getattr(library, name)

    count_op.setattr(recurrent_compiled, "_library", Counting)
    torch.manual_seed(5)  # the same dropout masks from torch's generator
    history_eager = eager.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.manual_seed(5)
        history_jit = jitted.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    fallbacks = [str(w.message) for w in caught if "jit_compile" in str(w.message)]
    assert fallbacks == []
    assert calls, "the compiled step did not run plait's recurrent operator"
    np.testing.assert_allclose(
        history_jit.history["loss"], history_eager.history["loss"], rtol=1e-5, atol=1e-6
    )
    for a, b in zip(eager.get_weights(), jitted.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)
    return calls


def _data(steps=5, features=3, outputs=1, n=8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, steps, features)).astype("float32")
    return x, rng.normal(size=(n, outputs)).astype("float32")


LAYERS = {
    "lstm": lambda **kw: L.LSTM(4, **kw),
    "gru": lambda **kw: L.GRU(4, **kw),
}


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize(
    "config",
    [
        {},
        {"return_state": True, "go_backwards": True},
        {"return_sequences": True, "use_bias": False},
    ],
)
def test_a_compiled_recurrent_step_trains_as_the_eager_step(
    kind, config, cheap_compile, monkeypatch
):
    def build():
        visible = L.Input(shape=(5, 3))
        out = LAYERS[kind](**config)(visible)
        if config.get("return_state"):
            out = L.concatenate(out)
        if config.get("return_sequences"):
            out = L.Flatten()(out)
        return Model(visible, L.Dense(1)(out))

    eager, jitted = _twins(build)
    assert _train_both(eager, jitted, *_data(), monkeypatch)[0] == kind


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_masked_sequences_train_as_in_eager_steps(kind, cheap_compile, monkeypatch):
    def build():
        visible = L.Input(shape=(6,), dtype="int64")
        x = L.Embedding(7, 3, mask_zero=True)(visible)
        seq = LAYERS[kind](return_sequences=True)(x)
        last = LAYERS[kind](zero_output_for_mask=True, return_sequences=True)(seq)
        return Model(visible, L.Dense(1)(L.Flatten()(last)))

    rng = np.random.default_rng(3)
    x = rng.integers(1, 7, size=(8, 6))
    x[:, :2] = 0  # leading padding: outputs are zeros until the first token
    x[::2, -1] = 0  # and trailing: the previous output is carried
    x[1, 3] = 0
    eager, jitted = _twins(build)
    _train_both(eager, jitted, x, rng.normal(size=(8, 1)).astype("float32"), monkeypatch)


def test_lstm_dropout_and_recurrent_dropout_draw_the_eager_masks(cheap_compile, monkeypatch):
    def build():
        visible = L.Input(shape=(5, 3))
        return Model(visible, L.Dense(1)(L.LSTM(4, dropout=0.2, recurrent_dropout=0.3)(visible)))

    eager, jitted = _twins(build, optimizer="sgd")
    assert _train_both(eager, jitted, *_data(), monkeypatch)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_bidirectional_layers_compile(kind, cheap_compile, monkeypatch):
    def build():
        visible = L.Input(shape=(5, 3))
        x = L.Bidirectional(LAYERS[kind](return_sequences=True))(visible)
        return Model(visible, L.Dense(1)(L.Bidirectional(LAYERS[kind]())(x)))

    eager, jitted = _twins(build)
    calls = _train_both(eager, jitted, *_data(), monkeypatch)
    assert calls.count(kind) >= 4  # both directions of both layers


def test_gru_recurrent_dropout_trains_eagerly_with_a_warning(cheap_compile):
    visible = L.Input(shape=(5, 3))
    model = Model(visible, L.Dense(1)(L.GRU(4, recurrent_dropout=0.2)(visible)))
    model.compile("adam", loss="mse", jit_compile=True)
    with pytest.warns(RuntimeWarning, match="runs PyTorch's fused kernel"):
        model.fit(*_data(), batch_size=4, epochs=1, verbose=0)


def test_without_the_kernel_a_fused_lstm_trains_eagerly_with_one_warning(
    cheap_compile, monkeypatch
):
    monkeypatch.setattr(recurrent_compiled, "available", lambda layer: False)
    visible = L.Input(shape=(5, 3))
    model = Model(visible, L.Dense(1)(L.LSTM(4)(visible)))
    model.compile("adam", loss="mse", jit_compile=True)
    with pytest.warns(RuntimeWarning, match="runs PyTorch's fused kernel"):
        model.fit(*_data(), batch_size=4, epochs=1, verbose=0)


# ---------------------------------------------------------------------- the bench's models
@pytest.mark.parametrize("name", ["rnn", "gru"])
def test_the_bench_recurrent_models_compile_without_fallback(name, cheap_compile):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    try:
        import models as bench_models
    finally:
        sys.path.pop(0)
    case = {c.name: c for c in bench_models.ALL}[name]
    model = case.plait_model()
    model.compile(optimizer="adam", loss=case.loss, jit_compile=True)
    x, y = case.data(8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert [str(w.message) for w in caught if "jit_compile" in str(w.message)] == []
    (step,) = [s for key, s in model._compile_state.steps.items() if key[0] == "train"]
    assert step.compiled.eager is None  # the compiled step ran, not the fallback


def test_loading_the_kernel_keeps_subnormal_numbers_for_the_whole_process(tmp_path):
    # Linked with -ffast-math, the library would set flush-to-zero process-wide on load.
    check = (
        "import numpy as np\n"
        "from plait.ops import _recurrent\n"
        "if _recurrent._library() is None:\n"
        "    raise SystemExit(3)\n"
        "assert np.float32(1e-38) / np.float32(100) > 0, 'subnormals flushed to zero'\n"
    )
    env = dict(os.environ, PLAIT_CACHE_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", check], env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode == 3:
        pytest.skip("no C compiler builds the recurrent kernel here")
    assert done.returncode == 0, done.stderr
