"""The benchmark's models, each written twice: in plait and by hand as a `torch.nn.Module`.

The hand-written modules are what a PyTorch user would write for the same network: `torch.nn`
layers, channels-first image tensors (PyTorch's own convention, converted once with the data),
the same activations, and a loss on the same probabilities. Weights are not shared: only speed
is compared here (tests/models/test_equivalence.py checks that the math agrees).

Every case gives:
    plait_model()          the plait Model (built on the current device)
    torch_model()          the hand-written nn.Module
    data(n)                numpy inputs/targets in Keras layout, `n` samples
    torch_data(xs, ys)     the same data as tensors in the hand-written model's layout
    loss, metrics          what plait's compile gets (Keras names)
    torch_loss(outs, ys)   the hand-written loss (a 0-d tensor)
    torch_correct(outs, ys)  number of correct predictions (a 0-d tensor), for 'accuracy'
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import plait.layers as L
from plait.models import Model

_EPS = 1e-7


# ------------------------------------------------------------------ hand-written losses
def binary_crossentropy(p, y):
    return F.binary_cross_entropy(p, y)


def sparse_categorical_crossentropy(p, y):
    return F.nll_loss(p.clamp(_EPS, 1 - _EPS).log(), y)


def binary_correct(p, y):
    return ((p > 0.5).to(y.dtype) == y).sum()


def sparse_correct(p, y):
    return (p.argmax(-1) == y).sum()


# ------------------------------------------------------------------------ the cases
class Case:
    """One model of the benchmark, in both forms, with its data and loss."""

    name = None
    description = None
    loss = "binary_crossentropy"
    metrics_for_accuracy = ["accuracy"]

    def plait_model(self):
        raise NotImplementedError

    def torch_model(self):
        raise NotImplementedError

    def data(self, n, seed=0):
        raise NotImplementedError

    def torch_data(self, xs, ys):
        """Tensors in the hand-written model's layout: lists `xs` and `ys`."""
        xs = [torch.from_numpy(x) for x in _as_list(xs)]
        ys = [torch.from_numpy(y) for y in _as_list(ys)]
        return xs, ys

    def torch_loss(self, outs, ys):
        return binary_crossentropy(outs[0], ys[0])

    def torch_correct(self, outs, ys):
        return binary_correct(outs[0], ys[0])

    def sample(self):
        """One sample for the latency measurement: (plait input, hand-written input)."""
        xs, ys = self.data(1, seed=1)
        txs, _ = self.torch_data(xs, ys)
        plait_x = (
            [torch.from_numpy(x) for x in xs] if isinstance(xs, list) else torch.from_numpy(xs)
        )
        return plait_x, txs


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _binary_targets(rng, n):
    return rng.integers(0, 2, size=(n, 1)).astype(np.float32)


def _nchw(x):
    return torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()


# -------------------------------------------------------------------------------- MLP
class MLPNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(10, 10), nn.Linear(10, 20)
        self.fc3, self.out = nn.Linear(20, 10), nn.Linear(10, 1)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        x = torch.relu(self.fc3(x))
        return torch.sigmoid(self.out(x))


class MLP(Case):
    name = "mlp"
    description = "tutorial MLP: Dense 10-20-10-1 on 10 features"

    def plait_model(self):
        visible = L.Input(shape=(10,))
        x = L.Dense(10, activation="relu")(visible)
        x = L.Dense(20, activation="relu")(x)
        x = L.Dense(10, activation="relu")(x)
        return Model(visible, L.Dense(1, activation="sigmoid")(x))

    def torch_model(self):
        return MLPNet()

    def data(self, n, seed=0):
        rng = np.random.default_rng(seed)
        return rng.standard_normal((n, 10), dtype=np.float32), _binary_targets(rng, n)


