import numpy as np
from plait.models import Sequential
from plait.layers import Dense

model = Sequential([Dense(8, activation="relu"), Dense(1)])
model.summary()  # unbuilt: '?' shapes, '0 (unbuilt)' params
model.compile("adam", "mse")
x, y = np.random.rand(64, 4), np.random.rand(64, 1)
history = model.fit(x, y, epochs=2, verbose=0)
assert len(history.history["loss"]) == 2
assert model.count_params() == 4 * 8 + 8 + 8 + 1
model.summary()
