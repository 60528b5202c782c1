# F1Score and FBetaScore as compile metrics of a 3-class classifier: one score per class
# (average=None) and the macro average in the history, and the metric used on its own.
import numpy as np

import plait
from plait import layers, metrics

plait.utils.set_random_seed(2)
rng = np.random.default_rng(2)
labels = rng.integers(0, 3, size=480)
x = np.eye(3)[labels] @ rng.normal(size=(3, 8)) + 0.4 * rng.normal(size=(480, 8))
x = x.astype("float32")
y = np.eye(3, dtype="float32")[labels]

model = plait.Sequential(
    [plait.Input((8,)), layers.Dense(16, activation="relu"), layers.Dense(3, activation="softmax")]
)
model.compile(
    optimizer="adam",
    loss="categorical_crossentropy",
    metrics=[
        metrics.F1Score(average="macro"),
        metrics.FBetaScore(beta=2.0, average="weighted", name="f2"),
    ],
)
history = model.fit(x, y, batch_size=32, epochs=10, validation_split=0.25, verbose=0)
assert {"f1_score", "f2", "val_f1_score", "val_f2"} <= set(history.history)
assert history.history["val_f1_score"][-1] > 0.8, history.history["val_f1_score"]

per_class = metrics.F1Score()
per_class.update_state(y, model.predict(x, verbose=0))
scores = per_class.result()
assert tuple(scores.shape) == (3,) and float(scores.min()) > 0.7

try:
    metrics.F1Score(average="median")
except ValueError as error:
    assert "average" in str(error)
else:
    raise AssertionError("F1Score(average='median') should raise")
