"""Issue 13's metrics against Keras 3 (torch backend): same config, two batches of updates
(with and without sample weights), same result (1e-5), same get_config, Keras's errors."""

import re

import numpy as np
import pytest
import torch

import plait
from tests.keras_oracle.conftest import keras

RNG = np.random.default_rng(1)


def _batch(kind, n=16):
    if kind == "multilabel":
        return (
            RNG.integers(0, 2, size=(n, 4)).astype("float32"),
            RNG.uniform(size=(n, 4)).astype("float32"),
        )
    if kind == "onehot":
        return (
            np.eye(4, dtype="float32")[RNG.integers(0, 4, size=n)],
            RNG.uniform(size=(n, 4)).astype("float32"),
        )
    if kind == "ids":
        return (
            RNG.integers(0, 4, size=(n, 3)).astype("int32"),
            RNG.integers(0, 4, size=(n, 3)).astype("int32"),
        )
    if kind == "ids_void":
        y = RNG.integers(0, 4, size=(n,)).astype("int32")
        y[::5] = 255
        return y, RNG.integers(0, 4, size=(n,)).astype("int32")
    if kind == "binary":
        return (
            RNG.integers(0, 2, size=(n, 1)).astype("float32"),
            RNG.uniform(size=(n, 1)).astype("float32"),
        )
    if kind == "regression":
        y = RNG.normal(size=(n, 3)).astype("float32")
        return y, (y + 0.5 * RNG.normal(size=(n, 3))).astype("float32")
    raise AssertionError(kind)


CASES = [
    ("F1Score", {}, "onehot"),
    ("F1Score", {"average": "micro", "threshold": 0.5}, "multilabel"),
    ("F1Score", {"average": "macro", "threshold": 0.4}, "multilabel"),
    ("F1Score", {"average": "weighted"}, "onehot"),
    ("FBetaScore", {"beta": 2.0, "threshold": 0.5}, "multilabel"),
    ("FBetaScore", {"beta": 0.5, "average": "macro"}, "onehot"),
    ("IoU", {"num_classes": 4, "target_class_ids": [0, 2]}, "ids"),
    ("IoU", {"num_classes": 4, "target_class_ids": [1], "ignore_class": 255}, "ids_void"),
    (
        "IoU",
        {
            "num_classes": 4,
            "target_class_ids": [0, 3],
            "sparse_y_true": False,
            "sparse_y_pred": False,
        },
        "onehot",
    ),
    ("MeanIoU", {"num_classes": 4}, "ids"),
    ("MeanIoU", {"num_classes": 4, "dtype": "float32"}, "ids"),
    ("MeanIoU", {"num_classes": 4, "ignore_class": 255}, "ids_void"),
    ("BinaryIoU", {}, "binary"),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, "binary"),
    ("OneHotIoU", {"num_classes": 4, "target_class_ids": [0, 1]}, "onehot"),
    ("OneHotMeanIoU", {"num_classes": 4}, "onehot"),
    ("R2Score", {}, "regression"),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, "regression"),
    ("R2Score", {"class_aggregation": None}, "regression"),
    ("R2Score", {"num_regressors": 2}, "regression"),
    ("PearsonCorrelation", {}, "regression"),
    ("ConcordanceCorrelation", {}, "regression"),
    ("PrecisionAtRecall", {"recall": 0.6}, "binary"),
    ("PrecisionAtRecall", {"recall": 0.5, "num_thresholds": 7, "class_id": 2}, "multilabel"),
    ("RecallAtPrecision", {"precision": 0.5}, "binary"),
    ("SensitivityAtSpecificity", {"specificity": 0.5}, "binary"),
    ("SensitivityAtSpecificity", {"specificity": 0.3, "num_thresholds": 1}, "binary"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.7}, "multilabel"),
]


