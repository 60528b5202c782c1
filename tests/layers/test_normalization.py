"""Normalization layers: contract, Keras's math and training behaviour against NumPy."""

import numpy as np
import pytest
import torch

from plait.layers import (
    BatchNormalization,
    Dense,
    Embedding,
    GroupNormalization,
    Input,
    LayerNormalization,
    UnitNormalization,
)
from plait.layers.layer import LayerCallError
from plait.models import Model
from tests.layers.harness import run_layer_test

CASES = [
    (BatchNormalization, {}, (4, 3), (None, 4, 3), 4),
    (BatchNormalization, dict(axis=1, center=False), (3, 4, 4), (None, 3, 4, 4), 3),
    (BatchNormalization, dict(scale=False, momentum=0.9, epsilon=1e-5), (5,), (None, 5), 3),
    (LayerNormalization, {}, (4, 3), (None, 4, 3), 2),
    (LayerNormalization, dict(axis=[1, 2], scale=False), (4, 3), (None, 4, 3), 1),
    (LayerNormalization, dict(axis=1), (4, 3), (None, 4, 3), 2),
    (LayerNormalization, dict(rms_scaling=True), (4, 3), (None, 4, 3), 1),
    (GroupNormalization, dict(groups=2), (5, 4), (None, 5, 4), 2),
    (GroupNormalization, dict(groups=-1, axis=1), (4, 3, 3), (None, 4, 3, 3), 2),
    (UnitNormalization, dict(axis=[1, 2]), (4, 3), (None, 4, 3), 0),
]


@pytest.mark.parametrize(
    "cls,kwargs,shape,expected,num_weights",
    CASES,
    ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)],
)
def test_layer_contract(cls, kwargs, shape, expected, num_weights):
    run_layer_test(cls, kwargs, shape, expected, expected_num_weights=num_weights)


def _built_bn(shape, **kwargs):
    layer = BatchNormalization(**kwargs)
    layer(Input(shape=shape))
    channels = (
        shape[(kwargs.get("axis", -1) - 1) % len(shape)]
        if kwargs.get("axis", -1) != -1
        else shape[-1]
    )
    rng = np.random.default_rng(0)
    weights = [
        rng.uniform(0.5, 2, channels),
        rng.normal(size=channels),
        rng.normal(size=channels),
        rng.uniform(0.5, 2, channels),
    ]
    layer.set_weights([w.astype("float32") for w in weights])
    return layer, weights


@pytest.mark.parametrize("shape,axis", [((3,), -1), ((4, 4, 3), -1), ((3, 4, 5), 1)])
def test_batchnorm_training_uses_batch_statistics_and_updates_keras_moving_averages(shape, axis):
    layer, (gamma, beta, moving_mean, moving_var) = _built_bn(shape, axis=axis, momentum=0.9)
    x = np.random.default_rng(1).normal(2.0, 3.0, (8,) + shape).astype("float32")
    reduce = tuple(a for a in range(x.ndim) if a != axis % x.ndim)
    view = [1] * x.ndim
    view[axis % x.ndim] = -1
    mean, var = x.mean(axis=reduce), x.var(axis=reduce)  # biased, as Keras
    out = layer(torch.from_numpy(x), training=True).detach().numpy()
    expected = (x - mean.reshape(view)) / np.sqrt(var.reshape(view) + 1e-3)
    expected = expected * gamma.reshape(view) + beta.reshape(view)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    new = layer.get_weights()
    np.testing.assert_allclose(new[2], moving_mean * 0.9 + mean * 0.1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new[3], moving_var * 0.9 + var * 0.1, rtol=1e-5, atol=1e-6)


