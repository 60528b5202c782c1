# An imbalanced binary classifier trained with BinaryFocalCrossentropy (the loss Keras
# recommends for rare positives), then a multi-class one with CategoricalFocalCrossentropy.
import numpy as np

import plait
from plait import layers, losses
from plait.utils import set_random_seed

set_random_seed(0)

rng = np.random.default_rng(1)
x = rng.normal(size=(600, 6)).astype("float32")
y = (x[:, 0] + 0.5 * x[:, 1] > 1.3).astype("float32")[:, None]  # about 10% positives
assert 0.03 < y.mean() < 0.2

model = plait.Sequential([plait.Input((6,)), layers.Dense(16, activation="relu"), layers.Dense(1)])
model.compile(
    optimizer=plait.optimizers.Adam(0.01),
    loss=losses.BinaryFocalCrossentropy(
        apply_class_balancing=True, alpha=0.75, gamma=2.0, from_logits=True
    ),
    metrics=[plait.metrics.Recall(thresholds=0.0)],
)
history = model.fit(x, y, batch_size=64, epochs=15, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0]
assert history.history["recall"][-1] > 0.6, history.history["recall"]

labels = rng.integers(0, 3, size=300)
x3 = (np.eye(3)[labels] + 0.3 * rng.normal(size=(300, 3))).astype("float32")
classifier = plait.Sequential([plait.Input((3,)), layers.Dense(3, activation="softmax")])
classifier.compile(
    plait.optimizers.Adam(0.05), loss="categorical_focal_crossentropy", metrics=["accuracy"]
)
classifier.fit(x3, np.eye(3, dtype="float32")[labels], epochs=20, verbose=0)
assert classifier.evaluate(x3, np.eye(3, dtype="float32")[labels], verbose=0)[1] > 0.8
print(losses.binary_focal_crossentropy([[0, 1]], [[0.4, 0.6]]))
