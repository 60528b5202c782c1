"""A user's subclass of a built-in layer that overrides `call` (Keras's idiom, reaching the
built-in computation through `super().call(x)`) computes what the same subclass of Keras's
layer computes, called alone, in a functional model and in a Sequential's predict."""

import numpy as np
import pytest
import torch

import plait
from tests.keras_oracle.conftest import keras

RNG = np.random.default_rng(11)


def _np(t):
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


def _halved_conv(ns):
    class HalvedConv(ns.layers.Conv2D):
        def call(self, inputs):
            return super().call(inputs) * 0.5

    return HalvedConv(4, 3, activation="relu")


def _shifted_dense(ns):
    class ShiftedDense(ns.layers.Dense):
        def call(self, inputs, training=None):
            out = super().call(inputs)
            return out + 1.0 if not training else out

    return ShiftedDense(5)


def _pooled_twice(ns):
    class PooledTwice(ns.layers.MaxPooling2D):
        def call(self, inputs):
            return super().call(super().call(inputs))

    return PooledTwice()


CASES = [
    ("conv", _halved_conv, (2, 9, 9, 3)),
    ("dense", _shifted_dense, (3, 6)),
    ("pool", _pooled_twice, (2, 8, 8, 3)),
]


@pytest.mark.parametrize("name,make,shape", CASES, ids=[c[0] for c in CASES])
def test_call_override_of_a_builtin_runs_like_keras(name, make, shape):
    x = RNG.normal(size=shape).astype("float32")
    k_layer, p_layer = make(keras), make(plait)
    expected = _np(k_layer(torch.tensor(x)))
    p_layer(torch.tensor(x))
    p_layer.set_weights([_np(w) for w in k_layer.get_weights()])
    np.testing.assert_allclose(_np(p_layer(torch.tensor(x))), expected, rtol=1e-5, atol=1e-6)

    inputs = plait.Input(shape[1:])
    model = plait.Model(inputs, p_layer(inputs))
    np.testing.assert_allclose(_np(model(torch.tensor(x))), expected, rtol=1e-5, atol=1e-6)
    predicted = plait.Sequential([plait.Input(shape[1:]), p_layer]).predict(x, verbose=0)
    np.testing.assert_allclose(predicted, expected, rtol=1e-5, atol=1e-6)


def test_forward_of_a_torch_style_subclass_still_wins():
    class Doubled(plait.layers.Dense):
        def forward(self, inputs):
            return 2.0 * super().forward(inputs)

    layer = Doubled(2, kernel_initializer="ones", use_bias=False)
    assert layer(torch.ones(1, 3)).tolist() == [[6.0, 6.0]]
    assert layer.call(torch.ones(1, 3)).tolist() == [[3.0, 3.0]]  # the built-in's own call
