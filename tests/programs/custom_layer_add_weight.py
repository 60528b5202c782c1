import numpy as np
import torch
from plait import Input, Model
from plait.layers import Layer, Dense


class Linear(Layer):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True
        )
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return torch.matmul(inputs, self.w) + self.b


inputs = Input(shape=(3,))
outputs = Dense(1)(Linear(5)(inputs))
model = Model(inputs, outputs)
model.compile("adam", "mse")
model.fit(np.random.rand(8, 3), np.random.rand(8, 1), epochs=1, verbose=0)
layer = model.layers[1]
assert layer.w.shape == (3, 5) and layer.w.numpy().shape == (3, 5)
layer.b.assign(np.ones(5))
assert np.allclose(layer.b.numpy(), 1.0)
assert len(layer.trainable_weights) == 2
