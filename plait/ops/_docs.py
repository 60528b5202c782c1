"""Docstrings for ops defined from tables (`_elementwise`, `_arrays`, `_indexing`, `math`).

The docs live in plain-text blocks (in `_docs_*.py`), one entry per op. An entry starts at an
unindented `name: summary` line; its indented lines are the body: prose up to the first `>>>`
line, then the example. Prose that starts with `Args:` is the whole middle of the docstring
(Args, Returns, Raises, shapes); otherwise it is a note, and the group's Args/Returns text
(the dtype rule shared by the table's row) follows it. The example always starts with
`>>> from plait import ops` (and NumPy's import where it uses `np`), so `help(ops.abs)` shows
a program that runs, and the doctest collector runs it: ops are collected from
`plait/ops/__init__.py`, the module their `__module__` names. The outputs are written down
(Keras 3's values on the torch backend), never computed here.
"""

from typing import Any


def parse(block: str, default: str = "") -> dict[str, str]:
    """The docstrings of a block: op name -> docstring in the house style.

    Args:
        block: entries as described in this module's docstring.
        default: the prose (Args, Returns) for entries whose body has none.

    Returns:
        A dict from op name to its docstring.

    Raises:
        ValueError: an entry has no example, or a name appears twice.
    """
    docs: dict[str, str] = {}
    default = default.strip()
    for entry in _entries(block):
        name, _, summary = entry[0].partition(":")
        body = "\n".join(line[4:] for line in entry[1:])  # entries indent their body by 4
        prose, sep, example = body.partition(">>>")
        if not sep or name in docs:
            raise ValueError(f"ops docs: entry {name!r} has no example or is given twice.")
        prose = prose.strip()
        if not prose.startswith("Args:"):  # a note: the group's Args/Returns follow it
            prose = (prose + "\n\n" + default).strip()
        imports = ">>> import numpy as np\n" if "np." in example else ""
        example = imports + ">>> from plait import ops\n>>>" + example.rstrip()
        example = "\n".join("    " + line if line else line for line in example.split("\n"))
        parts = [summary.strip(), prose, "Example:\n" + example]
        docs[name] = "\n\n".join(p for p in parts if p) + "\n"
    return docs


def _entries(block: str) -> list[list[str]]:
    entries: list[list[str]] = []
    for line in block.strip("\n").split("\n"):
        if line and not line[0].isspace():
            entries.append([line])
        elif entries:
            entries[-1].append(line)
    return entries


def attach(namespace: dict[str, Any], docs: dict[str, str]) -> None:
    """Sets each op's `__doc__` from `docs` (op name -> docstring).

    Raises:
        KeyError: a documented name is not in `namespace`.
    """
    for name, doc in docs.items():
        namespace[name].__doc__ = doc
