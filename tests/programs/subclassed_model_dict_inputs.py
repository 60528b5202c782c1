import numpy as np
from plait import Model
from plait.layers import Dense, concatenate


class TwoTower(Model):
    def __init__(self):
        super().__init__()
        self.user = Dense(4, activation="relu")
        self.item = Dense(4, activation="relu")
        self.head = Dense(1)

    def call(self, inputs):
        return self.head(concatenate([self.user(inputs["user"]), self.item(inputs["item"])]))


model = TwoTower()
model.compile("adam", "mse")
data = {"user": np.random.rand(32, 3), "item": np.random.rand(32, 5)}
model.fit(data, np.random.rand(32, 1), epochs=1, verbose=0)
assert model.predict(data, verbose=0).shape == (32, 1)