def test_batchnorm_inference_and_frozen_use_moving_statistics():
    layer, (gamma, beta, moving_mean, moving_var) = _built_bn((3,))
    x = np.random.default_rng(2).normal(size=(5, 3)).astype("float32")
    expected = (x - moving_mean) / np.sqrt(moving_var + 1e-3) * gamma + beta
    np.testing.assert_allclose(
        layer(torch.from_numpy(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-5
    )
    layer.trainable = False  # Keras: a frozen BatchNormalization runs in inference mode
    out = layer(torch.from_numpy(x), training=True).detach().numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.get_weights()[2], moving_mean)


def test_batchnorm_gradients_match_the_formula():
    layer, _ = _built_bn((4,))
    x = torch.randn(6, 4, requires_grad=True)
    layer(x, training=True).pow(2).mul(torch.arange(4.0)).sum().backward()
    grads = [x.grad.clone(), layer.weight.grad.clone(), layer.bias.grad.clone()]
    x2 = x.detach().clone().requires_grad_()
    gamma = layer.weight.detach().clone().requires_grad_()
    beta = layer.bias.detach().clone().requires_grad_()
    var, mean = torch.var_mean(x2, dim=0, correction=0)
    ((x2 - mean) / torch.sqrt(var + 1e-3) * gamma + beta).pow(2).mul(
        torch.arange(4.0)
    ).sum().backward()
    for got, want in zip(grads, [x2.grad, gamma.grad, beta.grad]):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_batchnorm_keras_weight_order_and_torch_names():
    layer = BatchNormalization()
    layer(Input(shape=(3,)))
    arrays = [np.full(3, v, "float32") for v in (1.0, 2.0, 3.0, 4.0)]
    layer.set_weights(arrays)
    assert layer.gamma.tolist() == [1.0] * 3 and layer.beta.tolist() == [2.0] * 3
    assert layer.moving_mean.tolist() == [3.0] * 3
    assert layer.moving_variance.tolist() == [4.0] * 3
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 2
    assert list(layer.state_dict()) == ["weight", "bias", "running_mean", "running_var"]
    assert [p for p, _ in layer.named_parameters()] == ["weight", "bias"]


def test_batchnorm_in_a_model_follows_the_training_flag():
    x = Input(shape=(4,))
    model = Model(x, BatchNormalization(momentum=0.5)(Dense(4)(x)))
    bn = model.layers[-1]
    data = torch.randn(16, 4) * 5 + 3
    model(data)
    assert bn.moving_mean.abs().sum() == 0  # inference: untouched
    model(data, training=True)
    assert bn.moving_mean.abs().sum() > 0
    half = bn(torch.randn(4, 4, dtype=torch.float16), training=True)
    assert half.dtype == torch.float16


def test_layer_normalization_math():
    x = np.random.default_rng(3).normal(size=(2, 3, 4)).astype("float32")
    for axis in (-1, [1, 2], 1, [1, -1]):
        layer = LayerNormalization(axis=axis)
        layer(Input(shape=(3, 4)))
        axes = tuple(a % 3 for a in (axis if isinstance(axis, list) else [axis]))
        shape = [x.shape[a] for a in axes]
        gamma = np.random.rand(*shape).astype("float32")
        beta = np.random.rand(*shape).astype("float32")
        layer.set_weights([gamma, beta])
        view = [1, 1, 1]
        for a in axes:
            view[a] = x.shape[a]
        mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
        expected = (x - mean) / np.sqrt(var + 1e-3) * gamma.reshape(view) + beta.reshape(view)
        out = layer(torch.from_numpy(x)).detach().numpy()
        np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5, err_msg=str(axis))


