"""Audio classification from raw waveforms: a MelSpectrogram layer as the model's first
layer turns 1-second clips into log-mel images, a small Conv1D network tells a low tone
from a high one; the model saves and reloads with the spectrogram layer inside."""

import numpy as np

import plait
from plait import layers
from plait.utils import set_random_seed

set_random_seed(0)

rng = np.random.default_rng(0)
rate, n = 4000, 96
t = np.arange(rate) / rate
labels = rng.integers(0, 2, size=(n,))
freqs = np.where(labels == 1, rng.uniform(1200, 1600, n), rng.uniform(200, 400, n))
waves = np.sin(2 * np.pi * freqs[:, None] * t) + 0.3 * rng.normal(size=(n, rate))
waves = waves.astype("float32")

inputs = plait.Input(shape=(rate,))
mel = layers.MelSpectrogram(
    fft_length=256, sequence_stride=128, sampling_rate=rate, num_mel_bins=32, max_freq=2000
)(inputs)  # (batch, 32 mel bins, frames)
x = layers.Permute((2, 1))(mel)  # (batch, frames, 32)
x = layers.Normalization(axis=None, mean=15.0, variance=36.0)(x)
x = layers.Conv1D(8, 3, activation="relu")(x)
x = layers.GlobalAveragePooling1D()(x)
outputs = layers.Dense(2, activation="softmax")(x)
model = plait.Model(inputs, outputs)
assert model.get_layer(index=1).output.shape == (None, 32, 32)

model.compile(
    optimizer=plait.optimizers.Adam(0.01),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
history = model.fit(waves, labels, epochs=8, batch_size=16, verbose=0)
assert history.history["accuracy"][-1] > 0.9, history.history["accuracy"]

model.save("tones.keras")
reloaded = plait.models.load_model("tones.keras")
np.testing.assert_allclose(
    reloaded.predict(waves[:8], verbose=0),
    model.predict(waves[:8], verbose=0),
    rtol=1e-4,
    atol=1e-5,
)
print("ok", history.history["accuracy"][-1])
