import numpy as np
import plait
from plait import layers


class ScaledConv2D(layers.Conv2D):
    """A Conv2D whose output is scaled by a fixed factor."""

    def __init__(self, *args, scale=0.5, **kwargs):
        super().__init__(*args, **kwargs)
        self.scale = scale

    def call(self, inputs):
        return super().call(inputs) * self.scale

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


class ClippedDense(layers.Dense):
    def call(self, inputs, training=None):
        outputs = super().call(inputs)
        return outputs if training else plait.ops.clip(outputs, -1.0, 1.0)


plait.utils.set_random_seed(0)
inputs = plait.Input(shape=(8, 8, 1))
x = ScaledConv2D(4, 3, activation="relu", scale=0.0)(inputs)
x = layers.MaxPooling2D()(x)
outputs = ClippedDense(2)(layers.Flatten()(x))
model = plait.Model(inputs, outputs)
model.compile(optimizer="adam", loss="mse")

images = np.random.rand(16, 8, 8, 1).astype("float32")
predictions = model.predict(images, verbose=0)
bias = model.layers[-1].get_weights()[1]
# scale=0 zeroes the convolution, so only the Dense's (clipped) bias is left
assert np.allclose(predictions, np.clip(bias, -1.0, 1.0)), predictions
model.fit(images, np.full((16, 2), 5.0, "float32"), epochs=2, batch_size=8, verbose=0)
assert np.abs(model.predict(images, verbose=0)).max() <= 1.0
assert model.layers[1].get_config()["scale"] == 0.0
