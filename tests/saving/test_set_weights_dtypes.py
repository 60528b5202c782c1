"""set_weights with arrays of another dtype or shape, against Keras 3 on the same arrays.

Keras converts any numbers silently (float64, ints and bools into float32 weights) and
refuses strings and objects with a ValueError; plait does the same, names the layer, the
weight and both dtypes, and warns where the conversion changes values beyond rounding
(overflow to inf, dropped imaginary parts, fractions into an integer weight)."""

import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import numpy as np
import pytest
import torch

import plait
from plait.utils.weight_arrays import array_for_weight

CASES = {
    "float64": (np.linspace(-1, 1, 12).reshape(3, 4), None),
    "int64": (np.arange(12).reshape(3, 4), None),
    "bool": (np.ones((3, 4), bool), None),
    "float16": (np.linspace(-1, 1, 12).reshape(3, 4).astype("float16"), None),
    "complex": (np.ones((3, 4)) * (1 + 2j), "imaginary"),
    "overflow": (np.full((3, 4), 1e300), "overflow to inf"),
    "strings": (np.full((3, 4), "a"), ValueError),
    "objects": (np.array([[None] * 4] * 3), ValueError),
}


def _set(layer, kernel):
    layer.set_weights([kernel, np.zeros(4, "float32")])


@pytest.mark.parametrize("case", list(CASES))
def test_set_weights_converts_or_refuses_as_keras(case):
    kernel, outcome = CASES[case]
    ours = plait.layers.Dense(4, name="dense_x")
    ours.build((None, 3))
    theirs = keras.layers.Dense(4)
    theirs.build((None, 3))
    if outcome is ValueError:
        with pytest.raises(ValueError):
            _set(theirs, kernel)
        with pytest.raises(
            ValueError, match=r"Weight 'dense_x/kernel' of layer 'dense_x' expects numbers"
        ) as caught:
            _set(ours, kernel)
        assert f"dtype {kernel.dtype}" in str(caught.value)
        return
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        _set(ours, kernel)
    ours_warnings = [str(w.message) for w in seen if "set_weights" in str(w.message)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _set(theirs, kernel)
    np.testing.assert_array_equal(ours.get_weights()[0], np.asarray(theirs.get_weights()[0]))
    assert ours.kernel.dtype == torch.float32
    if outcome is None:
        assert ours_warnings == []
    else:
        assert len(ours_warnings) == 1 and outcome in ours_warnings[0]
        assert "'dense_x/kernel' of layer 'dense_x' is float32" in ours_warnings[0]


def test_shape_mistakes_name_the_layer_the_weight_and_both_shapes():
    ours = plait.Sequential([plait.layers.Input((3,)), plait.layers.Dense(4, name="d")])
    theirs = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="d")])
    for model in (theirs, ours):
        with pytest.raises(ValueError, match=r"\(3, 4\).*\(4, 3\)"):
            model.set_weights([np.ones((4, 3)), np.zeros(4)])
    with pytest.raises(ValueError, match=r"'d/kernel'"):
        ours.set_weights([np.ones((4, 3)), np.zeros(4)])
    for model in (theirs, ours):
        with pytest.raises(ValueError):
            model.set_weights([np.ones((3, 4))])


def test_integer_weight_fractions_warn():
    with pytest.warns(UserWarning, match="lose their fractions"):
        out = array_for_weight([1.5, 2.0], torch.int64, "counter", "counter/count")
    assert out.tolist() == [1, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert array_for_weight([1.0, 2.0], torch.int64, "c", "c/n").tolist() == [1, 2]
        assert array_for_weight(torch.ones(2, dtype=torch.float64), torch.float32, "a", "b").dtype
