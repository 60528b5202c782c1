"""Ctrl-C in a real process: SIGINT mid-fit, then a second process resumes from
BackupAndRestore and ends with the weights of an unbroken run (interrupt_program.py)."""

import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PROGRAM = HERE / "interrupt_program.py"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _start(work):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("OMP_NUM_THREADS", "1")
    return subprocess.Popen(
        [sys.executable, str(PROGRAM), str(work)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc, timeout=240):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def test_ctrl_c_mid_fit_then_backup_and_restore_resumes_to_the_unbroken_result(tmp_path):
    broken, unbroken = tmp_path / "broken", tmp_path / "unbroken"
    broken.mkdir()
    unbroken.mkdir()
    reference = _start(unbroken)  # runs alongside the interrupted one

    proc = _start(broken)
    deadline = time.monotonic() + 240
    while not (broken / "ready").exists():
        assert proc.poll() is None, _finish(proc)
        assert time.monotonic() < deadline, "the program never got to epoch 1"
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    code, out, err = _finish(proc)
    assert code == 3, (code, out, err[-3000:])
    report = json.loads((broken / "interrupted.json").read_text())
    assert report["epochs"] == [0]  # History kept the epoch that ended
    assert report["iterations"] > 16  # stopped inside epoch 1 (16 steps per epoch)
    assert report["finite"]
    assert report["ended"] == [["accuracy", "loss"]]  # on_train_end ran, with epoch 0's logs
    assert not any(report["training"])  # every layer's mode given back (eval)
    assert "stopping after this training step" in err  # the signal landed inside a step
    # The backup survives on_train_end (the epochs did not all run) and no file is half-written.
    backup = json.loads((broken / "backup" / "state.json").read_text())
    assert backup["epoch"] == 0
    leftovers = [p.name for p in broken.rglob("*.tmp")]
    assert leftovers == []

    code, out, err = _finish(_start(broken))
    assert code == 0, (code, out, err[-3000:])
    resumed = json.loads((broken / "final.json").read_text())
    assert resumed["epochs"] == [1, 2, 3]  # the epochs continue where the backup ended

    code, out, err = _finish(reference)
    assert code == 0, (code, out, err[-3000:])
    expected = json.loads((unbroken / "final.json").read_text())
    assert expected["epochs"] == [0, 1, 2, 3]
    for got, want in zip(resumed["weights"], expected["weights"]):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=0, atol=1e-6)
    assert not (broken / "backup").exists()  # a finished fit deletes its backup

    with zipfile.ZipFile(broken / "checkpoint.keras") as archive:  # complete, not torn
        assert archive.testzip() is None
        assert "model.weights.h5" in archive.namelist()
