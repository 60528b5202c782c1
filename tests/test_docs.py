"""The code in the documentation runs: every ```python block of docs/ and the README.

Blocks fenced as ```py are shown, not run (fragments that need a GPU, a launcher or a
package that is not installed); blocks that include a file (`--8<--`) are that file's own
tests' business. Each page's blocks run in order in one fresh process, from an empty
folder, so a later block may use an earlier block's names.
"""

import importlib
import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def blocks_of(page: pathlib.Path) -> list[str]:
    return [b for b in BLOCK.findall(page.read_text()) if "--8<--" not in b]


RUNNABLE = [p for p in PAGES if blocks_of(p)]


@pytest.mark.parametrize("page", RUNNABLE, ids=[str(p.relative_to(ROOT)) for p in RUNNABLE])
def test_code_blocks_run(page, tmp_path):
    script = "\n\n".join(blocks_of(page))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KERAS_HOME": str(tmp_path / "keras_home")}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{page.name}:\n{done.stderr[-4000:]}"


def _api_pages_module():
    spec = importlib.util.spec_from_file_location("api_pages", ROOT / "scripts" / "api_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_api_reference_lists_every_public_name_and_is_current():
    """docs/api/ is what scripts/api_pages.py writes from the modules' `__all__` (run it after
    adding, renaming or documenting a public name), and the site's navigation shows each page."""
    api_pages = _api_pages_module()
    expected = api_pages.pages()
    written = {p.name: p.read_text() for p in (ROOT / "docs" / "api").glob("*.md")}
    stale = sorted(
        name for name in expected.keys() | written.keys() if expected.get(name) != written.get(name)
    )
    assert not stale, f"run `python scripts/api_pages.py`: these pages are not current: {stale}"
    nav = (ROOT / "mkdocs.yml").read_text()
    assert all(f"api/{name}" in nav for name in expected)
    for page, _, modules in api_pages.PAGES:
        text = expected[f"{page}.md"]
        for module_name in modules:
            for name in importlib.import_module(module_name).__all__:
                assert f"{module_name}.{name}" in text or f".{name}\n" in text, (page, name)
