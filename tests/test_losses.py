"""plait.losses against Keras's formulas written out in numpy, Keras's worked examples,
reductions, sample weights, from_logits equivalence, lookup and config round trips."""

import json
import warnings

import numpy as np
import pytest
import torch

from plait import losses

EPS = 1e-7
rng = np.random.default_rng(0)


# --- Keras's formulas in numpy ---------------------------------------------------------


def np_mse(t, p):
    return np.mean((t - p) ** 2, axis=-1)


def np_mae(t, p):
    return np.mean(np.abs(t - p), axis=-1)


def np_mape(t, p):
    return 100 * np.mean(np.abs((t - p) / np.maximum(np.abs(t), EPS)), axis=-1)


def np_msle(t, p):
    return np.mean((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2, axis=-1)


def np_cosine(t, p):
    tn = t / np.maximum(np.linalg.norm(t, axis=-1, keepdims=True), EPS)
    pn = p / np.maximum(np.linalg.norm(p, axis=-1, keepdims=True), EPS)
    return -np.sum(tn * pn, axis=-1)


def np_huber(t, p, delta=1.0):
    e = np.abs(p - t)
    return np.mean(np.where(e <= delta, 0.5 * e**2, delta * e - 0.5 * delta**2), axis=-1)


def np_log_cosh(t, p):
    return np.mean(np.log(np.cosh(p - t)), axis=-1)


def np_hinge_labels(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


def np_hinge(t, p):
    return np.mean(np.maximum(1 - np_hinge_labels(t) * p, 0), axis=-1)


def np_squared_hinge(t, p):
    return np.mean(np.maximum(1 - np_hinge_labels(t) * p, 0) ** 2, axis=-1)


def np_categorical_hinge(t, p):
    pos = np.sum(t * p, axis=-1)
    neg = np.max((1 - t) * p, axis=-1)
    return np.maximum(neg - pos + 1, 0)


def np_kld(t, p):
    t, p = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    return np.sum(t * np.log(t / p), axis=-1)


def np_poisson(t, p):
    return np.mean(p - t * np.log(p + EPS), axis=-1)


def np_bce(t, p, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    p = np.clip(p, EPS, 1 - EPS)
    return np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p)), axis=-1)


