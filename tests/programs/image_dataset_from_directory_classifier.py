# A small image classifier trained from a folder of PNGs (one sub-folder per class), written
# here with save_img, read with image_dataset_from_directory as in the Keras guide.
import os

import numpy as np

from plait import Input, Sequential, layers, optimizers
from plait.utils import image_dataset_from_directory, img_to_array, load_img, save_img

import plait.utils

plait.utils.set_random_seed(0)  # the same weights every run

rng = np.random.default_rng(0)
for name, colour in (("red", [220, 30, 30]), ("blue", [30, 30, 220])):
    os.makedirs(os.path.join("photos", name), exist_ok=True)
    for i in range(12):
        image = np.clip(np.array(colour) + rng.normal(0, 20, size=(20, 24, 3)), 0, 255)
        save_img(os.path.join("photos", name, f"{i}.png"), image, scale=False)

train_ds = image_dataset_from_directory(
    "photos", validation_split=0.25, subset="training", seed=1337, image_size=(16, 16), batch_size=6
)
val_ds = image_dataset_from_directory(
    "photos",
    validation_split=0.25,
    subset="validation",
    seed=1337,
    image_size=(16, 16),
    batch_size=6,
)
assert train_ds.class_names == ["blue", "red"]
for images, labels in train_ds.take(1):
    assert tuple(images.shape) == (6, 16, 16, 3) and tuple(labels.shape) == (6,)

model = Sequential(
    [
        Input(shape=(16, 16, 3)),
        layers.Rescaling(1.0 / 255),
        layers.Conv2D(4, 3, activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(2, activation="softmax"),
    ]
)
model.compile(
    optimizer=optimizers.Adam(0.01),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
history = model.fit(train_ds.prefetch(2), validation_data=val_ds, epochs=30, verbose=0)
assert history.history["val_accuracy"][-1] == 1.0, history.history

array = img_to_array(load_img(os.path.join("photos", "red", "0.png"), target_size=(16, 16)))
assert array.shape == (16, 16, 3)
assert np.argmax(model.predict(array[None], verbose=0)) == train_ds.class_names.index("red")
