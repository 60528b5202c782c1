# A functional-API binary classifier, trained and evaluated the way the Keras guides do it.
import numpy as np

from plait import layers, Input, Model
from plait.utils import set_random_seed

set_random_seed(1)

rng = np.random.default_rng(0)
x = rng.normal(size=(256, 8)).astype("float32")
y = (x[:, 0] + x[:, 1] > 0).astype("float32")

inputs = Input(shape=(8,))
hidden = layers.Dense(16, activation="relu")(inputs)
hidden = layers.Dropout(0.1)(hidden)
outputs = layers.Dense(1, activation="sigmoid")(hidden)
model = Model(inputs=inputs, outputs=outputs)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, batch_size=32, epochs=40, validation_split=0.2, verbose=0)
assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
loss, accuracy = model.evaluate(x, y, verbose=0)
assert accuracy > 0.75, accuracy
assert model.predict(x[:4], verbose=0).shape == (4, 1)
