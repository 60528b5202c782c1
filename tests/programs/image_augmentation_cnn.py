"""Image augmentation in front of a small CNN: a Sequential of RandomFlip, RandomRotation and
RandomZoom (active only in training), then Conv2D layers; fit, then predict (no
augmentation)."""

import numpy as np

import plait
from plait import layers

plait.utils.set_random_seed(0)

rng = np.random.default_rng(0)
n = 64
x = rng.uniform(0, 0.2, size=(n, 16, 16, 1)).astype("float32")
y = rng.integers(0, 2, size=(n,))
x[y == 1, 4:12, 4:12, 0] += 0.8  # class 1: a bright square in the middle

data_augmentation = plait.Sequential(
    [
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1),
        layers.RandomZoom(0.1),
    ],
    name="data_augmentation",
)

model = plait.Sequential(
    [
        plait.Input(shape=(16, 16, 1)),
        data_augmentation,
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
assert history.history["accuracy"][-1] > 0.9, history.history["accuracy"]

# at inference the augmentation is the identity
augmented = data_augmentation(x[:4], training=False)
np.testing.assert_allclose(augmented.numpy(), x[:4])
trained = data_augmentation(x[:4], training=True)
assert trained.shape == (4, 16, 16, 1) and not np.allclose(trained.numpy(), x[:4])
_, accuracy = model.evaluate(x, y, verbose=0)
assert accuracy > 0.9, accuracy
print("ok", accuracy)
