"""Structured-data preprocessing: StringLookup and IntegerLookup (adapted) map categorical
columns to indices, CategoryEncoding one-hot encodes them, and a small classifier trains on
a dict of columns."""

import numpy as np

import plait
from plait import layers

rng = np.random.default_rng(1)
n = 200
animal = rng.choice(["cat", "dog", "bird"], size=(n, 1))
legs = rng.choice([2, 4, 6], size=(n, 1))
label = ((animal[:, 0] == "bird") | (legs[:, 0] == 6)).astype("float32")

animal_lookup = layers.StringLookup()
animal_lookup.adapt(animal)
legs_lookup = layers.IntegerLookup()
legs_lookup.adapt(legs)
assert sorted(animal_lookup.get_vocabulary()[1:]) == ["bird", "cat", "dog"]
assert legs_lookup.get_vocabulary()[0] == -1

animal_in = plait.Input(shape=(1,), dtype="string", name="animal")
legs_in = plait.Input(shape=(1,), dtype="int64", name="legs")
animal_encoded = layers.CategoryEncoding(
    num_tokens=animal_lookup.vocabulary_size(), output_mode="one_hot"
)(animal_lookup(animal_in))
legs_encoded = layers.CategoryEncoding(
    num_tokens=legs_lookup.vocabulary_size(), output_mode="one_hot"
)(legs_lookup(legs_in))
x = layers.concatenate([animal_encoded, legs_encoded])
x = layers.Dense(8, activation="relu")(x)
output = layers.Dense(1, activation="sigmoid")(x)
model = plait.Model({"animal": animal_in, "legs": legs_in}, output)
model.compile(
    optimizer=plait.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"]
)
history = model.fit({"animal": animal, "legs": legs}, label, epochs=20, batch_size=32, verbose=0)
assert history.history["accuracy"][-1] == 1.0, history.history["accuracy"]

unseen = {"animal": np.array([["bird"], ["cow"]]), "legs": np.array([[4], [6]])}
predictions = model.predict(unseen, verbose=0)  # "cow" is out of vocabulary: index 0
assert predictions.shape == (2, 1) and (predictions > 0.5).all(), predictions
print("ok", history.history["accuracy"][-1])
