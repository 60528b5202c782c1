"""Noise layers (training-only behaviour), weight/activity regularizers and constraints,
and the Layer methods the training loop uses: regularization_losses, apply_constraints."""

import copy
import math
import pickle

import numpy as np
import pytest
import torch

from plait import constraints, regularizers
from plait.layers import (
    ActivityRegularization,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    GaussianDropout,
    GaussianNoise,
    Input,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from plait.layers.layer import LayerCallError
from plait.models import Model, Sequential
from tests.layers.harness import run_layer_test

CASES = [
    (Dropout, dict(rate=0.5), (4, 3)),
    (Dropout, dict(rate=0.2, noise_shape=(None, 1, 3), seed=3), (4, 3)),
    (SpatialDropout1D, dict(rate=0.5), (4, 3)),
    (SpatialDropout2D, dict(rate=0.5, data_format="channels_first"), (2, 4, 3)),
    (SpatialDropout3D, dict(rate=0.5), (2, 2, 2, 3)),
    (GaussianNoise, dict(stddev=0.3, seed=1), (4, 3)),
    (GaussianDropout, dict(rate=0.3), (4, 3)),
    (ActivityRegularization, dict(l1=0.1, l2=0.2), (4, 3)),
]


@pytest.mark.parametrize(
    "cls,kwargs,shape", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]
)
def test_layer_contract(cls, kwargs, shape):
    run_layer_test(cls, kwargs, shape, (None,) + shape, expected_num_weights=0)


@pytest.mark.parametrize(
    "layer",
    [Dropout(0.5), SpatialDropout2D(0.5), GaussianNoise(1.0), GaussianDropout(0.5)],
    ids=lambda l: type(l).__name__,
)
def test_noise_only_in_training(layer):
    x = torch.randn(8, 4, 4, 3)
    assert torch.equal(layer(x), x)  # layers start in inference mode
    assert torch.equal(layer(x, training=False), x)
    assert not torch.equal(layer(x, training=True), x)
    layer.train()
    assert not torch.equal(layer(x), x)
    assert torch.equal(layer(x, training=False), x)


def test_dropout_drops_rate_and_rescales():
    x = torch.ones(200, 100)
    out = Dropout(0.3)(x, training=True)
    kept = out != 0
    assert abs(kept.float().mean().item() - 0.7) < 0.02
    torch.testing.assert_close(out[kept], torch.full_like(out[kept], 1 / 0.7))


def test_dropout_noise_shape_and_seed():
    x = torch.ones(4, 50, 6)
    out = Dropout(0.5, noise_shape=(None, 1, None))(x, training=True)
    assert torch.equal(out, out[:, :1].expand_as(out))  # one mask for every step
    first = Dropout(0.5, seed=7)(x, training=True)
    again = Dropout(0.5, seed=7)(x, training=True)
    assert torch.equal(first, again)
    assert not torch.equal(first, Dropout(0.5, seed=8)(x, training=True))


@pytest.mark.parametrize(
    "layer,shape,kept_axes",
    [
        (SpatialDropout1D(0.5), (6, 30, 8), (0, 2)),
        (SpatialDropout2D(0.5), (6, 5, 5, 8), (0, 3)),
        (SpatialDropout2D(0.5, data_format="channels_first"), (6, 8, 5, 5), (0, 1)),
        (SpatialDropout3D(0.5), (6, 3, 3, 3, 8), (0, 4)),
    ],
)
def test_spatial_dropout_drops_whole_channels(layer, shape, kept_axes):
    out = layer(torch.ones(shape), training=True)
    reduce = tuple(a for a in range(len(shape)) if a not in kept_axes)
    per_channel = out.amax(dim=reduce)
    assert torch.equal(out.amin(dim=reduce), per_channel)  # each map all 0 or all 2
    assert set(per_channel.unique().tolist()) == {0.0, 2.0}


def test_gaussian_layers_statistics():
    x = torch.ones(400, 250)
    noisy = GaussianNoise(0.5, seed=0)(x, training=True)
    assert abs(noisy.mean().item() - 1.0) < 0.01 and abs(noisy.std().item() - 0.5) < 0.01
    dropped = GaussianDropout(0.2, seed=0)(x, training=True)
    expected_std = math.sqrt(0.2 / 0.8)
    assert abs(dropped.mean().item() - 1.0) < 0.01
    assert abs(dropped.std().item() - expected_std) < 0.01


def test_dropout_in_a_model_follows_training_flag():
    x = Input(shape=(100,))
    model = Model(x, Dropout(0.5)(x))
    data = torch.ones(10, 100)
    assert torch.equal(model(data), data)
    assert (model(data, training=True) == 0).any()
    model.train()
    assert (model(data) == 0).any()


