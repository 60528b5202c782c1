"""Models built by one function for plait and for Keras: `build(ns)` with `ns` either the
`plait` or the `keras` module makes the same architecture, layer names aside. Each entry:
name -> (builder, input shapes)."""

import numpy as np


def mlp(ns):
    L = ns.layers
    visible = ns.Input(shape=(10,))
    x = L.Dense(10, activation="relu")(visible)
    x = L.Dense(20, activation="relu")(x)
    x = L.Dense(10, activation="relu")(x)
    return ns.Model(visible, L.Dense(1, activation="sigmoid")(x))


def cnn(ns):
    L = ns.layers
    visible = ns.Input(shape=(16, 16, 1))
    x = L.MaxPooling2D()(L.Conv2D(8, kernel_size=4, activation="relu")(visible))
    x = L.MaxPooling2D()(L.Conv2D(4, kernel_size=3, activation="relu")(x))
    x = L.Dense(10, activation="relu")(L.Flatten()(x))
    return ns.Model(visible, L.Dense(1, activation="sigmoid")(x))


def rnn(ns):
    L = ns.layers
    visible = ns.Input(shape=(12, 1))
    x = L.Dense(10, activation="relu")(L.LSTM(10)(visible))
    return ns.Model(visible, L.Dense(1, activation="sigmoid")(x))


def shared_input(ns):
    L = ns.layers
    visible = ns.Input(shape=(16, 16, 1))
    flat1 = L.Flatten()(L.MaxPooling2D()(L.Conv2D(8, kernel_size=4, activation="relu")(visible)))
    flat2 = L.Flatten()(L.MaxPooling2D()(L.Conv2D(4, kernel_size=6, activation="relu")(visible)))
    x = L.Dense(10, activation="relu")(L.concatenate([flat1, flat2]))
    return ns.Model(visible, L.Dense(1, activation="sigmoid")(x))


def shared_feature(ns):
    L = ns.layers
    visible = ns.Input(shape=(12, 1))
    extract = L.LSTM(10)(visible)
    interp1 = L.Dense(10, activation="relu")(extract)
    x = L.Dense(10, activation="relu")(extract)
    x = L.Dense(20, activation="relu")(x)
    interp13 = L.Dense(10, activation="relu")(x)
    merged = L.concatenate([interp1, interp13])
    return ns.Model(visible, L.Dense(1, activation="sigmoid")(merged))


def multiple_inputs(ns):
    L = ns.layers

    def tower(visible):
        x = L.MaxPooling2D()(L.Conv2D(8, kernel_size=4, activation="relu")(visible))
        x = L.MaxPooling2D()(L.Conv2D(4, kernel_size=3, activation="relu")(x))
        return L.Flatten()(x)

    visible1, visible2 = ns.Input(shape=(16, 16, 1)), ns.Input(shape=(12, 12, 3))
    merged = L.concatenate([tower(visible1), tower(visible2)])
    x = L.Dense(10, activation="relu")(merged)
    x = L.Dense(10, activation="relu")(x)
    return ns.Model([visible1, visible2], L.Dense(1, activation="sigmoid")(x))


def multiple_outputs(ns):
    L = ns.layers
    visible = ns.Input(shape=(12, 1))
    extract = L.LSTM(10, return_sequences=True)(visible)
    x = L.Dense(10, activation="relu")(L.LSTM(10)(extract))
    output1 = L.Dense(1, activation="sigmoid")(x)
    output2 = L.TimeDistributed(L.Dense(1, activation="linear"))(extract)
    return ns.Model(visible, [output1, output2])


def nested(ns):
    L = ns.layers
    inner_in = ns.Input(shape=(8,))
    inner = ns.Model(inner_in, L.Dense(6, activation="tanh")(L.Dense(5)(inner_in)), name="inner")
    visible = ns.Input(shape=(8,))
    x = inner(L.Dense(8, activation="relu")(visible))
    stack = ns.Sequential([L.Input((6,)), L.Dense(4), L.BatchNormalization()], name="stack")
    return ns.Model(visible, L.Dense(2)(stack(x)))


def shared_layers(ns):
    L = ns.layers
    a, b = ns.Input(shape=(9,)), ns.Input(shape=(9,))
    shared = L.Dense(5, activation="relu")
    merged = L.Subtract()([shared(a), shared(b)])
    return ns.Model([a, b], L.Dense(1)(L.Multiply()([merged, shared(a)])))


def batchnorm(ns):
    L = ns.layers
    visible = ns.Input(shape=(10, 10, 3))
    x = L.BatchNormalization()(L.Conv2D(6, 3)(visible))
    x = L.Activation("relu")(x)
    x = L.BatchNormalization(center=False)(L.GlobalAveragePooling2D()(x))
    return ns.Model(visible, L.Dense(3, activation="softmax")(x))


def bidirectional_lstm(ns):
    L = ns.layers
    visible = ns.Input(shape=(9, 4))
    x = L.Bidirectional(L.LSTM(5, return_sequences=True))(visible)
    x = L.Bidirectional(L.GRU(3), merge_mode="sum")(x)
    return ns.Model(visible, L.Dense(2)(x))


