"""An augmentation pipeline of Keras 3's newer image layers -- Equalization, RandomPerspective
and RandomErasing -- in front of a small CNN: augmenting in fit, the identity in predict,
and usable on its own in a data pipeline (called directly, it augments)."""

import numpy as np

import plait
from plait import layers
from plait.utils import set_random_seed

set_random_seed(0)

rng = np.random.default_rng(2)
n = 64
x = rng.uniform(0, 60, size=(n, 16, 16, 3)).astype("float32")
y = rng.integers(0, 2, size=(n,))
x[y == 1, 3:13, 3:13, :] += 150.0  # class 1: a bright patch

augment = layers.Pipeline(
    [
        layers.RandomPerspective(factor=0.5, scale=0.2, seed=1),
        layers.RandomErasing(factor=0.5, scale=(0.02, 0.1), fill_value=0.0, seed=2),
    ],
    name="augment",
)

# called directly (a data pipeline), the layers augment, as in Keras 3
augmented = augment(x[:8])
assert augmented.shape == (8, 16, 16, 3) and not np.allclose(augmented.numpy(), x[:8])
equalized = layers.Equalization()(x[:8]).numpy()
assert equalized.min() == 0 and equalized.max() == 255  # spread over the whole range

model = plait.Sequential(
    [
        plait.Input(shape=(16, 16, 3)),
        layers.Rescaling(1 / 255),
        augment,
        layers.Conv2D(8, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(8, 3, activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(2, activation="softmax"),
    ]
)
model.compile(
    optimizer=plait.optimizers.Adam(0.01),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
assert history.history["accuracy"][-1] > 0.85, history.history["accuracy"]

# predict runs the pipeline in inference mode: the identity, so predictions repeat
first, second = model.predict(x, verbose=0), model.predict(x, verbose=0)
np.testing.assert_allclose(first, second)
_, accuracy = model.evaluate(x, y, verbose=0)
assert accuracy > 0.9, accuracy
print("ok", accuracy)
