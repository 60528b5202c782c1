# Keras 3 `ops` on a functional model's tensors: each op is a node of the graph (summary,
# generated forward), trained with fit and matching the eager computation.
import numpy as np

from plait import Input, Model, layers, ops
from plait.utils import set_random_seed

set_random_seed(0)

rng = np.random.default_rng(0)
x = rng.normal(size=(128, 5, 3)).astype("float32")
y = (x.sum(axis=(1, 2)) > 0).astype("float32")

inputs = Input(shape=(5, 3))
centered = inputs - ops.mean(inputs, axis=1, keepdims=True)
pooled = ops.concatenate(
    [ops.max(centered, axis=1), ops.std(inputs, axis=1), ops.sum(inputs, axis=1)], axis=-1
)
hidden = layers.Dense(8, activation="relu")(pooled)
outputs = layers.Dense(1, activation="sigmoid")(hidden)
model = Model(inputs, outputs)

names = [layer.name for layer in model.layers]
assert {"mean_1", "max_1", "std_1", "sum_1", "concatenate_1"} <= set(names), names
assert "plait_ops_concatenate" in model.code
model.summary()

features = Model(inputs, pooled).predict(x[:4], verbose=0)
eager = ops.concatenate(
    [
        ops.max(x[:4] - x[:4].mean(1, keepdims=True), axis=1),
        ops.std(x[:4], axis=1),
        ops.sum(x[:4], axis=1),
    ],
    axis=-1,
)
np.testing.assert_allclose(features, ops.convert_to_numpy(eager), rtol=1e-5, atol=1e-6)

model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=40, batch_size=16, verbose=0)
_, accuracy = model.evaluate(x, y, verbose=0)
assert accuracy > 0.75, accuracy
