"""plait.metrics against Keras's formulas in numpy and Keras's worked examples: state
across batches, sample weights, reset, devices, lookup ('accuracy' from the loss) and
config round trips."""

import json

import numpy as np
import pytest
import torch

from plait import losses, metrics

rng = np.random.default_rng(1)
EPS = 1e-7


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# --- per-sample formulas in numpy ------------------------------------------------------


def np_binary_accuracy(t, p, threshold=0.5):
    return np.mean(t == (p > threshold), axis=-1)


def np_categorical_accuracy(t, p):
    return (t.argmax(-1) == p.argmax(-1)).astype(float)


def np_sparse_categorical_accuracy(t, p):
    return (t.reshape(-1) == p.argmax(-1)).astype(float)


def np_top_k(t_ids, p, k):
    kth = np.sort(p, axis=-1)[:, -k]
    return (p[np.arange(len(p)), t_ids] >= kth).astype(float)


def np_mse(t, p):
    return np.mean((t - p) ** 2, axis=-1)


def np_cosine(t, p):
    tn = t / np.linalg.norm(t, axis=-1, keepdims=True)
    pn = p / np.linalg.norm(p, axis=-1, keepdims=True)
    return np.sum(tn * pn, axis=-1)


def np_bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p)), axis=-1)


def weighted_mean(values, w=None):
    return values.mean() if w is None else (values * w).sum() / w.sum()


def batches(make, n=3):
    return [make() for _ in range(n)]


def cls_probs(n=8, c=5):
    return softmax(rng.normal(size=(n, c)))


def onehot(n=8, c=5):
    return np.eye(c)[rng.integers(0, c, size=n)]


