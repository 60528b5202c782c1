"""Fuzzing the dataset readers and archive extraction: a damaged file in Keras's dataset
cache, or a damaged download, ends in a ValueError naming the file, or loads; never another
exception type, a code import, or memory beyond a bound. Extraction never writes outside
its folder and, when it fails, removes only what it created.

The same derandomized settings and mutations as the model-file fuzzers; PLAIT_FUZZ_LONG=1 runs
500 cases per test."""

import gzip
import io
import json
import pathlib
import pickle
import resource
import sys
import tarfile
import tempfile
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from plait import datasets
from plait.utils import file_utils
from tests.saving.test_fuzz import FUZZ, mutate, mutation

CANARY = "plait_dataset_canary"  # a module a crafted pickle names; it is never imported


def _npz(**arrays):
    out = io.BytesIO()
    np.savez(out, **arrays)
    return out.getvalue()


def _sequences(rng, n):
    out = np.empty(n, dtype=object)
    out[:] = [[int(w) for w in rng.integers(1, 50, size=rng.integers(1, 8))] for _ in range(n)]
    return out


def _seeds():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, size=(4, 28, 28), dtype=np.uint8)
    labels = np.arange(4, dtype=np.uint8)
    idx_labels = b"\x00\x00\x08\x01" + (4).to_bytes(4, "big") + labels.tobytes()
    idx_images = b"\x00\x00\x08\x03" + b"\x00" * 12 + image.tobytes()
    cifar = {b"data": rng.integers(0, 255, size=(3, 3072), dtype=np.uint8), b"labels": [0, 1, 2]}
    return {
        "mnist": _npz(x_train=image, y_train=labels, x_test=image, y_test=labels),
        "imdb": _npz(
            x_train=_sequences(rng, 6),
            y_train=np.arange(6) % 2,
            x_test=_sequences(rng, 4),
            y_test=np.arange(4) % 2,
        ),
        "housing": _npz(x=rng.random((20, 13)), y=rng.random(20)),
        "cifar": pickle.dumps(cifar),
        "word_index": json.dumps({"the": 1, "film": 2}).encode(),
        "idx_labels": gzip.compress(idx_labels, mtime=0),
        "idx_images": gzip.compress(idx_images, mtime=0),
    }


SEEDS = _seeds()


def _loaders(monkeypatch, tmp_path):
    """name -> a function loading the seed's bytes as that dataset reads its file."""

    def through(module, call, name="f"):
        def load(data):
            path = tmp_path / name
            path.write_bytes(data)
            monkeypatch.setattr(module, "get_file", lambda *a, **k: str(path))
            return call()

        return load

    def fashion(data, which):
        for name in datasets.fashion_mnist.FILES:
            good = SEEDS["idx_images" if "images" in name else "idx_labels"]
            (tmp_path / name).write_bytes(data if which in name else good)
        monkeypatch.setattr(
            datasets.fashion_mnist, "get_file", lambda name, **k: str(tmp_path / name)
        )
        return datasets.fashion_mnist.load_data()

    def cifar(data):
        (tmp_path / "batch").write_bytes(data)
        return datasets.cifar.load_batch(str(tmp_path / "batch"))

    return {
        "mnist": through(datasets.mnist, datasets.mnist.load_data),
        "imdb": through(datasets.imdb, lambda: datasets.imdb.load_data(num_words=30)),
        "housing": through(datasets._common, datasets.boston_housing.load_data),
        "cifar": cifar,
        "word_index": through(datasets.imdb, datasets.imdb.get_word_index),
        "idx_labels": lambda data: fashion(data, "train-labels"),
        "idx_images": lambda data: fashion(data, "t10k-images"),
    }


def _clean(load, data):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        load(data)
    except ValueError as err:
        assert str(err)
    assert CANARY not in sys.modules
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 1024 * 1024


@pytest.mark.parametrize("kind", sorted(SEEDS))
def test_seed_files_load(monkeypatch, tmp_path, kind):
    _loaders(monkeypatch, tmp_path)[kind](SEEDS[kind])


@FUZZ
@given(kind=st.sampled_from(sorted(SEEDS)), mutations=st.lists(mutation, min_size=1, max_size=3))
def test_mutated_dataset_files_raise_only_value_errors(monkeypatch, tmp_path, kind, mutations):
    _clean(_loaders(monkeypatch, tmp_path)[kind], mutate(SEEDS[kind], mutations))


def _crafted_pickle():
    """A pickle that calls `plait_dataset_canary.run()` when loaded without restriction."""
    return b"cplait_dataset_canary\nrun\n(tR."


