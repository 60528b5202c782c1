"""DESIGN.md's import contract: imports flow one way.

utils <- activations/initializers/serialization/... <- graph <- layers;
losses/metrics/optimizers/callbacks <- training; graph, layers, training <- models <- cli.
Checked on every module-level `import` of every plait module.
"""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1] / "plait"

# What each part may import from plait (besides itself).
LEAVES = {"utils", "config", "serialization", "activations", "initializers", "backend",
          "regularizers", "constraints", "mixed_precision"}
ALLOWED = {
    "utils": set(),
    "config": set(),
    "serialization": {"utils"},
    "activations": {"utils", "serialization"},
    "initializers": {"utils", "serialization"},
    "regularizers": {"utils", "serialization"},
    "constraints": {"utils", "serialization"},
    "backend": {"utils"},
    "mixed_precision": {"utils", "config"},
    "graph": LEAVES,
    "layers": LEAVES | {"graph"},
    "losses": LEAVES,
    "metrics": LEAVES | {"losses"},
    "optimizers": LEAVES,
    "callbacks": LEAVES | {"losses", "metrics", "optimizers"},
    "training": LEAVES | {"losses", "metrics", "optimizers", "callbacks"},
    # saving sits above models: models imports it only inside Model.save & co. (see below).
    "models": LEAVES | {"graph", "layers", "training", "losses", "metrics", "optimizers",
                        "callbacks"},
    "saving": LEAVES | {"graph", "layers", "models", "training", "losses", "metrics",
                        "optimizers", "callbacks"},
    "plotting": LEAVES | {"graph", "layers", "models"},
    "cli": None,        # the top: may import anything
    "__main__": None,
    "__init__": None,
}


def part_of(path):
    rel = path.relative_to(ROOT)
    return rel.parts[0].removesuffix(".py")


def plait_imports(tree, path):
    """The top-level plait parts imported at module level (not inside functions)."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative imports stay inside the part
                continue
            base = node.module or ""
            names = [base] if base != "plait" else [f"plait.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "plait" and len(parts) > 1:
                found.append((parts[1], node.lineno))
    return found


def test_imports_flow_one_way():
    problems = []
    for path in sorted(ROOT.rglob("*.py")):
        part = part_of(path)
        allowed = ALLOWED.get(part, "unknown")
        if allowed == "unknown":
            problems.append(f"{path.relative_to(ROOT)}: part '{part}' is not in the contract")
            continue
        if allowed is None:
            continue
        tree = ast.parse(path.read_text())
        for target, line in plait_imports(tree, path):
            if target != part and target not in allowed:
                problems.append(f"{path.relative_to(ROOT)}:{line} imports plait.{target}")
    assert not problems, "\n".join(problems)


# Inside plait.layers: the base and the machinery every layer shares; every other module is
# a family (Keras 2's `plait.layers.core`, `.convolutional`, ...), which imports the shared
# modules and utilities, never another family.
LAYER_SHARED = {"layer", "masking", "penalties", "spatial", "validation", "__init__"}


def test_no_layer_family_imports_another():
    problems = []
    for path in sorted((ROOT / "layers").rglob("*.py")):
        rel = path.relative_to(ROOT / "layers")
        family = rel.parts[0].removesuffix(".py")
        if family in LAYER_SHARED:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("plait.layers"):
                names = ([node.module.split(".")[2]] if node.module.count(".") >= 2
                         else [a.name for a in node.names])
                for name in names:
                    if name not in LAYER_SHARED and name != family:
                        problems.append(f"layers/{rel}:{node.lineno} imports plait.layers.{name}")
    assert not problems, "\n".join(problems)
