import numpy as np
from plait import Model
from plait.layers import Dense, Dropout
from plait.utils import set_random_seed

set_random_seed(0)


class MLP(Model):
    def __init__(self, hidden=16):
        super().__init__()
        self.dense1 = Dense(hidden, activation="relu")
        self.dropout = Dropout(0.3)
        self.dense2 = Dense(1, activation="sigmoid")

    def call(self, inputs, training=False):
        x = self.dense1(inputs)
        x = self.dropout(x, training=training)
        return self.dense2(x)


model = MLP()
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
x = np.random.rand(64, 10).astype("float32")
y = (x.sum(axis=1, keepdims=True) > 5).astype("float32")
model.fit(x, y, epochs=2, batch_size=16, verbose=0)
loss, acc = model.evaluate(x, y, verbose=0)
assert 0 <= acc <= 1
assert model.predict(x[:3], verbose=0).shape == (3, 1)
model.summary()
model.save_weights("mlp.safetensors")
other = MLP()
other.build((None, 10))
other.load_weights("mlp.safetensors")
np.testing.assert_allclose(
    other.predict(x[:3], verbose=0), model.predict(x[:3], verbose=0), rtol=1e-6
)
