# Train with the TensorBoard callback (per-epoch and per-batch scalars, weight histograms,
# the graph), then read the event files back with tensorboard's own EventAccumulator.
import os

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import plait
from plait import callbacks, layers
from plait.utils import set_random_seed

set_random_seed(0)

rng = np.random.default_rng(3)
x = rng.normal(size=(128, 4)).astype("float32")
y = x @ np.array([[1.0], [-2.0], [0.5], [0.0]], dtype="float32")

model = plait.Sequential(
    [
        plait.Input((4,)),
        layers.Dense(8, activation="relu", name="hidden"),
        layers.Dense(1, name="out"),
    ]
)
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
board = callbacks.TensorBoard(log_dir="logs", histogram_freq=1, update_freq=2)
model.fit(x, y, batch_size=32, epochs=3, validation_split=0.25, verbose=0, callbacks=[board])

assert sorted(os.listdir("logs")) == ["train", "validation"]
train = EventAccumulator("logs/train", size_guidance={"scalars": 0, "histograms": 0})
train.Reload()
tags = train.Tags()
assert {"epoch_loss", "epoch_mae", "epoch_learning_rate", "batch_loss"} <= set(tags["scalars"])
assert [event.step for event in train.Scalars("epoch_loss")] == [0, 1, 2]
assert [event.step for event in train.Scalars("batch_loss")] == [2, 4, 6, 8]
assert "hidden/kernel/histogram" in tags["histograms"]
assert tags["graph"]
validation = EventAccumulator("logs/validation")
validation.Reload()
assert "epoch_loss" in validation.Tags()["scalars"]
print("logged", sorted(tags["scalars"]))