@pytest.mark.parametrize("axis", [-1, [1, 2]])
def test_layer_normalization_rms_scaling_is_keras_3s(axis):
    # Keras 3: x * rsqrt(var + epsilon) * gamma; not centered, no beta.
    x = np.random.default_rng(5).normal(1.0, 2.0, size=(2, 3, 4)).astype("float32")
    layer = LayerNormalization(axis=axis, rms_scaling=True, center=True)
    layer(Input(shape=(3, 4)))
    axes = (2,) if axis == -1 else (1, 2)
    gamma = np.random.rand(*[x.shape[a] for a in axes]).astype("float32")
    layer.set_weights([gamma])
    expected = x / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-3) * gamma
    out = layer(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    assert layer.get_config()["rms_scaling"] is True


@pytest.mark.parametrize("groups,axis", [(2, -1), (3, -1), (-1, -1), (5, 1)])
def test_group_normalization_math(groups, axis):
    x = np.random.default_rng(4).normal(size=(2, 5, 6)).astype("float32")
    layer = GroupNormalization(groups=groups, axis=axis)
    layer(Input(shape=(5, 6)))
    channels = x.shape[axis]
    gamma, beta = (
        np.random.rand(channels).astype("float32"),
        np.random.rand(channels).astype("float32"),
    )
    layer.set_weights([gamma, beta])
    moved = np.moveaxis(x, axis, -1)  # (batch, rest, channels)
    n_groups = channels if groups == -1 else groups
    grouped = moved.reshape(2, moved.shape[1], n_groups, channels // n_groups)
    mean = grouped.mean(axis=(1, 3), keepdims=True)
    var = grouped.var(axis=(1, 3), keepdims=True)
    normed = ((grouped - mean) / np.sqrt(var + 1e-3)).reshape(moved.shape) * gamma + beta
    out = layer(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(out, np.moveaxis(normed, -1, axis), rtol=1e-4, atol=1e-5)


def test_unit_normalization_math():
    x = np.random.default_rng(5).normal(size=(2, 3, 4)).astype("float32")
    out = UnitNormalization()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(out, x / np.linalg.norm(x, axis=-1, keepdims=True), rtol=1e-5)
    out = UnitNormalization(axis=[1, 2])(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(out, x / np.sqrt((x**2).sum(axis=(1, 2), keepdims=True)), rtol=1e-5)
    assert UnitNormalization()(torch.zeros(1, 3)).tolist() == [[0.0, 0.0, 0.0]]
    ints = UnitNormalization()(torch.tensor([[3, 4]]))
    assert ints.dtype == torch.float32
    torch.testing.assert_close(ints, torch.tensor([[0.6, 0.8]]))


def test_errors():
    with pytest.raises(LayerCallError, match=r"groups=4 must divide the 6 channels"):
        GroupNormalization(groups=4)(Input(shape=(3, 6)))
    with pytest.raises(ValueError, match="`groups` must be a positive integer"):
        GroupNormalization(groups=0)
    with pytest.raises(LayerCallError, match="axis=3, out of range"):
        BatchNormalization(axis=3)(Input(shape=(4, 3)))
    with pytest.raises(LayerCallError, match="batch axis 0"):
        LayerNormalization(axis=0)(Input(shape=(4, 3)))
    with pytest.raises(LayerCallError, match="needs axis 2 of its input known"):
        BatchNormalization()(Input(shape=(4, None)))
    with pytest.raises(LayerCallError, match="same axis twice"):
        LayerNormalization(axis=[1, -2])(Input(shape=(4, 3)))
    with pytest.raises(TypeError, match="`synchronized` must be True or False"):
        BatchNormalization(synchronized="yes")
    with pytest.raises(ValueError, match="`momentum` must be a float in"):
        BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match="`epsilon` must be a positive float"):
        LayerNormalization(epsilon=0)
    with pytest.raises(TypeError, match="`axis` must be an int. Received"):
        BatchNormalization(axis=[1, 2])
    with pytest.raises(TypeError, match="`axis` must be an int or a list of ints"):
        UnitNormalization(axis="last")


def test_batchnorm_training_statistics_skip_masked_steps():
    tokens = Input(shape=(4,), dtype="int64")
    embedded = Embedding(6, 3, mask_zero=True)(tokens)
    layer = BatchNormalization(momentum=0.0, epsilon=1e-3)
    model = Model(tokens, layer(embedded))
    data = torch.tensor([[1, 2, 0, 0], [3, 4, 5, 0]])
    with torch.no_grad():
        rows = model.get_layer(embedded.node.layer.name)(data)[data != 0]  # (5, 3) unmasked
        out = model(data, training=True)
    mean, variance = rows.mean(0), rows.var(0, unbiased=False)
    torch.testing.assert_close(layer.moving_mean, mean, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(layer.moving_variance, variance, atol=1e-5, rtol=1e-5)
    embedded_all = model.get_layer(embedded.node.layer.name)(data)
    torch.testing.assert_close(
        out, (embedded_all - mean) / torch.sqrt(variance + 1e-3), atol=1e-5, rtol=1e-5
    )
    with torch.no_grad():  # inference: the moving statistics, the mask plays no part
        torch.testing.assert_close(model(data), layer(embedded_all))


def test_synchronized_batch_normalization_in_one_process_is_the_plain_one():
    x = torch.randn(6, 4)
    plain, synced = BatchNormalization(), BatchNormalization(synchronized=True)
    for layer in (plain, synced):
        layer(Input(shape=(4,)))
    torch.testing.assert_close(synced(x, training=True), plain(x, training=True))
    torch.testing.assert_close(synced.running_mean, plain.running_mean)
    assert synced.get_config()["synchronized"] is True
