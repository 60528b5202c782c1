"""Transfer learning as the Keras guide writes it: a MobileNetV2 base (frozen) under a new
classifier, trained, saved as .keras mid-training and resumed from the file with the
optimizer's state."""

import numpy as np

from plait import layers
from plait.applications import MobileNetV2
from plait.applications.mobilenet_v2 import preprocess_input
from plait.models import Model, load_model

rng = np.random.default_rng(0)
images = rng.uniform(0, 255, size=(32, 32, 32, 3)).astype("float32")
labels = rng.integers(0, 3, size=(32,))

base = MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3))
base.trainable = False
inputs = layers.Input(shape=(32, 32, 3))
x = base(inputs, training=False)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dropout(0.2)(x)
outputs = layers.Dense(3, activation="softmax")(x)
model = Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
assert len(model.trainable_weights) == 2

x_train = preprocess_input(images)
model.fit(x_train, labels, epochs=1, batch_size=8, verbose=0)
model.save("classifier.keras")

resumed = load_model("classifier.keras")
assert int(resumed.optimizer.iterations) == 4
history = resumed.fit(x_train, labels, epochs=1, batch_size=8, verbose=0)
assert int(resumed.optimizer.iterations) == 8
assert np.isfinite(history.history["loss"][0])
np.testing.assert_allclose(
    resumed.get_layer(base.name).get_weights()[0], base.get_weights()[0], rtol=0, atol=0
)
print("ok")
