"""plait.datasets loaders on small files the tests write in Keras's formats into a
temporary KERAS_HOME (no network), compared with Keras's own loaders on the same files."""

import gzip
import hashlib
import io
import json
import os
import pickle
import tarfile

import numpy as np
import pytest

from plait import datasets
from plait.datasets import _common

keras = pytest.importorskip("keras")
import keras.src.datasets as kd  # noqa: E402  (the oracle's modules)
from keras.src.datasets import (  # noqa: E402,F401
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    folder = tmp_path / "datasets"
    folder.mkdir()
    return folder


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _same(ours, theirs):
    for a, b in zip(ours, theirs):
        for u, v in zip(a, b):
            assert u.dtype == v.dtype and u.shape == v.shape
            if u.dtype == object:
                assert [list(s) for s in u] == [list(s) for s in v]
            else:
                np.testing.assert_array_equal(u, v)


def _use(monkeypatch, module, attr, path, keras_module):
    """Let plait's loader accept the test file's hash; point Keras's loader at the file."""
    monkeypatch.setattr(module, attr, _sha(path) if path.is_file() else None)
    monkeypatch.setattr(keras_module, "get_file", lambda *a, **k: str(path))


def test_mnist(cache, monkeypatch):
    rng = np.random.default_rng(0)
    arrays = {
        k: rng.integers(0, 255, size=s).astype("uint8")
        for k, s in (
            ("x_train", (5, 28, 28)),
            ("y_train", (5,)),
            ("x_test", (3, 28, 28)),
            ("y_test", (3,)),
        )
    }
    np.savez(cache / "mnist.npz", **arrays)
    _use(monkeypatch, datasets.mnist, "FILE_HASH", cache / "mnist.npz", kd.mnist)
    ours = datasets.mnist.load_data()
    _same(ours, kd.mnist.load_data())
    np.testing.assert_array_equal(ours[0][0], arrays["x_train"])


def test_mnist_with_keras_hash_offline_says_where_to_put_the_file(cache):
    np.savez(cache / "mnist.npz", x=np.zeros(3))  # not Keras's file: the hash differs
    with pytest.raises(OSError, match="storage.googleapis.com.*mnist.npz") as info:
        datasets.mnist.load_data()
    assert str(cache / "mnist.npz") in str(info.value)


def test_fashion_mnist_has_no_hash(cache, monkeypatch):
    folder = cache / "fashion-mnist"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for prefix, n in (("train", 4), ("t10k", 2)):
        labels = rng.integers(0, 10, size=n).astype("uint8")
        images = rng.integers(0, 255, size=(n, 28, 28)).astype("uint8")
        with gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(b"\0" * 8 + labels.tobytes())
        with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(b"\0" * 16 + images.tobytes())
    ours = datasets.fashion_mnist.load_data()
    monkeypatch.setattr(kd.fashion_mnist, "get_file", lambda fname, **k: str(folder / fname))
    _same(ours, kd.fashion_mnist.load_data())


def _cifar_tar(cache, name, inner, files):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for fname, content in files.items():
            data = pickle.dumps(content, protocol=4)
            info = tarfile.TarInfo(f"{inner}/{fname}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (cache / name).write_bytes(buffer.getvalue())
    return cache / name


def test_cifar10(cache, monkeypatch):
    rng = np.random.default_rng(2)

    def batch(n):
        return {
            b"data": rng.integers(0, 255, size=(n, 3072)).astype("uint8"),
            b"labels": [int(v) for v in rng.integers(0, 10, size=n)],
        }

    files = {f"data_batch_{i}": batch(2) for i in range(1, 6)}
    files["test_batch"] = batch(3)
    archive = _cifar_tar(cache, "cifar-10-batches-py-target_archive", "cifar-10-batches-py", files)
    monkeypatch.setattr(datasets.cifar10, "FILE_HASH", _sha(archive))
    # Keras's loader fills 50,000 rows from five 10,000-image batches: compare per batch
    (x_train, y_train), (x_test, y_test) = datasets.cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and y_train.shape == (10, 1)
    assert x_train.dtype == y_train.dtype == x_test.dtype == y_test.dtype == np.uint8
    folder = cache / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    data, labels = kd.cifar.load_batch(str(folder / "data_batch_2"))
    np.testing.assert_array_equal(x_train[2:4], data.transpose(0, 2, 3, 1))
    assert y_train[2:4, 0].tolist() == labels
    data, labels = kd.cifar.load_batch(str(folder / "test_batch"))
    np.testing.assert_array_equal(x_test, data.transpose(0, 2, 3, 1))


def test_cifar100_and_the_restricted_unpickler(cache, monkeypatch):
    rng = np.random.default_rng(3)

    def batch(n):
        return {
            b"data": rng.integers(0, 255, size=(n, 3072)).astype("uint8"),
            b"fine_labels": list(range(n)),
            b"coarse_labels": [n - i for i in range(n)],
        }

    archive = _cifar_tar(
        cache,
        "cifar-100-python-target_archive",
        "cifar-100-python",
        {"train": batch(4), "test": batch(2)},
    )
    _use(monkeypatch, datasets.cifar100, "FILE_HASH", archive, kd.cifar100)
    monkeypatch.setattr(
        kd.cifar100, "get_file", lambda *a, **k: str(cache / "cifar-100-python-target")
    )
    for mode in ("fine", "coarse"):
        _same(datasets.cifar100.load_data(mode), kd.cifar100.load_data(mode))
    with pytest.raises(ValueError, match="label_mode=medium"):
        datasets.cifar100.load_data("medium")
    evil = cache / "evil"
    evil.write_bytes(pickle.dumps({b"data": os.system}))
    with pytest.raises(ValueError, match="Refusing"):
        datasets.cifar.load_batch(str(evil))


def _sequences(rng, n, vocab=30):
    out = np.empty(n, dtype=object)
    out[:] = [list(map(int, rng.integers(1, vocab, size=rng.integers(2, 12)))) for _ in range(n)]
    return out


IMDB_ARGS = [
    {},
    {"num_words": 10},
    {"maxlen": 8, "seed": 1},
    {"skip_top": 3, "oov_char": None},
    {"start_char": None, "index_from": 0},
    {"num_words": 12, "index_from": 2},
]


@pytest.mark.parametrize("kwargs", IMDB_ARGS)
def test_imdb_matches_keras(cache, monkeypatch, kwargs):
    rng = np.random.default_rng(4)
    np.savez(
        cache / "imdb.npz",
        x_train=_sequences(rng, 12),
        y_train=rng.integers(0, 2, 12),
        x_test=_sequences(rng, 8),
        y_test=rng.integers(0, 2, 8),
    )
    _use(monkeypatch, datasets.imdb, "FILE_HASH", cache / "imdb.npz", kd.imdb)
    _same(datasets.imdb.load_data(**kwargs), kd.imdb.load_data(**kwargs))


@pytest.mark.parametrize("kwargs", IMDB_ARGS[:4] + [{"test_split": 0.5}])
def test_reuters_matches_keras(cache, monkeypatch, kwargs):
    rng = np.random.default_rng(5)
    np.savez(cache / "reuters.npz", x=_sequences(rng, 15), y=rng.integers(0, 46, 15))
    _use(monkeypatch, datasets.reuters, "FILE_HASH", cache / "reuters.npz", kd.reuters)
    _same(datasets.reuters.load_data(**kwargs), kd.reuters.load_data(**kwargs))
    assert datasets.reuters.get_label_names() == kd.reuters.get_label_names()


def test_word_indices(cache, monkeypatch):
    for module, name in (
        (datasets.imdb, "imdb_word_index.json"),
        (datasets.reuters, "reuters_word_index.json"),
    ):
        (cache / name).write_text(json.dumps({"the": 1, "and": 2}))
        monkeypatch.setattr(
            module, "WORD_INDEX_HASH", hashlib.md5((cache / name).read_bytes()).hexdigest()
        )
        assert module.get_word_index() == {"the": 1, "and": 2}


@pytest.mark.parametrize("kwargs", [{}, {"test_split": 0.5, "seed": 3}, {"test_split": 0.0}])
def test_housing_match_keras(cache, monkeypatch, kwargs):
    rng = np.random.default_rng(6)
    np.savez(cache / "boston_housing.npz", x=rng.normal(size=(20, 13)), y=rng.normal(size=20))
    np.savez(cache / "california_housing.npz", x=rng.normal(size=(700, 8)), y=rng.normal(size=700))
    _use(
        monkeypatch,
        datasets.boston_housing,
        "FILE_HASH",
        cache / "boston_housing.npz",
        kd.boston_housing,
    )
    _use(
        monkeypatch,
        datasets.california_housing,
        "FILE_HASH",
        cache / "california_housing.npz",
        kd.california_housing,
    )
    _same(datasets.boston_housing.load_data(**kwargs), kd.boston_housing.load_data(**kwargs))
    for version in ("small", "large"):
        _same(
            datasets.california_housing.load_data(version, **kwargs),
            kd.california_housing.load_data(version, **kwargs),
        )
    with pytest.raises(ValueError, match="test_split"):
        datasets.boston_housing.load_data(test_split=1.0)
    with pytest.raises(ValueError, match="version=medium"):
        datasets.california_housing.load_data("medium")


def test_load_npz_refuses_code(cache):
    class Evil:
        def __reduce__(self):
            return (os.system, ("true",))

    bad = np.empty(1, dtype=object)
    bad[0] = Evil()
    np.savez(cache / "bad.npz", x=bad)
    with pytest.raises(ValueError, match="Refusing"):
        _common.load_npz(cache / "bad.npz")
