"""get_file: Keras's cache layout, hashes, extraction and errors, on local URLs only."""

import contextlib
import functools
import hashlib
import http.server
import os
import pathlib
import tarfile
import threading
import zipfile

import pytest

from plait.utils import get_file
from plait.utils.file_utils import hash_file, validate_file

PAYLOAD = b"plait get_file payload\n" * 100


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    return tmp_path / "keras_home"


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "served" / "data.bin"
    path.parent.mkdir()
    path.write_bytes(PAYLOAD)
    return path


@contextlib.contextmanager
def serve(folder):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_downloads_into_keras_home_datasets_and_then_uses_the_cache(home, source):
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    path = get_file("data.bin", source.as_uri(), file_hash=sha)
    assert path == str(home / "datasets" / "data.bin")
    assert pathlib.Path(path).read_bytes() == PAYLOAD
    source.unlink()  # the cached copy is used: no download
    assert get_file("data.bin", source.as_uri(), file_hash=sha) == path
    assert validate_file(path, sha) and hash_file(path) == sha


def test_http_download_with_md5_cache_subdir_and_name_from_url(home, source):
    md5 = hashlib.md5(PAYLOAD).hexdigest()
    with serve(source.parent) as url:
        path = get_file(origin=url + "/data.bin", md5_hash=md5, cache_subdir="models")
        assert path == str(home / "models" / "data.bin")
        again = get_file(
            origin=url + "/data.bin",
            file_hash=md5,
            hash_algorithm="md5",
            cache_dir=str(home.parent / "other"),
            force_download=True,
        )
    assert pathlib.Path(again).read_bytes() == PAYLOAD


def test_wrong_hash_names_both_hashes_and_keeps_no_file(home, source):
    wrong = "0" * 64
    with pytest.raises(ValueError) as info:
        get_file("data.bin", source.as_uri(), file_hash=wrong)
    message = str(info.value)
    assert wrong in message and hashlib.sha256(PAYLOAD).hexdigest() in message
    assert not (home / "datasets" / "data.bin").exists()
    assert os.listdir(home / "datasets") == []  # no partial download left


def test_offline_error_names_url_and_where_to_put_the_file(home, tmp_path):
    missing = (tmp_path / "nowhere" / "mnist.npz").as_uri()
    with pytest.raises(OSError, match="URL fetch failure on file:") as info:
        get_file("mnist.npz", missing)
    assert str(home / "datasets" / "mnist.npz") in str(info.value)
    with serve(tmp_path) as url:
        with pytest.raises(OSError, match="404"):
            get_file("x.npz", url + "/absent.npz")
    assert os.listdir(home / "datasets") == []


def test_cached_file_with_wrong_hash_is_downloaded_again(home, source, capsys):
    (home / "datasets").mkdir(parents=True)
    (home / "datasets" / "data.bin").write_bytes(b"stale")
    path = get_file("data.bin", source.as_uri(), file_hash=hashlib.sha256(PAYLOAD).hexdigest())
    assert pathlib.Path(path).read_bytes() == PAYLOAD
    assert "re-download" in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["tar.gz", "zip"])
def test_extract_follows_keras_layout(home, tmp_path, kind):
    inner = tmp_path / "pkg"
    inner.mkdir()
    (inner / "a.txt").write_text("hello")
    archive = tmp_path / f"pkg.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(archive, "w") as z:
            z.write(inner / "a.txt", "pkg/a.txt")
    else:
        with tarfile.open(archive, "w:gz") as t:
            t.add(inner, arcname="pkg")
    folder = get_file("pkg_target", archive.as_uri(), extract=True)
    assert folder == str(home / "datasets" / "pkg_target")
    assert (pathlib.Path(folder) / "pkg" / "a.txt").read_text() == "hello"
    assert (home / "datasets" / "pkg_target_archive").exists()
    dotted = get_file(f"pkg.{kind}", archive.as_uri(), extract=True)
    assert dotted == str(home / "datasets" / "pkg_extracted")
    untarred = get_file("old", archive.as_uri(), untar=True) if kind == "tar.gz" else None
    if untarred:
        assert (pathlib.Path(untarred) / "pkg" / "a.txt").exists()


def test_unsafe_archive_member_is_refused(home, tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../escape.txt", "x")
    with pytest.raises(ValueError, match="outside"):
        get_file("evil", archive.as_uri(), extract=True)
    assert not (home / "datasets" / "escape.txt").exists()


def test_argument_errors(home):
    with pytest.raises(ValueError, match="origin"):
        get_file("x")
    with pytest.raises(ValueError, match="cache_dir"):
        get_file("a/b.npz", "file:///x")
    with pytest.raises(ValueError, match="hash_algorithm"):
        get_file("b.npz", "file:///x", file_hash="abc", hash_algorithm="sha1")
