"""A Keras 2 style program: train, checkpoint the best model to an .h5 file, save the final
one as .keras and its weights as .weights.h5, reload all three."""

import numpy as np

from plait.callbacks import ModelCheckpoint
from plait.layers import BatchNormalization, Dense, Input
from plait.models import Model, load_model

x = np.random.rand(64, 8).astype("float32")
y = (x.sum(axis=1, keepdims=True) > 4).astype("float32")

visible = Input(shape=(8,))
hidden = BatchNormalization()(Dense(16, activation="relu")(visible))
model = Model(inputs=visible, outputs=Dense(1, activation="sigmoid")(hidden))
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(
    x,
    y,
    epochs=2,
    batch_size=16,
    verbose=0,
    callbacks=[ModelCheckpoint("best.h5", monitor="loss", save_best_only=True)],
)
model.save("final.keras")
model.save_weights("final.weights.h5")

expected = model.predict(x, verbose=0)
for path in ("final.keras", "best.h5"):
    restored = load_model(path)
    assert restored.optimizer is not None, path
    if path == "final.keras":
        assert np.allclose(restored.predict(x, verbose=0), expected, atol=1e-6)
model.load_weights("final.weights.h5")
assert np.allclose(model.predict(x, verbose=0), expected, atol=1e-6)
print("ok")
