import numpy as np
from plait.models import Sequential
from plait.layers import Embedding, Flatten, Dense

model = Sequential()
model.add(Embedding(100, 8, input_length=10))
model.add(Flatten())
model.add(Dense(1, activation="sigmoid"))
model.compile("adam", "binary_crossentropy", metrics=["acc"])
assert model.output_shape == (None, 1)
model.fit(np.random.randint(0, 100, (20, 10)), np.random.randint(0, 2, (20,)), epochs=1, verbose=0)
