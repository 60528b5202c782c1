# A Keras 3 custom layer drawing its own noise with keras.random and a SeedGenerator,
# trained with Muon; keras.tree flattens the outputs of a two-output model.
import numpy as np
import plait as keras
from plait import layers


class NoisyDropout(keras.Layer):
    def __init__(self, rate, stddev, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.stddev = stddev
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, x, training=False):
        if not training:
            return x
        noise = keras.random.normal(x.shape, stddev=self.stddev, seed=self.seed_generator)
        return keras.random.dropout(x + noise, self.rate, seed=self.seed_generator)


keras.utils.set_random_seed(0)
inputs = keras.Input((8,))
hidden = NoisyDropout(0.2, 0.1)(layers.Dense(16, activation="relu")(inputs))
out_a = layers.Dense(1, name="a")(hidden)
out_b = layers.Dense(1, name="b")(hidden)
model = keras.Model(inputs, {"a": out_a, "b": out_b})
model.compile(
    optimizer=keras.optimizers.Muon(learning_rate=0.02, exclude_layers=["a/", "b/"]),
    loss={"a": "mse", "b": "mse"},
)
x = np.random.rand(64, 8).astype("float32")
y = {"a": x.sum(1, keepdims=True), "b": x.mean(1, keepdims=True)}
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0], history.history["loss"]

# the same seed gives the same draws; a SeedGenerator advances
gen = keras.random.SeedGenerator(5)
first, second = keras.random.uniform((3,), seed=gen), keras.random.uniform((3,), seed=gen)
assert not np.allclose(first.numpy(), second.numpy())
assert np.array_equal(
    keras.random.uniform((3,), seed=keras.random.SeedGenerator(5)).numpy(), first.numpy()
)

predictions = model.predict(x[:4], verbose=0)
flat = keras.tree.flatten(predictions)
assert [p.shape for p in flat] == [(4, 1), (4, 1)]
assert np.allclose(flat[0], predictions["a"])
print("ok")