def _crafted_npz():
    """An imdb-style `.npz` whose object array's payload is that pickle."""
    member = io.BytesIO()
    header = {"descr": "|O", "fortran_order": False, "shape": (1,)}
    np.lib.format.write_array_header_1_0(member, header)
    member.write(_crafted_pickle())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in ("x_train", "y_train", "x_test", "y_test"):
            archive.writestr(name + ".npy", member.getvalue())
    return out.getvalue()


@pytest.mark.parametrize(
    "kind, data",
    [
        ("cifar", _crafted_pickle()),
        ("imdb", _crafted_npz()),
        ("word_index", b'{"the": "1"}'),
        ("word_index", b"[1, 2]"),
        ("mnist", _npz(x_train=np.zeros(3), y_train=np.zeros(3))),  # members missing
        ("imdb", _npz(x_train=np.zeros(3), y_train=np.zeros(3), x_test=np.zeros(3), y_test=[1])),
        ("idx_images", gzip.compress(b"\x00" * 20, mtime=0)),  # fewer images than labels
    ],
    ids=[
        "pickle_naming_a_module",
        "npz_naming_a_module",
        "index_not_int",
        "index_not_dict",
        "members_missing",
        "lengths_differ",
        "fewer_images",
    ],
)
def test_crafted_dataset_files_raise_value_errors_naming_them(monkeypatch, tmp_path, kind, data):
    with pytest.raises(ValueError, match=r"f'|batch'|ubyte.gz'|Refusing"):
        _loaders(monkeypatch, tmp_path)[kind](data)
    assert CANARY not in sys.modules


# ------------------------------------------------------------------ archives


def _tar(members):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _zip(members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


ARCHIVES = {
    "tar": _tar([("data/a.txt", b"a" * 300), ("data/b.txt", b"b" * 200)]),
    "zip": _zip([("data/a.txt", b"a" * 300), ("data/b.txt", b"b" * 200)]),
}


def _extract_keeps_user_files(tmp_path, data):
    tmp_path = pathlib.Path(tempfile.mkdtemp(dir=tmp_path))  # hypothesis reuses tmp_path
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "my_notes.txt").write_text("mine")
    archive = tmp_path / "download"
    archive.write_bytes(data)
    try:
        file_utils.extract_archive(str(archive), str(folder))
    except ValueError as err:
        assert "download" in str(err)
        assert sorted(p.name for p in folder.iterdir()) == ["my_notes.txt"]
    assert (folder / "my_notes.txt").read_text() == "mine"
    for path in tmp_path.rglob("*"):
        assert path.resolve().is_relative_to(tmp_path.resolve())


@FUZZ
@given(kind=st.sampled_from(sorted(ARCHIVES)), mutations=st.lists(mutation, min_size=1, max_size=3))
def test_mutated_archives_extract_or_fail_cleanly(tmp_path, kind, mutations):
    _extract_keeps_user_files(tmp_path, mutate(ARCHIVES[kind], mutations))


@pytest.mark.parametrize(
    "data",
    [
        _tar([("../escape.txt", b"x")]),
        _tar([("/tmp/absolute.txt", b"x")]),
        _zip([("../escape.txt", b"x")]),
        _zip([("data/../../escape.txt", b"x")]),
    ],
    ids=["tar_parent", "tar_absolute", "zip_parent", "zip_nested_parent"],
)
def test_archive_members_outside_the_folder_are_refused(tmp_path, data):
    folder = tmp_path / "work"
    folder.mkdir()
    (tmp_path / "a.tar").write_bytes(data)
    with pytest.raises(ValueError, match="outside"):
        file_utils.extract_archive(str(tmp_path / "a.tar"), str(folder))
    assert not (tmp_path / "escape.txt").exists()


def test_a_damaged_archive_extracted_into_a_used_folder_removes_only_its_own_files(tmp_path):
    """Keras removes the whole target folder when extraction fails; with `path='.'` that is
    the user's working directory."""
    good = _tar([("new/a.txt", b"a" * 5000), ("new/b.txt", b"b" * 5000)])
    _extract_keeps_user_files(tmp_path, good[: len(good) * 2 // 3])


def test_a_zip_member_without_a_name_is_refused(tmp_path):
    """zipfile raised IndexError extracting a member whose name was empty (found by the
    fuzzer's long run: a size field overwritten)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo(""), b"x")
    _extract_keeps_user_files(tmp_path, out.getvalue())
    (tmp_path / "a.zip").write_bytes(out.getvalue())
    with pytest.raises(ValueError, match="a.zip' has a member without a name"):
        file_utils.extract_archive(str(tmp_path / "a.zip"), str(tmp_path / "out"))