def np_cce(t, p, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -np.sum(t * np.log(p), axis=-1)


def np_scce(t, p):
    return np_cce(np.eye(p.shape[-1])[t.reshape(-1)].reshape(p.shape), p)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# --- data ------------------------------------------------------------------------------


def reals(shape=(6, 4)):
    return rng.normal(size=shape)


def positives(shape=(6, 4)):
    return rng.uniform(0.1, 3.0, size=shape)


def probs(shape=(6, 4)):
    return rng.uniform(0.01, 0.99, size=shape)


def binary(shape=(6, 4)):
    return rng.integers(0, 2, size=shape).astype(np.float64)


def signs(shape=(6, 4)):
    return 2 * binary(shape) - 1


def onehot(shape=(6, 4)):
    return np.eye(shape[-1])[rng.integers(0, shape[-1], size=shape[:-1])]


def distribution(shape=(6, 4)):
    return softmax(rng.normal(size=shape))


# name, function, class, numpy reference, y_true maker, y_pred maker
CASES = [
    ("mse", losses.mean_squared_error, losses.MeanSquaredError, np_mse, reals, reals),
    ("mae", losses.mean_absolute_error, losses.MeanAbsoluteError, np_mae, reals, reals),
    (
        "mape",
        losses.mean_absolute_percentage_error,
        losses.MeanAbsolutePercentageError,
        np_mape,
        positives,
        positives,
    ),
    (
        "msle",
        losses.mean_squared_logarithmic_error,
        losses.MeanSquaredLogarithmicError,
        np_msle,
        positives,
        positives,
    ),
    ("cosine", losses.cosine_similarity, losses.CosineSimilarity, np_cosine, reals, reals),
    ("huber", losses.huber, losses.Huber, np_huber, reals, lambda s=(6, 4): 3 * reals(s)),
    ("log_cosh", losses.log_cosh, losses.LogCosh, np_log_cosh, reals, reals),
    ("hinge01", losses.hinge, losses.Hinge, np_hinge, binary, reals),
    ("hinge_pm1", losses.hinge, losses.Hinge, np_hinge, signs, reals),
    ("squared_hinge", losses.squared_hinge, losses.SquaredHinge, np_squared_hinge, binary, reals),
    (
        "categorical_hinge",
        losses.categorical_hinge,
        losses.CategoricalHinge,
        np_categorical_hinge,
        onehot,
        reals,
    ),
    ("kld", losses.kl_divergence, losses.KLDivergence, np_kld, distribution, distribution),
    ("poisson", losses.poisson, losses.Poisson, np_poisson, positives, positives),
    ("bce", losses.binary_crossentropy, losses.BinaryCrossentropy, np_bce, binary, probs),
    ("cce", losses.categorical_crossentropy, losses.CategoricalCrossentropy, np_cce, onehot, probs),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("name,fn,cls,ref,make_true,make_pred", CASES, ids=IDS)
def test_function_matches_keras_formula(name, fn, cls, ref, make_true, make_pred):
    t, p = make_true(), make_pred()
    out = fn(torch.tensor(t), torch.tensor(p))
    assert out.shape == (6,)
    np.testing.assert_allclose(out.numpy(), ref(t, p), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name,fn,cls,ref,make_true,make_pred", CASES, ids=IDS)
def test_class_reductions_and_sample_weight(name, fn, cls, ref, make_true, make_pred):
    t, p = make_true(), make_pred()
    per_sample = ref(t, p)
    w = rng.uniform(0, 2, size=6)
    tt, pp = torch.tensor(t), torch.tensor(p)
    np.testing.assert_allclose(cls()(tt, pp).numpy(), per_sample.mean(), rtol=1e-6)
    np.testing.assert_allclose(cls(reduction="sum")(tt, pp).numpy(), per_sample.sum(), rtol=1e-6)
    np.testing.assert_allclose(
        cls(reduction="mean")(tt, pp, sample_weight=w).numpy(), (per_sample * w).mean(), rtol=1e-6
    )
    np.testing.assert_allclose(
        cls(reduction="mean_with_sample_weight")(tt, pp, sample_weight=w).numpy(),
        (per_sample * w).sum() / w.sum(),
        rtol=1e-6,
    )
    none = cls(reduction=None)(tt, pp, sample_weight=w)
    np.testing.assert_allclose(none.numpy(), per_sample * w, rtol=1e-6, atol=1e-7)
    assert cls(reduction="none")(tt, pp).shape == (6,)


@pytest.mark.parametrize("name,fn,cls,ref,make_true,make_pred", CASES, ids=IDS)
def test_config_round_trip(name, fn, cls, ref, make_true, make_pred):
    loss = cls(reduction="sum", name="custom")
    config = json.loads(json.dumps(losses.serialize(loss)))
    again = losses.deserialize(config)
    assert type(again) is cls
    assert again.get_config() == loss.get_config()
    t, p = torch.tensor(make_true()), torch.tensor(make_pred())
    torch.testing.assert_close(again(t, p), loss(t, p))


def test_float32_is_default_and_float64_is_kept():
    t, p = reals(), reals()
    assert (
        losses.MeanSquaredError()(t.astype(np.float32), p.astype(np.float32)).dtype == torch.float32
    )
    assert losses.mean_squared_error(t, p).dtype == torch.float64
    half = torch.tensor(p, dtype=torch.float16)
    assert losses.MeanSquaredError()(torch.tensor(t), half).dtype == torch.float32
    assert losses.MeanSquaredError(dtype="float64")(t, half).dtype == torch.float64


# --- Keras's worked examples (values from Keras's docstrings) --------------------------


def test_keras_worked_examples():
    close = lambda a, b: np.testing.assert_allclose(np.asarray(a), b, atol=1e-3)  # noqa
    bce = losses.BinaryCrossentropy(from_logits=True)
    close(bce([0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8]), 0.8654)
    t2, p2 = [[0, 1], [0, 0]], [[-18.6, 0.51], [2.94, -12.8]]
    close(bce(t2, p2, sample_weight=[0.8, 0.2]), 0.243)
    close(losses.BinaryCrossentropy(from_logits=True, reduction="sum")(t2, p2), 1.730)
    close(losses.BinaryCrossentropy(from_logits=True, reduction=None)(t2, p2), [0.235, 1.496])
    close(losses.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), [0.916, 0.714])
    scce = losses.SparseCategoricalCrossentropy()
    t3, p3 = [1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
    close(scce(t3, p3), 1.177)
    close(scce(t3, p3, sample_weight=np.array([0.3, 0.7])), 0.814)
    close(losses.SparseCategoricalCrossentropy(reduction="sum")(t3, p3), 2.354)
    close(losses.sparse_categorical_crossentropy(t3, p3), [0.0513, 2.303])
    close(losses.categorical_crossentropy([[0, 1, 0], [0, 0, 1]], p3), [0.0513, 2.303])
    close(losses.huber([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]).mean(), 0.155)
    close(losses.log_cosh([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]]).mean(), 0.108)
    close(
        losses.cosine_similarity(
            [[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0]]
        ),
        [0.0, -1.0, 1.0],
    )


def test_hand_computed_values():
    # mse: ((1-0)^2 + (2-4)^2) / 2 = 2.5 ; mae: (1 + 2) / 2 = 1.5
    assert losses.mean_squared_error([[0.0, 4.0]], [[1.0, 2.0]]).item() == pytest.approx(2.5)
    assert losses.mean_absolute_error([[0.0, 4.0]], [[1.0, 2.0]]).item() == pytest.approx(1.5)
    # mape: 100 * mean(|2-1|/2, |4-2|/4) = 50
    assert losses.mean_absolute_percentage_error(
        [[2.0, 4.0]], [[1.0, 2.0]]
    ).item() == pytest.approx(50.0)
    # hinge with {0,1} labels -> {-1,1}: mean(max(1 - (-1)(0.5), 0), max(1 - 0.5, 0)) = 1.0
    assert losses.hinge([[0.0, 1.0]], [[0.5, 0.5]]).item() == pytest.approx(1.0)
    # bce of p=0.5 is log 2 whatever the label
    assert losses.binary_crossentropy([[1.0]], [[0.5]]).item() == pytest.approx(np.log(2))


# --- crossentropy details --------------------------------------------------------------


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_crossentropy_label_smoothing_and_from_logits(smoothing):
    logits = reals((5, 3))
    t_bin, t_cat = binary((5, 3)), onehot((5, 3))
    bce_logits = losses.binary_crossentropy(
        t_bin, logits, from_logits=True, label_smoothing=smoothing
    )
    np.testing.assert_allclose(
        bce_logits.numpy(), np_bce(t_bin, sigmoid(logits), smoothing), rtol=1e-6
    )
    cce_logits = losses.categorical_crossentropy(
        t_cat, logits, from_logits=True, label_smoothing=smoothing
    )
    np.testing.assert_allclose(
        cce_logits.numpy(), np_cce(t_cat, softmax(logits), smoothing), rtol=1e-6
    )
    labels = t_cat.argmax(-1)
    scce = losses.sparse_categorical_crossentropy(
        labels, logits, from_logits=True, label_smoothing=smoothing
    )
    np.testing.assert_allclose(scce.numpy(), cce_logits.numpy(), rtol=1e-6)
    scce_probs = losses.sparse_categorical_crossentropy(
        labels, softmax(logits), label_smoothing=smoothing
    )
    np.testing.assert_allclose(scce_probs.numpy(), cce_logits.numpy(), rtol=1e-6)


def test_probabilities_are_clipped_and_renormalized():
    # p = 0 and 1 would give inf; Keras clips them to [1e-7, 1 - 1e-7]
    out = losses.binary_crossentropy([[1.0], [0.0]], [[0.0], [1.0]])
    upper = np.float32(1 - EPS)  # 0.99999988 in float32, as in Keras
    np.testing.assert_allclose(
        out.numpy(), [-np.log(np.float32(EPS)), -np.log(1 - upper)], rtol=1e-5
    )
    # unnormalized probabilities are rescaled to sum to 1 first
    a = losses.categorical_crossentropy([[0.0, 1.0]], [[1.0, 3.0]])
    np.testing.assert_allclose(a.numpy(), [-np.log(0.75)], rtol=1e-6)


def test_a_nan_probability_gives_a_nan_binary_crossentropy():
    # as in Keras, so that TerminateOnNaN can stop the fit; torch's kernel would raise
    out = losses.binary_crossentropy([[1.0], [0.0]], [[np.nan], [0.3]])
    assert np.isnan(out[0].item()) and out[1].item() == pytest.approx(-np.log(0.7))
    assert np.isnan(losses.BinaryCrossentropy()([[1.0], [0.0]], [[np.nan], [0.3]]).item())


@pytest.mark.parametrize(
    "labels", [np.array([0, 2, 1]), np.array([[0], [2], [1]])], ids=["(batch,)", "(batch,1)"]
)
def test_sparse_label_shapes(labels):
    p = distribution((3, 3))
    out = losses.SparseCategoricalCrossentropy(reduction=None)(torch.tensor(labels), p)
    np.testing.assert_allclose(out.numpy(), np_scce(labels, p), rtol=1e-6)


def test_sparse_dense_predictions_and_axis():
    p = distribution((2, 4, 5, 3))
    labels = rng.integers(0, 3, size=(2, 4, 5))
    out = losses.sparse_categorical_crossentropy(labels, p)
    assert out.shape == (2, 4, 5)
    np.testing.assert_allclose(out.numpy(), np_scce(labels, p), rtol=1e-6)
    moved = losses.sparse_categorical_crossentropy(labels, np.moveaxis(p, -1, 1), axis=1)
    np.testing.assert_allclose(moved.numpy(), out.numpy(), rtol=1e-6)


@pytest.mark.parametrize("from_logits", [False, True])
def test_ignore_class_counts_only_valid_entries(from_logits):
    labels = np.array([0, 255, 2, 255])
    p = distribution((4, 3))
    pred = np.log(p) if from_logits else p
    valid = labels != 255
    expected = np_scce(labels[valid], p[valid])
    loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=255)
    per_sample = losses.SparseCategoricalCrossentropy(
        from_logits=from_logits, ignore_class=255, reduction=None
    )(labels, pred)
    np.testing.assert_allclose(per_sample.numpy()[~valid], 0.0)
    np.testing.assert_allclose(loss(labels, pred).numpy(), expected.mean(), rtol=1e-6)
    w = np.array([1.0, 5.0, 3.0, 5.0])
    np.testing.assert_allclose(
        loss(labels, pred, sample_weight=w).numpy(), (expected * w[valid]).sum() / 2, rtol=1e-6
    )


def test_ignore_class_gradients_are_finite():
    pred = torch.tensor(distribution((4, 3)), requires_grad=True)
    losses.SparseCategoricalCrossentropy(ignore_class=-1)([0, -1, 2, -1], pred).backward()
    assert torch.isfinite(pred.grad).all()
    assert (pred.grad[1] == 0).all()


def test_gradients_flow_from_logits():
    logits = torch.tensor(reals((4, 3)), requires_grad=True)
    losses.CategoricalCrossentropy(from_logits=True)(onehot((4, 3)), logits).backward()
    np.testing.assert_allclose(logits.grad.sum(-1).numpy(), 0.0, atol=1e-12)


def test_weights_with_fewer_dims_weight_whole_rows():
    values = torch.ones(2, 3)
    out = losses.reduce_weighted_values(values, torch.tensor([1.0, 3.0]), reduction="sum")
    assert out.item() == pytest.approx(12.0)


# --- errors ----------------------------------------------------------------------------


def test_categorical_with_integer_labels_says_use_sparse():
    with pytest.raises(ValueError, match="use sparse_categorical_crossentropy"):
        losses.categorical_crossentropy(np.array([0, 1]), probs((2, 3)))


def test_sparse_with_one_hot_labels_says_use_categorical():
    with pytest.raises(ValueError, match="use categorical_crossentropy"):
        losses.sparse_categorical_crossentropy(onehot((2, 3)), probs((2, 3)))


def test_binary_shape_mismatch():
    with pytest.raises(ValueError, match=r"same shape.*y_true.shape=\(2, 3\)"):
        losses.binary_crossentropy(binary((2, 3)), probs((2, 2)))


def test_categorical_axis_must_be_int():
    with pytest.raises(TypeError, match="`axis` of categorical_crossentropy must be an int"):
        losses.categorical_crossentropy(onehot((2, 3)), probs((2, 3)), axis=True)


def test_categorical_with_one_class_warns():
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        losses.categorical_crossentropy([[1.0]], [[0.7]])


def test_invalid_reduction():
    with pytest.raises(
        ValueError, match="Invalid value for argument `reduction`.*Received: reduction='avg'"
    ):
        losses.MeanSquaredError(reduction="avg")


def test_invalid_dtype():
    with pytest.raises(ValueError, match="Received: dtype='int8'"):
        losses.MeanSquaredError(dtype="int8")


def test_check_sparse_labels():
    losses.check_sparse_labels(np.array([0, 1, 2]), 3)
    losses.check_sparse_labels(np.array([0, 255, 2]), 3, ignore_class=255)
    with pytest.raises(ValueError, match=r"integers in \[0, 2\].*label value of 3 at index 1"):
        losses.check_sparse_labels(np.array([0, 3, 1]), 3)
    with pytest.raises(ValueError, match="label value of -1 at index 0"):
        losses.check_sparse_labels(torch.tensor([[-1], [0]]), 3)
    with pytest.raises(ValueError, match="label value of 1.5"):
        losses.check_sparse_labels(np.array([0.0, 1.5]), 3)


def test_check_flag_checks_every_call(monkeypatch):
    labels, pred = np.array([0, 5]), probs((2, 3))
    monkeypatch.setattr(losses, "CHECK_SPARSE_LABELS", True)
    with pytest.raises(ValueError, match="the model predicts 3 classes"):
        losses.SparseCategoricalCrossentropy()(labels, pred)
    monkeypatch.setattr(losses, "CHECK_SPARSE_LABELS", False)
    with pytest.raises((IndexError, RuntimeError)):  # torch's own, less clear error
        losses.SparseCategoricalCrossentropy(from_logits=True)(labels, pred)


# --- lookup ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "identifier,cls,name",
    [
        ("mse", losses.MeanSquaredError, "mean_squared_error"),
        ("MSE", losses.MeanSquaredError, "mean_squared_error"),
        ("mean_squared_error", losses.MeanSquaredError, "mean_squared_error"),
        ("MeanSquaredError", losses.MeanSquaredError, "mean_squared_error"),
        ("mae", losses.MeanAbsoluteError, "mean_absolute_error"),
        ("mape", losses.MeanAbsolutePercentageError, "mean_absolute_percentage_error"),
        ("msle", losses.MeanSquaredLogarithmicError, "mean_squared_logarithmic_error"),
        ("kld", losses.KLDivergence, "kl_divergence"),
        ("bce", losses.BinaryCrossentropy, "binary_crossentropy"),
        ("binary_crossentropy", losses.BinaryCrossentropy, "binary_crossentropy"),
        ("categorical_crossentropy", losses.CategoricalCrossentropy, "categorical_crossentropy"),
        (
            "sparse_categorical_crossentropy",
            losses.SparseCategoricalCrossentropy,
            "sparse_categorical_crossentropy",
        ),
        ("huber", losses.Huber, "huber"),
        ("Huber", losses.Huber, "huber_loss"),
        ("hinge", losses.Hinge, "hinge"),
        ("logcosh", losses.LogCosh, "log_cosh"),
        ("poisson", losses.Poisson, "poisson"),
        ("cosine_similarity", losses.CosineSimilarity, "cosine_similarity"),
        (losses.mean_squared_error, losses.MeanSquaredError, "mean_squared_error"),
        (losses.Poisson, losses.Poisson, "poisson"),
    ],
)
def test_get(identifier, cls, name):
    loss = losses.get(identifier)
    assert type(loss) is cls
    assert loss.name == name


