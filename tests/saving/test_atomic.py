"""Saves are atomic: a process killed mid-save, or a save that fails, leaves the earlier
file intact."""

import os
import pathlib
import signal
import stat
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from plait.models import load_model
from plait.saving import saving_lib
from plait.utils import atomic
from tests.saving import models as M

ROOT = pathlib.Path(__file__).resolve().parents[2]

# The child saves a model over the file, but stalls (announcing it) after writing the first
# 64 KiB of the weights, so the parent can SIGKILL it in the middle of the save.
CHILD = textwrap.dedent("""
    import sys, time
    from plait.saving import safetensors_io
    from tests.saving import models as M

    original = safetensors_io.write

    class Stalling:
        def __init__(self, f):
            self.f, self.count = f, 0

        def write(self, data):
            self.f.write(data)
            self.count += len(data)
            if self.count > 65536:
                print("saving", flush=True)
                time.sleep(120)

    safetensors_io.write = lambda f, tensors, metadata=None: original(Stalling(f), tensors,
                                                                      metadata)
    model = M.TUTORIAL[1]()
    M.perturb(model, seed=99)
    model.save(sys.argv[1])
    print("finished", flush=True)
""")


def test_killed_save_leaves_the_earlier_file_intact(tmp_path):
    path = tmp_path / "m.plait"
    model = M.TUTORIAL[1]()
    M.perturb(model)
    model.save(path)
    before = path.read_bytes()
    inputs = M.sample_inputs(model)
    expected = M.outputs_of(model, inputs)

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
        text=True,
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == "saving", child.stderr.read()
        leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        assert len(leftovers) == 1 and leftovers[0].stat().st_size > 65536  # mid-write
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()

    assert path.read_bytes() == before
    loaded = load_model(path)
    for a, b in zip(expected, M.outputs_of(loaded, inputs)):
        np.testing.assert_array_equal(a, b)


def test_failed_save_leaves_the_earlier_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "m.plait"
    M.TUTORIAL[0]().save(path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(saving_lib.safetensors_io, "write", broken)
    with pytest.raises(OSError, match="disk full"):
        M.TUTORIAL[0]().save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.plait"]


def test_failed_get_config_writes_nothing(tmp_path, monkeypatch):
    model = M.TUTORIAL[0]()

    def broken():
        raise ValueError("no config")

    monkeypatch.setattr(model, "get_config", broken)
    with pytest.raises(ValueError, match="no config"):
        model.save(tmp_path / "m.plait")
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_replaces_and_respects_the_umask(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    with atomic.atomic_write(path) as f:
        f.write(b"new")
        assert path.read_bytes() == b"old"  # not visible until the block ends
    assert path.read_bytes() == b"new"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin"]


def test_atomic_write_refuses_a_folder(tmp_path):
    with pytest.raises(ValueError, match="it is a folder"):
        with atomic.atomic_write(tmp_path):
            pass


def _start_stalled_save(path, env):
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
        text=True,
    )
    line = child.stdout.readline()
    assert line.strip() == "saving", child.stderr.read()
    return child


@pytest.mark.skipif(atomic.fcntl is None, reason="stale temporaries are found through flock")
def test_saves_killed_in_a_loop_leave_no_debris(tmp_path):
    path = tmp_path / "m.plait"
    M.TUTORIAL[1]().save(path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(4):
        child = _start_stalled_save(path, env)
        try:
            # the killed writer before this one is gone; this one's file is live
            assert len(atomic.temporaries_of(path)) == 1
        finally:
            child.kill()
            child.wait(timeout=30)
    assert len(atomic.temporaries_of(path)) == 1  # the last killed writer's
    model = M.TUTORIAL[1]()
    model.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.plait"]
    load_model(path)


@pytest.mark.skipif(atomic.fcntl is None, reason="stale temporaries are found through flock")
def test_a_live_writers_temporary_is_never_removed(tmp_path):
    path = tmp_path / "f.bin"
    with atomic.atomic_write(path) as f:
        f.write(b"x" * 100)
        f.flush()
        (live,) = atomic.temporaries_of(path)
        assert atomic.remove_stale_temporaries(path) == []
        with atomic.atomic_write(path) as g:  # a second writer to the same path
            g.write(b"second")
        assert os.path.exists(live)
    assert path.read_bytes() == b"x" * 100  # the later rename wins, as with any two writers
    assert atomic.temporaries_of(path) == []
