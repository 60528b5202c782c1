"""`get_file`: download a file once into Keras's cache (`~/.keras/datasets`, or
`$KERAS_HOME/datasets`), check its hash, and extract archives.

Downloads go to a temporary file beside the target and are renamed into place only when
complete and, if a hash was given, correct: an interrupted or corrupt download never
stays in the cache.
"""

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile
import zlib

__all__ = ["get_file", "hash_file", "validate_file", "extract_archive", "keras_home"]


def keras_home():
    """The Keras cache folder: `$KERAS_HOME` when set, else `~/.keras`."""
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def _hasher(algorithm, file_hash=None):
    if algorithm == "sha256" or (
        algorithm == "auto" and file_hash is not None and len(file_hash) == 64
    ):
        return hashlib.sha256()
    if algorithm in ("md5", "auto"):
        return hashlib.md5()
    raise ValueError(
        "get_file: `hash_algorithm` must be 'auto', 'sha256' or 'md5'. "
        f"Received: hash_algorithm={algorithm!r}"
    )


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """The hex digest of the file at `fpath` ("sha256", "md5", or "auto" = sha256)."""
    hasher = _hasher("sha256" if algorithm == "auto" else algorithm)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether the file's hash equals `file_hash` ("auto": sha256 for a 64-digit hash,
    else md5)."""
    return _digest(fpath, file_hash, algorithm, chunk_size) == str(file_hash)


def _digest(fpath, file_hash, algorithm, chunk_size=65535):
    hasher = _hasher(algorithm, file_hash)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def _safe_members(names, root, archive):
    root = os.path.realpath(root)
    for name in names:
        if not name.strip("/"):
            raise ValueError(f"extract_archive: {archive!r} has a member without a name: {name!r}.")
        target = os.path.realpath(os.path.join(root, name))
        if os.path.commonpath([root, target]) != root:
            raise ValueError(
                f"extract_archive: the member {name!r} of {archive!r} would be written "
                f"outside {root}; refusing to extract it."
            )


def extract_archive(file_path, path=".", archive_format="auto"):
    """Extract a tar (.tar, .tar.gz, .tar.bz2) or zip archive into `path`.

    Returns True when the file was an archive of an allowed format and was extracted.
    Members that would land outside `path` (absolute names, `..`) are refused.
    """
    if archive_format is None:
        return False
    formats = (
        ["tar", "zip"]
        if archive_format == "auto"
        else ([archive_format] if isinstance(archive_format, str) else list(archive_format))
    )
    file_path, path = os.fspath(file_path), os.fspath(path)
    for kind in formats:
        if kind == "tar" and _is_tar(file_path):
            _extract(lambda: _extract_tar(file_path, path), path, file_path)
            return True
        if kind == "zip" and zipfile.is_zipfile(file_path):
            _extract(lambda: _extract_zip(file_path, path), path, file_path)
            return True
        if kind not in ("tar", "zip"):
            raise ValueError(
                "extract_archive: `archive_format` must be 'auto', 'tar', 'zip', a list of "
                f"them, or None. Received: archive_format={archive_format!r}"
            )
    return False


def _is_tar(file_path):
    """Whether `file_path` is a tar archive (compressed or not); a compressed stream that
    ends early or is damaged raises ValueError naming the file."""
    try:
        return tarfile.is_tarfile(file_path)
    except (EOFError, zlib.error, OSError) as err:
        raise ValueError(
            f"extract_archive: {file_path!r} is a damaged or truncated archive "
            f"({type(err).__name__}: {err})."
        ) from None


def _extract_tar(file_path, path):
    with tarfile.open(file_path) as archive:
        _safe_members(archive.getnames(), path, file_path)
        # the "data" filter (Python >= 3.11.4) also refuses links and devices
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        archive.extractall(path, **safe)


def _extract_zip(file_path, path):
    with zipfile.ZipFile(file_path) as archive:
        _safe_members(archive.namelist(), path, file_path)
        archive.extractall(path)


def _damaged_archive(archive, path, err):
    return ValueError(
        f"extract_archive: {archive!r} cannot be extracted into {path!r}: it is truncated "
        f"or damaged ({type(err).__name__}: {err})."
    )


def _extract(run, path, archive):
    """Run an extraction into `path`; if it fails, remove what it created and nothing else.

    Keras removes the whole folder, so a damaged archive extracted into the working
    directory (`extract_archive(f, ".")`) would delete the user's files with it."""
    existed = set(os.listdir(path)) if os.path.isdir(path) else None
    try:
        try:
            run()
        except ValueError as err:
            if str(err).startswith("extract_archive:"):
                raise  # a member refused above, by name
            raise _damaged_archive(archive, path, err) from None
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, OSError) as err:
            raise _damaged_archive(archive, path, err) from None
        except (IndexError, KeyError, NotImplementedError, RuntimeError) as err:
            raise _damaged_archive(archive, path, err) from None
    except BaseException:
        if existed is None:
            shutil.rmtree(path, ignore_errors=True)
        else:
            for name in set(os.listdir(path)) - existed:
                created = os.path.join(path, name)
                if os.path.isdir(created) and not os.path.islink(created):
                    shutil.rmtree(created, ignore_errors=True)
                else:
                    os.remove(created)
        raise