# ---------------------------------------------------------------- penalties
def test_regularizer_values_and_names():
    w = torch.tensor([[1.0, -2.0], [3.0, 0.5]])
    assert regularizers.L1(0.1)(w).item() == pytest.approx(0.1 * 6.5)
    assert regularizers.L2(0.1)(w).item() == pytest.approx(0.1 * 14.25)
    assert regularizers.l1_l2(l1=0.1, l2=0.2)(w).item() == pytest.approx(0.65 + 2.85)
    assert regularizers.get("l2").l2 == 0.01 and regularizers.get("l1").l1 == 0.01
    assert regularizers.get("l1_l2")(w).item() == 0.0  # Keras 3: L1L2() is all zeros
    assert regularizers.get(None) is None
    reg = regularizers.get({"class_name": "L1L2", "config": {"l1": 0.5, "l2": 0.0}})
    assert regularizers.serialize(reg) == {"class_name": "L1L2", "config": {"l1": 0.5, "l2": 0.0}}
    custom = regularizers.get(lambda t: t.sum())
    assert custom(w).item() == 2.5


def test_regularizer_errors():
    with pytest.raises(ValueError, match=r"`l2` must be a non-negative float. Received: l2=-1"):
        regularizers.L2(-1)
    with pytest.raises(
        ValueError,
        match=r"Unknown regularizer: 'l3'. Expected one of "
        r"\['l1', 'l1_l2', 'l2', 'orthogonal_regularizer'\]",
    ):
        regularizers.get("l3")
    with pytest.raises(TypeError, match="Could not interpret regularizer"):
        regularizers.get(3)


def test_regularization_losses_of_a_model():
    x = Input(shape=(3,))
    hidden = Dense(
        4,
        kernel_regularizer=regularizers.l2(0.1),
        bias_regularizer="l1",
        activity_regularizer=regularizers.l1(0.5),
    )
    out = Dense(2, kernel_regularizer="l1")(hidden(x))
    model = Model(x, out)
    assert len(model.regularization_losses()) == 3  # no activity penalty before a call
    data = torch.randn(5, 3)
    model(data, training=True)
    kernel, bias = hidden.kernel, hidden.bias
    activity = 0.5 * torch.abs(torch.nn.functional.linear(data, hidden.weight, bias)).sum() / 5
    expected = (
        0.1 * kernel.square().sum()
        + 0.01 * bias.abs().sum()
        + activity
        + 0.01 * model.layers[-1].weight.abs().sum()
    )
    total = sum(model.regularization_losses())
    torch.testing.assert_close(total, expected)
    total.backward()  # penalties carry gradients to the weights
    assert hidden.weight.grad is not None
    model(data * 2)  # Keras keeps the penalty of the last call, in any mode
    assert sum(model.regularization_losses()) > total


def test_layers_holding_an_activity_penalty_still_copy():
    layer = Dense(2, activity_regularizer="l2")
    layer(torch.randn(3, 4))
    for clone in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
        assert clone.regularization_losses() == []  # the penalty's graph is not copied
        clone(torch.randn(3, 4))
        assert len(clone.regularization_losses()) == 1
    assert len(layer.regularization_losses()) == 1


def test_activity_regularization_layer_and_shared_layers_count_once():
    layer = ActivityRegularization(l1=0.1, l2=0.2)
    x = torch.tensor([[1.0, -2.0], [0.5, 0.0]])
    assert torch.equal(layer(x), x)
    (penalty,) = layer.regularization_losses()
    assert penalty.item() == pytest.approx((0.1 * 3.5 + 0.2 * 5.25) / 2)
    shared = Dense(2, kernel_regularizer="l2")
    a, b = Input(shape=(2,)), Input(shape=(2,))
    inner = Model(a, shared(a))
    outer = Model(b, shared(inner(b)))
    assert len(outer.regularization_losses()) == 1
    assert (
        Sequential(
            [Input(shape=(2,)), Embedding(5, 2, embeddings_regularizer="l1")]
        ).regularization_losses()[0]
        > 0
    )


