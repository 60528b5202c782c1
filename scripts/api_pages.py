"""Writes the API reference pages (`docs/api/*.md`): one page per public module, one entry per
name in its `__all__`, so the reference lists every public name.

A class or function defined at the top level of a module is rendered by mkdocstrings from
its source (`::: module.Name`); a second name for the same object is listed as an alias of
the first; a function made at import time (most of `plait.ops`, from tables) has no source
of its own to render, so its signature and docstring are written into the page directly.
`tests/test_docs.py` checks that the pages are current: run this script after changing a
public name (`python scripts/api_pages.py`).
"""

import ast
import functools
import importlib
import inspect
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api"

# (page, title, modules): the order of the site's "API reference" section
PAGES = [
    ("plait", "plait", ["plait"]),
    ("layers", "plait.layers", ["plait.layers"]),
    ("models", "plait.models", ["plait.models"]),
    ("losses", "plait.losses", ["plait.losses"]),
    ("metrics", "plait.metrics", ["plait.metrics"]),
    ("optimizers", "plait.optimizers", ["plait.optimizers", "plait.optimizers.schedules"]),
    ("callbacks", "plait.callbacks", ["plait.callbacks"]),
    (
        "functions",
        "plait.activations, initializers, regularizers, constraints",
        ["plait.activations", "plait.initializers", "plait.regularizers", "plait.constraints"],
    ),
    ("ops", "plait.ops", ["plait.ops"]),
    ("backend", "plait.backend", ["plait.backend"]),
    ("random", "plait.random and plait.tree", ["plait.random", "plait.tree"]),
    ("saving", "plait.saving", ["plait.saving"]),
    ("utils", "plait.utils", ["plait.utils"]),
    ("applications", "plait.applications", ["plait.applications"]),
    (
        "datasets",
        "plait.datasets and plait.preprocessing",
        ["plait.datasets", "plait.preprocessing"],
    ),
    (
        "config",
        "plait.config, mixed_precision, dtype_policies, serialization",
        ["plait.config", "plait.mixed_precision", "plait.dtype_policies", "plait.serialization"],
    ),
]


@functools.cache
def _top_level_names(path):
    tree = ast.parse(pathlib.Path(path).read_text())
    kinds = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {node.name for node in tree.body if isinstance(node, kinds)}


def _source_path(obj):
    """`module.name` where `obj` is defined by a `class`/`def` statement, or None."""
    try:
        file = inspect.getsourcefile(inspect.unwrap(obj))
    except TypeError:
        return None
    if not file or not file.startswith(str(ROOT / "plait")):
        return None
    name = getattr(obj, "__name__", None)
    if name not in _top_level_names(file):
        return None
    relative = pathlib.Path(file).relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts + [name])


def _written_entry(qualified, obj):
    try:
        signature = str(inspect.signature(obj))
    except (TypeError, ValueError):
        signature = "(...)"
    doc = inspect.getdoc(obj) or ""
    name = qualified.rsplit(".", 1)[1]
    return [
        f"### `{qualified}`",
        "",
        "```py",
        f"{name}{signature}",
        "```",
        "",
        "```text",
        doc,
        "```",
        "",
    ]


def _module_section(module_name, first_names):
    module = importlib.import_module(module_name)
    lines = [
        f"## `{module_name}`",
        "",
        f"::: {module_name}",
        "    options:",
        "      members: false",
        "      show_root_heading: false",
        "",
    ]
    aliases = []
    for name in sorted(module.__all__, key=str.lower):
        obj = getattr(module, name)
        qualified = f"{module_name}.{name}"
        if inspect.ismodule(obj):
            if obj.__name__ != qualified:
                lines += [f"`{qualified}` is the module `{obj.__name__}`:", ""]
            lines += [f"::: {obj.__name__}", "    options:", "      heading_level: 3", ""]
            continue
        if not (inspect.isclass(obj) or callable(obj)):
            lines += [f"### `{qualified}`", "", f"A constant: `{obj!r}`.", ""]
            continue
        if id(obj) in first_names:
            aliases.append(f"- `{qualified}`: the same object as `{first_names[id(obj)]}`.")
            continue
        first_names[id(obj)] = qualified
        source = _source_path(obj)
        if source is not None:
            if source.rsplit(".", 1)[1] != name:
                lines += [f"`{qualified}` is this class or function under another name:", ""]
            lines += [f"::: {source}", "    options:", "      heading_level: 3", ""]
        else:
            lines += _written_entry(qualified, obj)
    if aliases:
        lines += ["### Other names", "", *aliases, ""]
    return lines


def pages():
    """{file name: text} of every API page."""
    out, first_names = {}, {}
    for page, title, modules in PAGES:
        lines = [f"# {title}", ""]
        for module_name in modules:
            lines += _module_section(module_name, first_names)
        out[f"{page}.md"] = "\n".join(lines).rstrip() + "\n"
    return out


def main():
    API.mkdir(parents=True, exist_ok=True)
    for old in API.glob("*.md"):
        old.unlink()
    for name, text in pages().items():
        (API / name).write_text(text)
    print(f"wrote {len(PAGES)} pages to {API.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
