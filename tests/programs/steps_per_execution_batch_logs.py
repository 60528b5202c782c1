"""A Keras program that trains with steps_per_execution and logs per execution."""

import numpy as np

import plait as keras
from plait import layers
from plait.utils import set_random_seed

set_random_seed(0)


class BatchLog(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.begins, self.ends = [], []

    def on_train_batch_begin(self, batch, logs=None):
        self.begins.append(batch)

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append(batch)
        assert logs["loss"] >= 0.0


rng = np.random.default_rng(0)
x = rng.normal(size=(200, 8)).astype("float32")
y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")

model = keras.Sequential(
    [
        keras.Input(shape=(8,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ]
)
model.compile(
    optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"], steps_per_execution=4
)
log = BatchLog()
history = model.fit(x, y, batch_size=20, epochs=3, callbacks=[log], verbose=0)

# 10 batches an epoch: executions of 4, 4 and 2 batches, all of them trained.
assert log.begins == [0, 4, 8] * 3, log.begins
assert log.ends == [3, 7, 11] * 3, log.ends
assert int(model.optimizer.iterations) == 30
assert history.history["loss"][-1] < history.history["loss"][0]
loss, accuracy = model.evaluate(x, y, batch_size=20, verbose=0)
assert model.predict(x, batch_size=20, verbose=0).shape == (200, 1)
print("loss", loss, "accuracy", accuracy)
