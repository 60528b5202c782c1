"""plait.utils against keras.utils (Keras 3 on PyTorch): the same inputs, the same outputs."""

import numpy as np
import pytest
import torch

from plait import utils

keras = pytest.importorskip("keras")

CATEGORICAL = [
    ([0, 1, 2], None),
    ([0, 2, 1, 2], 5),
    (np.array([[1], [0], [3]]), None),
    (np.array([[0, 1], [2, 3]]), 4),
    (np.array([[[1]], [[0]]]), 2),
    ([3], 4),
]


@pytest.mark.parametrize("labels,num_classes", CATEGORICAL)
def test_to_categorical_matches_keras(labels, num_classes):
    ours = utils.to_categorical(labels, num_classes)
    theirs = keras.utils.to_categorical(labels, num_classes)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


def test_to_categorical_tensor_matches_keras():
    labels = torch.tensor([[2], [0], [1]])
    ours = utils.to_categorical(labels, 3)
    theirs = keras.utils.to_categorical(labels, 3)
    np.testing.assert_array_equal(ours.numpy(), np.asarray(theirs))
    assert ours.dtype == torch.float32


SEQUENCES = [[1, 2, 3], [4, 5], [], [6, 7, 8, 9, 10]]
PAD_CASES = [
    {},
    {"maxlen": 3},
    {"maxlen": 3, "padding": "post"},
    {"maxlen": 3, "truncating": "post"},
    {"maxlen": 6, "padding": "post", "truncating": "post", "value": -1},
    {"dtype": "float32", "value": 0.5},
    {"maxlen": 1, "padding": "post"},
]


@pytest.mark.parametrize("kwargs", PAD_CASES)
def test_pad_sequences_matches_keras(kwargs):
    ours = utils.pad_sequences(SEQUENCES, **kwargs)
    theirs = keras.utils.pad_sequences(SEQUENCES, **kwargs)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


def test_pad_sequences_of_vectors_and_strings_match_keras():
    seqs = [np.ones((2, 3)), np.zeros((4, 3))]
    np.testing.assert_array_equal(
        utils.pad_sequences(seqs, maxlen=3, dtype="float32"),
        keras.utils.pad_sequences(seqs, maxlen=3, dtype="float32"),
    )
    words = [["a", "b"], ["c"]]
    np.testing.assert_array_equal(
        utils.pad_sequences(words, dtype=object, value="<pad>"),
        keras.utils.pad_sequences(words, dtype=object, value="<pad>"),
    )


NORMALIZE = [((4, 3), -1, 2), ((4, 3), 0, 2), ((2, 3, 5), 1, 1), ((5,), -1, 2)]


@pytest.mark.parametrize("shape,axis,order", NORMALIZE)
def test_normalize_matches_keras(shape, axis, order):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    x[0] = 0.0
    # Keras's numpy path turns axis=0 into -1 (and then fails); its tensor path is right
    theirs = np.asarray(keras.utils.normalize(torch.from_numpy(x), axis, order))
    np.testing.assert_allclose(utils.normalize(x, axis, order), theirs, rtol=1e-5, atol=1e-7)
    tensor = utils.normalize(torch.from_numpy(x), axis, order)
    np.testing.assert_allclose(tensor.numpy(), theirs, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("data", [1, (1,), (1, 2), (1, 2, 3), [1, 2]])
def test_pack_unpack_match_keras(data):
    assert utils.unpack_x_y_sample_weight(data) == keras.utils.unpack_x_y_sample_weight(data)


@pytest.mark.parametrize("args", [(1,), ((1, 2),), (1, 2), (1, 2, 3), (1, None, 3)])
def test_pack_matches_keras(args):
    assert utils.pack_x_y_sample_weight(*args) == keras.utils.pack_x_y_sample_weight(*args)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"left_size": 0.8},
        {"right_size": 3},
        {"left_size": 4, "right_size": 6},
        {"left_size": 0.3, "shuffle": True, "seed": 7},
    ],
)
def test_split_dataset_matches_keras(kwargs):
    data = (np.arange(10).reshape(10, 1), np.arange(10) * 2)
    ours = utils.split_dataset(data, **kwargs)
    theirs = keras.utils.split_dataset(data, **kwargs)
    for a, b in zip(ours, theirs):
        assert len(a) == len(b)
        if kwargs.get("shuffle"):  # Keras's torch path: random_split with the seed
            assert [int(s[1]) for s in a] == [int(s[1]) for s in b]


def test_images_round_trip_like_keras(tmp_path):
    x = np.random.default_rng(1).integers(0, 256, size=(5, 7, 3)).astype("float32")
    for scale in (True, False):
        ours = np.asarray(utils.array_to_img(x, scale=scale))
        theirs = np.asarray(keras.utils.array_to_img(x, scale=scale))
        np.testing.assert_array_equal(ours, theirs)
    utils.save_img(tmp_path / "a.png", x, scale=False)
    for kwargs in (
        {},
        {"color_mode": "grayscale"},
        {"target_size": (4, 6)},
        {"target_size": (3, 3), "keep_aspect_ratio": True, "interpolation": "bilinear"},
        {"color_mode": "rgba"},
    ):
        ours = utils.img_to_array(utils.load_img(tmp_path / "a.png", **kwargs))
        theirs = keras.utils.img_to_array(keras.utils.load_img(tmp_path / "a.png", **kwargs))
        np.testing.assert_array_equal(ours, theirs)
