"""Weights answer Keras's variable API; add_weight's call styles; training-mode rules."""

import numpy as np
import pytest
import torch

from plait import Input, Model, Sequential
from plait.layers import BatchNormalization, Dense, Dropout, Layer


class _Scale(Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False)
        self.add_weight("named", (2,), "zeros")  # Keras 2 / plait positional style

    def call(self, x):
        return x * self.w


def test_add_weight_styles_and_variable_api():
    layer = _Scale(name="scale")
    layer(Input(shape=(3,)))
    assert isinstance(layer.w, torch.nn.Parameter)
    assert sorted(dict(layer.named_parameters())) == ["named", "w"]
    assert list(dict(layer.named_buffers())) == ["count"]
    layer.w.assign([1.0, 2.0, 3.0])
    layer.w.assign_add(np.ones(3))
    layer.w.assign_sub(torch.ones(3))
    np.testing.assert_allclose(layer.w.numpy(), [1, 2, 3])
    assert layer.w.value is layer.w and layer.w.trainable and not layer.count.trainable
    assert layer.w.path == "scale/variable" and layer.w.shape == (3,)
    layer.count.assign_add(2)
    assert float(layer.count) == 2.0
    assert len(layer.weights) == 3


def test_add_weight_keras3_keyword_style_with_regularizer():
    class L(Layer):
        def build(self, input_shape):
            self.k = self.add_weight(
                shape=(input_shape[-1], 2),
                initializer="glorot_uniform",
                trainable=True,
                name="kernel",
                regularizer="l2",
            )

        def call(self, x):
            return x @ self.k

    layer = L()
    layer(torch.ones(1, 3))
    assert layer.k.name == "kernel" and len(layer.losses) == 1


def test_fresh_model_infers_and_fit_restores_the_users_mode():
    model = Sequential([Dense(4, input_shape=(3,)), BatchNormalization(), Dropout(0.5)])
    x = torch.randn(8, 3)
    assert not model.training
    assert torch.equal(model(x), model(x))
    assert not torch.equal(model(x, training=True), model(x, training=True))
    model.compile("sgd", "mse")
    model.fit(np.random.rand(8, 3), np.random.rand(8, 4), verbose=0)
    assert not any(m.training for m in model.modules())
    model.train()
    model.fit(np.random.rand(8, 3), np.random.rand(8, 4), verbose=0)
    model.predict(np.random.rand(2, 3), verbose=0)
    assert all(m.training for m in model.modules())


def test_plait_model_in_a_torch_module_takes_its_mode():
    wrapper = torch.nn.Module()
    wrapper.body = Sequential([Dense(2, input_shape=(3,)), Dropout(0.5)])
    assert all(m.training for m in wrapper.body.modules())
    wrapper.eval()
    assert not wrapper.body.layers[1].training


def test_shape_inference_of_layer_making_tensors_and_sublayers():
    class Block(Layer):
        def __init__(self):
            super().__init__()
            self.inner = Dense(4)

        def call(self, x):
            return self.inner(x) + torch.ones(4)

    x = Input(shape=(5,))
    assert Block()(x).shape == (None, 4)


def test_subclassed_model_call_without_training_argument():
    class M(Model):
        def __init__(self):
            super().__init__()
            self.d = Dense(1)

        def call(self, inputs):
            return self.d(inputs)

    model = M()
    model.compile("sgd", "mse")
    model.fit(np.random.rand(4, 2), np.random.rand(4, 1), verbose=0)
    assert model(torch.ones(1, 2), training=True).shape == (1, 1)
    with pytest.raises(ValueError, match="compile"):
        M().compute_loss(None, None, torch.ones(1))
