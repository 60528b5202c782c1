# A PyDataset (Keras 3's Sequence) that makes batches on the fly, fed to fit/evaluate/predict.
import math

import numpy as np

from plait import Input, Sequential, layers, utils

import plait.utils

plait.utils.set_random_seed(0)  # the same weights every run


class NoisyLine(utils.PyDataset):
    def __init__(self, n, batch_size, **kwargs):
        super().__init__(**kwargs)
        rng = np.random.default_rng(0)
        self.x = rng.uniform(-1, 1, size=(n, 1)).astype("float32")
        self.y = 3 * self.x + 0.5
        self.batch_size = batch_size
        self.epochs_done = 0

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, idx):
        low = idx * self.batch_size
        high = min(low + self.batch_size, len(self.x))
        return self.x[low:high], self.y[low:high]

    def on_epoch_end(self):
        self.epochs_done += 1


train = NoisyLine(256, 32, workers=2, max_queue_size=4)
model = Sequential([Input(shape=(1,)), layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
history = model.fit(train, epochs=40, verbose=0)
assert train.epochs_done == 40
assert history.history["loss"][-1] < 0.05, history.history["loss"][-1]
assert model.evaluate(NoisyLine(64, 16), verbose=0) < 0.05
predictions = model.predict(NoisyLine(10, 4), verbose=0)
assert predictions.shape == (10, 1)
