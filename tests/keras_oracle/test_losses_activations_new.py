"""Issue 13's losses and activations against Keras 3 (torch backend): same config, same
inputs, same values (1e-5), same gradients w.r.t. y_pred, same get_config."""

import numpy as np
import pytest
import torch

import plait
from tests.keras_oracle.conftest import keras

RNG = np.random.default_rng(0)


def _probs(*shape):
    p = RNG.uniform(0.05, 1.0, size=shape).astype("float32")
    return p / p.sum(-1, keepdims=True)


def _onehot(n, c):
    return np.eye(c, dtype="float32")[RNG.integers(0, c, size=n)]


B_TRUE = RNG.integers(0, 2, size=(6, 4)).astype("float32")
B_PROB = RNG.uniform(0.01, 0.99, size=(6, 4)).astype("float32")
B_LOGIT = RNG.normal(size=(6, 4)).astype("float32")
C_TRUE = _onehot(6, 5)
C_PROB = _probs(6, 5)
C_LOGIT = RNG.normal(size=(6, 5)).astype("float32")
SEG_TRUE = RNG.integers(0, 2, size=(3, 4, 4, 1)).astype("float32")
SEG_PRED = RNG.uniform(size=(3, 4, 4, 1)).astype("float32")
CTC_TRUE = np.array([[1, 2, 2, 0], [3, 1, 0, 0], [4, 4, 4, 1]], dtype="int32")
CTC_LOGIT = RNG.normal(size=(3, 9, 5)).astype("float32")
EMB = RNG.normal(size=(8, 6)).astype("float32")
EMB /= np.linalg.norm(EMB, axis=-1, keepdims=True)
EMB_LABELS = np.array([0, 1, 0, 2, 1, 2, 0, 3], dtype="int32")
INT_TRUE = RNG.integers(0, 5, size=(6,)).astype("int32")

# (class name, constructor kwargs, y_true, y_pred)
CASES = [
    ("BinaryFocalCrossentropy", {}, B_TRUE, B_PROB),
    ("BinaryFocalCrossentropy", {"from_logits": True, "gamma": 3.0}, B_TRUE, B_LOGIT),
    (
        "BinaryFocalCrossentropy",
        {"apply_class_balancing": True, "alpha": 0.4, "label_smoothing": 0.1},
        B_TRUE,
        B_PROB,
    ),
    ("BinaryFocalCrossentropy", {"reduction": "sum"}, B_TRUE[:, :1], B_PROB[:, 0]),
    ("CategoricalFocalCrossentropy", {}, C_TRUE, C_PROB),
    (
        "CategoricalFocalCrossentropy",
        {"from_logits": True, "label_smoothing": 0.2},
        C_TRUE,
        C_LOGIT,
    ),
    (
        "CategoricalFocalCrossentropy",
        {"alpha": [0.1, 0.2, 0.3, 0.2, 0.2], "gamma": 1.0},
        C_TRUE,
        C_PROB,
    ),
    ("Dice", {}, SEG_TRUE, SEG_PRED),
    ("Dice", {"axis": (1, 2, 3)}, SEG_TRUE, SEG_PRED),
    ("Dice", {"axis": (1, 2, 3), "reduction": None}, SEG_TRUE, SEG_PRED),
    ("Tversky", {}, SEG_TRUE, SEG_PRED),
    ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": (1, 2, 3)}, SEG_TRUE, SEG_PRED),
    ("CTC", {}, CTC_TRUE, CTC_LOGIT),
    ("CTC", {"reduction": "sum"}, CTC_TRUE, CTC_LOGIT),
    ("Circle", {}, EMB_LABELS, EMB),
    ("Circle", {"gamma": 10.0, "margin": 0.25, "remove_diagonal": False}, EMB_LABELS, EMB),
    ("CategoricalGeneralizedCrossEntropy", {}, INT_TRUE, C_PROB),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.8}, INT_TRUE, C_PROB),
]


def _keras_loss_and_grad(loss, y_true, y_pred, sample_weight=None):
    pred = torch.tensor(y_pred, requires_grad=True)
    value = loss(torch.tensor(y_true), pred, sample_weight=sample_weight)
    value = torch.as_tensor(value)
    value.sum().backward()
    return value.detach().numpy(), pred.grad.numpy()


