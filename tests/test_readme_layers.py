"""The README's `## Layers` section is generated from `plait.layers`, so it cannot drift.

Regenerate it after adding or renaming a layer:

    .venv/bin/python -m tests.test_readme_layers
"""

import inspect
import pathlib
import re
import sys
import textwrap

import plait.layers
from plait.layers.layer import Layer

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
HEADING = "## Layers"
FIX = "Run `.venv/bin/python -m tests.test_readme_layers` to rewrite the section."


def layer_families():
    """{module: [(class name, [aliases])]} for every public Layer subclass `plait.layers`
    exports; a class's own `__name__` is its name, other exported names are aliases."""
    names = {}
    for name, value in vars(plait.layers).items():
        if (
            not name.startswith("_")
            and inspect.isclass(value)
            and issubclass(value, Layer)
            and value is not Layer
        ):
            names.setdefault(value, []).append(name)
    families = {}
    for cls, exported in names.items():
        aliases = sorted(n for n in exported if n != cls.__name__)
        families.setdefault(_family(cls.__module__), []).append((cls.__name__, aliases))
    return {module: sorted(entries) for module, entries in sorted(families.items())}


def _family(module):
    """A layer's family: its module under `plait.layers` (a family package, such as
    `plait.layers.core`, counts as one; preprocessing's modules are families each)."""
    parts = module.split(".")
    depth = 4 if parts[:3] == ["plait", "layers", "preprocessing"] else 3
    return ".".join(parts[:depth])


def render():
    lines = [
        HEADING,
        "",
        "Every public layer class in `plait.layers`, by family (module); other names for the",
        "same class in parentheses. Generated from the code by",
        "`python -m tests.test_readme_layers` (a test checks it).",
        "",
    ]
    for module, entries in layer_families().items():
        items = ", ".join(
            f"{name} ({', '.join(aliases)})" if aliases else name for name, aliases in entries
        )
        entry = f"- **{module.rsplit('.', 1)[-1]}** (`{module}`): {items}"
        lines.extend(textwrap.wrap(entry, width=95, subsequent_indent="  ", break_on_hyphens=False))
    return "\n".join(lines) + "\n"


def current_section(text):
    """The section's text (heading included, up to the next `## ` heading), or None."""
    match = re.search(r"^## Layers\n.*?(?=^## |\Z)", text, flags=re.M | re.S)
    return None if match is None else match.group(0)


def rewrite(text):
    """`text` with the section replaced (or added before `## Layout`/at the end)."""
    section = render()
    old = current_section(text)
    if old is not None:
        return text.replace(old, section + ("\n" if old.endswith("\n\n") else ""), 1)
    anchor = text.find("\n## Layout")
    if anchor < 0:
        return text.rstrip("\n") + "\n\n" + section
    return text[: anchor + 1] + section + "\n" + text[anchor + 1 :]


def test_readme_lists_every_layer():
    text = README.read_text(encoding="utf-8")
    section = current_section(text)
    assert section is not None, f"README.md has no '{HEADING}' section. {FIX}"
    assert section.rstrip("\n") == render().rstrip("\n"), (
        f"README.md's '{HEADING}' section is out of date with plait.layers. {FIX}"
    )


def test_every_layer_is_listed_once():
    listed = [name for entries in layer_families().values() for name, _ in entries]
    assert len(listed) == len(set(listed))
    assert "Dense" in listed and "TorchOp" in listed
    assert "Convolution2D" in dict(layer_families()["plait.layers.convolutional"])["Conv2D"]


if __name__ == "__main__":
    old_text = README.read_text(encoding="utf-8")
    new_text = rewrite(old_text)
    if new_text != old_text:
        README.write_text(new_text, encoding="utf-8")
        print(f"Rewrote the '{HEADING}' section of {README}.")
    else:
        print(f"The '{HEADING}' section of {README} is up to date.")
    sys.exit(0)
