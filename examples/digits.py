"""Train the tutorial's CNN shape of model on real handwritten digits.

scikit-learn ships the data (1,797 images of 8x8 pixels, no download). The model is the
tutorial's convolutional network scaled to the images: two Conv2D/MaxPooling2D stages, a
Dense layer to interpret the features, a softmax over the ten digits.
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import plait
from plait.layers import Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D
from plait.models import Model
from plait.utils import plot_model

TARGET = 0.95  # the held-out accuracy this demo promises


def load():
    digits = load_digits()
    images = (digits.images / 16.0).astype("float32")[..., np.newaxis]  # (n, 8, 8, 1)
    return train_test_split(
        images, digits.target, test_size=0.25, random_state=0, stratify=digits.target
    )


def build():
    visible = Input(shape=(8, 8, 1))
    conv1 = Conv2D(32, kernel_size=3, padding="same", activation="relu")(visible)
    pool1 = MaxPooling2D(pool_size=(2, 2))(conv1)
    conv2 = Conv2D(64, kernel_size=3, padding="same", activation="relu")(pool1)
    pool2 = MaxPooling2D(pool_size=(2, 2))(conv2)
    flat = Flatten()(pool2)
    hidden = Dense(64, activation="relu")(Dropout(0.25)(flat))
    output = Dense(10, activation="softmax")(hidden)
    return Model(inputs=visible, outputs=output)


def main():
    plait.utils.set_random_seed(0)
    x_train, x_test, y_train, y_test = load()
    model = build()
    model.summary()
    plot_model(model, to_file="digits_model.png", show_shapes=True)
    print("graph plot: digits_model.png")

    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    # verbose="auto": the progress bar on a terminal, one line per epoch in a log
    history = model.fit(x_train, y_train, batch_size=32, epochs=30, validation_split=0.1)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(
        f"held-out test: loss {loss:.4f}, accuracy {accuracy:.2%} "
        f"on {len(x_test)} images the model never saw"
    )
    verdict = "meets" if accuracy >= TARGET else "misses"
    print(f"test accuracy {accuracy:.2%} {verdict} the target of at least {TARGET:.0%}")
    plait.utils.plot_history(history, to_file="digits_history.png")
    print("training curves: digits_history.png")

    predicted = model.predict(x_test[:10], verbose=0).argmax(axis=1)
    print("first ten test digits:", " ".join(str(d) for d in y_test[:10]))
    print("predicted:            ", " ".join(str(d) for d in predicted))
    if accuracy < TARGET:
        raise SystemExit(f"accuracy {accuracy:.2%} is below the {TARGET:.0%} this demo promises")


if __name__ == "__main__":
    main()
