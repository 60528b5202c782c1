"""The import contract (docs/architecture.md): plait's packages form a strict DAG.

    utils, config
      <- serialization, mixed_precision
      <- activations, initializers, regularizers, constraints
      <- graph <- ops <- backend
      <- layers (graph, ops; families never import each other)
      <- losses <- metrics; optimizers; callbacks
      <- training (any nn.Module; knows no layer or model)
      <- models, preprocessing, datasets
      <- plotting, saving (saving/keras too)
      <- applications
      <- cli, __main__, plait/__init__

Checked on every `import` of every plait module: at module level always; inside functions
too, where only the few lazy upward imports listed in LAZY_UPWARD are allowed (Keras's
names that live in a higher package: `plait.utils.plot_model`, `plait.models.load_model`,
`Model.save`). Inside a package, modules import each other without cycles.
"""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1] / "plait"

BOTTOM = {"utils", "config"}
BASICS = BOTTOM | {"serialization", "mixed_precision"}
LEAVES = BASICS | {"activations", "initializers", "regularizers", "constraints"}
TRAINING_PARTS = {"losses", "metrics", "optimizers", "callbacks"}

# What each top-level part of plait may import from plait (besides itself). A part not
# here fails the test: give a new package its place in the DAG first. ops, backend,
# preprocessing, datasets and applications are the rooms planned for what is coming.
ALLOWED = {
    "utils": set(),
    "config": {"utils", "mixed_precision"},
    "serialization": {"utils"},
    "mixed_precision": {"utils"},
    "activations": BASICS,
    "initializers": BASICS,
    "regularizers": BASICS,
    "constraints": BASICS,
    "random": BASICS,  # keras.random: seeds and draws on torch generators
    "dtype_policies": BASICS,  # keras.dtype_policies over mixed_precision's policies
    "tree": set(),  # keras.tree: nested structures on torch's pytrees
    "graph": LEAVES,
    "ops": LEAVES | {"graph"},
    "backend": LEAVES | {"graph", "ops"},
    "layers": LEAVES | {"graph", "ops"},
    "losses": LEAVES | {"ops"},
    "metrics": LEAVES | {"ops", "losses"},
    "optimizers": LEAVES | {"ops"},
    "callbacks": LEAVES | {"losses", "metrics", "optimizers"},
    "training": LEAVES | TRAINING_PARTS,
    "models": LEAVES | TRAINING_PARTS | {"graph", "ops", "layers", "training"},
    "preprocessing": LEAVES | {"graph", "ops", "layers"},
    "datasets": BOTTOM,
    "plotting": LEAVES | {"graph", "layers", "models"},
    "saving": LEAVES | TRAINING_PARTS | {"graph", "ops", "layers", "training", "models"},
    "applications": LEAVES | {"graph", "ops", "layers", "models", "saving", "preprocessing"},
    "cli": None,  # the top: may import anything
    "__main__": None,
    "__init__": None,
}

# Function-local imports that go up the DAG, each a Keras name that lives higher up:
# (module, part imported).
LAZY_UPWARD = {
    ("utils/__init__.py", "plotting"),  # plait.utils.plot_model & co.
    ("models/__init__.py", "saving"),  # plait.models.load_model, model_from_json
    ("models/keras_methods.py", "saving"),  # Model.save, save_weights, load_weights
    ("models/model.py", "saving"),  # Model.to_json, to_source, export
    # keras.utils names whose work is done higher up: serialization helpers, the Input
    # tensors behind a tensor, and image_data_format for image helpers
    ("utils/keras_objects.py", "serialization"),
    ("utils/keras_objects.py", "graph"),
    ("utils/image_utils.py", "config"),
    # keras.mixed_precision.LossScaleOptimizer is the optimizer of plait.optimizers
    ("mixed_precision.py", "optimizers"),
}

# Inside plait.layers: the base and the machinery every layer shares; every other module is
# a family (Keras 2's `plait.layers.core`, `.convolutional`, ...; a package such as
# `preprocessing/`, `core/` or `convolutional/` is one family, whose modules may import each
# other), which imports the shared modules and utilities, never another family.
LAYER_SHARED = {
    "layer",
    "layer_symbolic",
    "layer_weights",
    "masking",
    "penalties",
    "spatial",
    "arguments",
    "validation",
    "__init__",
}


