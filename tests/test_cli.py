"""The `plait` command: three real subprocesses (the installed script or `python -m plait`),
the rest through `plait.cli.main` in this process (each subprocess pays torch's import)."""

import os
import pathlib
import subprocess
import sys
import zipfile

import pytest

from plait import cli
from tests.saving import models as M

ROOT = pathlib.Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_command(*args, cwd, script=False):
    """Run `plait ARGS` in a new process: the console script when asked and installed,
    else `python -m plait`."""
    installed = pathlib.Path(sys.executable).parent / "plait"
    command = [str(installed)] if script and installed.exists() else [sys.executable, "-m", "plait"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        command + [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    M.reset()
    model = M.TUTORIAL[4]()  # the shared feature extractor: a branching graph
    model.save(folder / "m.plait")
    return folder, M.summary_lines(model)


def test_summary_prints_the_models_summary(saved):
    folder, lines = saved
    result = run_command("summary", "m.plait", cwd=folder, script=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == lines


def test_plot_writes_an_image(saved):
    folder, _ = saved
    result = run_command("plot", "m.plait", "-o", "graph.png", "--show-shapes", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert (folder / "graph.png").read_bytes()[:8] == PNG_MAGIC
    assert result.stdout.strip() == "Wrote graph.png"


def test_errors_are_one_line_and_exit_1(tmp_path):
    (tmp_path / "bad.plait").write_text("not a model")
    result = run_command("summary", "bad.plait", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("plait summary: error: 'bad.plait' is not a valid .plait")
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_plot_svg_sideways_in_process(saved, monkeypatch, capsys):
    folder, _ = saved
    monkeypatch.chdir(folder)
    assert (
        cli.main(
            [
                "plot",
                "m.plait",
                "--output",
                "graph.svg",
                "--rankdir",
                "LR",
                "--show-dtype",
                "--show-trainable",
            ]
        )
        == 0
    )
    assert "<svg" in (folder / "graph.svg").read_text()
    assert capsys.readouterr().out == "Wrote graph.svg\n"


def test_summary_line_length_in_process(saved, monkeypatch, capsys):
    folder, lines = saved
    monkeypatch.chdir(folder)
    assert cli.main(["summary", "m.plait", "--line-length", "120"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "_" * 120


def test_missing_file_in_process(tmp_path, capsys):
    assert cli.main(["summary", str(tmp_path / "missing.plait")]) == 1
    assert "File not found" in capsys.readouterr().err


def test_a_lambda_model_needs_unsafe_and_the_error_says_so(tmp_path, capsys):
    from plait import Input, Model
    from plait.layers import Lambda

    visible = Input(shape=(3,))
    Model(visible, Lambda(lambda t: t * 2)(visible)).save(tmp_path / "l.plait")
    assert cli.main(["summary", str(tmp_path / "l.plait")]) == 1
    assert capsys.readouterr().err.rstrip().endswith("On the command line: add --unsafe.")
    assert cli.main(["summary", str(tmp_path / "l.plait"), "--unsafe"]) == 0
    assert "Lambda" in capsys.readouterr().out


def test_multi_line_errors_print_as_one_line(tmp_path, monkeypatch, capsys):
    """A file whose weights do not fit its config: the loader's message lists the
    problems on several lines; the command prints them on one."""
    M.TUTORIAL[0]().save(tmp_path / "a.plait")
    M.TUTORIAL[3]().save(tmp_path / "b.plait")
    with zipfile.ZipFile(tmp_path / "a.plait") as a, zipfile.ZipFile(tmp_path / "b.plait") as b:
        members = {name: a.read(name) for name in a.namelist()}
        members["model.safetensors"] = b.read("model.safetensors")
    with zipfile.ZipFile(tmp_path / "m.plait", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["plot", "m.plait"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("plait plot: error: The weights in 'model.safetensors' in ")
    assert "do not match model" in err and err.count("\n") == 1
    assert not (tmp_path / "model.png").exists()


@pytest.mark.parametrize(
    "argv,message",
    [
        ([], "the following arguments are required: COMMAND"),
        (["plot", "m.plait", "--rankdir", "XY"], "invalid choice: 'XY'"),
        (["draw", "m.plait"], "invalid choice: 'draw'"),
    ],
)
def test_usage_errors_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "usage: plait" in err and message in err