# -------------------------------------------------------------------------------- CNN
class CNNNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 4), nn.Conv2d(32, 16, 4)
        self.fc1, self.out = nn.Linear(13 * 13 * 16, 10), nn.Linear(10, 1)

    def forward(self, x):
        x = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = F.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.relu(self.fc1(torch.flatten(x, 1)))
        return torch.sigmoid(self.out(x))


class ImageCase(Case):
    shape = (64, 64, 1)

    def data(self, n, seed=0):
        rng = np.random.default_rng(seed)
        return rng.random((n,) + self.shape, dtype=np.float32), _binary_targets(rng, n)

    def torch_data(self, xs, ys):
        return [_nchw(xs)], [torch.from_numpy(ys)]


class CNN(ImageCase):
    name = "cnn"
    description = "tutorial CNN: Conv2D 32 -> pool -> Conv2D 16 -> pool -> Dense 10 -> 1, 64x64x1"

    def plait_model(self):
        visible = L.Input(shape=(64, 64, 1))
        x = L.MaxPooling2D(pool_size=(2, 2))(
            L.Conv2D(32, kernel_size=4, activation="relu")(visible)
        )
        x = L.MaxPooling2D(pool_size=(2, 2))(L.Conv2D(16, kernel_size=4, activation="relu")(x))
        x = L.Dense(10, activation="relu")(L.Flatten()(x))
        return Model(visible, L.Dense(1, activation="sigmoid")(x))

    def torch_model(self):
        return CNNNet()


# -------------------------------------------------------------------------------- RNN
class RNNNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 10, batch_first=True)
        self.fc1, self.out = nn.Linear(10, 10), nn.Linear(10, 1)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return torch.sigmoid(self.out(torch.relu(self.fc1(h[-1]))))


class SequenceCase(Case):
    def data(self, n, seed=0):
        rng = np.random.default_rng(seed)
        return rng.standard_normal((n, 100, 1), dtype=np.float32), _binary_targets(rng, n)


class RNN(SequenceCase):
    name = "rnn"
    description = "tutorial RNN: LSTM 10 -> Dense 10 -> 1 on 100 steps"

    def plait_model(self):
        visible = L.Input(shape=(100, 1))
        x = L.Dense(10, activation="relu")(L.LSTM(10)(visible))
        return Model(visible, L.Dense(1, activation="sigmoid")(x))

    def torch_model(self):
        return RNNNet()


# ---------------------------------------------------------------- shared input layer
class SharedInputNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 4), nn.Conv2d(1, 16, 8)
        self.fc1 = nn.Linear(30 * 30 * 32 + 28 * 28 * 16, 10)
        self.out = nn.Linear(10, 1)

    def forward(self, x):
        a = torch.flatten(F.max_pool2d(torch.relu(self.conv1(x)), 2), 1)
        b = torch.flatten(F.max_pool2d(torch.relu(self.conv2(x)), 2), 1)
        x = torch.relu(self.fc1(torch.cat([a, b], 1)))
        return torch.sigmoid(self.out(x))


class SharedInput(ImageCase):
    name = "shared_input"
    description = "tutorial shared input layer: two conv towers (kernels 4, 8) on one image"

    def plait_model(self):
        visible = L.Input(shape=(64, 64, 1))
        a = L.Flatten()(L.MaxPooling2D()(L.Conv2D(32, kernel_size=4, activation="relu")(visible)))
        b = L.Flatten()(L.MaxPooling2D()(L.Conv2D(16, kernel_size=8, activation="relu")(visible)))
        x = L.Dense(10, activation="relu")(L.concatenate([a, b]))
        return Model(visible, L.Dense(1, activation="sigmoid")(x))

    def torch_model(self):
        return SharedInputNet()


# ------------------------------------------------------------ shared feature extractor
class SharedFeatureNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 10, batch_first=True)
        self.fc1, self.fc2 = nn.Linear(10, 10), nn.Linear(10, 10)
        self.fc3, self.fc4 = nn.Linear(10, 20), nn.Linear(20, 10)
        self.out = nn.Linear(20, 1)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        h = h[-1]
        shallow = torch.relu(self.fc1(h))
        deep = torch.relu(self.fc4(torch.relu(self.fc3(torch.relu(self.fc2(h))))))
        return torch.sigmoid(self.out(torch.cat([shallow, deep], 1)))


