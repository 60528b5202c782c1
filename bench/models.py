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


# ------------------------------------------------------------------ large models
# Not in ALL: the "large" section of bench/run.py runs them (a few seconds a step on
# one CPU core), for fit speed and peak memory at a scale where per-step overhead vanishes.


def _keras_bn(channels):
    """BatchNorm2d with Keras's defaults (momentum 0.99, epsilon 1e-3)."""
    return nn.BatchNorm2d(channels, eps=1e-3, momentum=0.01)


class BottleneckBlock(nn.Module):
    """ResNet50's bottleneck: 1x1 (stride), 3x3, 1x1 x4, plus the (projected) shortcut."""

    def __init__(self, cin, filters, stride, project):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(cin, filters, 1, stride), _keras_bn(filters)
        self.conv2, self.bn2 = nn.Conv2d(filters, filters, 3, padding=1), _keras_bn(filters)
        self.conv3, self.bn3 = nn.Conv2d(filters, 4 * filters, 1), _keras_bn(4 * filters)
        self.project = None
        if project:
            self.project = nn.Sequential(
                nn.Conv2d(cin, 4 * filters, 1, stride), _keras_bn(4 * filters)
            )

    def forward(self, x):
        shortcut = x if self.project is None else self.project(x)
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn2(self.conv2(x)))
        x = self.bn3(self.conv3(x))
        return torch.relu(shortcut + x)


RESNET_STAGES = ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))


class ResNet50Net(nn.Module):
    def __init__(self, classes=1000):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 7, 2, padding=3), _keras_bn(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)
        )
        blocks, cin = [], 64
        for filters, count, stride in RESNET_STAGES:
            for i in range(count):
                blocks.append(BottleneckBlock(cin, filters, stride if i == 0 else 1, i == 0))
                cin = 4 * filters
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return torch.softmax(self.fc(x.mean((2, 3))), dim=-1)


class ResNet50(ImageCase):
    name = "resnet50"
    description = "ResNet50 (bottleneck blocks 3-4-6-3, BatchNorm), 224x224x3, 1000 classes"
    shape = (224, 224, 3)
    loss = "sparse_categorical_crossentropy"
    batch_size = 2

    def plait_model(self):
        def conv_bn(x, filters, kernel, stride=1, padding="valid"):
            x = L.Conv2D(filters, kernel, strides=stride, padding=padding)(x)
            return L.BatchNormalization(epsilon=1e-3)(x)

        visible = L.Input(shape=self.shape)
        x = L.ZeroPadding2D(3)(visible)
        x = L.Activation("relu")(conv_bn(x, 64, 7, 2))
        x = L.MaxPooling2D(3, strides=2)(L.ZeroPadding2D(1)(x))
        for filters, count, stride in RESNET_STAGES:
            for i in range(count):
                step = stride if i == 0 else 1
                shortcut = conv_bn(x, 4 * filters, 1, step) if i == 0 else x
                y = L.Activation("relu")(conv_bn(x, filters, 1, step))
                y = L.Activation("relu")(conv_bn(y, filters, 3, padding="same"))
                y = conv_bn(y, 4 * filters, 1)
                x = L.Activation("relu")(L.Add()([shortcut, y]))
        x = L.GlobalAveragePooling2D()(x)
        return Model(visible, L.Dense(1000, activation="softmax")(x))

    def torch_model(self):
        return ResNet50Net()

    def data(self, n, seed=0):
        rng = np.random.default_rng(seed)
        x = rng.random((n,) + self.shape, dtype=np.float32)
        return x, rng.integers(0, 1000, size=(n,)).astype(np.int64)

    def torch_loss(self, outs, ys):
        return sparse_categorical_crossentropy(outs[0], ys[0])

    def torch_correct(self, outs, ys):
        return sparse_correct(outs[0], ys[0])


class EncoderBlock(nn.Module):
    """Post-norm Transformer encoder block: attention, add & norm, FFN, add & norm."""

    def __init__(self, dim, heads, ffn):
        super().__init__()
        self.heads = heads
        self.query, self.key = nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.value, self.out = nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.norm1, self.norm2 = nn.LayerNorm(dim, eps=1e-3), nn.LayerNorm(dim, eps=1e-3)
        self.ffn1, self.ffn2 = nn.Linear(dim, ffn), nn.Linear(ffn, dim)

    def forward(self, x):
        def heads(t):
            return t.unflatten(-1, (self.heads, -1)).transpose(1, 2)

        q, k, v = heads(self.query(x)), heads(self.key(x)), heads(self.value(x))
        attended = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).flatten(2)
        x = self.norm1(x + self.out(attended))
        return self.norm2(x + self.ffn2(torch.relu(self.ffn1(x))))


TRANSFORMER = dict(vocab=20000, length=128, dim=256, heads=4, ffn=1024, blocks=6)


class TransformerNet(nn.Module):
    def __init__(self, vocab, length, dim, heads, ffn, blocks):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.blocks = nn.Sequential(*[EncoderBlock(dim, heads, ffn) for _ in range(blocks)])
        self.out = nn.Linear(dim, 1)

    def forward(self, tokens):
        x = self.blocks(self.embedding(tokens))
        return torch.sigmoid(self.out(x.mean(1)))


class TransformerEncoder(Case):
    name = "transformer"
    description = (
        "Transformer encoder: Embedding 20000x256, 6 post-norm blocks (MultiHeadAttention "
        "4x64, FFN 1024), mean pooling, Dense 1 sigmoid; 128 tokens"
    )
    batch_size = 8

    def plait_model(self):
        c = TRANSFORMER
        tokens = L.Input(shape=(c["length"],), dtype="int64")
        x = L.Embedding(c["vocab"], c["dim"])(tokens)
        for _ in range(c["blocks"]):
            attended = L.MultiHeadAttention(c["heads"], c["dim"] // c["heads"])(x, x)
            x = L.LayerNormalization(epsilon=1e-3)(L.Add()([x, attended]))
            y = L.Dense(c["dim"])(L.Dense(c["ffn"], activation="relu")(x))
            x = L.LayerNormalization(epsilon=1e-3)(L.Add()([x, y]))
        x = L.GlobalAveragePooling1D()(x)
        return Model(tokens, L.Dense(1, activation="sigmoid")(x))

    def torch_model(self):
        return TransformerNet(**TRANSFORMER)

    def data(self, n, seed=0):
        rng = np.random.default_rng(seed)
        tokens = rng.integers(0, TRANSFORMER["vocab"], size=(n, TRANSFORMER["length"]))
        return tokens.astype(np.int64), _binary_targets(rng, n)


LARGE = [ResNet50(), TransformerEncoder()]
