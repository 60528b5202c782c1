# Fine-tune a small encoder slowly and its head fast: keras.optimizers.MultiOptimizer
# routes weights by path; the encoder's kernel keeps its features apart with an
# OrthogonalRegularizer; the model saves and reloads with its optimizers.
import numpy as np
import plait as keras
from plait import layers, optimizers, regularizers

keras.utils.set_random_seed(1)
inputs = keras.Input((6,))
features = layers.Dense(
    8,
    activation="tanh",
    kernel_regularizer=regularizers.OrthogonalRegularizer(factor=0.01),
    name="encoder",
)(inputs)
outputs = layers.Dense(1, name="head")(features)
model = keras.Model(inputs, outputs)

slow, fast = optimizers.SGD(learning_rate=0.001), optimizers.Adam(learning_rate=0.01)
model.compile(
    optimizer=optimizers.MultiOptimizer(optimizers.OptimizerMap(fast, {"encoder/.*": slow})),
    loss="mse",
)
x = np.random.normal(size=(128, 6)).astype("float32")
y = (x[:, :1] - x[:, 1:2]).astype("float32")
before = model.get_layer("encoder").get_weights()[0].copy()
history = model.fit(x, y, epochs=4, batch_size=32, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0]
assert int(slow.iterations) == int(fast.iterations) == 16
moved = np.abs(model.get_layer("encoder").get_weights()[0] - before).max()
assert 0 < moved < 0.05, moved  # the slow encoder moved a little

model.save("fine_tuned.keras")
again = keras.models.load_model("fine_tuned.keras")
assert [type(o).__name__ for o in again.optimizer.optimizers] == ["SGD", "Adam"]
np.testing.assert_allclose(again.predict(x[:4], verbose=0), model.predict(x[:4], verbose=0))
print("ok")