class SharedFeature(SequenceCase):
    name = "shared_feature"
    description = "tutorial shared feature extractor: one LSTM, a shallow and a deep head"

    def plait_model(self):
        visible = L.Input(shape=(100, 1))
        extract = L.LSTM(10)(visible)
        shallow = L.Dense(10, activation="relu")(extract)
        x = L.Dense(10, activation="relu")(extract)
        x = L.Dense(20, activation="relu")(x)
        deep = L.Dense(10, activation="relu")(x)
        merged = L.concatenate([shallow, deep])
        return Model(visible, L.Dense(1, activation="sigmoid")(merged))

    def torch_model(self):
        return SharedFeatureNet()


# --------------------------------------------------------------------- multiple inputs
class Tower(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(channels, 32, 4), nn.Conv2d(32, 16, 4)

    def forward(self, x):
        x = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        return torch.flatten(F.max_pool2d(torch.relu(self.conv2(x)), 2), 1)


class MultipleInputsNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.tower1, self.tower2 = Tower(1), Tower(3)
        self.fc1 = nn.Linear(13 * 13 * 16 + 5 * 5 * 16, 10)
        self.fc2, self.out = nn.Linear(10, 10), nn.Linear(10, 1)

    def forward(self, x1, x2):
        x = torch.cat([self.tower1(x1), self.tower2(x2)], 1)
        x = torch.relu(self.fc2(torch.relu(self.fc1(x))))
        return torch.sigmoid(self.out(x))


class MultipleInputs(Case):
    name = "multiple_inputs"
    description = "tutorial multiple inputs: 64x64x1 and 32x32x3 conv towers, merged"

    def plait_model(self):
        def tower(visible):
            x = L.MaxPooling2D()(L.Conv2D(32, kernel_size=4, activation="relu")(visible))
            x = L.MaxPooling2D()(L.Conv2D(16, kernel_size=4, activation="relu")(x))
            return L.Flatten()(x)

        visible1, visible2 = L.Input(shape=(64, 64, 1)), L.Input(shape=(32, 32, 3))
        merged = L.concatenate([tower(visible1), tower(visible2)])
        x = L.Dense(10, activation="relu")(L.Dense(10, activation="relu")(merged))
        return Model([visible1, visible2], L.Dense(1, activation="sigmoid")(x))

    def torch_model(self):
        return MultipleInputsNet()

    def data(self, n, seed=0):
        rng = np.random.default_rng(seed)
        xs = [
            rng.random((n, 64, 64, 1), dtype=np.float32),
            rng.random((n, 32, 32, 3), dtype=np.float32),
        ]
        return xs, _binary_targets(rng, n)

    def torch_data(self, xs, ys):
        return [_nchw(x) for x in xs], [torch.from_numpy(ys)]


# -------------------------------------------------------------------- multiple outputs
class MultipleOutputsNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.extract = nn.LSTM(1, 10, batch_first=True)
        self.classify = nn.LSTM(10, 10, batch_first=True)
        self.fc1, self.out1 = nn.Linear(10, 10), nn.Linear(10, 1)
        self.out2 = nn.Linear(10, 1)  # applied to every step, like TimeDistributed(Dense(1))

    def forward(self, x):
        seq, _ = self.extract(x)
        _, (h, _) = self.classify(seq)
        out1 = torch.sigmoid(self.out1(torch.relu(self.fc1(h[-1]))))
        return out1, self.out2(seq)


class MultipleOutputs(SequenceCase):
    name = "multiple_outputs"
    description = "tutorial multiple outputs: LSTM features -> class (LSTM, Dense) and sequence"
    loss = ["binary_crossentropy", "mse"]
    metrics_for_accuracy = [["accuracy"], []]

    def plait_model(self):
        visible = L.Input(shape=(100, 1))
        extract = L.LSTM(10, return_sequences=True)(visible)
        x = L.Dense(10, activation="relu")(L.LSTM(10)(extract))
        output1 = L.Dense(1, activation="sigmoid")(x)
        output2 = L.TimeDistributed(L.Dense(1, activation="linear"))(extract)
        return Model(visible, [output1, output2])

    def torch_model(self):
        return MultipleOutputsNet()

    def data(self, n, seed=0):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((n, 100, 1), dtype=np.float32)
        return x, [_binary_targets(rng, n), rng.standard_normal((n, 100, 1), dtype=np.float32)]

    def torch_loss(self, outs, ys):
        return binary_crossentropy(outs[0], ys[0]) + F.mse_loss(outs[1], ys[1])


# ----------------------------------------------------------------------- digits CNN
class DigitsNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3), nn.Conv2d(32, 64, 3)
        self.dropout = nn.Dropout(0.5)
        self.out = nn.Linear(5 * 5 * 64, 10)

    def forward(self, x):
        x = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = F.max_pool2d(torch.relu(self.conv2(x)), 2)
        return torch.softmax(self.out(self.dropout(torch.flatten(x, 1))), dim=-1)


