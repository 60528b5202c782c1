"""`make bench`: plait against the same models written by hand in PyTorch, in one process.

Every comparison alternates plait and hand-written runs (the order flips each round) and
repeats until the ratio is stable; the table gives the median ratio plait / hand-written
(> 1: plait is faster) and the quartiles of the per-round ratios. Run sizes are calibrated
on this machine so that one run takes about `--run-seconds` (fit) or less (predict, latency).

    .venv/bin/python bench/run.py                      # everything, writes bench/RESULTS.md
    .venv/bin/python bench/run.py --only mlp,rnn --sections fit,jit --out /tmp/r.md

Sections: env, import, build, plot, latency, predict, fit, jit, spe, jitpredict, threads,
memory, optimizer, scaling, keras_load, large, dataload.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# pytorch-symbolic's "API 2" patches nn.Module.__call__ for every module in the process,
# which would slow the other columns too: use its explicit API instead.
os.environ.setdefault("PYTORCH_SYMBOLIC_API_2_ENABLED_BY_DEFAULT", "False")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import plait  # noqa: E402
from bench import models, scaling, symbolic_models  # noqa: E402
from bench.timing import calibrate, compare, timed  # noqa: E402


def now():
    """The benchmark's clock: CPU time of this process (`--clock cpu`, the default with one
    thread: other processes on a shared machine then barely disturb a ratio) or wall time."""
    return _clock()


_clock = time.process_time
SECTIONS = [
    "env",
    "import",
    "build",
    "plot",
    "latency",
    "predict",
    "fit",
    "jit",
    "spe",
    "jitpredict",
    "threads",
    "memory",
    "optimizer",
    "scaling",
    "keras_load",
]
SECTIONS += ["large", "dataload"]  # bench/run.py's section_large, section_dataload
DATA_BYTES = 48 * 2**20  # the largest in-memory data set a case gets


# ---------------------------------------------------------------------------- report
class Report:
    """Rows of the results table, plus free-form sections, written as markdown."""

    def __init__(self):
        self.header = []
        self.rows = []
        self.sections = {}
        self.misses = []

    def row(
        self,
        model,
        measure,
        plait_value,
        hand_value,
        unit,
        comparison,
        target=None,
        higher_is_better=True,
        third=None,
    ):
        """One comparison; `comparison` gives the ratio (plait speed / hand-written speed)."""
        ratio = comparison.ratio("plait", "hand")
        low, high = comparison.spread("plait", "hand")
        ok = None
        if target is not None:
            ok = ratio >= target
            if not ok:
                self.misses.append(f"{model} {measure}: ratio {ratio:.3f} < {target}")
        self.rows.append(
            dict(
                model=model,
                measure=measure,
                plait=plait_value,
                hand=hand_value,
                unit=unit,
                ratio=ratio,
                low=low,
                high=high,
                rounds=comparison.rounds,
                target=target,
                ok=ok,
                third=third,
            )
        )
        third_text = "" if third is None else f", pytorch-symbolic {third}"
        print(
            f"  {model:17s} {measure:24s} plait {plait_value:>10} hand {hand_value:>10} "
            f"{unit:10s} ratio {ratio:.3f} [{low:.3f}-{high:.3f}] x{comparison.rounds}"
            f"{'' if ok is None else (' ok' if ok else ' MISSED')}{third_text}",
            flush=True,
        )

    def add(self, section, lines):
        self.sections.setdefault(section, []).extend(lines)

    def miss(self, text):
        self.misses.append(text)

    def markdown(self):
        out = ["# plait benchmark results", ""] + self.header + [""]
        if self.rows:
            out += [
                "## plait against hand-written PyTorch",
                "",
                "Ratio = plait's speed / the hand-written model's speed, median of "
                "alternating rounds (> 1: plait is faster); the range is the quartiles of "
                "the per-round ratios. For latency the ratio is hand time / plait time.",
                "",
                "| model | measure | plait | hand-written | pytorch-symbolic | unit | ratio "
                "| quartiles | rounds | target | met |",
                "|---|---|---:|---:|---:|---|---:|---|---:|---|---|",
            ]
            for r in self.rows:
                target = "" if r["target"] is None else f">= {r['target']}"
                met = "" if r["ok"] is None else ("yes" if r["ok"] else "**no**")
                out.append(
                    f"| {r['model']} | {r['measure']} | {r['plait']} | {r['hand']} | "
                    f"{r['third'] or ''} | {r['unit']} | {r['ratio']:.3f} | "
                    f"{r['low']:.3f}–{r['high']:.3f} | {r['rounds']} | {target} | {met} |"
                )
            out.append("")
        for name, lines in self.sections.items():
            out += [f"## {name}", ""] + lines + [""]
        out += ["## Targets missed", ""]
        out += [f"- {m}" for m in self.misses] if self.misses else ["None."]
        out.append("")
        analysis = ROOT / "bench" / "ANALYSIS.md"
        if analysis.exists():
            out += [analysis.read_text().rstrip(), ""]
        return "\n".join(out)


def fmt(value):
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


# ---------------------------------------------------------------------------- helpers
def per_sample_bytes(case):
    xs, ys = case.data(1)
    arrays = models._as_list(xs) + models._as_list(ys)
    return sum(a.nbytes for a in arrays)


class Pool:
    """A case's data: numpy arrays for plait (Keras layout), tensors for the hand-written
    model (its layout), `size` samples; runs take the first `n`."""

    def __init__(self, case, size):
        self.size = size
        self.xs, self.ys = case.data(size)
        self.txs, self.tys = case.torch_data(self.xs, self.ys)

    def plait(self, n):
        cut = lambda v: [a[:n] for a in v] if isinstance(v, list) else v[:n]  # noqa: E731
        return cut(self.xs), cut(self.ys)

    def torch(self, n):
        return [t[:n] for t in self.txs], [t[:n] for t in self.tys]


def pool_for(case, cap):
    size = max(512, min(cap, DATA_BYTES // per_sample_bytes(case)) // 256 * 256)
    return Pool(case, size)


def as_tuple(out):
    return tuple(out) if isinstance(out, (list, tuple)) else (out,)


def hand_epoch(case, module, optimizer, xs, ys, batch_size, accuracy=False):
    """One epoch of the plain loop: shuffled slices, zero_grad, forward, loss, backward,
    step. With `accuracy` it also counts correct predictions (on the device) and reads the
    epoch's accuracy once at the end."""
    module.train()
    n = ys[0].shape[0]
    perm = torch.randperm(n)
    correct = torch.zeros((), dtype=torch.int64) if accuracy else None
    for start in range(0, n, batch_size):
        idx = perm[start : start + batch_size]
        bx = [x[idx] for x in xs]
        by = [y[idx] for y in ys]
        optimizer.zero_grad(set_to_none=True)
        outs = as_tuple(module(*bx))
        loss = case.torch_loss(outs, by)
        loss.backward()
        optimizer.step()
        if accuracy:
            with torch.no_grad():
                correct += case.torch_correct(outs, by)
    module.eval()
    if accuracy:
        return (correct / n).item()
    return None


