# Training with an exponential moving average of the weights (use_ema=True): after fit, the
# model holds the averaged weights, as Keras's fit leaves them.
import numpy as np

from plait import Sequential, layers, optimizers

rng = np.random.default_rng(0)
x = rng.normal(size=(128, 4)).astype("float32")
y = x @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype="float32")

model = Sequential([layers.Input(shape=(4,)), layers.Dense(8, activation="tanh"), layers.Dense(1)])
optimizer = optimizers.Adam(learning_rate=0.05, use_ema=True, ema_momentum=0.9)
model.compile(optimizer=optimizer, loss="mse")
before = model.evaluate(x, y, verbose=0)
model.fit(x, y, batch_size=16, epochs=5, verbose=0)

assert optimizer.use_ema and int(optimizer.iterations) == 40
# Keras's variable order: iterations, learning rate, then one average per weight.
averages = [v.numpy() for v in optimizer.variables[2 : 2 + len(model.trainable_weights)]]
for weight, average in zip(model.trainable_weights, averages):
    np.testing.assert_array_equal(weight.detach().numpy(), average)
assert model.evaluate(x, y, verbose=0) < before / 2
