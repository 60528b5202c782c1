# A Keras 3 custom training loop (the PyTorch-backend guide's shape): gradients from
# backward(), the update from optimizer.apply_gradients.
import numpy as np
import torch

from plait import Input, Model, layers, losses, optimizers
from plait.utils import set_random_seed

set_random_seed(0)

rng = np.random.default_rng(0)
x = torch.tensor(rng.normal(size=(64, 3)).astype("float32"))
y = x @ torch.tensor([[2.0], [-1.0], [0.5]]) + 0.3

inputs = Input(shape=(3,))
outputs = layers.Dense(1)(layers.Dense(8, activation="relu")(inputs))
model = Model(inputs, outputs)
loss_fn = losses.MeanSquaredError()
optimizer = optimizers.SGD(learning_rate=0.05, momentum=0.9, global_clipnorm=5.0)

first = None
for epoch in range(30):
    for start in range(0, 64, 16):
        model.zero_grad()
        loss = loss_fn(y[start : start + 16], model(x[start : start + 16], training=True))
        loss.backward()
        grads = [v.grad for v in model.trainable_weights]
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        first = float(loss.detach()) if first is None else first
assert int(optimizer.iterations) == 120
assert float(loss.detach()) < first / 10, first
