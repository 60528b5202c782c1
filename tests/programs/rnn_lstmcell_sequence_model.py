# A sequence classifier built from Keras's generic RNN layer around an LSTMCell (and a
# stacked pair of cells), trained with fit, as the Keras RNN guide writes it.
import numpy as np
import torch

import plait
from plait import layers
from plait.utils import set_random_seed

set_random_seed(0)

rng = np.random.default_rng(0)
x = rng.normal(size=(256, 12, 3)).astype("float32")
y = (x[:, :, 0].sum(axis=1) > 0).astype("float32")

inputs = plait.Input(shape=(12, 3))
sequence = layers.RNN(layers.LSTMCell(16), return_sequences=True)(inputs)
last = layers.RNN([layers.GRUCell(8), layers.SimpleRNNCell(8)])(sequence)
outputs = layers.Dense(1, activation="sigmoid")(last)
model = plait.Model(inputs, outputs)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, batch_size=32, epochs=8, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0]
_, accuracy = model.evaluate(x, y, verbose=0)
assert accuracy > 0.75, accuracy

lstm = model.layers[1]
kernel, recurrent_kernel, bias = lstm.get_weights()
assert kernel.shape == (3, 64) and recurrent_kernel.shape == (16, 64) and bias.shape == (64,)
output, h, c = layers.RNN(layers.LSTMCell(4), return_state=True)(torch.as_tensor(x[:2]))
assert tuple(output.shape) == (2, 4) and tuple(c.shape) == (2, 4)
