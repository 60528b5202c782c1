import numpy as np
from plait.models import Sequential
from plait.layers import Dense

model = Sequential([Dense(8, activation="relu"), Dense(1)])
model.compile(optimizer="adam", loss="mse")
before = model.predict(np.zeros((2, 3)), verbose=0)
assert before.shape == (2, 1)
model.fit(np.random.rand(32, 3), np.random.rand(32, 1), epochs=1, verbose=0)
