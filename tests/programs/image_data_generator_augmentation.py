# Keras 2 augmentation: ImageDataGenerator.flow with rescale, flips and shifts, fed to fit.
import numpy as np

from plait.layers import Conv2D, Dense, Flatten, MaxPooling2D
from plait.models import Sequential
from plait.preprocessing.image import ImageDataGenerator
from plait.utils import set_random_seed, to_categorical

set_random_seed(0)

rng = np.random.default_rng(0)
x = rng.uniform(0, 60, size=(64, 12, 12, 1)).astype("float32")
labels = np.arange(64) % 2
x[labels == 1, 3:9, 3:9] += 180  # class 1 has a bright square in the middle
y = to_categorical(labels)

datagen = ImageDataGenerator(
    rescale=1.0 / 255,
    horizontal_flip=True,
    vertical_flip=True,
    width_shift_range=0.1,
    height_shift_range=0.1,
)
batch_x, batch_y = next(datagen.flow(x, y, batch_size=8, seed=1))
assert batch_x.shape == (8, 12, 12, 1) and batch_x.max() <= 1.0

model = Sequential(
    [
        Conv2D(8, 3, activation="relu", input_shape=(12, 12, 1)),
        MaxPooling2D(),
        Flatten(),
        Dense(2, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(datagen.flow(x, y, batch_size=16, seed=0), epochs=30, verbose=0)
_, accuracy = model.evaluate(x / 255.0, y, verbose=0)
assert accuracy > 0.8, accuracy
