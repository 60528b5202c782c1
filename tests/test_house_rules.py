"""The house rules of issue 17, checked on the whole of `plait/`: no module over 600 lines, no
function whose code (its docstring not counted) is over 60 lines unless its docstring says
why ("Long because ..."), every public name documented with an example that the doctests
run, and no module left out of the doctest run."""

import ast
import importlib
import inspect
import pathlib

import pytest

import plait

ROOT = pathlib.Path(plait.__file__).parent
SOURCES = sorted(ROOT.rglob("*.py"))
MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 60

# the modules whose __all__ is plait's public surface
PUBLIC_MODULES = [
    "plait",
    "plait.activations",
    "plait.applications",
    "plait.backend",
    "plait.callbacks",
    "plait.config",
    "plait.constraints",
    "plait.datasets",
    "plait.dtype_policies",
    "plait.initializers",
    "plait.layers",
    "plait.layers.preprocessing",
    "plait.losses",
    "plait.metrics",
    "plait.mixed_precision",
    "plait.models",
    "plait.ops",
    "plait.optimizers",
    "plait.optimizers.schedules",
    "plait.preprocessing",
    "plait.random",
    "plait.regularizers",
    "plait.saving",
    "plait.serialization",
    "plait.tree",
    "plait.utils",
]


def test_no_module_is_over_600_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in SOURCES
        if (n := path.read_text().count("\n")) > MAX_FILE_LINES
    }
    assert not long, f"modules over {MAX_FILE_LINES} lines (split them by job): {long}"


def _code_lines(node):
    """Lines of a function's code, its docstring left out."""
    start = node.body[0].lineno
    if ast.get_docstring(node) is not None:
        start = node.body[1].lineno if len(node.body) > 1 else node.body[0].end_lineno
    return node.end_lineno - start + 1


def test_no_function_is_over_60_lines_without_a_reason():
    long = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                reason = "long because" in (ast.get_docstring(node) or "").lower()
                if _code_lines(node) > MAX_FUNCTION_LINES and not reason:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not long, (
        f"functions over {MAX_FUNCTION_LINES} lines of code whose docstring gives no reason "
        f"('Long because ...'): {long}"
    )


def _public_objects():
    seen = {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if (inspect.isclass(obj) or inspect.isroutine(obj)) and id(obj) not in seen:
                seen[id(obj)] = (f"{module_name}.{name}", obj)
    return list(seen.values())


def test_every_public_class_and_function_has_a_docstring_with_an_example():
    missing = [name for name, obj in _public_objects() if ">>>" not in (inspect.getdoc(obj) or "")]
    assert not missing, f"{len(missing)} public names without an example: {missing[:40]}"


def test_the_doctests_leave_no_module_out():
    pending = pathlib.Path(__file__).parent / "doctest_pending.txt"
    assert not pending.exists() or not pending.read_text().split(), (
        "modules whose examples make test does not run: " + pending.read_text()
    )


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_public_modules_declare_all(module_name):
    assert isinstance(importlib.import_module(module_name).__all__, (list, tuple))
