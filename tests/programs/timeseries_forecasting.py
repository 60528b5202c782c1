# Forecast the next value of a sine wave from windows made by timeseries_dataset_from_array.
import numpy as np

from plait import Input, Sequential, layers, optimizers
from plait.utils import timeseries_dataset_from_array
from plait.utils import set_random_seed

set_random_seed(0)

steps = np.arange(600, dtype="float32")
series = np.sin(steps / 10.0)[:, None]
window = 12
# inputs: series[i:i+window]; target: series[i+window]
train = timeseries_dataset_from_array(
    series[:-window],
    series[window:, 0],
    sequence_length=window,
    batch_size=32,
    shuffle=True,
    seed=0,
    end_index=450,
)
test = timeseries_dataset_from_array(
    series[:-window], series[window:, 0], sequence_length=window, batch_size=64, start_index=450
)
for inputs, targets in train.take(1):
    assert tuple(inputs.shape) == (32, window, 1) and tuple(targets.shape) == (32,)

model = Sequential([Input(shape=(window, 1)), layers.Flatten(), layers.Dense(1)])
model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="mse")
model.fit(train, epochs=20, verbose=0)
loss = model.evaluate(test, verbose=0)
assert loss < 0.01, loss
