"""Legacy `.h5` files written by tf.keras (Keras 2): `tests/fixtures/make_tf_keras_h5.py`
makes them once, with TensorFlow, in another environment. Each found there must load in
plait (whole model, and weights into the model plait rebuilt) and predict what tf.keras
predicted. Skipped while no fixture has been generated."""

import glob
import os

import numpy as np
import pytest

import plait

pytest.importorskip("h5py")
HERE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "tf_keras")
FILES = sorted(p for p in glob.glob(os.path.join(HERE, "*.h5")) if not p.endswith("_weights.h5"))


@pytest.mark.skipif(
    not FILES, reason="no tf.keras fixtures: run tests/fixtures/make_tf_keras_h5.py with TensorFlow"
)
@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
def test_tf_keras_file_predicts_as_tf_keras(path):
    data = np.load(path[:-3] + ".npz")
    inputs = [data[k] for k in sorted(data.files) if k.startswith("x")]
    expected = [data[k] for k in sorted(data.files) if k.startswith("y")]
    model = plait.models.load_model(path, compile=False)
    got = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    got = got if isinstance(got, (list, tuple)) else [got]
    for a, b in zip(expected, got):
        np.testing.assert_allclose(np.asarray(b), a, rtol=1e-5, atol=1e-5)
    weights = path[:-3] + "_weights.h5"
    if os.path.exists(weights):
        fresh = plait.models.load_model(path, compile=False)
        fresh.set_weights([np.zeros_like(w) for w in fresh.get_weights()])
        fresh.load_weights(weights)
        for a, b in zip(model.get_weights(), fresh.get_weights()):
            np.testing.assert_array_equal(a, b)
