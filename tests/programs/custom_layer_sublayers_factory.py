import numpy as np
import torch
from plait import Input, Model
from plait.layers import Layer, Dense


class Block(Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.inner = Dense(units, activation="relu")
        self.proj = Dense(units)

    def call(self, inputs):
        noise = torch.zeros(inputs.shape[0], 1)  # a factory function inside call
        return self.proj(self.inner(inputs)) + noise


x = Input(shape=(6,))
y = Dense(1)(Block(4)(x))
model = Model(x, y)
assert model.output.shape == (None, 1)
model.compile("adam", "mse")
model.fit(np.random.rand(10, 6), np.random.rand(10, 1), epochs=1, verbose=0)
assert model.count_params() == (6 * 4 + 4) + (4 * 4 + 4) + 5
