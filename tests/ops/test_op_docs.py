"""The ops documented from tables (`plait/ops/_docs*.py`): every public op of
`_elementwise`, `_arrays`, `_indexing` and `math` has a house-style docstring whose example
the doctest collector finds (the examples themselves run under `--doctest-modules`)."""

import doctest
import inspect
import re

import numpy as np
import pytest

import plait.ops
from plait.ops import _arrays, _docs, _elementwise, _indexing, math

MODULES = (_elementwise, _arrays, _indexing, math)
NAMES = sorted({name for module in MODULES for name in module.__all__})


@pytest.mark.parametrize("name", NAMES)
def test_op_has_summary_args_and_example(name):
    doc = getattr(plait.ops, name).__doc__
    summary = doc.splitlines()[0]
    assert summary.strip() and summary == summary.strip(), name
    assert "\nArgs:\n" in doc and "\nReturns:\n" in doc, name
    assert "\nExample:\n    >>> " in doc and ">>> from plait import ops\n    >>> " in doc, name


def test_collector_finds_every_documented_op():
    # ops name `plait.ops` as their module, so doctest collects them from plait/ops/__init__.py
    found = {
        test.name.rsplit(".", 1)[-1]
        for test in doctest.DocTestFinder().find(plait.ops)
        if len(test.examples) >= 2
    }
    assert set(NAMES) <= found, sorted(set(NAMES) - found)


def test_parse_builds_house_style():
    docs = _docs.parse(
        "\nneg: `-x`, element-wise.\n    >>> ops.negative([1, -2])\n    tensor([-1, 2])\n",
        "Args:\n    x: a tensor.",
    )
    assert docs == {
        "neg": "`-x`, element-wise.\n\nArgs:\n    x: a tensor.\n\nExample:\n"
        "    >>> from plait import ops\n    >>> ops.negative([1, -2])\n    tensor([-1, 2])\n"
    }


def test_parse_puts_a_note_before_the_group_text_and_imports_numpy():
    docs = _docs.parse("f: Summary.\n    A note.\n    >>> ops.abs(np.ones(1))\n", "Args: -")
    assert docs["f"].startswith("Summary.\n\nA note.\n\nArgs: -\n\nExample:\n")
    assert "    >>> import numpy as np\n    >>> from plait import ops\n" in docs["f"]


@pytest.mark.parametrize(
    "block",
    ["f: no example.\n    Args:\n        x: a tensor.\n", "f: a.\n    >>> 1\nf: b.\n    >>> 2\n"],
)
def test_parse_rejects_an_entry_without_example_or_given_twice(block):
    with pytest.raises(ValueError, match="'f'"):
        _docs.parse(block)


def test_attach_rejects_an_unknown_name():
    with pytest.raises(KeyError):
        _docs.attach({}, {"no_such_op": "doc"})


@pytest.mark.parametrize("name", NAMES)
def test_args_name_the_signature_in_order(name):
    op = getattr(plait.ops, name)
    args = op.__doc__.split("\nArgs:\n", 1)[1].split("\n\n", 1)[0]
    documented = re.findall(r"^    (\*?\w+):", args, re.M)
    params = [
        ("*" if p.kind == p.VAR_POSITIONAL else "") + p.name
        for p in inspect.signature(op).parameters.values()
    ]
    assert documented == params


def test_max_and_min_take_kerass_initial():
    assert plait.ops.max([[1, 5], [3, 2]], axis=1, initial=4).tolist() == [5, 4]
    assert plait.ops.min(np.zeros((0, 3), "float32"), axis=0, initial=2.0).tolist() == [2.0] * 3
    with pytest.raises(ValueError, match=r"max: .*Received: x.shape=\(0, 3\)"):
        plait.ops.max(np.zeros((0, 3)))
