"""plait's main job, end to end: `make demo`.

1. Runs the tutorial's seven programs (examples/tutorial/): each prints its summary and draws
   its graph into out/.
2. Trains the tutorial's CNN shape of model on scikit-learn's handwritten digits
   (examples/digits.py) and reports held-out accuracy.
"""

import contextlib
import os
import pathlib
import runpy
import sys

import plait

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE.parent / "out"


def run_tutorial():
    OUT.mkdir(exist_ok=True)
    for path in sorted((HERE / "tutorial").glob("*.py")):
        plait.backend.clear_session()
        title = path.stem.replace("_", " ").capitalize()
        print(f"\n=== {title} ({path.relative_to(HERE.parent)})")
        before = {p: p.stat().st_mtime_ns for p in OUT.glob("*.png")}
        with contextlib.chdir(OUT):
            runpy.run_path(str(path), run_name="__main__")
        written = [p.name for p in OUT.glob("*.png") if before.get(p) != p.stat().st_mtime_ns]
        print(f"graph plot: out/{', out/'.join(written)}")


def main():
    run_tutorial()
    digits = HERE / "digits.py"
    if digits.exists():
        print("\n=== Training on handwritten digits (examples/digits.py)")
        plait.backend.clear_session()
        with contextlib.chdir(OUT):
            runpy.run_path(str(digits), run_name="__main__")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
