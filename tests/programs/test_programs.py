"""Every program in this folder is a short Keras-style user script (import root `plait`).

Each runs as a script in its own process, from an empty working directory, exactly as a user
would run it; it passes when it exits with status 0. A program checks its own results with
`assert`. Files named `test_*.py` or starting with `_` are not programs.
"""

import os
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PROGRAMS = sorted(
    p
    for p in HERE.glob("*.py")
    if not p.name.startswith(("test_", "_")) and p.name != "conftest.py"
)


def run_program(path: pathlib.Path, cwd: pathlib.Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["KERAS_HOME"] = str(cwd / "keras_home")
    env["MPLBACKEND"] = "Agg"
    return subprocess.run(
        [sys.executable, str(path)], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_program_runs(program, tmp_path):
    done = run_program(program, tmp_path)
    assert done.returncode == 0, (
        f"{program.name} exited with {done.returncode}\n--- stdout ---\n{done.stdout[-3000:]}"
        f"\n--- stderr ---\n{done.stderr[-6000:]}"
    )