def embedding(ns):
    L = ns.layers
    visible = ns.Input(shape=(7,), dtype="int32")
    x = L.Embedding(30, 6)(visible)
    x = L.SimpleRNN(4, return_sequences=True)(x)
    x = L.GlobalMaxPooling1D()(L.Conv1D(5, 3, padding="same")(x))
    return ns.Model(visible, L.Dense(1)(x))


def attention(ns):
    L = ns.layers
    q, v = ns.Input(shape=(6, 8)), ns.Input(shape=(5, 8))
    x = L.MultiHeadAttention(num_heads=2, key_dim=4)(q, v)
    x = L.LayerNormalization()(L.Add()([q, x]))
    y = L.Attention(use_scale=True)([x, v])
    z = L.AdditiveAttention()([x, v])
    x = L.Concatenate()([y, z])
    return ns.Model([q, v], L.Dense(3)(L.GlobalAveragePooling1D()(x)))


def conv_family(ns):
    L = ns.layers
    visible = ns.Input(shape=(12, 12, 3))
    x = L.SeparableConv2D(6, 3, padding="same", activation="relu")(visible)
    x = L.DepthwiseConv2D(3, depth_multiplier=2)(x)
    x = L.Conv2DTranspose(4, 3, strides=2)(x)
    x = L.AveragePooling2D(2)(L.ZeroPadding2D(1)(x))
    x = L.UpSampling2D()(L.Cropping2D(1)(x))
    x = L.GroupNormalization(groups=2)(L.Conv2D(4, 1)(x))
    x = L.PReLU()(L.Flatten()(x))
    return ns.Model(visible, L.Dense(2)(L.Dropout(0.1)(x)))


def conv1d_3d(ns):
    L = ns.layers
    a, b = ns.Input(shape=(10, 3)), ns.Input(shape=(6, 6, 6, 2))
    x = L.Conv1DTranspose(4, 3)(L.SeparableConv1D(4, 3)(L.Conv1D(5, 3)(a)))
    x = L.GlobalAveragePooling1D()(L.MaxPooling1D()(x))
    y = L.MaxPooling3D()(L.Conv3D(3, 2)(b))
    y = L.Flatten()(y)
    return ns.Model([a, b], L.Dense(2)(L.Concatenate()([x, y])))


def sequential(ns):
    L = ns.layers
    return ns.Sequential(
        [
            L.Input((8,)),
            L.Dense(6, activation="relu"),
            L.Reshape((3, 2)),
            L.Permute((2, 1)),
            L.Flatten(),
            L.RepeatVector(2),
            L.GRU(3),
            L.LeakyReLU(negative_slope=0.2),
            L.Dense(2, activation="softmax"),
        ]
    )


MODELS = {
    "mlp": (mlp, [(10,)]),
    "cnn": (cnn, [(16, 16, 1)]),
    "rnn": (rnn, [(12, 1)]),
    "shared_input": (shared_input, [(16, 16, 1)]),
    "shared_feature": (shared_feature, [(12, 1)]),
    "multiple_inputs": (multiple_inputs, [(16, 16, 1), (12, 12, 3)]),
    "multiple_outputs": (multiple_outputs, [(12, 1)]),
    "nested": (nested, [(8,)]),
    "shared_layers": (shared_layers, [(9,), (9,)]),
    "batchnorm": (batchnorm, [(10, 10, 3)]),
    "bidirectional_lstm": (bidirectional_lstm, [(9, 4)]),
    "embedding": (embedding, [("int", 7)]),
    "attention": (attention, [(6, 8), (5, 8)]),
    "conv_family": (conv_family, [(12, 12, 3)]),
    "conv1d_3d": (conv1d_3d, [(10, 3), (6, 6, 6, 2)]),
    "sequential": (sequential, [(8,)]),
}


def inputs(name, batch=3, seed=0):
    """Random inputs for model `name` (a list when it has several)."""
    rng = np.random.default_rng(seed)
    out = []
    for shape in MODELS[name][1]:
        if shape[0] == "int":
            out.append(rng.integers(0, 30, size=(batch,) + shape[1:]).astype("int32"))
        else:
            out.append(rng.normal(size=(batch,) + shape).astype("float32"))
    return out if len(out) > 1 else out[0]


def randomize(keras_model, seed=1):
    """Give every weight of a Keras model random values (variances positive), so a
    scrambled weight order shows in the predictions."""
    rng = np.random.default_rng(seed)
    values = []
    for w in keras_model.weights:
        value = rng.normal(scale=0.4, size=tuple(w.shape)).astype("float32")
        if "variance" in w.path:
            value = np.abs(value) + 0.5
        values.append(value)
    keras_model.set_weights(values)


def predict(model, x):
    out = model.predict(x, verbose=0)
    out = out if isinstance(out, (list, tuple)) else [out]
    return [np.asarray(o) for o in out]
