"""Activation layers and activation functions by name, against Keras's formulas in NumPy."""

import math

import numpy as np
import pytest
import torch

from plait import activations
from plait.layers import ELU, PReLU, Input, LeakyReLU, ReLU, Softmax
from plait.layers.layer import LayerCallError
from tests.layers.harness import run_layer_test

CASES = [
    (ReLU, {}, (4, 3), 0),
    (ReLU, dict(max_value=6.0, negative_slope=0.1, threshold=0.5), (4, 3), 0),
    (LeakyReLU, {}, (4, 3), 0),
    (PReLU, {}, (4, 3), 1),
    (PReLU, dict(shared_axes=[1, 2], alpha_initializer="ones"), (4, 5, 3), 1),
    (ELU, dict(alpha=0.5), (4, 3), 0),
    (Softmax, {}, (4, 3), 0),
    (Softmax, dict(axis=[1, 2]), (4, 3), 0),
]


@pytest.mark.parametrize(
    "cls,kwargs,shape,num_weights", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]
)
def test_layer_contract(cls, kwargs, shape, num_weights):
    run_layer_test(cls, kwargs, shape, (None,) + shape, expected_num_weights=num_weights)


def _keras_relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras 3's relu, step by step in NumPy."""
    negative = np.maximum(threshold - x, 0)
    out = x * (x > threshold) if threshold != 0 else np.maximum(x, 0)
    if max_value is not None:
        out = np.clip(out, 0, max_value)
    return out - negative_slope * negative


X = np.linspace(-4, 8, 97).astype("float32")


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        dict(max_value=6.0),
        dict(negative_slope=0.2),
        dict(threshold=1.5),
        dict(max_value=5.0, negative_slope=0.1, threshold=0.5),
        dict(max_value=0.0),
    ],
)
def test_relu_layer_matches_keras(kwargs):
    out = ReLU(**kwargs)(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(out, _keras_relu(X, **kwargs), rtol=1e-6, atol=1e-6)


def test_leaky_relu_default_and_keras2_alpha():
    np.testing.assert_allclose(
        LeakyReLU()(torch.from_numpy(X)).numpy(), np.where(X >= 0, X, 0.3 * X), rtol=1e-6
    )
    with pytest.warns(UserWarning, match="`alpha` is deprecated"):
        layer = LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1


def test_prelu_alpha_shape_and_math():
    layer = PReLU(shared_axes=[1, 2])
    layer(Input(shape=(4, 5, 3)))
    assert [w.shape for w in layer.get_weights()] == [(1, 1, 3)]
    alpha = np.array([0.1, 0.5, 2.0], "float32").reshape(1, 1, 3)
    layer.set_weights([alpha])
    x = np.random.default_rng(0).normal(size=(2, 4, 5, 3)).astype("float32")
    out = layer(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(out, np.maximum(x, 0) - alpha * np.maximum(-x, 0), rtol=1e-6)
    full = PReLU(alpha_regularizer="l2", alpha_constraint="non_neg")
    full(Input(shape=(4, 3)))
    assert full.get_weights()[0].shape == (4, 3) and not full.get_weights()[0].any()
    assert len(full.regularization_losses()) == 1


def test_elu_and_softmax():
    np.testing.assert_allclose(
        ELU(0.5)(torch.from_numpy(X)).numpy(),
        np.where(X > 0, X, 0.5 * (np.exp(X) - 1)),
        rtol=1e-5,
        atol=1e-6,
    )
    x = np.random.default_rng(1).normal(size=(2, 3, 4)).astype("float32")
    out = Softmax(axis=1)(torch.from_numpy(x)).numpy()
    e = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(out, e / e.sum(axis=1, keepdims=True), rtol=1e-5)
    out = Softmax(axis=[1, 2])(torch.from_numpy(x)).numpy()
    e = np.exp(x - x.max(axis=(1, 2), keepdims=True))
    np.testing.assert_allclose(out, e / e.sum(axis=(1, 2), keepdims=True), rtol=1e-5)


def test_softmax_mask_gives_masked_positions_no_weight():
    x = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    mask = torch.tensor([[True, True, False, True]])
    out = Softmax()(x, mask=mask)
    assert out[0, 2].item() < 1e-30
    torch.testing.assert_close(out[0, [0, 1, 3]], torch.softmax(x[0, [0, 1, 3]], dim=0))


def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _np_erf(x):
    return np.vectorize(math.erf)(x)


KERAS_ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": _np_sigmoid,
    "tanh": np.tanh,
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1)),
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1),
    "gelu": lambda x: 0.5 * x * (1 + _np_erf(x / np.sqrt(2))),  # exact: approximate=False
    "swish": lambda x: x * _np_sigmoid(x),
    "silu": lambda x: x * _np_sigmoid(x),
    "exponential": np.exp,
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,  # Keras 3: relu6(x + 3) / 6
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "linear": lambda x: x,
    "relu6": lambda x: np.clip(x, 0, 6),
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "softmax": lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True),
    "log_softmax": lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True)),
}


@pytest.mark.parametrize("name", sorted(KERAS_ACTIVATIONS))
def test_activation_by_name_matches_keras_formula(name):
    x = np.linspace(-5, 5, 24).reshape(4, 6)
    out = activations.get(name)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(out, KERAS_ACTIVATIONS[name](x), rtol=1e-6, atol=1e-9)
    assert activations.serialize(activations.get(name)) in (name, "silu", "hard_silu")


def test_relu_activation_with_arguments_matches_keras():
    for kwargs in (
        dict(negative_slope=0.1, threshold=-1.0),
        dict(threshold=-2.0, max_value=1.0),
        dict(negative_slope=0.3, max_value=2.0),
    ):
        out = activations.relu(torch.from_numpy(X), **kwargs).numpy()
        np.testing.assert_allclose(out, _keras_relu(X, **kwargs), rtol=1e-6, atol=1e-6)
    assert activations.gelu(torch.tensor(1.0), approximate=True).item() == pytest.approx(
        0.5 * (1 + math.tanh(math.sqrt(2 / math.pi) * (1 + 0.044715))), rel=1e-6
    )


def test_errors():
    with pytest.raises(
        ValueError,
        match=r"`max_value` must be a non-negative number. "
        r"Received: max_value=-1",
    ):
        ReLU(max_value=-1)
    with pytest.raises(ValueError, match="`negative_slope` must be a non-negative number"):
        LeakyReLU(negative_slope=-0.1)
    with pytest.raises(ValueError, match="`threshold` must be a non-negative number"):
        ReLU(threshold=None)
    with pytest.raises(TypeError, match="`shared_axes` must be an int, a list of ints or None"):
        PReLU(shared_axes="channels")
    with pytest.raises(
        LayerCallError,
        match=r"PReLU layer 'p_re_lu_\d': shared_axes holds "
        r"1-based axes",
    ):
        PReLU(shared_axes=3)(Input(shape=(4, 3)))
    with pytest.raises(LayerCallError, match="needs every non-shared axis of its input known"):
        PReLU()(Input(shape=(None, 3)))
    with pytest.raises(TypeError, match="`axis` must be an int or a list of ints"):
        Softmax(axis=None)
    with pytest.raises(TypeError, match="`alpha` must be a float"):
        ELU(alpha="1")
    with pytest.raises(ValueError, match="Unknown activation: 'relus'. Did you mean 'relu'"):
        activations.get("relus")