def hand_predict(module, xs, batch_size):
    module.eval()
    n = xs[0].shape[0]
    with torch.inference_mode():
        chunks = [
            as_tuple(module(*[x[i : i + batch_size] for x in xs])) for i in range(0, n, batch_size)
        ]
        return [torch.cat(parts).numpy() for parts in zip(*chunks)]


def keras_adam():
    return dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-7)


def compile_plait(case, model, accuracy=False, jit=False):
    metrics = case.metrics_for_accuracy if accuracy else None
    model.compile(optimizer="adam", loss=case.loss, metrics=metrics, jit_compile=jit)


def plait_fit(model, x, y, batch_size):
    return model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)


# ---------------------------------------------------------------------------- sections
def section_env(report, args):
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    report.header += [
        f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}",
        f"- machine: {cpu}, {os.cpu_count()} logical CPUs, {platform.system()} "
        f"{platform.release()}",
        f"- python {platform.python_version()}, torch {torch.__version__}, plait "
        f"{plait.__version__}, numpy {np.__version__}",
        f"- torch threads: {torch.get_num_threads()} (intra-op), "
        f"{torch.get_num_interop_threads()} (inter-op); clock: "
        f"{'process CPU time' if args.clock == 'cpu' else 'wall time'}",
        f"- device: {'cuda ' + torch.cuda.get_device_name() if torch.cuda.is_available() else 'cpu'}",
        f"- run sizes: about {args.run_seconds} s per fit run, {args.run_seconds / 2:.2f} s per "
        f"predict run, {args.run_seconds / 4:.2f} s per latency run; {args.min_rounds} to "
        f"{args.max_rounds} rounds (or {args.budget:.0f} s) per comparison, stopping once the "
        f"median ratio's 95% interval (1.57 IQR / sqrt(rounds)) is within "
        f"{args.tolerance:.0%}",
        "- optimizer: Adam (Keras defaults: lr 1e-3, eps 1e-7) in both; plait's "
        "`optimizer='adam'`, the hand-written loop `torch.optim.Adam` with its defaults "
        "otherwise; plait data are numpy arrays in Keras layout passed to `fit`/`predict` as a "
        "user does, hand-written data are tensors in PyTorch layout (NCHW images)",
    ]


def section_import(report, args):
    code = (
        "import time; t0 = time.perf_counter(); import torch; t1 = time.perf_counter(); "
        "import plait; t2 = time.perf_counter(); print(t1 - t0, t2 - t1)"
    )
    torch_times, plait_times = [], []
    for _ in range(args.import_repeats):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
        )
        a, b = map(float, out.stdout.split())
        torch_times.append(a)
        plait_times.append(b)
    t, p = statistics.median(torch_times), statistics.median(plait_times)
    ok = p <= 0.15
    if not ok:
        report.miss(f"import plait adds {p:.3f} s to import torch (target <= 0.15 s)")
    report.add(
        "Import and build",
        [
            f"- `import torch` in a fresh process: {t:.3f} s; `import plait` after it adds "
            f"**{p:.3f} s** (median of {args.import_repeats}; target <= 0.15 s: "
            f"{'met' if ok else 'MISSED'})"
        ],
    )
    print(f"  import torch {t:.3f} s, import plait adds {p:.3f} s", flush=True)


def section_build(report, args):
    from plait.layers import Dense, Input
    from plait.models import Model

    def build():
        plait.backend.clear_session()
        x = inputs = Input(shape=(16,))
        for _ in range(999):
            x = Dense(16, activation="relu")(x)
        return Model(inputs, x)

    builds, summaries = [], []
    for _ in range(args.build_repeats):
        start = now()
        model = build()
        mid = now()
        lines = []
        model.summary(print_fn=lines.append)
        end = now()
        builds.append(mid - start)
        summaries.append(end - mid)
    b, s = statistics.median(builds), statistics.median(summaries)
    ok = b + s < 1.0
    if not ok:
        report.miss(f"a 1,000-layer model builds and summarizes in {b + s:.3f} s (target < 1 s)")
    x = torch.randn(32, 16)
    model(x)
    start = now()
    for _ in range(20):
        model(x)
    forward = (now() - start) / 20
    report.add(
        "Import and build",
        [
            f"- a 1,000-layer model (Input + 999 Dense(16, relu)): build {b:.3f} s, summary "
            f"{s:.3f} s, total **{b + s:.3f} s** (median of {args.build_repeats}; target < 1 s: "
            f"{'met' if ok else 'MISSED'}); its forward on a batch of 32 takes {forward * 1e3:.2f} ms"
        ],
    )
    print(
        f"  1,000 layers: build {b:.3f} s, summary {s:.3f} s, forward {forward * 1e3:.2f} ms",
        flush=True,
    )


def section_plot(report, args):
    """plot_model on a 500-layer model with merges (bench_plot.py), wall time: the target
    is what a user waits, under 2 s for the PNG."""
    import tempfile

    from bench import bench_plot
    from plait.utils import plot_model

    plait.backend.clear_session()
    model = bench_plot.build(500)
    lines = []
    with tempfile.TemporaryDirectory() as folder:
        for ext in ("png", "svg", "pdf", "dot"):
            path = os.path.join(folder, "model." + ext)
            seconds = bench_plot.best_of(3, lambda: plot_model(model, to_file=path))
            lines.append(f"- `plot_model` to .{ext}: {seconds:.3f} s")
            if ext == "png" and seconds >= 2.0:
                report.miss(f"plot_model of 500 layers to PNG took {seconds:.3f} s (target < 2 s)")
    report.add("plot_model on a 500-layer model (wall time, best of 3; target: PNG < 2 s)", lines)
    print("  " + "; ".join(line[2:] for line in lines), flush=True)


