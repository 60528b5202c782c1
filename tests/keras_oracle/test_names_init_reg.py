"""The initializers and regularizers Keras 3.15 added beyond plait's first set, against
Keras (torch backend): `STFT` (and its aliases), `OrthogonalInitializer`,
`OrthogonalRegularizer` (and `orthogonal_regularizer`)."""

import numpy as np
import pytest
import torch

import plait
from plait import initializers, layers, regularizers
from tests.keras_oracle.conftest import keras

WINDOW = [0.5, 1.0, 1.0, 0.5, 0.2, 0.1, 0.3, 1.0]
STFT_CASES = [
    ((), (8, 1, 5)),
    (("imag",), (8, 1, 5)),
    (("real", "hamming", "spectrum", True), (16, 1, 9)),
    (("imag", "blackman", None, False), (8, 1, 5)),
    (("real", "bartlett", "density", True), (8, 2, 5)),
    (("real", None), (8, 1, 5)),
    (("imag", WINDOW, "spectrum"), (8, 1, 5)),
    (("real", "tukey", "density", True), (12, 1, 7)),
]


@pytest.mark.parametrize("args, shape", STFT_CASES)
def test_stft_matches_keras(args, shape):
    theirs = keras.ops.convert_to_numpy(keras.initializers.STFT(*args)(shape))
    ours = initializers.STFT(*args)(shape)
    assert ours.dtype == torch.float32
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-6, atol=1e-7)
    config = initializers.STFT(*args).get_config()
    assert set(config) == set(keras.initializers.STFT(*args).get_config())
    again = initializers.deserialize(initializers.serialize(initializers.STFT(*args)))
    np.testing.assert_array_equal(again(shape).numpy(), ours.numpy())


def test_aliases_are_kerass():
    assert initializers.STFTInitializer is initializers.STFT is initializers.stft
    assert initializers.OrthogonalInitializer is initializers.Orthogonal
    assert regularizers.orthogonal_regularizer is regularizers.OrthogonalRegularizer
    assert isinstance(initializers.get("stft"), initializers.STFT)
    assert isinstance(
        regularizers.get("orthogonal_regularizer"), regularizers.OrthogonalRegularizer
    )
    for name in ("STFT", "STFTInitializer", "stft", "OrthogonalInitializer"):
        assert hasattr(keras.initializers, name)


def test_orthogonal_initializer_matches_keras_with_a_seed():
    for shape in [(4, 3), (3, 5), (2, 2, 3, 4)]:
        theirs = keras.initializers.OrthogonalInitializer(gain=2.0, seed=5)(shape)
        ours = initializers.OrthogonalInitializer(gain=2.0, seed=5)(shape)
        np.testing.assert_allclose(
            ours.numpy(), keras.ops.convert_to_numpy(theirs), rtol=1e-5, atol=1e-6
        )


@pytest.mark.parametrize("mode", ["rows", "columns"])
@pytest.mark.parametrize("shape", [(4, 3), (3, 6), (5, 5)])
def test_orthogonal_regularizer_matches_keras(mode, shape):
    x = np.random.default_rng(sum(shape)).normal(size=shape).astype("float32")
    theirs = keras.regularizers.OrthogonalRegularizer(0.3, mode)(keras.ops.convert_to_tensor(x))
    ours = regularizers.OrthogonalRegularizer(0.3, mode)(torch.tensor(x))
    np.testing.assert_allclose(float(ours), float(theirs), rtol=1e-6)


def test_orthogonal_regularizer_in_a_dense_layer_as_kerass():
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    kdense = keras.layers.Dense(3, kernel_regularizer=keras.regularizers.OrthogonalRegularizer())
    kdense.build((None, 4))
    kdense.kernel.assign(x)
    pdense = layers.Dense(3, kernel_regularizer=regularizers.OrthogonalRegularizer())
    model = plait.Sequential([plait.Input((4,)), pdense])
    pdense.set_weights([x, np.zeros(3, "float32")])
    ours = sum(float(v) for v in model.regularization_losses())
    theirs = float(keras.regularizers.OrthogonalRegularizer()(kdense.kernel))
    assert ours == pytest.approx(theirs, rel=1e-6)
    config = regularizers.serialize(regularizers.OrthogonalRegularizer(0.5, "columns"))
    assert regularizers.deserialize(config).get_config() == {"factor": 0.5, "mode": "columns"}


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: initializers.STFT(side="both"), "side should be"),
        (lambda: initializers.STFT(scaling="l3"), "Scaling is invalid"),
        (lambda: initializers.STFT(window="nope"), "nope"),
        (lambda: initializers.STFT(window=[1.0, 2.0])((8, 1, 5)), "must be equal to"),
        (lambda: regularizers.OrthogonalRegularizer(mode="diag"), "Invalid value for argument"),
        (lambda: regularizers.OrthogonalRegularizer(-1.0), "factor"),
        (lambda: regularizers.OrthogonalRegularizer()(torch.ones(2, 2, 2)), "must have rank 2"),
    ],
)
def test_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()