def _run(metric, batches, weights):
    for (y_true, y_pred), w in zip(batches, weights):
        metric.update_state(
            torch.as_tensor(y_true),
            torch.as_tensor(y_pred),
            sample_weight=None if w is None else torch.as_tensor(w),
        )
    return np.asarray(torch.as_tensor(metric.result()).detach().cpu())


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name,kwargs,kind", CASES)
def test_metric_matches_keras(name, kwargs, kind, weighted):
    batches = [_batch(kind), _batch(kind, 10)]
    weights = [None, None]
    if weighted:
        weights = [
            RNG.integers(0, 3, size=b[0].shape if kind == "ids" else (len(b[0]),)).astype("float32")
            for b in batches
        ]
    expected = _run(getattr(keras.metrics, name)(**kwargs), batches, weights)
    got_metric = getattr(plait.metrics, name)(**kwargs)
    got = _run(got_metric, batches, weights)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    got_metric.reset_state()
    again = _run(got_metric, batches, weights)
    np.testing.assert_allclose(again, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name,kwargs,kind", CASES)
def test_metric_config_matches_keras(name, kwargs, kind):
    expected = getattr(keras.metrics, name)(**kwargs).get_config()
    got = getattr(plait.metrics, name)(**kwargs).get_config()
    # Keras numbers metrics made with name=None (io_u_2); plait keeps the plain name.
    assert got["name"] == re.sub(r"_\d+$", "", expected.pop("name"))
    assert {k: v for k, v in got.items() if k != "name"} == expected
    rebuilt = getattr(plait.metrics, name).from_config(got)
    assert rebuilt.get_config() == got
    assert plait.metrics.deserialize(plait.metrics.serialize(rebuilt)).get_config() == got


BAD = [
    ("F1Score", {"average": "bad"}, "average"),
    ("FBetaScore", {"beta": 1}, "beta"),
    ("FBetaScore", {"beta": -1.0}, "beta"),
    ("F1Score", {"threshold": 2.0}, "threshold"),
    ("F1Score", {"threshold": 1}, "threshold"),
    ("R2Score", {"class_aggregation": "median"}, "class_aggregation"),
    ("R2Score", {"num_regressors": -1}, "num_regressors"),
    ("IoU", {"num_classes": 2, "target_class_ids": [3]}, "Target class id"),
    ("PrecisionAtRecall", {"recall": 1.5}, "recall"),
    ("SensitivityAtSpecificity", {"specificity": 0.5, "num_thresholds": 0}, "num_thresholds"),
]


@pytest.mark.parametrize("name,kwargs,word", BAD)
def test_bad_arguments_raise_as_keras(name, kwargs, word):
    with pytest.raises(ValueError, match=word):
        getattr(keras.metrics, name)(**kwargs)
    with pytest.raises(ValueError, match=word):
        getattr(plait.metrics, name)(**kwargs)


def test_f1_needs_2d_inputs():
    with pytest.raises(ValueError, match="2D inputs"):
        plait.metrics.F1Score().update_state([1, 0], [0.3, 0.6])


FUNCTIONS = [
    ("pearson_correlation", "regression"),
    ("concordance_correlation", "regression"),
    ("binary_focal_crossentropy", "multilabel"),
    ("categorical_focal_crossentropy", "onehot"),
]


@pytest.mark.parametrize("name,kind", FUNCTIONS)
def test_metric_functions_match_keras(name, kind):
    y_true, y_pred = _batch(kind)
    expected = np.asarray(getattr(keras.metrics, name)(torch.tensor(y_true), torch.tensor(y_pred)))
    got = getattr(plait.metrics, name)(y_true, y_pred).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_f1_in_compile_and_fit_history():
    model = plait.Sequential([plait.Input((4,)), plait.layers.Dense(3, activation="softmax")])
    model.compile(
        "adam",
        "categorical_crossentropy",
        metrics=[plait.metrics.F1Score(average="macro"), "r2_score"],
    )
    x = RNG.normal(size=(32, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[RNG.integers(0, 3, size=32)]
    history = model.fit(x, y, epochs=1, verbose=0)
    assert "f1_score" in history.history and "r2_score" in history.history