def get_file(
    fname=None,
    origin=None,
    untar=False,
    md5_hash=None,
    file_hash=None,
    cache_subdir="datasets",
    hash_algorithm="auto",
    extract=False,
    archive_format="auto",
    cache_dir=None,
    force_download=False,
):
    """Download a file from a URL unless it is already in the cache; return its path.

    The file lands in `cache_dir/cache_subdir/fname` (default `~/.keras/datasets/fname`,
    or `$KERAS_HOME/datasets/fname`). With `extract=True` an archive is unpacked into a
    folder and that folder's path is returned, as in Keras 3: `fname` without a dot names
    the folder (the archive is kept as `fname_archive`); `fname` with a dot names the
    archive (extracted to `<stem>_extracted`).

    Args:
        fname: the file's name in the cache. Default None: the URL's last path segment.
        origin: the URL (http, https, ftp or file). Required.
        untar: deprecated; like `extract=True` with `archive_format="tar"`.
        md5_hash: deprecated; like `file_hash` with `hash_algorithm="md5"`.
        file_hash: the expected sha256 or md5 hex digest of the file. A cached file that
            does not match is downloaded again. Default None: not checked.
        cache_subdir: the sub-folder of the cache (an absolute path is used as given).
            Default "datasets".
        hash_algorithm: "auto" (sha256 for a 64-digit hash, else md5), "sha256" or "md5".
        extract: extract a tar or zip archive. Default False.
        archive_format: "auto" (tar, then zip), "tar", "zip" or None.
        cache_dir: the cache root. Default None: `$KERAS_HOME` or `~/.keras`.
        force_download: download even when the file is cached. Default False.

    Returns:
        The path of the file (or of the extraction folder).

    Raises:
        ValueError: no `origin`, a `fname` holding a path separator, or a download whose
            hash differs from `file_hash` (the message gives both hashes; the file is not
            kept).
        OSError: the download failed (offline, HTTP error); the message names the URL and
            the path where a copy of the file can be put by hand.

    Example:
        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "source.csv").write_text("a,b\\n1,2\\n")
        >>> origin = (folder / "source.csv").as_uri()  # a file:// URL: no network here
        >>> cache = str(folder / "cache")
        >>> path = get_file("data.csv", origin=origin, cache_dir=cache)  # doctest: +ELLIPSIS
        Downloading data from file:///...
        >>> pathlib.Path(path).name, pathlib.Path(path).read_text().splitlines()
        ('data.csv', ['a,b', '1,2'])
    """
    if origin is None:
        raise ValueError(
            'get_file: please specify the "origin" argument (the URL of the file to '
            "download). Received: origin=None"
        )
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    _hasher(hash_algorithm, file_hash)  # validate the argument early
    root = os.path.expanduser(os.fspath(cache_dir) if cache_dir is not None else keras_home())
    if not _writable(root):
        root = os.path.join(tempfile.gettempdir(), ".keras")
    datadir = os.path.join(root, cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    given = os.fspath(fname) if fname else None
    name = given or os.path.basename(urllib.parse.urlsplit(origin).path)
    if not name:
        raise ValueError(
            "get_file: cannot tell the file name from the URL; pass `fname`. "
            f"Received: origin={origin!r}"
        )
    if os.sep in name or (os.altsep and os.altsep in name):
        raise ValueError(
            "get_file: paths are no longer accepted as the `fname` argument. To choose the "
            f"file's folder, use `cache_dir` (and `cache_subdir`). Received: fname={name!r}"
        )
    if extract or untar:
        if given and "." in name:
            target = os.path.join(datadir, name)
            folder = os.path.join(datadir, name[: name.find(".")] + "_extracted")
        else:
            folder = os.path.join(datadir, name)
            target = os.path.join(datadir, name + "_archive")
    else:
        target, folder = os.path.join(datadir, name), None

    download = force_download or not os.path.exists(target)
    if (
        not download
        and file_hash is not None
        and not validate_file(target, file_hash, hash_algorithm)
    ):
        print(
            f"A local file was found at {target}, but it seems to be incomplete or "
            f"outdated because its {_algorithm_name(hash_algorithm, file_hash)} hash "
            f"does not match the original value of {file_hash}, so we will re-download "
            "the data."
        )
        download = True
    if download:
        _download(origin, target, file_hash, hash_algorithm)
    if folder is None:
        return target
    if download or not os.path.isdir(folder):
        shutil.rmtree(folder, ignore_errors=True)
        if not extract_archive(target, folder, "tar" if untar else archive_format):
            warnings.warn(f"Could not extract archive {target}.", stacklevel=2)
    return folder


def _writable(path):
    while not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            return False
        path = parent
    return os.access(path, os.W_OK)


def _algorithm_name(algorithm, file_hash):
    return _hasher(algorithm, file_hash).name


def _download(origin, target, file_hash, hash_algorithm):
    print(f"Downloading data from {origin}")
    handle, partial = tempfile.mkstemp(
        dir=os.path.dirname(target), prefix=os.path.basename(target) + ".", suffix=".part"
    )
    try:
        with os.fdopen(handle, "wb") as out:
            _fetch(origin, target, out)
        if file_hash is not None:
            got = _digest(partial, file_hash, hash_algorithm)
            if got != str(file_hash):
                raise ValueError(
                    f"Incomplete or corrupted file detected: the "
                    f"{_algorithm_name(hash_algorithm, file_hash)} hash of the file "
                    f"downloaded from {origin} is {got}, which does not match the provided "
                    f"value of {file_hash}. The download was removed. Received: "
                    f"file_hash={file_hash!r}"
                )
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _fetch(origin, target, out):
    from plait.utils.progbar import Progbar

    try:
        with urllib.request.urlopen(origin) as response:
            total = response.headers.get("Content-Length") if response.headers else None
            total = int(total) if total else None
            bar = Progbar(total, verbose=1 if total and total > (1 << 20) else 0)
            done = 0
            for chunk in iter(lambda: response.read(1 << 16), b""):
                out.write(chunk)
                done += len(chunk)
                bar.update(min(done, total) if total else done)
    except (urllib.error.URLError, OSError, ValueError) as error:
        code = getattr(error, "code", None)
        reason = getattr(error, "reason", None) or getattr(error, "msg", None) or error
        detail = f"{code} -- {reason}" if code is not None else f"{reason}"
        raise OSError(
            f"URL fetch failure on {origin}: {detail}. If you are offline, download the "
            f"file elsewhere and put it at {target} (the cache is $KERAS_HOME or ~/.keras; "
            "set KERAS_HOME to use another folder)."
        ) from error