def section_keras_load(report, args):
    """Load times of a 25M-parameter model from Keras's files and `.plait`, beside Keras's
    own (bench/keras_load.py)."""
    from bench import keras_load

    keras_load.section_keras_load(report, args, now)


def run_case(case, report, args, sections):
    print(f"\n{case.name}: {case.description}", flush=True)
    plait.backend.clear_session()
    torch.manual_seed(0)
    pmodel, tmodel = case.plait_model(), case.torch_model()
    smodel = symbolic_models.build(case.name) if args.symbolic else None
    pool = pool_for(case, args.max_samples)
    kw = dict(
        min_rounds=args.min_rounds,
        max_rounds=args.max_rounds,
        budget_s=args.budget,
        tolerance=args.tolerance,
    )

    if "latency" in sections:
        latency(case, report, pmodel, tmodel, smodel, kw, args)
    if "predict" in sections:
        predict(case, report, pmodel, tmodel, smodel, pool, kw, args)
    if "fit" in sections:
        fit(case, report, pmodel, tmodel, smodel, pool, kw, args)
    if "jit" in sections and case.name in args.jit_models:
        jit(case, report, pool, kw, args)
    if "spe" in sections and case.name in args.spe_models:
        jit_steps_per_execution(case, report, pool, kw, args)
    if "jitpredict" in sections and case.name in args.jit_predict_models:
        jit_predict(case, report, pool, kw, args)


def latency(case, report, pmodel, tmodel, smodel, kw, args):
    px, txs = case.sample()
    pmodel.eval()
    tmodel.eval()

    def loop(fn):
        def run(calls):
            start = now()
            for _ in range(calls):
                fn()
            return now() - start

        return run

    plait_loop, hand_loop = loop(lambda: pmodel(px)), loop(lambda: tmodel(*txs))
    calls = calibrate(hand_loop, args.run_seconds / 4, 10, 10, 100000)
    runs = {"plait": lambda: plait_loop(calls), "hand": lambda: hand_loop(calls)}
    if smodel is not None:
        sym_loop = loop(lambda: smodel(*txs))
        runs["symbolic"] = lambda: sym_loop(calls)
    c = compare(runs, **kw)
    us = lambda name: fmt(c.median_time(name) / calls * 1e6)  # noqa: E731
    report.row(
        case.name,
        "latency model(x), 1 sample",
        us("plait"),
        us("hand"),
        "µs/call",
        c,
        target=0.95,  # issue 18: 1-sample latency >= 0.95x
        third=us("symbolic") if smodel is not None else None,
    )


def predict(case, report, pmodel, tmodel, smodel, pool, kw, args):
    batch = 256

    def plait_run(n):
        x, _ = pool.plait(n)
        start = now()
        pmodel.predict(x, batch_size=batch, verbose=0)
        return now() - start

    def hand_run(n, module=tmodel):
        xs, _ = pool.torch(n)
        start = now()
        hand_predict(module, xs, batch)
        return now() - start

    n = calibrate(hand_run, args.run_seconds / 2, batch, batch, pool.size)
    runs = {"plait": lambda: plait_run(n), "hand": lambda: hand_run(n)}
    if smodel is not None:
        runs["symbolic"] = lambda: hand_run(n, smodel)
    c = compare(runs, **kw)
    sps = lambda name: fmt(n / c.median_time(name))  # noqa: E731
    report.row(
        case.name,
        "predict, batch 256",
        sps("plait"),
        sps("hand"),
        "samples/s",
        c,
        target=0.97,  # issue 18: eager fit and predict >= 0.97x
        third=sps("symbolic") if smodel is not None else None,
    )


def fit(case, report, pmodel, tmodel, smodel, pool, kw, args):
    settings = [(32, False), (256, False), (32, True)]
    for batch, accuracy in settings:
        compile_plait(case, pmodel, accuracy=accuracy)
        opt = torch.optim.Adam(tmodel.parameters(), **keras_adam())
        sopt = torch.optim.Adam(smodel.parameters(), **keras_adam()) if smodel else None

        def plait_run(n):
            x, y = pool.plait(n)
            start = now()
            plait_fit(pmodel, x, y, batch)
            return now() - start

        def hand_run(n, module=tmodel, optimizer=opt):
            xs, ys = pool.torch(n)
            start = now()
            hand_epoch(case, module, optimizer, xs, ys, batch, accuracy)
            return now() - start

        # At least 4 steps a run: a run of one or two steps of a slow model times fit's
        # set-up more than its steps, and swings from round to round.
        n = calibrate(hand_run, args.run_seconds, batch, min(pool.size, 4 * batch), pool.size)
        plait_run(n)  # warm-up (optimizer state, first-call allocations)
        runs = {"plait": lambda: plait_run(n), "hand": lambda: hand_run(n)}
        if smodel is not None:
            hand_run(n, smodel, sopt)
            runs["symbolic"] = lambda: hand_run(n, smodel, sopt)
        c = compare(runs, **kw)
        sps = lambda name: fmt(n / c.median_time(name))  # noqa: E731
        measure = f"fit, batch {batch}" + (", accuracy" if accuracy else "")
        report.row(
            case.name,
            measure,
            sps("plait"),
            sps("hand"),
            "samples/s",
            c,
            target=0.97,
            third=sps("symbolic") if smodel is not None else None,
        )


