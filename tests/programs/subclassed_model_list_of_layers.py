import numpy as np
from plait import Model
from plait.layers import Dense


class Deep(Model):
    def __init__(self, widths):
        super().__init__()
        self.blocks = [Dense(w, activation="relu") for w in widths]
        self.out = Dense(1)

    def call(self, x):
        for block in self.blocks:
            x = block(x)
        return self.out(x)


model = Deep([8, 8, 4])
model.compile("sgd", "mse")
model.fit(np.random.rand(16, 2), np.random.rand(16, 1), epochs=1, verbose=0)
assert len(model.trainable_weights) == 8
