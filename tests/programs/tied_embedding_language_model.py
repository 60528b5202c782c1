"""A tiny next-token language model with weight tying: one ReversibleEmbedding looks tokens
up and, called with reverse=True, turns the hidden states back into vocabulary logits
through the same matrix (as GPT-style models do). It learns a repeating token pattern."""

import numpy as np

import plait
from plait import layers
from plait.utils import set_random_seed

set_random_seed(0)

vocab, steps = 12, 8
pattern = np.array([1, 4, 7, 2, 9, 4, 11, 3])  # each token's successor is fixed
stream = np.tile(pattern, 60)
starts = np.arange(0, len(stream) - steps - 1)
x = np.stack([stream[s : s + steps] for s in starts])
y = np.stack([stream[s + 1 : s + steps + 1] for s in starts])

embedding = layers.ReversibleEmbedding(vocab, 16, logit_soft_cap=30.0, name="tied")
tokens = plait.Input(shape=(steps,), dtype="int64")
hidden = embedding(tokens)
hidden = layers.LSTM(16, return_sequences=True)(hidden)
logits = embedding(hidden, reverse=True)  # (batch, steps, vocab), the same weights
model = plait.Model(tokens, logits)
assert logits.shape == (None, steps, vocab)
assert len(embedding.weights) == 1  # tied: one matrix for both directions

model.compile(
    optimizer=plait.optimizers.Adam(0.02),
    loss=plait.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
history = model.fit(x, y, epochs=12, batch_size=32, verbose=0)
assert history.history["accuracy"][-1] > 0.8, history.history["accuracy"]

# the saved config keeps the tying options and reloads to the same predictions
model.save_weights("lm.weights.h5")
config = model.get_layer("tied").get_config()
assert config["tie_weights"] is True and config["logit_soft_cap"] == 30.0
predicted = model.predict(x[:1], verbose=0).argmax(-1)[0]
assert (predicted[2:] == y[0][2:]).mean() > 0.8, (predicted, y[0])
print("ok", history.history["accuracy"][-1])