class Digits(ImageCase):
    name = "digits_cnn"
    description = (
        "digits CNN: Conv2D 32 -> pool -> Conv2D 64 -> pool -> Flatten -> Dropout "
        "-> Dense 10 softmax, 28x28x1"
    )
    shape = (28, 28, 1)
    loss = "sparse_categorical_crossentropy"

    @staticmethod
    def available():
        return hasattr(L, "Dropout")

    def plait_model(self):
        visible = L.Input(shape=(28, 28, 1))
        x = L.MaxPooling2D(pool_size=(2, 2))(
            L.Conv2D(32, kernel_size=(3, 3), activation="relu")(visible)
        )
        x = L.MaxPooling2D(pool_size=(2, 2))(L.Conv2D(64, kernel_size=(3, 3), activation="relu")(x))
        x = L.Dropout(0.5)(L.Flatten()(x))
        return Model(visible, L.Dense(10, activation="softmax")(x))

    def torch_model(self):
        return DigitsNet()

    def data(self, n, seed=0):
        rng = np.random.default_rng(seed)
        x = rng.random((n,) + self.shape, dtype=np.float32)
        return x, rng.integers(0, 10, size=(n,)).astype(np.int64)

    def torch_loss(self, outs, ys):
        return sparse_categorical_crossentropy(outs[0], ys[0])

    def torch_correct(self, outs, ys):
        return sparse_correct(outs[0], ys[0])


# -------------------------------------------------------------------------------- GRU
class GRUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(1, 10, batch_first=True)
        self.fc1, self.out = nn.Linear(10, 10), nn.Linear(10, 1)

    def forward(self, x):
        _, h = self.gru(x)
        return torch.sigmoid(self.out(torch.relu(self.fc1(h[-1]))))


class GRU(SequenceCase):
    name = "gru"
    description = "the tutorial RNN with a GRU: GRU 10 -> Dense 10 -> 1 on 100 steps"

    def plait_model(self):
        visible = L.Input(shape=(100, 1))
        x = L.Dense(10, activation="relu")(L.GRU(10)(visible))
        return Model(visible, L.Dense(1, activation="sigmoid")(x))

    def torch_model(self):
        return GRUNet()


ALL = [
    MLP(),
    CNN(),
    RNN(),
    SharedInput(),
    SharedFeature(),
    MultipleInputs(),
    MultipleOutputs(),
    Digits(),
    GRU(),
]


def available_cases():
    """The cases whose plait layers exist in this checkout."""
    return [case for case in ALL if getattr(case, "available", lambda: True)()]
