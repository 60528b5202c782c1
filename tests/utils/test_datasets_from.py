"""timeseries_dataset_from_array and the *_dataset_from_directory functions."""

import os

import numpy as np
import pytest
import torch

import plait
from plait import layers, utils

TIMESERIES = [
    dict(sequence_length=3),
    dict(sequence_length=3, sequence_stride=2, batch_size=2),
    dict(sequence_length=2, sampling_rate=3, batch_size=4),
    dict(sequence_length=4, start_index=2, end_index=15, batch_size=3),
    dict(sequence_length=3, batch_size=None),
]


def _reference(
    data,
    targets,
    sequence_length,
    sequence_stride=1,
    sampling_rate=1,
    batch_size=128,
    start_index=None,
    end_index=None,
):
    """The windows as Keras's docstring defines them, computed by brute force."""
    start = start_index or 0
    end = len(data) if end_index is None else end_index
    count = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        count = min(count, len(targets))
    windows, labels = [], []
    for p in range(0, count, sequence_stride):
        windows.append([data[start + p + k * sampling_rate] for k in range(sequence_length)])
        labels.append(targets[start + p])
    return np.array(windows), np.array(labels)


@pytest.mark.parametrize("kwargs", TIMESERIES)
def test_timeseries_windows_match_the_definition(kwargs):
    data = np.arange(40).reshape(20, 2)
    targets = np.arange(100, 120)
    ds = utils.timeseries_dataset_from_array(data, targets, **kwargs)
    windows, labels = _reference(data, targets, **kwargs)
    got = list(ds)
    if kwargs.get("batch_size", 128) is None:
        assert len(got) == len(windows) == len(ds)
        xs = np.stack([x.numpy() for x, _ in got])
        ys = np.array([int(y) for _, y in got])
    else:
        assert len(got) == len(ds)
        assert all(len(x) <= kwargs.get("batch_size", 128) for x, _ in got)
        xs = np.concatenate([x.numpy() for x, _ in got])
        ys = np.concatenate([y.numpy() for _, y in got])
    np.testing.assert_array_equal(xs, windows)
    np.testing.assert_array_equal(ys, labels)


def test_timeseries_shuffle_keeps_pairs_and_no_targets():
    data = np.arange(30, dtype="float32")[:, None]
    ds = utils.timeseries_dataset_from_array(
        data, np.arange(30), 4, shuffle=True, seed=3, batch_size=5
    )
    for x, y in ds:
        np.testing.assert_array_equal(x[:, 0, 0].numpy(), y.numpy())
    first = torch.cat([y for _, y in ds])
    assert sorted(first.tolist()) == list(range(27)) and first.tolist() != list(range(27))
    only = list(utils.timeseries_dataset_from_array(data, None, 4, batch_size=100))
    assert len(only) == 1 and only[0].shape == (27, 4, 1)


def test_timeseries_fit_and_errors():
    data = np.random.default_rng(0).normal(size=(50, 3)).astype("float32")
    ds = utils.timeseries_dataset_from_array(data[:-5], data[5:, 0], 5, batch_size=8)
    model = plait.Sequential([plait.Input((5, 3)), layers.LSTM(4), layers.Dense(1)])
    model.compile("adam", "mse")
    assert len(model.fit(ds, epochs=2, verbose=0).history["loss"]) == 2
    with pytest.raises(ValueError, match="start_index=60"):
        utils.timeseries_dataset_from_array(data, None, 3, start_index=60)
    with pytest.raises(ValueError, match="sampling_rate=0"):
        utils.timeseries_dataset_from_array(data, None, 3, sampling_rate=0)
    with pytest.raises(ValueError, match="end_index=2"):
        utils.timeseries_dataset_from_array(data, None, 3, start_index=4, end_index=2)


@pytest.fixture
def image_dir(tmp_path):
    rng = np.random.default_rng(0)
    for cls, count in (("cats", 6), ("dogs", 4)):
        (tmp_path / cls).mkdir()
        for i in range(count):
            img = rng.integers(0, 256, size=(10 + i, 12, 3)).astype("float32")
            utils.save_img(tmp_path / cls / f"{i}.png", img, scale=False)
    (tmp_path / "cats" / "notes.txt").write_text("not an image")
    return tmp_path


def test_image_dataset_labels_sizes_and_split(image_dir, capsys):
    ds = utils.image_dataset_from_directory(
        image_dir, image_size=(8, 8), batch_size=4, shuffle=False
    )
    assert "Found 10 files belonging to 2 classes." in capsys.readouterr().out
    assert ds.class_names == ["cats", "dogs"] and len(ds) == 3
    batches = list(ds)
    x, y = batches[0]
    assert x.shape == (4, 8, 8, 3) and x.dtype == torch.float32 and y.dtype == torch.int32
    assert torch.cat([b[1] for b in batches]).tolist() == [0] * 6 + [1] * 4
    train = utils.image_dataset_from_directory(
        image_dir,
        image_size=(8, 8),
        seed=1,
        validation_split=0.3,
        subset="training",
        label_mode="categorical",
    )
    val = utils.image_dataset_from_directory(
        image_dir,
        image_size=(8, 8),
        seed=1,
        validation_split=0.3,
        subset="validation",
        label_mode="categorical",
    )
    assert len(train.file_paths) == 7 and len(val.file_paths) == 3
    assert not set(train.file_paths) & set(val.file_paths)
    assert next(iter(val))[1].shape == (3, 2)
    both = utils.image_dataset_from_directory(
        image_dir, image_size=(8, 8), seed=1, validation_split=0.3, subset="both"
    )
    assert both[0].file_paths == train.file_paths and both[1].file_paths == val.file_paths


