"""plait.preprocessing.{text,sequence,image} against Keras's own Keras 2 code
(keras.src.legacy.preprocessing, shipped with Keras 3): same inputs, same outputs."""

import json
import random

import numpy as np
import pytest

import plait
from plait import layers
from plait.preprocessing import image, sequence, text

legacy = pytest.importorskip("keras.src.legacy.preprocessing.text")
legacy_seq = pytest.importorskip("keras.src.legacy.preprocessing.sequence")
legacy_img = pytest.importorskip("keras.src.legacy.preprocessing.image")

TEXTS = [
    "The cat sat on the mat.",
    "The dog ate my homework!",
    "A cat, a dog; a bird?",
    "",
    "mat mat MAT\tcat",
]
TOKENIZERS = [
    {},
    {"num_words": 4},
    {"oov_token": "<OOV>"},
    {"num_words": 5, "oov_token": "?"},
    {"lower": False},
    {"char_level": True},
    {"filters": "", "split": " "},
]


@pytest.mark.parametrize("kwargs", TOKENIZERS)
def test_tokenizer_matches_keras2(kwargs):
    ours, theirs = text.Tokenizer(**kwargs), legacy.Tokenizer(**kwargs)
    ours.fit_on_texts(TEXTS)
    theirs.fit_on_texts(TEXTS)
    assert ours.word_index == theirs.word_index
    assert ours.index_word == theirs.index_word
    assert dict(ours.word_counts) == dict(theirs.word_counts)
    probe = ["the bird sat on a new mat", "unknown words only", "cat"]
    assert ours.texts_to_sequences(probe) == theirs.texts_to_sequences(probe)
    seqs = theirs.texts_to_sequences(TEXTS + probe)
    assert ours.sequences_to_texts(seqs) == theirs.sequences_to_texts(seqs)
    for mode in ("binary", "count", "freq", "tfidf"):
        np.testing.assert_allclose(
            ours.texts_to_matrix(probe, mode=mode), theirs.texts_to_matrix(probe, mode=mode)
        )
    assert json.loads(ours.to_json()) == json.loads(theirs.to_json())
    back = text.tokenizer_from_json(theirs.to_json())
    assert back.texts_to_sequences(probe) == theirs.texts_to_sequences(probe)


def test_text_functions_match_keras2():
    for sample in TEXTS:
        assert text.text_to_word_sequence(sample) == legacy.text_to_word_sequence(sample)
        assert text.one_hot(sample, 50) == legacy.one_hot(sample, 50)
        assert text.hashing_trick(sample, 20, "md5") == legacy.hashing_trick(sample, 20, "md5")
    with pytest.raises(ValueError, match="mode='words'"):
        text.Tokenizer(num_words=3).sequences_to_matrix([[1]], mode="words")
    with pytest.raises(ValueError, match="fit on some"):
        text.Tokenizer().texts_to_matrix(["a"])


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(length=3),
        dict(length=4, sampling_rate=2, stride=2, batch_size=3),
        dict(length=2, start_index=3, end_index=15, reverse=True, batch_size=5),
    ],
)
def test_timeseries_generator_matches_keras2(kwargs):
    data = np.arange(40).reshape(20, 2)
    targets = np.arange(20) * 10
    ours = sequence.TimeseriesGenerator(data, targets, **kwargs)
    theirs = legacy_seq.TimeseriesGenerator(data, targets, **kwargs)
    assert len(ours) == len(theirs)
    for i in range(len(ours)):
        for a, b in zip(ours[i], theirs[i]):
            np.testing.assert_array_equal(a, b)


def test_skipgrams_and_sampling_table_match_keras2():
    np.testing.assert_allclose(sequence.make_sampling_table(50), legacy_seq.make_sampling_table(50))
    seq = [1, 2, 0, 3, 4, 5, 2, 1]
    table = legacy_seq.make_sampling_table(10, sampling_factor=0.5)
    for kwargs in (
        {},
        {"categorical": True, "window_size": 2},
        {"sampling_table": table, "negative_samples": 2.0},
    ):
        random.seed(1)
        ours = sequence.skipgrams(seq, 10, seed=3, **kwargs)
        random.seed(1)
        theirs = legacy_seq.skipgrams(seq, 10, seed=3, **kwargs)
        assert ours == theirs
    assert sequence.pad_sequences([[1, 2], [3]]).tolist() == [[1, 2], [0, 3]]


