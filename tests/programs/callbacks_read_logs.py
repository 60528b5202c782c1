import numpy as np
from plait.models import Sequential
from plait.layers import Dense
from plait.callbacks import Callback, LambdaCallback


class Recorder(Callback):
    def on_train_begin(self, logs=None):
        assert isinstance(logs, dict)
        assert self.model.history is not None
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(logs.get("loss"))

    def on_epoch_end(self, epoch, logs=None):
        assert "val_loss" in logs and "mae" in logs

    def on_test_begin(self, logs=None):
        assert logs == {}


rec = Recorder()
seen = []
model = Sequential([Dense(1, input_shape=(2,))])
model.compile("sgd", "mse", metrics=["mae"])
model.fit(
    np.random.rand(20, 2),
    np.random.rand(20, 1),
    batch_size=5,
    epochs=2,
    validation_split=0.2,
    verbose=0,
    callbacks=[rec, LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(logs))],
)
assert len(rec.losses) == 8 and all(isinstance(v, float) for v in rec.losses)
assert seen == [{}, {}]
