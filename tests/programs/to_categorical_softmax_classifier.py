# One-hot labels with to_categorical and a softmax classifier trained on categorical_crossentropy.
import numpy as np

from plait import Input, Model, layers
from plait.utils import normalize, to_categorical
from plait.utils import set_random_seed

set_random_seed(0)

rng = np.random.default_rng(0)
centers = np.array([[2, 0], [-2, 0], [0, 2]], dtype="float32")
labels = rng.integers(0, 3, size=300)
x = (centers[labels] + rng.normal(scale=0.5, size=(300, 2))).astype("float32")
y = to_categorical(labels, num_classes=3)
assert y.shape == (300, 3) and y.sum() == 300
assert to_categorical(np.array([[2], [0]])).tolist() == [[0, 0, 1], [1, 0, 0]]
x = normalize(x, axis=0) * 10

inputs = Input(shape=(2,))
hidden = layers.Dense(16, activation="relu")(inputs)
outputs = layers.Dense(3, activation="softmax")(hidden)
model = Model(inputs, outputs)
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=30, batch_size=32, verbose=0)
_, accuracy = model.evaluate(x, y, verbose=0)
assert accuracy > 0.9, accuracy
predicted = np.argmax(model.predict(x[:5], verbose=0), axis=1)
assert predicted.shape == (5,)
try:
    to_categorical([0, 3], num_classes=3)
except ValueError as error:
    assert "num_classes=3" in str(error)
else:
    raise AssertionError("to_categorical accepted a label >= num_classes")
