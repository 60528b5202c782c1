import numpy as np
import torch
from plait.models import Sequential
from plait.layers import Layer, Dense


class ActivityPenalty(Layer):
    def __init__(self, rate=1e-2, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * torch.sum(torch.square(inputs)))
        return inputs


model = Sequential([Dense(8), ActivityPenalty(), Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.rand(16, 3), np.random.rand(16, 1), epochs=1, verbose=0)
model(torch.ones(2, 3))
assert len(model.losses) == 1
