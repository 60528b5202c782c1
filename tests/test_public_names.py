"""scripts/public_names.py: it runs, prints a share per module, and finds what it should."""

import importlib.util
import pathlib

import pytest

pytest.importorskip("keras")

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "scripts" / "public_names.py"


def _load():
    spec = importlib.util.spec_from_file_location("public_names", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_prints_share_per_module_and_missing_names(capsys):
    script = _load()
    assert (
        script.main(
            [
                "--only",
                "utils",
                "datasets",
                "preprocessing.sequence",
                "preprocessing.text (Keras 2)",
                "layers (preprocessing)",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    lines = {line.split("  ")[0]: line for line in out.splitlines()}
    assert "datasets" in lines and lines["datasets"].rstrip().endswith("100%")
    assert lines["preprocessing.sequence"].rstrip().endswith("100%")
    assert "all" in lines and "plait's public names against Keras" in out


def test_counts_are_names_plait_really_has():
    script = _load()
    rows = {
        row["label"]: row
        for row in script.compare(
            [m for m in script.MODULES if m[0] in ("utils", "layers", "layers (preprocessing)")]
        )
    }
    utils = rows["utils"]
    assert "to_categorical" not in utils["missing"] and "PyDataset" not in utils["missing"]
    assert utils["found"] + len(utils["missing"]) == utils["total"]
    import plait

    for name in rows["layers"]["missing"]:
        assert not hasattr(plait.layers, name)
    assert "TextVectorization" in (
        set(rows["layers (preprocessing)"]["missing"]) | {n for n in dir(plait.layers)}
    )
