# A Keras 3 custom loss written with `ops` (a focal loss) and a metric function, passed to
# compile as Python functions; checked against the same formula in NumPy.
import numpy as np

from plait import Input, Model, layers, ops
from plait.utils import set_random_seed

set_random_seed(0)


def focal_loss(y_true, y_pred, gamma=2.0):
    y_pred = ops.clip(y_pred, 1e-7, 1 - 1e-7)
    p_t = ops.where(ops.equal(y_true, 1.0), y_pred, 1.0 - y_pred)
    return ops.mean(-ops.power(1.0 - p_t, gamma) * ops.log(p_t), axis=-1)


def positive_rate(y_true, y_pred):
    return ops.mean(ops.cast(ops.greater(y_pred, 0.5), "float32"))


y_true = np.array([[1.0], [0.0], [1.0]], "float32")
y_pred = np.array([[0.9], [0.2], [0.3]], "float32")
p_t = np.where(y_true == 1, y_pred, 1 - y_pred)
expected = np.mean(-((1 - p_t) ** 2) * np.log(p_t), axis=-1)
np.testing.assert_allclose(ops.convert_to_numpy(focal_loss(y_true, y_pred)), expected, rtol=1e-6)

rng = np.random.default_rng(1)
x = rng.normal(size=(256, 4)).astype("float32")
y = (x[:, 0] - x[:, 1] > 0.5).astype("float32")[:, None]
inputs = Input(shape=(4,))
outputs = layers.Dense(1, activation="sigmoid")(layers.Dense(8, activation="relu")(inputs))
model = Model(inputs, outputs)
model.compile(optimizer="adam", loss=focal_loss, metrics=[positive_rate, "accuracy"])
history = model.fit(x, y, epochs=60, batch_size=16, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0]
assert "positive_rate" in history.history, list(history.history)
results = model.evaluate(x, y, verbose=0, return_dict=True)
assert results["accuracy"] > 0.8, results
