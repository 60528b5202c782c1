"""Reading a `.plait` file (a zip): `open_archive` checks the metadata and yields an
`Archive`, which checks every member's recorded sizes before reading it and turns every
low-level error into a ValueError naming the file. `saving_lib` (whole models) and
`weights` (`load_weights` of a `.plait` file) both read through it.
"""

import contextlib
import json
import os
import sys
import zipfile

__all__ = ["FORMAT_VERSION", "Archive", "open_archive", "plait_version"]

FORMAT_VERSION = 1
_MAX_JSON_BYTES = 64 * 1024 * 1024
# Deflate cannot expand data more than about 1032 times; a larger claim is a damaged header.
_MAX_DEFLATE_RATIO = 1100


def plait_version():
    """The running plait's version (written into and checked against files)."""
    return getattr(sys.modules.get("plait"), "__version__", "unknown")


@contextlib.contextmanager
def open_archive(filepath):
    """Open a `.plait` file and check its metadata; yields an `Archive`."""
    filepath = os.fspath(filepath)
    label = f"'{filepath}'"
    if not os.path.exists(filepath):
        raise ValueError(f"File not found: {label}. Received: filepath={filepath!r}")
    if os.path.isdir(filepath):
        raise ValueError(f"{label} is a folder, not a .plait file. Received: filepath={filepath!r}")
    try:
        zf = zipfile.ZipFile(filepath)
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        ValueError,
        OverflowError,
        UnicodeDecodeError,
        NotImplementedError,
        RuntimeError,
    ) as err:
        raise ValueError(
            f"{label} is not a valid .plait file: it is truncated, damaged, or not a zip "
            f"archive ({type(err).__name__}: {err})."
        ) from None
    with zf:
        archive = Archive(zf, label, os.path.getsize(filepath))
        archive.check_metadata()
        yield archive


class Archive:
    """Read access to a `.plait` zip, with every member's size checked before it is read
    and every low-level error turned into a ValueError naming the file."""

    def __init__(self, zf, label, size):
        self.label = label
        self.size = size
        self._members = {}
        for info in zf.infolist():
            if info.filename in self._members:
                raise ValueError(
                    f"{label} is damaged: it holds two members named '{info.filename[:100]}'."
                )
            self._members[info.filename] = info
        self._zf = zf

    def member_label(self, name):
        return f"'{name}' in {self.label}"

    def has(self, name):
        return name in self._members

    def _info(self, name, limit):
        info = self._members.get(name)
        if info is None:
            raise ValueError(f"{self.label} is not a complete .plait file: it has no '{name}'.")
        if info.flag_bits & 0x1:
            raise ValueError(f"{self.member_label(name)} is encrypted; plait files never are.")
        if info.compress_type == zipfile.ZIP_STORED:
            fits = info.file_size == info.compress_size
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            fits = info.file_size <= info.compress_size * _MAX_DEFLATE_RATIO + 64
        else:
            raise ValueError(
                f"{self.member_label(name)} uses zip compression method "
                f"{info.compress_type}; plait files use only stored or deflate."
            )
        if not fits or info.compress_size > self.size or info.file_size > limit:
            raise ValueError(
                f"{self.label} is damaged: the sizes recorded for '{name}' "
                f"({info.compress_size} bytes stored, {info.file_size} bytes of data) do not "
                f"fit a file of {self.size} bytes."
            )
        return info

    def read_json(self, name):
        info = self._info(name, _MAX_JSON_BYTES)
        with self.open_member(name, info) as (stream, size):
            data = stream.read(size + 1)
        if len(data) != info.file_size:
            raise ValueError(f"{self.member_label(name)} is truncated.")
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as err:
            raise ValueError(
                f"{self.member_label(name)} is damaged: it is not valid JSON ({err})."
            ) from None

    @contextlib.contextmanager
    def open_member(self, name, info=None):
        """Yields `(stream, size)` for member `name`; the stream's read errors are
        ValueErrors."""
        info = info or self._info(name, self.size)
        try:
            raw = self._zf.open(info)
        except Exception as err:  # any failure to parse the local header is damage
            raise self._damaged(name, err) from None
        with raw:
            yield _CheckedStream(raw, self, name), info.file_size

    def _damaged(self, name, err):
        return ValueError(
            f"{self.label} is damaged: reading '{name}' failed ({type(err).__name__}: {err})."
        )

    def check_metadata(self):
        meta = self.read_json("metadata.json")
        if not isinstance(meta, dict) or meta.get("format") != "plait":
            raise ValueError(
                f"{self.label} is not a plait model file: its metadata.json "
                "does not say format 'plait'."
            )
        version = meta.get("format_version")
        if type(version) is not int or version < 1:
            raise ValueError(f"{self.label} is damaged: its format_version is {version!r}.")
        if version > FORMAT_VERSION:
            raise ValueError(
                f"{self.label} was saved by a newer plait ({meta.get('plait_version')}) in "
                f"file format version {version}; this plait ({plait_version()}) reads "
                f"format versions up to {FORMAT_VERSION}. Upgrade plait "
                "(pip install -U plait) to load it."
            )
        return meta


class _CheckedStream:
    """A member stream whose low-level errors (bad CRC, bad deflate data, short file)
    become ValueErrors naming the file."""

    def __init__(self, raw, archive, name):
        self._raw, self._archive, self._name = raw, archive, name

    def read(self, size=-1):
        try:
            return self._raw.read(size)
        except Exception as err:  # zipfile raises many kinds on damaged data
            raise self._archive._damaged(self._name, err) from None
