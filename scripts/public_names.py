"""Compare plait's public names with Keras 3's, module by module.

    python scripts/public_names.py              # the share per module, and what is missing
    python scripts/public_names.py --brief      # the shares only
    python scripts/public_names.py --json out.json

A Keras name counts as present when the matching plait module has an attribute of that
name (any object: the comparison is of names, not behaviour). Needs Keras installed
(`KERAS_BACKEND=torch` is set here); a plait module that does not exist counts 0%.
"""

import argparse
import importlib
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
# the plait of this checkout, not an installed copy
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (label, keras module, plait module)
MODULES = [
    ("layers", "keras.layers", "plait.layers"),
    ("layers (preprocessing)", "keras.layers", "plait.layers"),
    ("losses", "keras.losses", "plait.losses"),
    ("metrics", "keras.metrics", "plait.metrics"),
    ("optimizers", "keras.optimizers", "plait.optimizers"),
    ("optimizers.schedules", "keras.optimizers.schedules", "plait.optimizers.schedules"),
    ("callbacks", "keras.callbacks", "plait.callbacks"),
    ("activations", "keras.activations", "plait.activations"),
    ("initializers", "keras.initializers", "plait.initializers"),
    ("regularizers", "keras.regularizers", "plait.regularizers"),
    ("constraints", "keras.constraints", "plait.constraints"),
    ("models", "keras.models", "plait.models"),
    ("saving", "keras.saving", "plait.saving"),
    ("ops", "keras.ops", "plait.ops"),
    ("backend", "keras.backend", "plait.backend"),
    ("config", "keras.config", "plait.config"),
    ("utils", "keras.utils", "plait.utils"),
    ("mixed_precision", "keras.mixed_precision", "plait.mixed_precision"),
    ("random", "keras.random", "plait.random"),
    ("datasets", "keras.datasets", "plait.datasets"),
    ("applications", "keras.applications", "plait.applications"),
    ("preprocessing", "keras.preprocessing", "plait.preprocessing"),
    ("preprocessing.image", "keras.preprocessing.image", "plait.preprocessing.image"),
    ("preprocessing.sequence", "keras.preprocessing.sequence", "plait.preprocessing.sequence"),
    (
        "preprocessing.text (Keras 2)",
        "keras.src.legacy.preprocessing.text",
        "plait.preprocessing.text",
    ),
    ("keras (top level)", "keras", "plait"),
]
DATASETS = [
    "boston_housing",
    "california_housing",
    "cifar10",
    "cifar100",
    "fashion_mnist",
    "imdb",
    "mnist",
    "reuters",
]
MODULES += [(f"datasets.{d}", f"keras.datasets.{d}", f"plait.datasets.{d}") for d in DATASETS]
# Keras 2 names kept out of keras.src.legacy's module: only the documented API counts
LEGACY_TEXT = {
    "Tokenizer",
    "text_to_word_sequence",
    "one_hot",
    "hashing_trick",
    "tokenizer_from_json",
}


def _import(name):
    try:
        module = importlib.import_module(name)
    except Exception:  # a plait part that does not exist yet counts as empty
        return None
    if name.split(".")[0] == "plait" and not _in_checkout(module):
        return None  # found elsewhere (an editable install's finder), not in this checkout
    return module


def _in_checkout(module):
    import plait

    root = os.path.realpath(os.path.dirname(plait.__file__))
    where = os.path.realpath(getattr(module, "__file__", None) or root)
    return where == root or where.startswith(root + os.sep)


def _is_preprocessing_layer(obj):
    return "preprocessing" in getattr(obj, "__module__", "")


def keras_names(label, module):
    names = {n for n in dir(module) if not n.startswith("_")}
    if label.startswith("layers"):
        pre = {n for n in names if _is_preprocessing_layer(getattr(module, n))}
        return pre if "preprocessing" in label else names - pre
    if label.startswith("preprocessing.text"):
        return names & LEGACY_TEXT
    return names


def compare(modules=MODULES):
    """A list of `{label, keras, plait, found, total, share, missing}` dicts."""
    rows = []
    for label, keras_name, plait_name in modules:
        theirs = _import(keras_name)
        if theirs is None:
            continue
        wanted = sorted(keras_names(label, theirs))
        ours = _import(plait_name)
        missing = [n for n in wanted if ours is None or not hasattr(ours, n)]
        found = len(wanted) - len(missing)
        rows.append(
            {
                "label": label,
                "keras": keras_name,
                "plait": plait_name,
                "found": found,
                "total": len(wanted),
                "share": found / len(wanted) if wanted else 1.0,
                "missing": missing,
            }
        )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brief", action="store_true", help="shares only")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--only", nargs="*", help="labels to compare (default: all)")
    args = parser.parse_args(argv)
    try:
        import keras
    except ImportError:
        print("Keras is not installed: pip install keras (used only for this comparison).")
        return 1
    modules = [m for m in MODULES if not args.only or m[0] in args.only]
    rows = compare(modules)
    print(f"plait's public names against Keras {keras.__version__}")
    print(f"{'module':32s} {'found':>6s} {'keras':>6s} {'share':>6s}")
    found = total = 0
    for row in rows:
        found, total = found + row["found"], total + row["total"]
        print(f"{row['label']:32s} {row['found']:6d} {row['total']:6d} {row['share']:6.0%}")
        if not args.brief and row["missing"]:
            print("    missing: " + ", ".join(row["missing"]))
    print(f"{'all':32s} {found:6d} {total:6d} {found / max(total, 1):6.0%}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