# name, metric factory, numpy per-sample reference, (y_true, y_pred) maker
CASES = [
    (
        "binary_accuracy",
        metrics.BinaryAccuracy,
        np_binary_accuracy,
        lambda: (rng.integers(0, 2, (8, 1)).astype(float), rng.uniform(size=(8, 1))),
    ),
    (
        "binary_accuracy_threshold",
        lambda: metrics.BinaryAccuracy(threshold=0.7),
        lambda t, p: np_binary_accuracy(t, p, 0.7),
        lambda: (rng.integers(0, 2, (8, 3)).astype(float), rng.uniform(size=(8, 3))),
    ),
    (
        "categorical_accuracy",
        metrics.CategoricalAccuracy,
        np_categorical_accuracy,
        lambda: (onehot(), cls_probs()),
    ),
    (
        "sparse_categorical_accuracy",
        metrics.SparseCategoricalAccuracy,
        np_sparse_categorical_accuracy,
        lambda: (rng.integers(0, 5, (8, 1)), cls_probs()),
    ),
    (
        "top_k",
        lambda: metrics.TopKCategoricalAccuracy(k=2),
        lambda t, p: np_top_k(t.argmax(-1), p, 2),
        lambda: (onehot(), cls_probs()),
    ),
    (
        "sparse_top_k",
        lambda: metrics.SparseTopKCategoricalAccuracy(k=3),
        lambda t, p: np_top_k(t, p, 3),
        lambda: (rng.integers(0, 5, 8), cls_probs()),
    ),
    (
        "mse",
        metrics.MeanSquaredError,
        np_mse,
        lambda: (rng.normal(size=(8, 3)), rng.normal(size=(8, 3))),
    ),
    (
        "mae",
        metrics.MeanAbsoluteError,
        lambda t, p: np.mean(np.abs(t - p), -1),
        lambda: (rng.normal(size=(8, 3)), rng.normal(size=(8, 3))),
    ),
    (
        "cosine",
        metrics.CosineSimilarity,
        np_cosine,
        lambda: (rng.normal(size=(8, 3)), rng.normal(size=(8, 3))),
    ),
    (
        "bce",
        metrics.BinaryCrossentropy,
        np_bce,
        lambda: (rng.integers(0, 2, (8, 2)).astype(float), rng.uniform(size=(8, 2))),
    ),
    (
        "cce",
        metrics.CategoricalCrossentropy,
        lambda t, p: -np.sum(t * np.log(p), -1),
        lambda: (onehot(), cls_probs()),
    ),
    (
        "scce_logits",
        lambda: metrics.SparseCategoricalCrossentropy(from_logits=True),
        lambda t, p: -np.log(softmax(p)[np.arange(len(p)), t]),
        lambda: (rng.integers(0, 5, 8), rng.normal(size=(8, 5))),
    ),
    (
        "kld",
        metrics.KLDivergence,
        lambda t, p: np.sum(t * np.log(t / p), -1),
        lambda: (cls_probs(), cls_probs()),
    ),
    (
        "hinge",
        metrics.Hinge,
        lambda t, p: np.mean(np.maximum(1 - (2 * t - 1) * p, 0), -1),
        lambda: (rng.integers(0, 2, (8, 3)).astype(float), rng.normal(size=(8, 3))),
    ),
    (
        "logcosh",
        metrics.LogCoshError,
        lambda t, p: np.mean(np.log(np.cosh(p - t)), -1),
        lambda: (rng.normal(size=(8, 3)), rng.normal(size=(8, 3))),
    ),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("name,make,ref,data", CASES, ids=IDS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_mean_metrics_accumulate_over_batches(name, make, ref, data, weighted):
    metric = make()
    values, weights = [], []
    for t, p in batches(data):
        w = rng.uniform(0, 2, size=len(p)) if weighted else None
        metric.update_state(torch.tensor(t), torch.tensor(p), sample_weight=w)
        values.append(ref(t, p))
        weights.append(w if weighted else np.ones(len(p)))
    expected = weighted_mean(np.concatenate(values), np.concatenate(weights))
    result = metric.result()
    assert result.shape == () and result.dtype == torch.float32
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-5, atol=1e-6)
    metric.reset_state()
    assert metric.result().item() == 0.0


@pytest.mark.parametrize("name,make,ref,data", CASES, ids=IDS)
def test_config_round_trip(name, make, ref, data):
    metric = make()
    config = json.loads(json.dumps(metrics.serialize(metric)))
    again = metrics.deserialize(config)
    assert type(again) is type(metric) and again.get_config() == metric.get_config()
    t, p = data()
    np.testing.assert_allclose(again(t, p).numpy(), metric(t, p).numpy())


def test_keras_worked_examples():
    def check(metric, y_true, y_pred, expected, sample_weight=None):
        metric.reset_state()
        metric.update_state(y_true, y_pred, sample_weight=sample_weight)
        np.testing.assert_allclose(metric.result().numpy(), expected, atol=1e-4)

    check(metrics.Accuracy(), [[1], [2], [3], [4]], [[0], [2], [3], [4]], 0.75)
    check(metrics.Accuracy(), [[1], [2], [3], [4]], [[0], [2], [3], [4]], 0.5, [1, 1, 0, 0])
    check(metrics.BinaryAccuracy(), [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], 0.75)
    check(
        metrics.BinaryAccuracy(), [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], 0.5, [1, 0, 0, 1]
    )
    check(
        metrics.CategoricalAccuracy(),
        [[0, 0, 1], [0, 1, 0]],
        [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
        0.3,
        [0.7, 0.3],
    )
    check(
        metrics.SparseCategoricalAccuracy(),
        [[2], [1]],
        [[0.1, 0.6, 0.3], [0.05, 0.95, 0]],
        0.3,
        [0.7, 0.3],
    )
    check(
        metrics.TopKCategoricalAccuracy(k=1),
        [[0, 0, 1], [0, 1, 0]],
        [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
        0.5,
    )
    check(
        metrics.SparseTopKCategoricalAccuracy(k=1),
        [2, 1],
        [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
        0.3,
        [0.7, 0.3],
    )
    check(metrics.CosineSimilarity(axis=1), [[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]], 0.5)
    check(
        metrics.CosineSimilarity(axis=1),
        [[0.0, 1.0], [1.0, 1.0]],
        [[1.0, 0.0], [1.0, 1.0]],
        0.7,
        [0.3, 0.7],
    )
    check(metrics.LogCoshError(), [[0, 1], [0, 0]], [[1, 1], [0, 0]], 0.10844523)
    check(metrics.LogCoshError(), [[0, 1], [0, 0]], [[1, 1], [0, 0]], 0.21689045, [1, 0])
    check(metrics.Precision(), [0, 1, 1, 1], [1, 0, 1, 1], 2 / 3)
    check(metrics.Precision(), [0, 1, 1, 1], [1, 0, 1, 1], 1.0, [0, 0, 1, 0])
    check(metrics.Precision(top_k=2), [0, 0, 1, 1], [1, 1, 1, 1], 0.0)
    check(metrics.Precision(top_k=4), [0, 0, 1, 1], [1, 1, 1, 1], 0.5)
    check(metrics.Recall(), [0, 1, 1, 1], [1, 0, 1, 1], 2 / 3)
    check(metrics.FalsePositives(), [0, 1, 0, 0], [0, 0, 1, 1], 2.0)
    check(metrics.FalseNegatives(), [0, 1, 1, 1], [0, 1, 0, 0], 2.0)
    check(metrics.TrueNegatives(), [0, 1, 0, 0], [1, 1, 0, 0], 2.0)
    check(metrics.TruePositives(), [0, 1, 1, 1], [1, 0, 1, 1], 1.0, [0, 0, 1, 0])
    # thresholds [-1e-7, 0.5, 1+1e-7]: tp=[2,1,0], fp=[2,0,0] -> auc 0.75
    check(metrics.AUC(num_thresholds=3), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], 0.75)
    check(metrics.AUC(num_thresholds=3), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], 1.0, [1, 0, 0, 1])


def test_mean_and_sum():
    m = metrics.Mean()
    m.update_state([1, 3, 5, 7])
    assert m.result().item() == 4.0
    m.reset_state()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert m.result().item() == 2.0
    # the training loop's form: a 0-d batch loss weighted by the batch size
    m.reset_state()
    m.update_state(torch.tensor(2.0), sample_weight=3)
    m.update_state(torch.tensor(4.0), sample_weight=1)
    assert m.result().item() == pytest.approx(2.5)
    s = metrics.Sum()
    s.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert s.result().item() == 4.0
    assert metrics.Mean().result().item() == 0.0  # no division by zero


def test_per_timestep_values_and_weights():
    # values (batch, steps) with weights (batch, steps): Keras's weighted mean
    values = rng.uniform(size=(4, 3))
    w = rng.uniform(size=(4, 3))
    m = metrics.Mean()
    m.update_state(values, sample_weight=w)
    np.testing.assert_allclose(m.result().numpy(), (values * w).sum() / w.sum(), rtol=1e-5)


def test_root_mean_squared_error():
    t, p = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    w = rng.uniform(size=6)
    m = metrics.RootMeanSquaredError()
    m.update_state(t, p, sample_weight=w)
    expected = np.sqrt((np_mse(t, p) * w).sum() / w.sum())
    np.testing.assert_allclose(m.result().numpy(), expected, rtol=1e-5)


# --- confusion metrics against numpy ---------------------------------------------------


def np_confusion(t, p, thresholds, w):
    above = p.reshape(-1, 1) > np.asarray(thresholds)
    pos, w = t.reshape(-1, 1) != 0, w.reshape(-1, 1)
    tp = (above & pos).astype(float).T @ w
    fp = (above & ~pos).astype(float).T @ w
    fn = (~above & pos).astype(float).T @ w
    tn = (~above & ~pos).astype(float).T @ w
    return tp[:, 0], fp[:, 0], tn[:, 0], fn[:, 0]


def np_auc(t, p, w, num_thresholds=200, curve="ROC", method="interpolation"):
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    thresholds = [-EPS] + inner + [1 + EPS]
    tp, fp, tn, fn = np_confusion(t, p, thresholds, w)
    div = lambda a, b: np.where(b == 0, 0.0, a / np.where(b == 0, 1, b))  # noqa
    recall = div(tp, tp + fn)
    if curve == "ROC":
        x, y = div(fp, fp + tn), recall
    elif method != "interpolation":
        x, y = recall, div(tp, tp + fp)
    else:  # Davis & Goadrich interpolation, as Keras
        dtp, p_ = tp[:-1] - tp[1:], tp + fp
        dp = p_[:-1] - p_[1:]
        slope = div(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p_[1:]
        ratio = np.where((p_[:-1] > 0) & (p_[1:] > 0), div(p_[:-1], np.maximum(p_[1:], 0)), 1)
        return np.sum(
            div(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
        )
    heights = {
        "interpolation": (y[:-1] + y[1:]) / 2,
        "minoring": np.minimum(y[:-1], y[1:]),
        "majoring": np.maximum(y[:-1], y[1:]),
    }[method]
    return np.sum((x[:-1] - x[1:]) * heights)


@pytest.mark.parametrize(
    "curve,method",
    [
        ("ROC", "interpolation"),
        ("ROC", "minoring"),
        ("ROC", "majoring"),
        ("PR", "interpolation"),
        ("PR", "majoring"),
    ],
)
def test_auc_matches_keras_formula(curve, method):
    t = rng.integers(0, 2, size=(40, 1)).astype(float)
    p = np.clip(0.3 * t + rng.uniform(size=(40, 1)) * 0.7, 0, 1)
    w = rng.uniform(0.5, 2, size=40)
    m = metrics.AUC(curve=curve, summation_method=method)
    m.update_state(t[:20], p[:20], sample_weight=w[:20])
    m.update_state(t[20:], p[20:], sample_weight=w[20:])
    np.testing.assert_allclose(m.result().numpy(), np_auc(t, p, w, 200, curve, method), rtol=1e-4)


def test_auc_roc_equals_rank_statistic():
    # with distinct predictions and many thresholds, ROC AUC is P(score_pos > score_neg)
    t = np.array([0, 0, 1, 1, 0, 1, 0, 1])
    p = np.array([0.11, 0.33, 0.52, 0.91, 0.64, 0.78, 0.02, 0.27])
    pairs = [(a, b) for a in p[t == 1] for b in p[t == 0]]
    expected = np.mean([a > b for a, b in pairs])
    m = metrics.AUC(num_thresholds=1000)
    m.update_state(t, p)
    assert m.result().item() == pytest.approx(expected, abs=1e-3)


def test_auc_from_logits_multi_label_and_label_weights():
    logits = rng.normal(size=(30, 3))
    t = (rng.uniform(size=(30, 3)) < 1 / (1 + np.exp(-logits))).astype(float)
    p = 1 / (1 + np.exp(-logits))
    m = metrics.AUC(from_logits=True)
    m.update_state(t, logits)
    ref = metrics.AUC()
    ref.update_state(t, p)
    np.testing.assert_allclose(m.result().numpy(), ref.result().numpy(), rtol=1e-6)
    multi = metrics.AUC(multi_label=True, label_weights=[1.0, 2.0, 0.0])
    multi.update_state(t, p)
    per_label = [np_auc(t[:, i], p[:, i], np.ones(30)) for i in range(3)]
    np.testing.assert_allclose(
        multi.result().numpy(), (per_label[0] + 2 * per_label[1]) / 3, rtol=1e-5
    )
    flat = metrics.AUC(label_weights=[1.0, 2.0, 0.5])
    flat.update_state(t, p)
    np.testing.assert_allclose(
        flat.result().numpy(), np_auc(t, p, np.broadcast_to([1.0, 2.0, 0.5], t.shape)), rtol=1e-5
    )


@pytest.mark.parametrize(
    "cls,ratio",
    [
        (metrics.Precision, lambda tp, fp, fn: tp / (tp + fp)),
        (metrics.Recall, lambda tp, fp, fn: tp / (tp + fn)),
    ],
)
def test_precision_recall_thresholds_and_class_id(cls, ratio):
    t = rng.integers(0, 2, size=(20, 3))
    p = rng.uniform(size=(20, 3))
    w = rng.uniform(size=20)
    thresholds = [0.7, 0.2, 0.5]  # unsorted on purpose
    m = cls(thresholds=thresholds)
    m.update_state(t, p, sample_weight=w)
    tp, fp, _, fn = np_confusion(t, p, thresholds, np.broadcast_to(w[:, None], t.shape))
    assert m.result().shape == (3,)
    np.testing.assert_allclose(m.result().numpy(), ratio(tp, fp, fn), rtol=1e-5)
    one = cls(class_id=1)
    one.update_state(t, p)
    tp, fp, _, fn = np_confusion(t[:, 1], p[:, 1], [0.5], np.ones(20))
    np.testing.assert_allclose(one.result().numpy(), ratio(tp, fp, fn)[0], rtol=1e-5)


# --- state, devices, gradients ---------------------------------------------------------


def test_update_does_not_track_gradients():
    pred = torch.rand(4, 3, requires_grad=True)
    m = metrics.MeanSquaredError()
    m.update_state(torch.rand(4, 3), pred)
    assert not m.result().requires_grad
    assert all(not v.requires_grad for v in m.variables)


def test_state_is_additive_across_workers():
    t, p = onehot(16), cls_probs(16)
    whole, a, b = (metrics.CategoricalAccuracy() for _ in range(3))
    whole.update_state(t, p)
    a.update_state(t[:5], p[:5])
    b.update_state(t[5:], p[5:])
    for va, vb in zip(a.variables, b.variables):
        va.add_(vb)
    assert a.result().item() == pytest.approx(whole.result().item())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_state_follows_first_update_device():
    m = metrics.AUC()
    m.update_state(torch.tensor([0, 1], device="cuda"), torch.tensor([0.2, 0.8], device="cuda"))
    assert m.true_positives.device.type == "cuda" and m.result().device.type == "cuda"
    m.update_state(np.array([1, 0]), np.array([0.6, 0.1]))  # host data joins the state
    assert m.result().item() == pytest.approx(1.0)
    m.reset_state()
    m.update_state(np.array([1, 0]), np.array([0.6, 0.1]))
    assert m.true_positives.device.type == "cpu"


# --- lookup ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "identifier,loss,shape,cls",
    [
        ("accuracy", "binary_crossentropy", None, metrics.BinaryAccuracy),
        ("acc", losses.binary_crossentropy, None, metrics.BinaryAccuracy),
        ("accuracy", losses.BinaryCrossentropy(), None, metrics.BinaryAccuracy),
        ("accuracy", "mse", (None, 1), metrics.BinaryAccuracy),
        (
            "accuracy",
            "sparse_categorical_crossentropy",
            (None, 10),
            metrics.SparseCategoricalAccuracy,
        ),
        (
            "acc",
            losses.SparseCategoricalCrossentropy(from_logits=True),
            None,
            metrics.SparseCategoricalAccuracy,
        ),
        ("accuracy", "categorical_crossentropy", (None, 10), metrics.CategoricalAccuracy),
        ("accuracy", None, None, metrics.CategoricalAccuracy),
        ("crossentropy", "bce", None, metrics.BinaryCrossentropy),
        ("ce", "sparse_categorical_crossentropy", None, metrics.SparseCategoricalCrossentropy),
        ("crossentropy", "categorical_crossentropy", None, metrics.CategoricalCrossentropy),
        ("mae", None, None, metrics.MeanAbsoluteError),
        ("mse", None, None, metrics.MeanSquaredError),
        ("AUC", None, None, metrics.AUC),
        ("auc", None, None, metrics.AUC),
        ("precision", None, None, metrics.Precision),
        ("top_k_categorical_accuracy", None, None, metrics.TopKCategoricalAccuracy),
        ("sparse_categorical_accuracy", None, None, metrics.SparseCategoricalAccuracy),
        ("root_mean_squared_error", None, None, metrics.RootMeanSquaredError),
    ],
)
def test_get_names_metric_after_the_string(identifier, loss, shape, cls):
    metric = metrics.get(identifier, loss=loss, output_shape=shape)
    assert type(metric) is cls
    assert metric.name == identifier


def test_get_from_logits_losses():
    acc = metrics.get("accuracy", loss=losses.BinaryCrossentropy(from_logits=True))
    assert acc.threshold == 0.0
    acc.update_state([[1.0], [0.0]], [[0.3], [-0.2]])  # logits
    assert acc.result().item() == 1.0
    ce = metrics.get("ce", loss=losses.SparseCategoricalCrossentropy(from_logits=True))
    assert ce._fn_kwargs["from_logits"] is True


def test_get_objects_and_callables():
    auc = metrics.AUC(name="my_auc")
    assert metrics.get(auc) is auc
    assert metrics.get(None) is None
    assert type(metrics.get(metrics.Recall)) is metrics.Recall

    def error_rate(y_true, y_pred):
        return 1.0 - metrics.binary_accuracy(y_true, y_pred)

    m = metrics.get(error_rate)
    assert isinstance(m, metrics.MeanMetricWrapper) and m.name == "error_rate"
    m.update_state([[1], [0]], [[0.9], [0.9]])
    assert m.result().item() == pytest.approx(0.5)
    again = metrics.deserialize(metrics.serialize(m), custom_objects={"error_rate": error_rate})
    assert again.name == "error_rate"
    with pytest.raises(ValueError, match="unknown metric function 'error_rate'"):
        metrics.deserialize(metrics.serialize(m))


def test_get_errors():
    with pytest.raises(ValueError, match="Unknown metric: 'acuracy_top'"):
        metrics.get("acuracy_top")
    with pytest.raises(TypeError, match="Could not interpret metric identifier"):
        metrics.get(3.5)


def test_metric_and_loss_classes_of_the_same_name_stay_apart():
    m = metrics.deserialize(metrics.serialize(metrics.MeanSquaredError()))
    loss = losses.deserialize(losses.serialize(losses.MeanSquaredError()))
    assert isinstance(m, metrics.Metric) and isinstance(loss, losses.Loss)
    assert isinstance(
        metrics.get({"class_name": "BinaryCrossentropy", "config": {}}), metrics.Metric
    )


@pytest.mark.parametrize(
    "metric",
    [
        metrics.AUC(
            num_thresholds=50,
            curve="PR",
            thresholds=None,
            multi_label=True,
            num_labels=2,
            from_logits=True,
        ),
        metrics.AUC(thresholds=[0.2, 0.5, 0.9]),
        metrics.Precision(thresholds=[0.3, 0.6], name="p"),
        metrics.Recall(top_k=2, class_id=1),
        metrics.TruePositives(thresholds=0.4),
        metrics.Mean(name="loss", dtype="float64"),
        metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True),
    ],
    ids=lambda m: type(m).__name__,
)
def test_config_round_trip_confusion_and_others(metric):
    config = json.loads(json.dumps(metrics.serialize(metric)))
    again = metrics.deserialize(config)
    assert type(again) is type(metric) and again.get_config() == metric.get_config()


# --- errors ----------------------------------------------------------------------------


def test_errors():
    with pytest.raises(ValueError, match=r"every threshold must be in \[0, 1\].*1.5"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="Received: curve='ROCK'"):
        metrics.AUC(curve="ROCK")
    with pytest.raises(ValueError, match="Received: summation_method='trapezoid'"):
        metrics.AUC(summation_method="trapezoid")
    with pytest.raises(ValueError, match="`num_thresholds` must be an integer > 1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="`num_labels` is needed only when `multi_label`"):
        metrics.AUC(num_labels=3)
    with pytest.raises(ValueError, match="must have rank 2 when `multi_label=True`"):
        metrics.AUC(multi_label=True).update_state(np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match="When `class_id` is set"):
        metrics.Recall(class_id=0).update_state(np.zeros(4), np.zeros(4))
    with pytest.raises(TypeError, match="`threshold` must be a float"):
        metrics.BinaryAccuracy(threshold="0.5")
    with pytest.raises(ValueError, match="Received: dtype='int32'"):
        metrics.Mean(dtype="int32")
