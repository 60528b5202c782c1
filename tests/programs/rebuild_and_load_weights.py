import numpy as np
from plait.models import Sequential
from plait.layers import Dense


def make():
    model = Sequential([Dense(8, activation="relu", input_shape=(4,)), Dense(1)])
    model.compile("adam", "mse")
    return model


first = make()
first.fit(np.random.rand(16, 4), np.random.rand(16, 1), epochs=1, verbose=0)
first.save_weights("model.safetensors")
second = make()  # new layers: dense_3, dense_4, same keys
second.load_weights("model.safetensors")
x = np.random.rand(5, 4)
np.testing.assert_allclose(first.predict(x, verbose=0), second.predict(x, verbose=0))
