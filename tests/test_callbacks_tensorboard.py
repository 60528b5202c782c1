"""TensorBoard (read back with tensorboard's own EventAccumulator), SwapEMAWeights and
TerminateOnNaN(raise_error=)."""

import math
import os
import types

import numpy as np
import pytest
import torch

import plait
from plait import callbacks

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 5)).astype("float32")
Y = (X[:, :1] > 0).astype("float32")


def _model():
    model = plait.Sequential(
        [
            plait.Input((5,)),
            plait.layers.Dense(4, activation="relu", name="hidden"),
            plait.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    return model


def _read(folder):
    acc = event_accumulator.EventAccumulator(
        str(folder),
        size_guidance={
            event_accumulator.SCALARS: 0,
            event_accumulator.HISTOGRAMS: 0,
            event_accumulator.TENSORS: 0,
        },
    )
    acc.Reload()
    return acc


def test_epoch_scalars_histograms_and_graph(tmp_path):
    model = _model()
    board = callbacks.TensorBoard(log_dir=tmp_path, histogram_freq=1)
    model.fit(X, Y, batch_size=10, epochs=3, validation_split=0.25, verbose=0, callbacks=[board])
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    train = _read(tmp_path / "train")
    tags = train.Tags()
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} <= set(tags["scalars"])
    losses = train.Scalars("epoch_loss")
    assert [e.step for e in losses] == [0, 1, 2]
    history = model.history.history
    np.testing.assert_allclose([e.value for e in losses], history["loss"], rtol=1e-6)
    np.testing.assert_allclose(
        [e.value for e in train.Scalars("epoch_learning_rate")], [0.01] * 3, rtol=1e-6
    )
    assert {
        "hidden/kernel/histogram",
        "hidden/bias/histogram",
        "out/kernel/histogram",
        "out/bias/histogram",
    } <= set(tags["histograms"])
    histogram = train.Histograms("hidden/kernel/histogram")
    assert [h.step for h in histogram] == [0, 1, 2]
    assert histogram[-1].histogram_value.num == 20  # a (5, 4) kernel
    np.testing.assert_allclose(
        histogram[-1].histogram_value.sum, model.layers[0].get_weights()[0].sum(), rtol=1e-5
    )
    assert tags["graph"] is True
    graph = train.Graph()
    assert len(graph.node) > 0
    assert "keras" in tags["tensors"]
    assert not any(t.startswith("batch_") for t in tags["scalars"])
    val = _read(tmp_path / "validation")
    assert {"epoch_loss", "epoch_accuracy"} <= set(val.Tags()["scalars"])
    np.testing.assert_allclose(
        [e.value for e in val.Scalars("epoch_loss")], history["val_loss"], rtol=1e-6
    )
    assert "evaluation_loss_vs_iterations" in val.Tags()["scalars"]


@pytest.mark.parametrize("update_freq,steps", [("batch", [1, 2, 3, 4, 5, 6, 7, 8]), (3, [3, 6])])
def test_batch_scalars_follow_update_freq(tmp_path, update_freq, steps):
    model = _model()
    model.fit(
        X,
        Y,
        batch_size=10,
        epochs=2,
        verbose=0,
        callbacks=[callbacks.TensorBoard(tmp_path, update_freq=update_freq, write_graph=False)],
    )
    train = _read(tmp_path / "train")
    assert [e.step for e in train.Scalars("batch_loss")] == steps
    assert "batch_accuracy" in train.Tags()["scalars"]
    assert train.Tags()["graph"] is False


def test_update_freq_is_checked():
    with pytest.raises(ValueError, match="update_freq"):
        callbacks.TensorBoard(update_freq="step")
    callbacks.TensorBoard(write_images=True)  # accepted, a documented no-op


class _EMAStandIn:
    """The EMA state an optimizer made with use_ema=True keeps (Keras's attribute names)."""

    def __init__(self, params):
        self.use_ema = True
        self._trainable_variables = params
        self._model_variables_moving_average = [torch.full_like(p, 0.5) for p in params]


def test_swap_ema_weights_swaps_around_evaluation():
    model = _model()
    params = [p for p in model.parameters()]
    before = [p.detach().clone() for p in params]
    swap = callbacks.SwapEMAWeights()
    swap.set_model(types.SimpleNamespace(optimizer=_EMAStandIn(params)))
    seen = []
    swap.on_test_begin()
    seen.append([p.detach().clone() for p in params])
    swap.on_test_end()
    assert all(torch.equal(s, torch.full_like(s, 0.5)) for s in seen[0])
    assert all(torch.equal(p, b) for p, b in zip(params, before))


def test_swap_ema_weights_needs_ema():
    model = _model()
    swap = callbacks.SwapEMAWeights()
    swap.set_model(model)
    with pytest.raises(ValueError, match="use_ema=True"):
        swap.on_test_begin()


def test_terminate_on_nan_raise_error():
    model = _model()
    bad = X.copy()
    bad[3, 0] = math.nan
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 0\\."):
        model.fit(
            bad,
            Y,
            batch_size=10,
            epochs=1,
            verbose=0,
            shuffle=False,
            callbacks=[callbacks.TerminateOnNaN(raise_error=True)],
        )
    history = model.fit(
        bad, Y, batch_size=10, epochs=3, verbose=0, callbacks=[callbacks.TerminateOnNaN()]
    )
    assert len(history.history["loss"]) == 1
