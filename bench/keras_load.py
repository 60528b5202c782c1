"""The `keras_load` section of `bench/run.py`: how long loading a ~25M-parameter model
(ResNet50, 25.6M parameters) takes from Keras's files (`.keras`, legacy `.h5`,
`.weights.h5`) and from plait's `.plait`, side by side with Keras 3 (on its PyTorch
backend) loading the same files in the same process.

Keras writes the `.keras`, `.h5` and `.weights.h5` files; plait writes the `.plait` file of
the same weights. Each row alternates plait's and Keras's load (the order flips each round)
and gives the median times and their ratio. Targets: plait's own format loads fastest, and
plait loads each Keras file within 2x Keras's own time.
"""

import gc
import os
import statistics
import tempfile

from bench.timing import compare

TARGET = 2.0  # plait's load of a Keras file may take at most this times Keras's


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    return keras


def _files(keras, folder):
    """Keras's ResNet50 written by Keras (`.keras`, `.h5`, `.weights.h5`) and by plait
    (`.plait`), in `folder`."""
    from plait import applications

    model = keras.applications.ResNet50(weights=None)
    paths = {
        ext: os.path.join(folder, "resnet50" + ext) for ext in (".keras", ".h5", ".weights.h5")
    }
    model.save(paths[".keras"])
    model.save(paths[".h5"])
    model.save_weights(paths[".weights.h5"])
    ours = applications.ResNet50(weights=paths[".weights.h5"])
    paths[".plait"] = os.path.join(folder, "resnet50.plait")
    ours.save(paths[".plait"])
    return paths, model.count_params()


def _run(now, load):
    def run():
        gc.collect()
        start = now()
        model = load()
        seconds = now() - start
        del model
        return seconds

    return run


def section_keras_load(report, args, now):
    """Time plait's and Keras's loads of the same files; add a table to `report`."""
    import logging

    from plait import applications, models

    keras = _keras()
    logging.getLogger("absl").setLevel(logging.ERROR)  # Keras's "legacy HDF5" notices
    kw = dict(min_rounds=3, max_rounds=7, budget_s=60.0, tolerance=0.05)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        paths, params = _files(keras, folder)
        plait_model = applications.ResNet50(weights=None)
        keras_model = keras.applications.ResNet50(weights=None)
        runs = {
            ".keras": (
                lambda: models.load_model(paths[".keras"]),
                lambda: keras.saving.load_model(paths[".keras"]),
            ),
            ".h5": (
                lambda: models.load_model(paths[".h5"]),
                lambda: keras.saving.load_model(paths[".h5"], compile=False),
            ),
            ".weights.h5 (load_weights)": (
                lambda: plait_model.load_weights(paths[".weights.h5"]),
                lambda: keras_model.load_weights(paths[".weights.h5"]),
            ),
        }
        for name, (ours, theirs) in runs.items():
            for fn in (ours, theirs):  # warm-up: first calls import and allocate
                fn()
            c = compare({"plait": _run(now, ours), "keras": _run(now, theirs)}, **kw)
            rows.append((name, c.median_time("plait"), c.median_time("keras"), c.rounds))
        plait_own = [_run(now, lambda: models.load_model(paths[".plait"]))() for _ in range(3)]
        sizes = {ext: os.path.getsize(p) / 2**20 for ext, p in paths.items()}
    own = statistics.median(plait_own)
    lines = [
        f"ResNet50 ({params / 1e6:.1f}M parameters), `load_model` (or `load_weights` into a "
        "built model) of a file Keras wrote; Keras 3 on its torch backend loads the same "
        "file in the same process. Seconds are the median of alternating rounds (process CPU "
        "time by default). Targets: plait's Keras loads within 2x Keras's; `.plait` the "
        "fastest of plait's loads.",
        "",
        "| file | size MiB | plait s | Keras s | plait / Keras | rounds | target | met |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for name, ours, theirs, rounds in rows:
        ratio = ours / theirs
        ok = ratio <= TARGET
        if not ok:
            report.miss(f"load {name}: plait {ours:.3f} s vs Keras {theirs:.3f} s (> 2x)")
        size = sizes[name.split(" ")[0]]
        lines.append(
            f"| {name} | {size:.1f} | {ours:.3f} | {theirs:.3f} | {ratio:.2f} | {rounds} "
            f"| <= {TARGET:g} | {'yes' if ok else '**no**'} |"
        )
        print(f"  {name:28s} plait {ours:.3f} s  keras {theirs:.3f} s  ratio {ratio:.2f}")
    fastest = own < min(ours for name, ours, _, _ in rows if not name.startswith(".weights"))
    if not fastest:
        report.miss(f"load .plait ({own:.3f} s) is not faster than plait's Keras-file loads")
    lines.append(
        f"| .plait | {sizes['.plait']:.1f} | {own:.3f} | — | — | 3 | fastest of plait's "
        f"model loads | {'yes' if fastest else '**no**'} |"
    )
    print(f"  {'.plait':28s} plait {own:.3f} s")
    report.add("Loading a 25M-parameter model: plait and Keras, the same files", lines)
