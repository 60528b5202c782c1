# Gradient accumulation (an update every 4 batches, with their mean gradient) and a
# learning-rate schedule, through compile/fit.
import numpy as np

from plait import Sequential, layers, optimizers
from plait.optimizers import schedules
from plait.utils import set_random_seed

set_random_seed(0)

rng = np.random.default_rng(1)
x = rng.normal(size=(128, 5)).astype("float32")
y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")

schedule = schedules.ExponentialDecay(0.1, decay_steps=32, decay_rate=0.7)
optimizer = optimizers.RMSprop(learning_rate=schedule, gradient_accumulation_steps=4)
model = Sequential([layers.Input(shape=(5,)), layers.Dense(1, activation="sigmoid")])
model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, batch_size=8, epochs=8, verbose=0)

assert int(optimizer.iterations) == 8 * 16 // 4  # updates, not batches
assert history.history["accuracy"][-1] > 0.8, history.history
assert optimizer.get_config()["gradient_accumulation_steps"] == 4
