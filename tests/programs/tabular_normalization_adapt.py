"""Normalization.adapt on tabular data: the layer learns each feature's mean and variance,
standardizes the inputs inside the model, and is saved with it."""

import numpy as np

import plait
from plait import layers
from plait.utils import set_random_seed

set_random_seed(0)

rng = np.random.default_rng(0)
features = rng.normal(loc=[100.0, -3.0, 0.5], scale=[25.0, 2.0, 0.1], size=(256, 3))
target = (features[:, 0] - 100) / 25 + 2 * (features[:, 1] + 3) / 2 + features[:, 2]
features = features.astype("float32")

normalizer = layers.Normalization(axis=-1)
normalizer.adapt(features)
np.testing.assert_allclose(normalizer.mean.numpy(), features.mean(axis=0), rtol=1e-4)
np.testing.assert_allclose(normalizer.variance.numpy(), features.var(axis=0), rtol=1e-4)
standardized = normalizer(features).numpy()
np.testing.assert_allclose(standardized.mean(axis=0), 0.0, atol=1e-4)
np.testing.assert_allclose(standardized.std(axis=0), 1.0, atol=1e-3)

model = plait.Sequential(
    [
        plait.Input(shape=(3,)),
        normalizer,
        layers.Dense(16, activation="relu"),
        layers.Dense(1),
    ]
)
model.compile(optimizer=plait.optimizers.Adam(0.01), loss="mse")
history = model.fit(features, target, epochs=20, batch_size=32, validation_split=0.2, verbose=0)
assert history.history["val_loss"][-1] < 0.1, history.history["val_loss"][-1]

model.save("regressor.plait")
reloaded = plait.models.load_model("regressor.plait")
np.testing.assert_allclose(
    reloaded.predict(features[:8], verbose=0), model.predict(features[:8], verbose=0), rtol=1e-5
)
print("ok", history.history["val_loss"][-1])
