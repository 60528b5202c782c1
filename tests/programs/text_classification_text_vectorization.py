"""Text classification on raw strings: TextVectorization (adapted) -> Embedding ->
GlobalAveragePooling1D -> Dense, trained with fit on a NumPy array of strings."""

import numpy as np

import plait
from plait import layers

positive = [
    "a great movie",
    "loved it",
    "wonderful acting and a great plot",
    "great fun",
    "i loved this film",
    "wonderful",
    "truly great",
    "what a fun film",
]
negative = [
    "a terrible movie",
    "hated it",
    "awful acting and a boring plot",
    "boring",
    "i hated this film",
    "awful",
    "truly terrible",
    "what a boring film",
]
texts = np.array(positive + negative)
labels = np.array([1] * len(positive) + [0] * len(negative))

vectorize = layers.TextVectorization(max_tokens=100, output_mode="int", output_sequence_length=8)
vectorize.adapt(texts)
vocab = vectorize.get_vocabulary()
assert vocab[:2] == ["", "[UNK]"] and "great" in vocab

inputs = plait.Input(shape=(1,), dtype="string")
x = vectorize(inputs)
x = layers.Embedding(100, 16)(x)
x = layers.GlobalAveragePooling1D()(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = plait.Model(inputs, outputs)
model.compile(
    optimizer=plait.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"]
)
history = model.fit(texts, labels, epochs=30, batch_size=4, verbose=0)
assert history.history["accuracy"][-1] == 1.0, history.history["accuracy"][-1]

probabilities = model.predict(np.array(["a great film", "a terrible film"]), verbose=0)
assert probabilities[0, 0] > 0.5 > probabilities[1, 0], probabilities
model.save("text_model.plait")
reloaded = plait.models.load_model("text_model.plait")
np.testing.assert_allclose(
    reloaded.predict(texts, verbose=0), model.predict(texts, verbose=0), rtol=1e-6
)
print("ok", history.history["loss"][-1])