@pytest.mark.parametrize("name,kwargs,y_true,y_pred", CASES)
def test_loss_matches_keras(name, kwargs, y_true, y_pred):
    expected, expected_grad = _keras_loss_and_grad(
        getattr(keras.losses, name)(**kwargs), y_true, y_pred
    )
    got, got_grad = _keras_loss_and_grad(getattr(plait.losses, name)(**kwargs), y_true, y_pred)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_grad, expected_grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "name,kwargs,y_true,y_pred", [c for c in CASES if c[0] not in ("Dice", "Tversky")]
)
def test_loss_sample_weight_matches_keras(name, kwargs, y_true, y_pred):
    weights = RNG.uniform(size=(y_true.shape[0],)).astype("float32")
    expected, _ = _keras_loss_and_grad(
        getattr(keras.losses, name)(**kwargs), y_true, y_pred, torch.tensor(weights)
    )
    got, _ = _keras_loss_and_grad(getattr(plait.losses, name)(**kwargs), y_true, y_pred, weights)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted({c[0] for c in CASES}))
def test_loss_config_matches_keras(name):
    expected = getattr(keras.losses, name)().get_config()
    got = getattr(plait.losses, name)().get_config()
    assert got == expected
    again = getattr(plait.losses, name).from_config(got)
    assert again.get_config() == got
    assert plait.losses.get(name).name == got["name"]


FUNCTIONS = [
    ("binary_focal_crossentropy", {"gamma": 2.0}, B_TRUE, B_PROB),
    ("categorical_focal_crossentropy", {}, C_TRUE, C_PROB),
    ("dice", {"axis": (1, 2, 3)}, SEG_TRUE, SEG_PRED),
    ("tversky", {"alpha": 0.2, "beta": 0.8}, SEG_TRUE, SEG_PRED),
    ("ctc", {}, CTC_TRUE, CTC_LOGIT),
    ("circle", {}, EMB_LABELS, EMB),
    ("categorical_generalized_cross_entropy", {"q": 0.3}, INT_TRUE, C_PROB),
]


@pytest.mark.parametrize("name,kwargs,y_true,y_pred", FUNCTIONS)
def test_loss_function_matches_keras(name, kwargs, y_true, y_pred):
    expected = np.asarray(
        getattr(keras.losses, name)(torch.tensor(y_true), torch.tensor(y_pred), **kwargs)
    )
    got = getattr(plait.losses, name)(y_true, y_pred, **kwargs).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_focal_loss_names_resolve_in_compile_strings():
    assert isinstance(
        plait.losses.get("binary_focal_crossentropy"), plait.losses.BinaryFocalCrossentropy
    )
    assert isinstance(plait.losses.get("Dice"), plait.losses.Dice)


def test_generalized_cross_entropy_rejects_q_as_keras():
    with pytest.raises(ValueError, match="q"):
        keras.losses.CategoricalGeneralizedCrossEntropy(q=1.5)
    with pytest.raises(ValueError, match=r"Received: q=1.5"):
        plait.losses.CategoricalGeneralizedCrossEntropy(q=1.5)


def test_ctc_rejects_bad_ranks():
    with pytest.raises(ValueError, match="y_true.shape"):
        plait.losses.ctc(CTC_TRUE[0], CTC_LOGIT)
    with pytest.raises(ValueError, match="y_pred.shape"):
        plait.losses.ctc(CTC_TRUE, CTC_LOGIT[0])


X = RNG.normal(size=(4, 6)).astype("float32") * 2
ACTIVATIONS = [
    ("celu", {}),
    ("celu", {"alpha": 0.5}),
    ("glu", {}),
    ("glu", {"axis": 0}),
    ("hard_tanh", {}),
    ("hard_swish", {}),
    ("log_sigmoid", {}),
    ("sparsemax", {}),
    ("sparsemax", {"axis": 0}),
    ("squareplus", {}),
    ("squareplus", {"b": 2}),
    ("threshold", {"threshold": 0.3, "default_value": -1.0}),
    ("hard_shrink", {}),
    ("hard_shrink", {"threshold": 1.0}),
    ("soft_shrink", {}),
    ("tanh_shrink", {}),
    ("sparse_plus", {}),
    ("sparse_sigmoid", {}),
]


@pytest.mark.parametrize("name,kwargs", ACTIVATIONS)
def test_activation_matches_keras(name, kwargs):
    xk = torch.tensor(X, requires_grad=True)
    expected = getattr(keras.activations, name)(xk, **kwargs)
    expected.sum().backward()
    xp = torch.tensor(X, requires_grad=True)
    got = getattr(plait.activations, name)(xp, **kwargs)
    got.sum().backward()
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(xp.grad.numpy(), xk.grad.numpy(), atol=1e-5)


@pytest.mark.parametrize("name", sorted({a[0] for a in ACTIVATIONS} - {"threshold"}))
def test_activation_by_name_in_a_layer(name):
    layer = plait.layers.Dense(4, activation=name)
    out = layer(torch.tensor(X))
    assert out.shape[0] == 4
    assert plait.activations.serialize(plait.activations.get(name)) in (name, "hard_silu")
    assert plait.activations.deserialize(name) is plait.activations.get(name)
