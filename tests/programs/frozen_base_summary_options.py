"""Transfer learning with a frozen base model, inspected with summary's Keras options:
show_trainable marks the frozen layers N, expand_nested lists the base's own layers under
it, and layer_range prints just the head."""

import numpy as np

import plait
from plait import layers

base_in = plait.Input(shape=(8,), name="base_in")
features = layers.Dense(
    16, activation="selu", kernel_initializer="lecun_normal", name="base_dense"
)(base_in)
features = layers.AlphaDropout(0.1, name="noise")(features)
base = plait.Model(base_in, layers.Dense(8, name="base_out")(features), name="base")
base.trainable = False

inputs = plait.Input(shape=(8,), name="features")
x = base(inputs)
x = layers.Dense(4, activation="relu", name="head_hidden")(x)
outputs = layers.Dense(1, name="head_out")(x)
model = plait.Model(inputs, outputs, name="fine_tune")

lines = []
model.summary(print_fn=lines.append, show_trainable=True, expand_nested=True)
text = "\n".join(lines)
print(text)
rows = {
    line.split()[0].lstrip("└"): line.split()[-1]
    for line in lines
    if "(" in line and line.split()[-1] in ("Y", "N", "-")
}
assert rows["base"] == "N" and rows["head_hidden"] == "Y" and rows["features"] == "-"
assert "   └ base_dense (Dense)" in text and "   └ noise (AlphaDropout)" in text
assert "Non-trainable params: 280" in text

head = []
model.summary(print_fn=head.append, layer_range=("head_hidden", "head_out"))
shown = [line.split()[0] for line in head if "(Dense)" in line]
assert shown == ["head_hidden", "head_out"], shown

rng = np.random.default_rng(3)
xs = rng.normal(size=(64, 8)).astype("float32")
ys = xs[:, :1] - xs[:, 1:2]
frozen = [w.copy() for w in base.get_weights()]
model.compile(optimizer="adam", loss="mse")
model.fit(xs, ys, epochs=2, batch_size=16, verbose=0)
for before, after in zip(frozen, base.get_weights()):
    np.testing.assert_array_equal(before, after)  # the base did not move
print("ok")
