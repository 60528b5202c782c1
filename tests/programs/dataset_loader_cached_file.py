# Fashion-MNIST loaded from Keras's cache: the program writes the four IDX files itself into
# $KERAS_HOME/datasets/fashion-mnist (as a user copying them by hand would), so nothing downloads.
import gzip
import os

import numpy as np

from plait import Input, Sequential, layers
from plait.datasets import fashion_mnist
from plait.utils import get_file, to_categorical

home = os.environ.get("KERAS_HOME", os.path.expanduser("~/.keras"))
folder = os.path.join(home, "datasets", "fashion-mnist")
os.makedirs(folder, exist_ok=True)
rng = np.random.default_rng(0)
for prefix, n in (("train", 64), ("t10k", 16)):
    labels = rng.integers(0, 10, size=n).astype("uint8")
    images = rng.integers(0, 30, size=(n, 28, 28)).astype("uint8")
    for i, label in enumerate(labels):  # class k: a bright band at rows 2k..2k+2
        images[i, 2 * label : 2 * label + 2] = 250
    with gzip.open(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(b"\0" * 8 + labels.tobytes())
    with gzip.open(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"), "wb") as f:
        f.write(b"\0" * 16 + images.tobytes())

(x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
assert x_train.shape == (64, 28, 28) and x_test.shape == (16, 28, 28)
assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8

model = Sequential(
    [
        Input(shape=(28, 28)),
        layers.Flatten(),
        layers.Rescaling(1 / 255),
        layers.Dense(10, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, to_categorical(y_train, 10), epochs=30, batch_size=16, verbose=0)
assert model.evaluate(x_test, to_categorical(y_test, 10), verbose=0)[1] > 0.5

# get_file on a local URL, with a wrong hash: a clear error and no file left behind
source = os.path.abspath("numbers.txt")
with open(source, "w") as f:
    f.write("1 2 3\n")
try:
    get_file("numbers.txt", origin="file://" + source, file_hash="0" * 64)
except ValueError as error:
    assert "0" * 64 in str(error)
assert not os.path.exists(os.path.join(home, "datasets", "numbers.txt"))