def test_get_returns_objects_and_wraps_callables():
    loss = losses.BinaryCrossentropy(from_logits=True)
    assert losses.get(loss) is loss
    assert losses.get(None) is None

    def my_loss(y_true, y_pred):
        return torch.abs(y_true - y_pred).sum(-1)

    wrapped = losses.get(my_loss)
    assert isinstance(wrapped, losses.LossFunctionWrapper) and wrapped.name == "my_loss"
    assert wrapped(torch.zeros(2, 3), torch.ones(2, 3)).item() == pytest.approx(3.0)
    config = losses.serialize(wrapped)
    again = losses.deserialize(config, custom_objects={"my_loss": my_loss})
    assert again.fn is my_loss
    with pytest.raises(ValueError, match="unknown loss function 'my_loss'"):
        losses.deserialize(config)


def test_get_errors():
    with pytest.raises(ValueError, match="Unknown loss: 'msee'. Did you mean 'mse'?"):
        losses.get("msee")
    with pytest.raises(TypeError, match="Could not interpret loss identifier: 3"):
        losses.get(3)


def test_get_from_config_dict():
    loss = losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert isinstance(loss, losses.CategoricalCrossentropy) and loss.from_logits


def test_sparse_config_is_keras_shaped():
    config = losses.SparseCategoricalCrossentropy(ignore_class=3).get_config()
    assert config == {
        "name": "sparse_categorical_crossentropy",
        "reduction": "sum_over_batch_size",
        "from_logits": False,
        "ignore_class": 3,
    }


def test_custom_loss_subclass():
    class Scaled(losses.Loss):
        def call(self, y_true, y_pred):
            return 2 * torch.square(y_true - y_pred).mean(-1)

    loss = Scaled()
    assert loss.name == "scaled"
    assert loss(np.zeros((2, 2)), np.ones((2, 2))).item() == pytest.approx(2.0)
    with pytest.raises(NotImplementedError, match="must implement call"):
        losses.Loss()([0.0], [1.0])


def test_no_warnings_on_ordinary_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses.get("binary_crossentropy")(binary((4, 1)), probs((4, 1)))
        losses.get("mse")(reals((4,)), reals((4, 1)))