def test_keras2_text_program_trains():
    tok = text.Tokenizer(num_words=20, oov_token="<unk>")
    tok.fit_on_texts(TEXTS)
    x = sequence.pad_sequences(tok.texts_to_sequences(TEXTS), maxlen=6)
    model = plait.Sequential(
        [
            plait.Input((6,)),
            layers.Embedding(20, 4),
            layers.LSTM(3),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile("adam", "binary_crossentropy")
    model.fit(x, np.array([1, 0, 1, 0, 1]), epochs=1, verbose=0)


def test_image_data_generator_matches_keras2():
    x = np.random.default_rng(0).uniform(0, 255, size=(6, 8, 10, 3)).astype("float32")
    y = np.arange(6)
    settings = dict(
        rotation_range=20,
        width_shift_range=0.2,
        height_shift_range=2,
        shear_range=10,
        zoom_range=0.2,
        horizontal_flip=True,
        vertical_flip=True,
        channel_shift_range=5.0,
        fill_mode="reflect",
        rescale=1 / 255.0,
        samplewise_center=True,
    )
    ours = image.ImageDataGenerator(**settings).flow(x, y, batch_size=4, seed=7)
    theirs = legacy_img.ImageDataGenerator(**settings).flow(x, y, batch_size=4, seed=7)
    for i in range(2):
        np.random.seed(100 + i)
        a = ours[i]
        np.random.seed(100 + i)
        b = theirs[i]
        np.testing.assert_allclose(a[0], b[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(a[1], b[1])
    for kwargs in (
        {"featurewise_center": True, "featurewise_std_normalization": True},
        {"featurewise_center": True, "zca_whitening": True},
    ):
        gen, ref = image.ImageDataGenerator(**kwargs), legacy_img.ImageDataGenerator(**kwargs)
        gen.fit(x[:, :4, :4])
        ref.fit(x[:, :4, :4])
        np.testing.assert_allclose(gen.mean, ref.mean, rtol=1e-5)
        if ref.std is not None:
            np.testing.assert_allclose(gen.std, ref.std, rtol=1e-5)
        np.testing.assert_allclose(
            gen.standardize(x[0, :4, :4].copy()),
            ref.standardize(x[0, :4, :4].copy()),
            rtol=1e-3,
            atol=1e-3,
        )
    np.testing.assert_allclose(
        gen.zca_whitening_matrix, ref.zca_whitening_matrix, rtol=1e-3, atol=1e-3
    )
    with pytest.warns(UserWarning, match="overrides"):
        image.ImageDataGenerator(featurewise_std_normalization=True, zca_whitening=True)


def test_flow_trains_and_flow_from_directory(tmp_path):
    x = np.random.default_rng(0).uniform(0, 255, size=(12, 8, 8, 3)).astype("float32")
    y = plait.utils.to_categorical(np.arange(12) % 2)
    gen = image.ImageDataGenerator(
        rescale=1 / 255, horizontal_flip=True, width_shift_range=0.1, validation_split=0.25
    )
    model = plait.Sequential(
        [plait.Input((8, 8, 3)), layers.Flatten(), layers.Dense(2, activation="softmax")]
    )
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(
        gen.flow(x, y, batch_size=4, subset="training"),
        validation_data=gen.flow(x, y, batch_size=4, subset="validation"),
        epochs=2,
        verbose=0,
    )
    assert "val_accuracy" in history.history
    batch_x, batch_y = next(gen.flow(x, y, batch_size=5))
    assert batch_x.shape == (5, 8, 8, 3) and batch_x.max() <= 1.0
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            image.save_img(tmp_path / cls / f"{i}.png", x[i])
    it = image.ImageDataGenerator().flow_from_directory(
        tmp_path, target_size=(5, 6), batch_size=4, shuffle=False
    )
    bx, by = it[0]
    assert bx.shape == (4, 5, 6, 3) and by.tolist()[3] == [0.0, 1.0]
    assert it.class_indices == {"a": 0, "b": 1} and it.classes.tolist() == [0, 0, 0, 1, 1, 1]
    with pytest.raises(ValueError, match="fill_mode"):
        image.ImageDataGenerator(fill_mode="mirror")