def jit(case, report, pool, kw, args):
    """jit_compile=True against plait eager, the hand-written eager loop, and the eager loop
    over torch.compile of the hand-written model; compile times apart."""
    batch = 32
    plait.backend.clear_session()
    torch.manual_seed(0)
    eager_model, jit_model = case.plait_model(), case.plait_model()
    jit_model.set_weights(eager_model.get_weights())
    compile_plait(case, eager_model)
    compile_plait(case, jit_model, jit=True)
    tmodel = case.torch_model()
    cmodel = torch.compile(case.torch_model())
    opt = torch.optim.Adam(tmodel.parameters(), **keras_adam())
    copt = torch.optim.Adam(cmodel.parameters(), **keras_adam())

    def plait_run(model, n):
        x, y = pool.plait(n)
        start = now()
        plait_fit(model, x, y, batch)
        return now() - start

    def hand_run(module, optimizer, n):
        xs, ys = pool.torch(n)
        start = now()
        hand_epoch(case, module, optimizer, xs, ys, batch)
        return now() - start

    n = calibrate(lambda k: hand_run(tmodel, opt, k), args.run_seconds, batch, batch, pool.size)
    # Compile times are wall time: inductor compiles in worker processes.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first_jit = timed(lambda: plait_run(jit_model, n))()
    fallback = [str(w.message) for w in caught if "jit_compile" in str(w.message)]
    chosen = settle_jit_choice(jit_model, lambda: plait_run(jit_model, n))
    first_compiled = timed(lambda: hand_run(cmodel, copt, n))()
    plait_run(eager_model, n)
    runs = {
        "plait": lambda: plait_run(jit_model, n),
        "hand": lambda: hand_run(tmodel, opt, n),
        "plait_eager": lambda: plait_run(eager_model, n),
        "compiled": lambda: hand_run(cmodel, copt, n),
    }
    c = compare(runs, **kw)
    sps = lambda name: fmt(n / c.median_time(name))  # noqa: E731
    target = {"mlp": 3.0, "rnn": 1.5, "gru": 1.5}.get(case.name)
    report.row(
        case.name,
        "fit b32 jit vs hand eager",
        sps("plait"),
        sps("hand"),
        "samples/s",
        c,
        target=target,
    )
    vs_eager = c.ratio("plait", "plait_eager")
    vs_compiled = c.ratio("plait", "compiled")
    compile_s = max(0.0, first_jit - c.median_time("plait"))
    hand_compile_s = max(0.0, first_compiled - c.median_time("compiled"))
    line = (
        f"| {case.name} | {sps('plait')} | {sps('plait_eager')} | {sps('hand')} | "
        f"{sps('compiled')} | {c.ratio('plait', 'hand'):.2f} | {vs_eager:.2f} | "
        f"{vs_compiled:.2f} | {compile_s:.1f} | {hand_compile_s:.1f} | "
        f"{'fell back to eager: ' + fallback[0] if fallback else ''}"
        f"{' kept step: ' + '/'.join(map(str, chosen)) if chosen else ''} |"
    )
    report.add("jit_compile=True (batch 32, samples/s)", [line])
    if vs_eager < 0.95:
        report.miss(
            f"{case.name} jit_compile=True is slower than plait eager (ratio {vs_eager:.2f})"
        )
    print(
        f"  jit: {sps('plait')} samples/s; vs plait eager {vs_eager:.2f}, vs hand eager "
        f"{c.ratio('plait', 'hand'):.2f}, vs hand torch.compile {vs_compiled:.2f}; compile "
        f"{compile_s:.1f} s (hand torch.compile {hand_compile_s:.1f} s)"
        f"{' FALLBACK ' + fallback[0] if fallback else ''}; kept step {chosen}",
        flush=True,
    )


def settle_jit_choice(model, run, limit=50):
    """Run until jit_compile's measured choice (compiled or eager step, `FasterStep`) is
    made, so that the timed rounds time the step kept, not the trials."""
    for _ in range(limit):
        chosen = [
            getattr(step, "chosen", "n/a")
            for key, step in model._compile_state.steps.items()
            if key[0] == "train"
        ]
        if all(c is not None for c in chosen):
            return chosen
        run()
    return None