def test_image_dataset_matches_keras_file_order(image_dir):
    keras = pytest.importorskip("keras")
    from keras.src.utils import dataset_utils

    paths, labels, names = dataset_utils.index_directory(
        str(image_dir), "inferred", formats=(".png",), shuffle=True, seed=5, verbose=False
    )
    ours = utils.image_dataset_from_directory(
        str(image_dir), seed=5, image_size=(4, 4), verbose=False
    )
    assert ours.file_paths == paths and ours.class_names == names
    del keras


def test_index_directory_without_a_seed_keeps_paths_and_labels_together(image_dir):
    from plait.utils.directory_datasets import index_directory

    for _ in range(5):
        paths, labels, names = index_directory(
            str(image_dir), "inferred", (".png",), shuffle=True, seed=None, verbose=False
        )
        assert [names[label] for label in labels] == [
            os.path.basename(os.path.dirname(p)) for p in paths
        ]


def test_image_dataset_trains_and_checks_arguments(image_dir):
    ds = utils.image_dataset_from_directory(
        image_dir,
        image_size=(8, 8),
        batch_size=4,
        label_mode="binary",
        color_mode="grayscale",
        seed=0,
    )
    x, y = next(iter(ds))
    assert x.shape == (4, 8, 8, 1) and y.shape == (4, 1)
    model = plait.Sequential(
        [
            plait.Input((8, 8, 1)),
            layers.Rescaling(1 / 255),
            layers.Flatten(),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    model.fit(ds.prefetch(2).cache(), epochs=1, verbose=0)
    assert len(list(ds.take(1))) == 1
    with pytest.raises(ValueError, match="seed"):
        utils.image_dataset_from_directory(image_dir, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="label_mode"):
        utils.image_dataset_from_directory(image_dir, label_mode="sparse")
    with pytest.raises(ValueError, match="color_mode"):
        utils.image_dataset_from_directory(image_dir, color_mode="cmyk")
    with pytest.raises(ValueError, match="class_names"):
        utils.image_dataset_from_directory(image_dir, class_names=["birds"])


def test_text_dataset(tmp_path):
    for cls in ("neg", "pos"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            (tmp_path / cls / f"{i}.txt").write_text(f"{cls} review number {i}")
    ds = utils.text_dataset_from_directory(
        tmp_path, batch_size=2, shuffle=False, max_length=7, verbose=False
    )
    assert ds.class_names == ["neg", "pos"]
    texts, labels = next(iter(ds))
    assert list(texts) == ["neg rev", "neg rev"] and labels.tolist() == [0, 0]
    unlabeled = utils.text_dataset_from_directory(
        tmp_path, labels=None, batch_size=None, shuffle=False, verbose=False
    )
    assert list(unlabeled)[-1] == "pos review number 2"


def _write_wav(path, samples, rate=8000):
    import wave

    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(np.asarray(samples, dtype="<i2").tobytes())


def test_audio_dataset(tmp_path):
    for cls, length in (("no", 5), ("yes", 8)):
        (tmp_path / cls).mkdir()
        for i in range(2):
            _write_wav(tmp_path / cls / f"{i}.wav", [16384] * (length + i))
    ds = utils.audio_dataset_from_directory(tmp_path, batch_size=4, shuffle=False, verbose=False)
    audio, labels = next(iter(ds))
    assert ds.class_names == ["no", "yes"] and labels.tolist() == [0, 0, 1, 1]
    assert tuple(audio.shape) == (4, 9, 1) and audio.dtype == torch.float32
    assert audio[0, :5, 0].tolist() == [0.5] * 5 and audio[0, 5:, 0].tolist() == [0.0] * 4
    fixed = utils.audio_dataset_from_directory(
        tmp_path, batch_size=4, shuffle=False, output_sequence_length=6, verbose=False
    )
    assert tuple(next(iter(fixed))[0].shape) == (4, 6, 1)
    ragged = utils.audio_dataset_from_directory(
        tmp_path, batch_size=4, shuffle=False, ragged=True, verbose=False
    )
    assert [len(c) for c in next(iter(ragged))[0]] == [5, 6, 8, 9]
    resampled = utils.audio_dataset_from_directory(
        tmp_path, batch_size=1, shuffle=False, sampling_rate=16000, verbose=False
    )
    assert next(iter(resampled))[0].shape[1] == 10
    with pytest.raises(ValueError, match="ragged"):
        utils.audio_dataset_from_directory(tmp_path, ragged=True, output_sequence_length=3)
