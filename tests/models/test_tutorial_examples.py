"""The tutorial's seven programs (examples/tutorial/) print exactly the tutorial's summaries
and write their plots."""

import contextlib
import io
import pathlib
import runpy

import pytest

import plait

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "tutorial").glob("*.py"))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_example(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plait.backend.clear_session()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(path), run_name="__main__")
    return out.getvalue()


def test_all_seven_examples_are_here():
    assert len(EXAMPLES) == 7


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_prints_tutorial_summary_and_writes_png(path, tmp_path, monkeypatch):
    printed = run_example(path, tmp_path, monkeypatch)
    golden = (ROOT / "tests" / "golden" / f"{path.stem}.txt").read_text()
    assert printed == golden
    pngs = list(tmp_path.glob("*.png"))
    assert len(pngs) == 1 and pngs[0].read_bytes()[:8] == PNG_MAGIC
