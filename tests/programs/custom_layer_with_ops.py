# A Keras 3 custom layer whose call uses `ops` (RMS normalization with a learned scale),
# used in a Sequential model, trained, and its weights copied into a rebuilt model.
import numpy as np

from plait import Input, Sequential, layers, ops
from plait.utils import set_random_seed

set_random_seed(0)


class RMSNorm(layers.Layer):
    def __init__(self, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        self.scale = self.add_weight(name="scale", shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        mean_square = ops.mean(ops.square(inputs), axis=-1, keepdims=True)
        return inputs * ops.rsqrt(mean_square + self.epsilon) * self.scale

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


rng = np.random.default_rng(0)
x = rng.normal(size=(200, 6)).astype("float32") * 5
y = (x[:, :3].sum(axis=1) > 0).astype("int32")

model = Sequential(
    [
        Input(shape=(6,)),
        layers.Dense(16),
        RMSNorm(),
        layers.Activation("relu"),
        layers.Dense(2, activation="softmax"),
    ]
)
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=25, batch_size=32, verbose=0)
_, accuracy = model.evaluate(x, y, verbose=0)
assert accuracy > 0.75, accuracy

norm = model.layers[1]
out = norm(model.layers[0](ops.convert_to_tensor(x[:3])))
rms = np.sqrt(np.mean(ops.convert_to_numpy(out / norm.scale.detach()) ** 2, axis=-1))
np.testing.assert_allclose(rms, 1.0, rtol=1e-3)

clone = Sequential(
    [
        Input(shape=(6,)),
        layers.Dense(16),
        RMSNorm(),
        layers.Activation("relu"),
        layers.Dense(2, activation="softmax"),
    ]
)
clone.set_weights(model.get_weights())
np.testing.assert_allclose(
    clone.predict(x[:5], verbose=0), model.predict(x[:5], verbose=0), rtol=1e-5
)
