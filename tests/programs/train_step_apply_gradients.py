import numpy as np
import torch
from plait import Model
from plait.layers import Dense


class GAN_like(Model):
    def __init__(self):
        super().__init__()
        self.net = Dense(1)

    def call(self, x):
        return self.net(x)

    def train_step(self, data):
        x, y = data
        pred = self(x, training=True)
        loss = torch.mean((pred - y) ** 2)
        grads = torch.autograd.grad(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return {"my_loss": loss.detach()}

    def test_step(self, data):
        x, y = data
        return {"my_loss": torch.mean((self(x) - y) ** 2)}


model = GAN_like()
model.compile(optimizer="sgd")  # no loss: the step computes it
x, y = np.random.rand(32, 3), np.random.rand(32, 1)
history = model.fit(x, y, epochs=3, verbose=0)
assert list(history.history) == ["my_loss"]
assert model.evaluate(x, y, verbose=0, return_dict=True).keys() == {"my_loss"}
