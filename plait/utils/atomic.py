"""Atomic file writes: a crash, a kill or an error mid-write never destroys the old file.

    with atomic_write("m.plait") as f:
        f.write(data)

The data goes to a hidden temporary file in the target's own folder (so the final rename
stays on one file system), is flushed and fsync'ed, and only then renamed over the target
with `os.replace`, which is atomic on POSIX and Windows. The folder is fsync'ed too, so the
rename itself survives a power cut. On an error the temporary file is removed; after a
SIGKILL it stays behind as `.<name>.<random>.tmp`, and the target is untouched.

Debris after a crash: while it writes, a writer holds an exclusive `flock` on its temporary
file, and the kernel releases that lock when the process dies, however it dies. Each new
write to a path first removes the temporaries of that same path whose lock it can take: their
writers are dead. A temporary that a live process is writing is never touched. (On systems
without `fcntl`, such as Windows, stale temporaries are left for the user to delete.)
"""

import contextlib
import os
import re
import secrets
import time

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, so no cleanup of others' temporaries
    fcntl = None  # type: ignore[assignment]  # an optional module: None where absent

# A temporary just created but not yet locked by its writer (a window of microseconds) is
# empty and new; one that old and empty is left alone rather than raced for.
_FRESH_SECONDS = 2.0

__all__ = ["atomic_path", "atomic_write"]


@contextlib.contextmanager
def atomic_write(path, overwrite=True):
    """Open a binary file that replaces `path` only when the `with` block ends cleanly.

    Args:
        path: the file to write (str or os.PathLike). Its folder must exist.
        overwrite: when False and `path` exists, raise instead of replacing it.
            Default True.

    Yields:
        A binary file object opened for writing (seekable).
    """
    with atomic_path(path, overwrite) as tmp:
        with open(tmp, "wb") as f:
            yield f


@contextlib.contextmanager
def atomic_path(path, overwrite=True):
    """Like `atomic_write`, for writers that take a path: yields the temporary file's path
    (created empty); it replaces `path` when the block ends cleanly."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(
            f"Cannot write '{path}': the folder '{folder}' does not exist. Create it first "
            f"(os.makedirs). Received: filepath={path!r}"
        )
    if os.path.isdir(path):
        raise ValueError(
            f"Cannot write '{path}': it is a folder. Give a file name. Received: filepath={path!r}"
        )
    if not overwrite and os.path.exists(path):
        raise ValueError(
            f"'{path}' already exists and overwrite=False. Pass overwrite=True to replace it, "
            f"or choose another name. Received: filepath={path!r}"
        )
    remove_stale_temporaries(path)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
    # os.open with 0o666 lets the umask set the permissions, as a plain open() would.
    lock = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)  # held until the rename: "a live writer"
        yield tmp
        fd = os.open(tmp, os.O_RDWR)  # Windows cannot fsync a read-only handle
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    finally:
        os.close(lock)
    _fsync_folder(folder)


def temporaries_of(path):
    """The temporary files that writes to `path` made and have not renamed (yet)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    pattern = re.compile(rf"\.{re.escape(os.path.basename(path))}\.[0-9a-f]{{8}}\.tmp")
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return [os.path.join(folder, n) for n in sorted(names) if pattern.fullmatch(n)]


def remove_stale_temporaries(path):
    """Remove the temporaries of `path` left by writers that died (see the module's doc).

    Returns:
        The paths removed.
    """
    if fcntl is None:
        return []
    removed = []
    for tmp in temporaries_of(path):
        try:
            fd = os.open(tmp, os.O_RDONLY)
        except OSError:
            continue  # renamed or removed meanwhile
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # a live writer holds it
        try:
            info = os.fstat(fd)
            if info.st_size == 0 and time.time() - info.st_mtime < _FRESH_SECONDS:
                continue  # possibly a writer between creating and locking its file
            os.remove(tmp)
            removed.append(tmp)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def _fsync_folder(folder):
    if os.name != "posix":
        return  # Windows cannot open a folder; its rename is durable by itself
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on folders; the data is already safe
    finally:
        os.close(fd)
