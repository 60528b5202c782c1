"""The version is bumped with the changelog: its newest entry, pyproject.toml and
`plait.__version__` name the same version."""

import pathlib
import re
import tomllib

import plait

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_changelog_pyproject_and_package_agree_on_the_version():
    newest = re.search(r"^## \[(\d+\.\d+\.\d+)\]", (ROOT / "CHANGELOG.md").read_text(), re.M)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert newest and newest.group(1) == project == plait.__version__
