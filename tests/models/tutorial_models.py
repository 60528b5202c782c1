"""The tutorial's seven models, built by functions, for tests that need the models themselves."""

from plait.layers import (
    LSTM,
    Conv2D,
    Dense,
    Flatten,
    Input,
    MaxPooling2D,
    TimeDistributed,
    concatenate,
)
from plait.models import Model


def mlp():
    visible = Input(shape=(10,))
    x = Dense(10, activation="relu")(visible)
    x = Dense(20, activation="relu")(x)
    x = Dense(10, activation="relu")(x)
    return Model(visible, Dense(1, activation="sigmoid")(x))


def cnn():
    visible = Input(shape=(64, 64, 1))
    x = MaxPooling2D()(Conv2D(32, kernel_size=4, activation="relu")(visible))
    x = MaxPooling2D()(Conv2D(16, kernel_size=4, activation="relu")(x))
    x = Dense(10, activation="relu")(Flatten()(x))
    return Model(visible, Dense(1, activation="sigmoid")(x))


def rnn():
    visible = Input(shape=(100, 1))
    x = Dense(10, activation="relu")(LSTM(10)(visible))
    return Model(visible, Dense(1, activation="sigmoid")(x))


def shared_input():
    visible = Input(shape=(64, 64, 1))
    flat1 = Flatten()(MaxPooling2D()(Conv2D(32, kernel_size=4, activation="relu")(visible)))
    flat2 = Flatten()(MaxPooling2D()(Conv2D(16, kernel_size=8, activation="relu")(visible)))
    x = Dense(10, activation="relu")(concatenate([flat1, flat2]))
    return Model(visible, Dense(1, activation="sigmoid")(x))


def shared_feature():
    visible = Input(shape=(100, 1))
    extract = LSTM(10)(visible)
    interp1 = Dense(10, activation="relu")(extract)
    x = Dense(10, activation="relu")(extract)
    x = Dense(20, activation="relu")(x)
    interp13 = Dense(10, activation="relu")(x)
    merged = concatenate([interp1, interp13])
    return Model(visible, Dense(1, activation="sigmoid")(merged))


def multiple_inputs():
    def tower(visible):
        x = MaxPooling2D()(Conv2D(32, kernel_size=4, activation="relu")(visible))
        x = MaxPooling2D()(Conv2D(16, kernel_size=4, activation="relu")(x))
        return Flatten()(x)

    visible1, visible2 = Input(shape=(64, 64, 1)), Input(shape=(32, 32, 3))
    merged = concatenate([tower(visible1), tower(visible2)])
    x = Dense(10, activation="relu")(merged)
    x = Dense(10, activation="relu")(x)
    return Model([visible1, visible2], Dense(1, activation="sigmoid")(x))


def multiple_outputs():
    visible = Input(shape=(100, 1))
    extract = LSTM(10, return_sequences=True)(visible)
    x = Dense(10, activation="relu")(LSTM(10)(extract))
    output1 = Dense(1, activation="sigmoid")(x)
    output2 = TimeDistributed(Dense(1, activation="linear"))(extract)
    return Model(visible, [output1, output2])


ALL = [mlp, cnn, rnn, shared_input, shared_feature, multiple_inputs, multiple_outputs]