def jit_steps_per_execution(case, report, pool, kw, args):
    """fit with jit_compile=True and steps_per_execution=N (N steps per compiled call)
    against the hand-written eager loop, batch 32; the compile time apart."""
    batch, per_execution = 32, args.steps_per_execution
    plait.backend.clear_session()
    torch.manual_seed(0)
    model = case.plait_model()
    model.compile(
        optimizer="adam", loss=case.loss, jit_compile=True, steps_per_execution=per_execution
    )
    tmodel = case.torch_model()
    opt = torch.optim.Adam(tmodel.parameters(), **keras_adam())

    def plait_run(n):
        x, y = pool.plait(n)
        start = now()
        plait_fit(model, x, y, batch)
        return now() - start

    def hand_run(n):
        xs, ys = pool.torch(n)
        start = now()
        hand_epoch(case, tmodel, opt, xs, ys, batch)
        return now() - start

    # Whole executions: a run of n samples is n / (batch * N) compiled calls.
    n = calibrate(hand_run, args.run_seconds, batch * per_execution, batch, pool.size)
    n = max(batch * per_execution, n // (batch * per_execution) * batch * per_execution)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = timed(lambda: plait_run(n))()  # wall time: inductor compiles in workers
    fallback = [str(w.message) for w in caught if "jit_compile" in str(w.message)]
    settle_jit_choice(model, lambda: plait_run(n))
    c = compare({"plait": lambda: plait_run(n), "hand": lambda: hand_run(n)}, **kw)
    sps = lambda name: fmt(n / c.median_time(name))  # noqa: E731
    report.row(
        case.name,
        f"fit b32 jit spe={per_execution} vs hand eager",
        sps("plait"),
        sps("hand"),
        "samples/s",
        c,
        target=4.0 if case.name == "mlp" else None,
    )
    compile_s = max(0.0, first - c.median_time("plait"))
    report.add(
        "steps_per_execution (fit, batch 32, jit_compile=True)",
        [
            f"- {case.name}: steps_per_execution={per_execution}: {sps('plait')} samples/s "
            f"against {sps('hand')} hand-written eager; first epoch {compile_s:.1f} s "
            f"longer (compile){'; fell back: ' + fallback[0] if fallback else ''}"
        ],
    )


def jit_predict(case, report, pool, kw, args):
    """predict with jit_compile=True (the compiled forward) against the hand-written
    model's eager predict, batch 256; the first (compiling) call apart."""
    batch = 256
    plait.backend.clear_session()
    torch.manual_seed(0)
    model = case.plait_model()
    compile_plait(case, model, jit=True)
    tmodel = case.torch_model()

    def plait_run(n):
        x, _ = pool.plait(n)
        start = now()
        model.predict(x, batch_size=batch, verbose=0)
        return now() - start

    def hand_run(n):
        xs, _ = pool.torch(n)
        start = now()
        hand_predict(tmodel, xs, batch)
        return now() - start

    n = calibrate(hand_run, args.run_seconds / 2, batch, batch, pool.size)
    n = max(batch, n // batch * batch)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = timed(lambda: plait_run(n))()
    fallback = [str(w.message) for w in caught if "jit_compile" in str(w.message)]
    c = compare({"plait": lambda: plait_run(n), "hand": lambda: hand_run(n)}, **kw)
    sps = lambda name: fmt(n / c.median_time(name))  # noqa: E731
    report.row(
        case.name,
        "predict b256 jit vs hand eager",
        sps("plait"),
        sps("hand"),
        "samples/s",
        c,
        target=2.0,
    )
    compile_s = max(0.0, first - c.median_time("plait"))
    report.add(
        "Compiled predict (batch 256, jit_compile=True)",
        [
            f"- {case.name}: {sps('plait')} samples/s against {sps('hand')} hand-written "
            f"eager ({c.ratio('plait', 'hand'):.2f}x); first call {compile_s:.1f} s longer "
            f"(compile){'; fell back: ' + fallback[0] if fallback else ''}"
            + _hand_in_slices(model, tmodel, pool, n, batch, kw)
        ],
    )


def _hand_in_slices(model, tmodel, pool, n, batch, kw):
    """What the hand-written model predicts when it too runs each batch in plait's slices
    (training/sub_batches.py): how much of the ratio is slicing, how much compiling."""
    from plait.training.sub_batches import sub_batch_rows

    rows = sub_batch_rows(model, torch.device("cpu"))
    if rows is None or batch < 2 * rows:
        return ""
    size = -(-batch // -(-batch // rows))

    def run(slice_rows):
        xs, _ = pool.torch(n)
        start = now()
        hand_predict(tmodel, xs, slice_rows)
        return now() - start

    c = compare({"sliced": lambda: run(size), "whole": lambda: run(batch)}, **kw)
    return (
        f"; the hand-written model itself in slices of {size}: "
        f"{c.ratio('sliced', 'whole'):.2f}x its whole-batch speed"
    )


def section_threads(report, args, cases, kw):
    """Fit samples/s at batch 32 with 1 and 2 intra-op threads, plait and hand-written
    (wall time: CPU time would count both threads' work)."""
    global _clock
    default, clock = torch.get_num_threads(), _clock
    _clock = time.perf_counter
    lines = [
        "| model | plait 1 thread | plait 2 threads | hand 1 thread | hand 2 threads | "
        "2 threads / 1 (plait) | 2 threads / 1 (hand) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for case in cases:
        plait.backend.clear_session()
        pmodel, tmodel = case.plait_model(), case.torch_model()
        compile_plait(case, pmodel)
        opt = torch.optim.Adam(tmodel.parameters(), **keras_adam())
        pool = pool_for(case, args.max_samples)

        def with_threads(count, fn):
            def run():
                torch.set_num_threads(count)
                try:
                    return fn()
                finally:
                    torch.set_num_threads(default)

            return run

        def plait_run(n):
            x, y = pool.plait(n)
            return timed(lambda: plait_fit(pmodel, x, y, 32))()

        def hand_run(n):
            xs, ys = pool.torch(n)
            return timed(lambda: hand_epoch(case, tmodel, opt, xs, ys, 32))()

        n = calibrate(hand_run, args.run_seconds, 32, 32, pool.size)
        plait_run(n)
        c = compare(
            {
                "hand1": with_threads(1, lambda: hand_run(n)),
                "hand2": with_threads(2, lambda: hand_run(n)),
                "plait1": with_threads(1, lambda: plait_run(n)),
                "plait2": with_threads(2, lambda: plait_run(n)),
            },
            **kw,
        )
        sps = lambda name: fmt(n / c.median_time(name))  # noqa: E731
        lines.append(
            f"| {case.name} | {sps('plait1')} | {sps('plait2')} | {sps('hand1')} | "
            f"{sps('hand2')} | {c.ratio('plait2', 'plait1'):.2f} | "
            f"{c.ratio('hand2', 'hand1'):.2f} |"
        )
        print(
            f"  threads {case.name}: plait 1/2 {sps('plait1')}/{sps('plait2')}, hand 1/2 "
            f"{sps('hand1')}/{sps('hand2')}",
            flush=True,
        )
    _clock = clock
    lines += [
        "",
        "Wall-clock time, on a machine shared with other processes: with 2 threads "
        "and another busy process on 2 cores, OpenMP's threads wait for each other and "
        "throughput collapses (see the spread), while 1 thread degrades gracefully.",
    ]
    report.add("Threads (fit, batch 32, samples/s)", lines)


def section_optimizer(report, args, cases, kw):
    """plait's fit with Keras-math Adam (`optimizer="adam"`: torch's fused kernel with
    Keras's per-step scalars) against the same fit with `torch.optim.Adam(fused=True)`
    passed to compile (PyTorch's math): the price of Keras's numbers."""
    lines = [
        "| model | Keras-math Adam | torch.optim.Adam(fused=True) | ratio |",
        "|---|---:|---:|---:|",
    ]
    for case in cases:
        plait.backend.clear_session()
        torch.manual_seed(0)
        keras_model, torch_model = case.plait_model(), case.plait_model()
        torch_model.set_weights(keras_model.get_weights())
        compile_plait(case, keras_model)
        torch_model.compile(
            optimizer=torch.optim.Adam(torch_model.parameters(), fused=True, **keras_adam()),
            loss=case.loss,
        )
        pool = pool_for(case, args.max_samples)

        def run(model, n):
            x, y = pool.plait(n)
            start = now()
            plait_fit(model, x, y, 32)
            return now() - start

        n = calibrate(
            lambda k: run(torch_model, k), args.run_seconds, 32, min(pool.size, 128), pool.size
        )
        run(keras_model, n)
        run(torch_model, n)
        c = compare(
            {"plait": lambda: run(keras_model, n), "hand": lambda: run(torch_model, n)}, **kw
        )
        sps = lambda name: fmt(n / c.median_time(name))  # noqa: E731
        lines.append(
            f"| {case.name} | {sps('plait')} | {sps('hand')} | {c.ratio('plait', 'hand'):.2f} |"
        )
        report.row(
            case.name,
            "fit b32, Keras Adam vs torch fused Adam",
            sps("plait"),
            sps("hand"),
            "samples/s",
            c,
            target=0.95,
        )
        print(
            f"  optimizer {case.name}: Keras-math Adam {sps('plait')}, torch fused Adam "
            f"{sps('hand')} samples/s, ratio {c.ratio('plait', 'hand'):.2f}",
            flush=True,
        )
    lines += [
        "",
        "Both columns are plait's `fit` on the same model and data (batch 32); only "
        "the optimizer differs. Ratio > 1: Keras-math Adam is faster.",
    ]
    report.add("Optimizer (fit, batch 32, samples/s)", lines)


# ---------------------------------------------------------------------------- memory
def _rss_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def memory_probe(name, impl, batch, samples):
    """In a fresh process: the peak resident memory added by one fit epoch (KiB)."""
    case = next(c for c in models.ALL if c.name == name)
    torch.manual_seed(0)
    xs, ys = case.data(samples)
    if impl == "plait":
        model = case.plait_model()
        compile_plait(case, model)
        train = lambda: plait_fit(model, xs, ys, batch)  # noqa: E731
    else:
        module = case.torch_model()
        opt = torch.optim.Adam(module.parameters(), **keras_adam())
        txs, tys = case.torch_data(xs, ys)
        del xs, ys
        train = lambda: hand_epoch(case, module, opt, txs, tys, batch)  # noqa: E731
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # reset the peak (VmHWM) to the current RSS
    before = _rss_kb("VmRSS")
    train()
    print(json.dumps({"before": before, "peak": _rss_kb("VmHWM")}))


def section_memory(report, args, cases):
    lines = [
        "Peak resident memory added by one fit epoch (batch 256, "
        f"{args.memory_samples} samples), each in a fresh process, after the model, "
        "data and optimizer exist; median of "
        f"{args.memory_repeats} processes. Target: plait <= 1.10x the hand-written loop.",
        "",
        "| model | plait MiB | hand-written MiB | ratio | met |",
        "|---|---:|---:|---:|---|",
    ]
    for case in cases:
        peaks = {"plait": [], "hand": []}
        for _ in range(args.memory_repeats):
            for impl in ("plait", "hand"):
                out = subprocess.run(
                    [
                        sys.executable,
                        str(Path(__file__)),
                        "--memory-probe",
                        case.name,
                        impl,
                        "--memory-samples",
                        str(args.memory_samples),
                    ],
                    capture_output=True,
                    text=True,
                    cwd=ROOT,
                )
                if out.returncode:
                    raise RuntimeError(f"memory probe failed for {case.name} {impl}:\n{out.stderr}")
                result = json.loads(out.stdout.strip().splitlines()[-1])
                peaks[impl].append((result["peak"] - result["before"]) / 1024)
        p, h = statistics.median(peaks["plait"]), statistics.median(peaks["hand"])
        # Below a few MiB the difference is allocator noise, not the model.
        ratio = p / h if h > 0 else float("inf")
        ok = ratio <= 1.10 or p - h < 4
        if not ok:
            report.miss(
                f"{case.name} peak fit memory {p:.1f} MiB vs {h:.1f} MiB (ratio {ratio:.2f} > 1.10)"
            )
        lines.append(
            f"| {case.name} | {p:.1f} | {h:.1f} | {ratio:.2f} | {'yes' if ok else '**no**'} |"
        )
        print(f"  memory {case.name}: plait {p:.1f} MiB, hand {h:.1f} MiB", flush=True)
    lines.append("")
    lines.append("Differences under 4 MiB count as met: they are allocator noise at this scale.")
    report.add("Peak memory of fit", lines)


# ---------------------------------------------------------------------------- large models
LARGE_STEPS = 3  # fit steps per timed run of a large model


def large_memory_probe(name, impl, steps=2):
    """In a fresh process: the peak resident memory (KiB) that `steps` fit steps of a large
    model add, from the first step (so the optimizer's state and the gradients count)."""
    torch.set_num_threads(1)
    case = next(c for c in models.LARGE if c.name == name)
    torch.manual_seed(0)
    xs, ys = case.data(steps * case.batch_size)
    if impl == "plait":
        model = case.plait_model()
        compile_plait(case, model)
        train = lambda: plait_fit(model, xs, ys, case.batch_size)  # noqa: E731
    else:
        module = case.torch_model()
        opt = torch.optim.Adam(module.parameters(), **keras_adam())
        txs, tys = case.torch_data(xs, ys)
        del xs, ys
        train = lambda: hand_epoch(case, module, opt, txs, tys, case.batch_size)  # noqa: E731
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # reset the peak (VmHWM) to the current RSS
    before = _rss_kb("VmRSS")
    train()
    print(json.dumps({"before": before, "peak": _rss_kb("VmHWM")}))


def _large_memory(case, repeats):
    """Median peak MiB added by fit, plait and hand-written, each in fresh processes."""
    peaks = {"plait": [], "hand": []}
    code = "import sys; from bench import run; run.large_memory_probe(sys.argv[1], sys.argv[2])"
    for _ in range(repeats):
        for impl in ("plait", "hand"):
            out = subprocess.run(
                [sys.executable, "-c", code, case.name, impl],
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            if out.returncode:
                raise RuntimeError(f"memory probe failed for {case.name} {impl}:\n{out.stderr}")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            peaks[impl].append((result["peak"] - result["before"]) / 1024)
    return statistics.median(peaks["plait"]), statistics.median(peaks["hand"])


def section_large(report, args, kw):
    """A ~25M-parameter ResNet50 at 224x224 and a ~10M-parameter Transformer encoder:
    fit speed against the hand-written loop (same batches, Adam) and peak fit memory, each
    side in fresh processes. Targets: fit ratio >= 0.98, memory <= 1.05x."""
    lines = [
        "| model | parameters | batch | plait s/step | hand s/step | fit ratio | quartiles | "
        "rounds | plait MiB | hand MiB | memory ratio |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for case in models.LARGE:
        plait.backend.clear_session()
        torch.manual_seed(0)
        pmodel, tmodel = case.plait_model(), case.torch_model()
        compile_plait(case, pmodel)
        opt = torch.optim.Adam(tmodel.parameters(), **keras_adam())
        batch, steps = case.batch_size, LARGE_STEPS
        x, y = case.data(batch * steps)
        txs, tys = case.torch_data(x, y)

        def plait_run():
            start = now()
            plait_fit(pmodel, x, y, batch)
            return now() - start

        def hand_run():
            start = now()
            hand_epoch(case, tmodel, opt, txs, tys, batch)
            return now() - start

        plait_run(), hand_run()  # warm-up: optimizer state, first-call allocations
        c = compare({"plait": plait_run, "hand": hand_run}, **kw)
        per_step = lambda name: f"{c.median_time(name) / steps:.3f}"  # noqa: E731
        report.row(
            case.name,
            f"fit, batch {batch} (large)",
            per_step("plait"),
            per_step("hand"),
            "s/step",
            c,
            target=0.98,
        )
        p_mib, h_mib = _large_memory(case, args.memory_repeats)
        mem_ratio = p_mib / h_mib if h_mib > 0 else float("inf")
        if mem_ratio > 1.05:
            report.miss(
                f"{case.name} peak fit memory {p_mib:.0f} MiB vs {h_mib:.0f} MiB "
                f"(ratio {mem_ratio:.3f} > 1.05)"
            )
        low, high = c.spread("plait", "hand")
        params = sum(p.numel() for p in tmodel.parameters())
        lines.append(
            f"| {case.name} | {params / 1e6:.1f}M | {batch} | {per_step('plait')} | "
            f"{per_step('hand')} | {c.ratio('plait', 'hand'):.3f} | {low:.3f}–{high:.3f} | "
            f"{c.rounds} | {p_mib:.0f} | {h_mib:.0f} | {mem_ratio:.3f} |"
        )
        print(f"  memory {case.name}: plait {p_mib:.0f} MiB, hand {h_mib:.0f} MiB", flush=True)
    lines += [
        "",
        f"Fit: {LARGE_STEPS} steps a run, alternating rounds (CPU time). Memory: the peak "
        "resident memory a fit of 2 steps adds after the model and data exist (optimizer "
        f"state, gradients, activations), each side in a fresh process, median of "
        f"{args.memory_repeats}. Targets: fit ratio >= 0.98, memory ratio <= 1.05.",
    ]
    report.add("Large models (fit and peak memory)", lines)


# ---------------------------------------------------------------------------- slow data
DATALOAD_BATCHES = 16  # batches per timed epoch
DATALOAD_SLEEP_S = 0.004  # I/O wait per batch in the loader


def _slow_batch(index, layout="nhwc"):
    """One batch of 32 digits-sized images that costs what reading a file costs: an I/O wait
    plus numpy work (decode-like arithmetic and normalization)."""
    time.sleep(DATALOAD_SLEEP_S)
    rng = np.random.default_rng(index)
    raw = rng.integers(0, 256, size=(32, 28, 28, 1), dtype=np.uint8)
    x = (raw.astype(np.float32) / 255.0 - 0.5) / 0.25
    y = rng.integers(0, 10, size=(32,)).astype(np.int64)
    if layout == "nchw":
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    return x, y


def _slow_datasets(workers):
    from plait.utils import PyDataset

    class SlowPyDataset(PyDataset):
        def __len__(self):
            return DATALOAD_BATCHES

        def __getitem__(self, index):
            return _slow_batch(index)

    class SlowTorchDataset(torch.utils.data.Dataset):
        def __len__(self):
            return DATALOAD_BATCHES

        def __getitem__(self, index):
            x, y = _slow_batch(index, "nchw")
            return torch.from_numpy(x), torch.from_numpy(y)

    loader = torch.utils.data.DataLoader(
        SlowTorchDataset(), batch_size=None, num_workers=workers, persistent_workers=True
    )
    return SlowPyDataset(workers=workers), loader


def section_dataload(report, args, kw, workers=2):
    """fit on a slow-loading PyDataset (`workers=2`, thread pool) and on a generator (the
    prefetch thread) against the hand-written loop over a DataLoader with the same number
    of workers (processes), wall time: loading overlaps compute or it does not."""
    global _clock
    clock, _clock = _clock, time.perf_counter
    case = next(c for c in models.ALL if c.name == "digits_cnn")
    plait.backend.clear_session()
    torch.manual_seed(0)
    pmodel, tmodel = case.plait_model(), case.torch_model()
    compile_plait(case, pmodel)
    opt = torch.optim.Adam(tmodel.parameters(), **keras_adam())
    dataset, loader = _slow_datasets(workers)
    serial = type(dataset)(workers=1)

    def plait_run(data):
        start = now()
        pmodel.fit(data() if callable(data) else data, epochs=1, shuffle=False, verbose=0)
        return now() - start

    def generator():
        return (_slow_batch(i) for i in range(DATALOAD_BATCHES))

    def hand_run():
        start = now()
        tmodel.train()
        for x, y in loader:
            opt.zero_grad(set_to_none=True)
            loss = case.torch_loss((tmodel(x),), (y,))
            loss.backward()
            opt.step()
        return now() - start

    runs = {
        "plait": lambda: plait_run(dataset),
        "hand": hand_run,
        "generator": lambda: plait_run(generator),
        "serial": lambda: plait_run(serial),
    }
    for run in runs.values():
        run()  # warm-up: the DataLoader's worker processes start, first-call allocations
    c = compare(runs, **kw)
    _clock = clock
    ms = lambda name: f"{c.median_time(name) / DATALOAD_BATCHES * 1e3:.1f}"  # noqa: E731
    report.row(
        "digits_cnn",
        f"fit, slow PyDataset, {workers} workers",
        ms("plait"),
        ms("hand"),
        "ms/batch",
        c,
        target=0.95,
    )
    lines = [
        "| data | ms/batch (wall) | vs hand DataLoader |",
        "|---|---:|---:|",
        f"| plait, PyDataset(workers={workers}) (thread pool) | {ms('plait')} | "
        f"{c.ratio('plait', 'hand'):.2f} |",
        f"| plait, generator (prefetch thread) | {ms('generator')} | "
        f"{c.ratio('generator', 'hand'):.2f} |",
        f"| plait, PyDataset(workers=1) (no read-ahead) | {ms('serial')} | "
        f"{c.ratio('serial', 'hand'):.2f} |",
        f"| hand-written loop, DataLoader(num_workers={workers}, persistent_workers=True) | "
        f"{ms('hand')} | 1.00 |",
        "",
        f"Digits CNN, batches of 32; each batch's loader waits {DATALOAD_SLEEP_S * 1e3:.0f} ms "
        "(I/O) and does numpy work (uint8 to normalized float32). Wall time "
        f"(loading happens in other threads or processes), {c.rounds} alternating rounds of "
        f"{DATALOAD_BATCHES} batches; ratios > 1: faster than the DataLoader loop. Loader time "
        f"measured alone: {_loader_ms():.1f} ms/batch.",
    ]
    report.add("Fit on slow-loading data (overlap of loading and compute)", lines)
    print(
        f"  dataload: plait PyDataset {ms('plait')}, generator {ms('generator')}, serial "
        f"{ms('serial')}, hand DataLoader {ms('hand')} ms/batch",
        flush=True,
    )


def _loader_ms():
    start = time.perf_counter()
    for i in range(DATALOAD_BATCHES):
        _slow_batch(i)
    return (time.perf_counter() - start) / DATALOAD_BATCHES * 1e3


def run_big_sections(report, args, sections, kw):
    """The sections on scale: large models, and fit on slow-loading data."""
    if "large" in sections:
        print("\nlarge models", flush=True)
        section_large(report, args, kw)
    if "dataload" in sections:
        print("\nslow-loading data", flush=True)
        section_dataload(report, args, kw)


# ---------------------------------------------------------------------------- main
def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="", help="comma-separated model names")
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    parser.add_argument("--run-seconds", type=float, default=0.15)
    parser.add_argument("--min-rounds", type=int, default=6)
    parser.add_argument("--max-rounds", type=int, default=30)
    parser.add_argument(
        "--budget",
        type=float,
        default=8.0,
        help="seconds after which a comparison stops at min-rounds",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=0.03,
        help="stop once the median ratio's 95%% interval is within this",
    )
    parser.add_argument("--max-samples", type=int, default=65536)
    parser.add_argument("--jit-models", default="mlp,rnn,cnn,digits_cnn,gru")
    parser.add_argument("--spe-models", default="mlp")
    parser.add_argument("--steps-per-execution", type=int, default=8)
    parser.add_argument("--jit-predict-models", default="cnn,shared_input,multiple_inputs")
    parser.add_argument("--thread-models", default="mlp,rnn,digits_cnn")
    parser.add_argument("--optimizer-models", default="mlp,cnn")
    parser.add_argument("--scaling-models", default="mlp,digits_cnn")
    parser.add_argument("--import-repeats", type=int, default=5)
    parser.add_argument("--build-repeats", type=int, default=3)
    parser.add_argument("--memory-samples", type=int, default=1024)
    parser.add_argument("--memory-repeats", type=int, default=2)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads for the comparisons (default 1; 0: torch's default)",
    )
    parser.add_argument(
        "--clock",
        choices=["cpu", "wall"],
        default=None,
        help="cpu: process CPU time (default with 1 thread); wall: elapsed",
    )
    parser.add_argument(
        "--no-symbolic",
        dest="symbolic",
        action="store_false",
        help="leave out the pytorch-symbolic column",
    )
    parser.add_argument(
        "--memory-probe", nargs=2, metavar=("MODEL", "IMPL"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    args.jit_models = [m for m in args.jit_models.split(",") if m]
    args.spe_models = [m for m in args.spe_models.split(",") if m]
    args.jit_predict_models = [m for m in args.jit_predict_models.split(",") if m]
    return args


def main(argv=None):
    global _clock
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.clock is None:
        args.clock = "cpu" if torch.get_num_threads() == 1 else "wall"
    _clock = time.process_time if args.clock == "cpu" else time.perf_counter
    if args.memory_probe:
        memory_probe(*args.memory_probe, batch=256, samples=args.memory_samples)
        return
    args.symbolic = args.symbolic and symbolic_models.available()
    sections = [s for s in args.sections.split(",") if s]
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise SystemExit(f"Unknown sections {unknown}; choose from {SECTIONS}")
    cases = models.available_cases()
    if args.only:
        names = args.only.split(",")
        cases = [c for c in cases if c.name in names]
    skipped = [c.name for c in models.ALL if c not in models.available_cases()]
    report = Report()
    section_env(report, args)
    if skipped:
        report.header.append(f"- left out (their plait layers do not exist yet): {skipped}")
    if not args.symbolic:
        report.header.append("- pytorch-symbolic: not installed, column left empty")
    else:
        report.header.append("- third column: pytorch-symbolic (its model, the same plain loop)")
    start = time.perf_counter()
    print("\n".join(report.header), flush=True)
    if "import" in sections:
        section_import(report, args)
    if "build" in sections:
        section_build(report, args)
    if "plot" in sections:
        section_plot(report, args)
    kw = dict(
        min_rounds=args.min_rounds,
        max_rounds=args.max_rounds,
        budget_s=args.budget,
        tolerance=args.tolerance,
    )
    if "jit" in sections:
        report.add(
            "jit_compile=True (batch 32, samples/s)",
            [
                "plait jit = `compile(..., jit_compile=True)` then `fit`; compiled hand = the "
                "plain eager loop over `torch.compile(module)`. Compile times (s) are the first "
                "epoch's extra time, paid once.",
                "",
                "| model | plait jit | plait eager | hand eager | hand torch.compile | jit / hand "
                "eager | jit / plait eager | jit / hand compiled | plait compile s | hand compile s "
                "| note |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
            ],
        )
    for case in cases:
        run_case(case, report, args, sections)
    if "threads" in sections:
        names = args.thread_models.split(",")
        print("\nthreads", flush=True)
        section_threads(report, args, [c for c in cases if c.name in names], kw)
    if "optimizer" in sections:
        names = args.optimizer_models.split(",")
        print("\noptimizer", flush=True)
        section_optimizer(report, args, [c for c in cases if c.name in names], kw)
    if "memory" in sections:
        print("\nmemory", flush=True)
        section_memory(report, args, cases)
    if "scaling" in sections:
        print("\nscaling", flush=True)
        scaling.section_scaling(report, args.scaling_models.split(","))
    if "keras_load" in sections:
        print("\nkeras_load", flush=True)
        section_keras_load(report, args)
    run_big_sections(report, args, sections, kw)
    report.header.append(f"- total benchmark time: {time.perf_counter() - start:.0f} s")
    Path(args.out).write_text(report.markdown() + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