def part_of(path):
    rel = path.relative_to(ROOT)
    return rel.parts[0].removesuffix(".py")


def imported_modules(node):
    """The dotted plait module names an Import/ImportFrom node names (best effort: `from
    plait.x import y` gives `plait.x.y` when that is a module, else `plait.x`)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.startswith("plait.")]
    if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
        return []
    if node.module != "plait" and not node.module.startswith("plait."):
        return []
    out = []
    for alias in node.names:
        candidate = f"{node.module}.{alias.name}"
        out.append(candidate if module_path(candidate) is not None else node.module)
    return [name for name in out if name != "plait"]


def module_path(name):
    rel = pathlib.Path(*name.split(".")[1:])
    for path in (ROOT / rel.with_suffix(".py"), ROOT / rel / "__init__.py"):
        if path.exists():
            return path
    return None


def imports_of(path):
    """`(module name, line, at module level)` for every plait import in `path`."""
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        for name in imported_modules(node):
            found.append((name, node.lineno, id(node) in top))
    return found


def modules():
    return sorted(ROOT.rglob("*.py"))


def test_the_contract_itself_is_a_dag():
    seen, done = set(), set()

    def visit(part, trail):
        assert part not in seen or part in done, f"cycle in ALLOWED: {trail + [part]}"
        if part in done:
            return
        seen.add(part)
        for lower in ALLOWED.get(part) or ():
            visit(lower, trail + [part])
        done.add(part)

    for part in ALLOWED:
        visit(part, [])


def test_imports_flow_one_way():
    problems = []
    for path in modules():
        part = part_of(path)
        rel = str(path.relative_to(ROOT))
        if part not in ALLOWED:
            problems.append(f"{rel}: part '{part}' is not in the contract")
            continue
        allowed = ALLOWED[part]
        if allowed is None:
            continue
        for name, line, module_level in imports_of(path):
            target = name.split(".")[1]
            if target == part or target in allowed:
                continue
            if not module_level and (rel, target) in LAZY_UPWARD:
                continue
            where = "" if module_level else " inside a function"
            problems.append(f"{rel}:{line} imports plait.{target}{where}")
    assert not problems, "\n".join(problems)


def test_saving_is_above_models_models_import_it_only_lazily():
    assert "saving" not in ALLOWED["models"] and "models" in ALLOWED["saving"]
    for path in (ROOT / "models").rglob("*.py"):
        for name, line, module_level in imports_of(path):
            assert not (module_level and name.startswith("plait.saving")), f"{path}:{line}"


def test_no_import_cycles_between_modules():
    """Imports between plait modules (e.g. saving_lib and weights), at module level or in
    functions, form no cycle; a package's own `__init__` importing its modules is not one."""
    graph = {}
    for path in modules():
        rel = path.relative_to(ROOT).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        name = ".".join(("plait",) + parts)
        graph[name] = {
            target
            for target, _, _ in imports_of(path)
            if target != name and not name.startswith(target + ".")
        }
    state = {}

    def visit(name, trail):
        mark = state.get(name)
        assert mark != "open", "import cycle: " + " -> ".join(trail + [name])
        if mark == "done":
            return
        state[name] = "open"
        for target in graph.get(name, ()):
            visit(target, trail + [name])
        state[name] = "done"

    for name in graph:
        visit(name, [])


def test_no_layer_family_imports_another():
    problems = []
    for path in sorted((ROOT / "layers").rglob("*.py")):
        rel = path.relative_to(ROOT / "layers")
        family = rel.parts[0].removesuffix(".py")
        if family in LAYER_SHARED:
            continue
        for name, line, _ in imports_of(path):
            pieces = name.split(".")
            if pieces[:2] != ["plait", "layers"] or len(pieces) < 3:
                continue
            if pieces[2] not in LAYER_SHARED and pieces[2] != family:
                problems.append(f"layers/{rel}:{line} imports {name}")
    assert not problems, "\n".join(problems)


def test_training_knows_no_layer_or_model():
    for path in (ROOT / "training").rglob("*.py"):
        for name, line, _ in imports_of(path):
            assert name.split(".")[1] not in {"layers", "models", "graph"}, f"{path}:{line}"