# -------------------------------------------------------------- constraints
def test_constraint_math_on_keras_layout():
    w = np.random.default_rng(0).normal(size=(4, 3)).astype("float32") * 3
    t = torch.from_numpy(w)
    norms = np.linalg.norm(w, axis=0, keepdims=True)
    np.testing.assert_allclose(
        constraints.MaxNorm(2.0)(t).numpy(), w * np.clip(norms, 0, 2) / (1e-7 + norms), rtol=1e-5
    )
    np.testing.assert_allclose(constraints.unit_norm()(t).numpy(), w / (1e-7 + norms), rtol=1e-5)
    np.testing.assert_array_equal(constraints.NonNeg()(t).numpy(), np.maximum(w, 0))
    rows = np.linalg.norm(w, axis=1, keepdims=True)
    desired = 0.5 * np.clip(rows, 1.0, 2.0) + 0.5 * rows
    np.testing.assert_allclose(
        constraints.MinMaxNorm(1.0, 2.0, rate=0.5, axis=1)(t).numpy(),
        w * desired / (1e-7 + rows),
        rtol=1e-5,
    )
    conv = torch.randn(3, 3, 2, 4) * 5
    capped = constraints.max_norm(1.0, axis=[0, 1, 2])(conv)
    assert torch.all(capped.square().sum(dim=(0, 1, 2)).sqrt() <= 1.0 + 1e-5)


def test_apply_constraints_projects_weights_in_keras_layout():
    x = Input(shape=(5,))
    dense = Dense(
        3, kernel_constraint=constraints.max_norm(0.5), bias_constraint=constraints.non_neg()
    )
    conv = Conv2D(2, 3, kernel_constraint=constraints.unit_norm(axis=[0, 1, 2]))
    model = Model(x, dense(x))
    with torch.no_grad():
        dense.weight.mul_(10)
        dense.bias.copy_(torch.tensor([-1.0, 2.0, -3.0]))
    model.apply_constraints()
    kernel = dense.get_weights()[0]  # (in, out): the norm of each unit's incoming weights
    assert np.all(np.linalg.norm(kernel, axis=0) <= 0.5 + 1e-5)
    assert dense.bias.tolist() == [0.0, 2.0, 0.0]
    conv(Input(shape=(6, 6, 3)))
    conv.apply_constraints()
    np.testing.assert_allclose(
        np.linalg.norm(conv.get_weights()[0].reshape(-1, 2), axis=0), [1.0, 1.0], rtol=1e-5
    )


def test_constraint_names_config_and_errors():
    assert isinstance(constraints.get("max_norm"), constraints.MaxNorm)
    assert isinstance(constraints.get("non_neg"), constraints.NonNeg)
    assert isinstance(constraints.get("unit_norm"), constraints.UnitNorm)
    assert isinstance(constraints.get("min_max_norm"), constraints.MinMaxNorm)
    c = constraints.get({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": [0, 1]}})
    assert constraints.serialize(c) == {
        "class_name": "MaxNorm",
        "config": {"max_value": 3, "axis": [0, 1]},
    }
    with pytest.raises(ValueError, match="Unknown constraint: 'maxnorm'. Did you mean 'max_norm'"):
        constraints.get("maxnorm")
    with pytest.raises(ValueError, match="`max_value` must be a non-negative number"):
        constraints.MaxNorm(-1)
    with pytest.raises(ValueError, match="`min_value` must not exceed `max_value`"):
        constraints.MinMaxNorm(2.0, 1.0)
    with pytest.raises(TypeError, match="`axis` must be an int or a list of ints"):
        constraints.UnitNorm(axis="rows")


def test_layer_errors():
    with pytest.raises(
        ValueError,
        match=r"`rate` must be a float between 0 and 1. "
        r"Received: rate=1.5",
    ):
        Dropout(1.5)
    with pytest.raises(ValueError, match="GaussianDropout's `rate` must be below 1"):
        GaussianDropout(1.0)
    with pytest.raises(ValueError, match="`stddev` must be a non-negative float"):
        GaussianNoise(-0.1)
    with pytest.raises(TypeError, match="`seed` must be an int or None"):
        Dropout(0.5, seed="a")
    with pytest.raises(ValueError, match="`noise_shape` must be a tuple of positive ints"):
        Dropout(0.5, noise_shape=(None, 0))
    with pytest.raises(
        LayerCallError,
        match=r"noise_shape=\(None, 1\), of rank 2, but its "
        r"input has shape \(None, 3, 4\)",
    ):
        Dropout(0.5, noise_shape=(None, 1))(Input(shape=(3, 4)))
    with pytest.raises(
        LayerCallError, match="SpatialDropout2D layer 'spatial_dropout2d_1' expects a 4-D input"
    ):
        SpatialDropout2D(0.5)(Input(shape=(3, 4)))
    with pytest.raises(ValueError, match="`l1` must be a non-negative float"):
        ActivityRegularization(l1=-1)
