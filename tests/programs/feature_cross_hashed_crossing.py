"""Tabular features crossed with HashedCrossing: a string feature ("city") and an integer
feature ("weekday") whose *combination* decides the label; the crossed one-hot buckets feed
a linear classifier, as in Keras's structured-data guides."""

import numpy as np

import plait
from plait import layers
from plait.utils import set_random_seed

set_random_seed(0)

rng = np.random.default_rng(1)
cities = np.array(["paris", "lima", "oslo", "kyiv"])
n = 400
city = cities[rng.integers(0, 4, size=n)]
weekday = rng.integers(0, 7, size=n)
# busy exactly when (city, weekday) is one of a few pairs: no single feature decides it
busy_pairs = {("paris", 1), ("lima", 3), ("oslo", 5), ("kyiv", 0), ("paris", 6)}
label = np.array([(c, int(d)) in busy_pairs for c, d in zip(city, weekday)], dtype="float32")

city_in = plait.Input(shape=(1,), dtype="string", name="city")
day_in = plait.Input(shape=(1,), dtype="int64", name="weekday")
crossed = layers.HashedCrossing(num_bins=256, output_mode="one_hot")((city_in, day_in))
output = layers.Dense(1, activation="sigmoid")(crossed)
model = plait.Model({"city": city_in, "weekday": day_in}, output)
assert crossed.shape == (None, 256)

model.compile(
    optimizer=plait.optimizers.Adam(0.1), loss="binary_crossentropy", metrics=["accuracy"]
)
data = {"city": city.reshape(-1, 1), "weekday": weekday.reshape(-1, 1)}
model.fit(data, label, epochs=20, batch_size=32, verbose=0)
_, accuracy = model.evaluate(data, label, verbose=0)
assert accuracy > 0.97, accuracy

# the same pair always lands in the same bucket, in a model or called directly
cross = layers.HashedCrossing(num_bins=256)
ids = cross((np.array(["paris", "paris", "lima"]), np.array([1, 1, 1])))
assert ids[0] == ids[1] and ids.dtype.is_floating_point is False
print("ok", accuracy)
