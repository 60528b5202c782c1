"""The bench's scaling section: samples/s of `fit` in 1 and 2 processes on the same global
batch, plait (`fit` under torchrun, data-parallel by itself) against the hand-written loop
wrapped in `DistributedDataParallel`, both on gloo over loopback.

Run by `bench/run.py --sections scaling`; each measurement is `python -m torch.distributed.run
--nproc_per_node=N bench/scaling.py CASE IMPL ...`, whose rank 0 prints one JSON line.
Wall time here (processes run side by side), one torch thread per process.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _hand_epochs(case, xs, ys, batch, epochs):
    """The hand-written data-parallel loop: DDP over the module, this rank's shard of the
    data, Adam with Keras's defaults. Returns each epoch's wall time."""
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from bench import run  # its loop and optimizer settings

    rank, world = dist.get_rank(), dist.get_world_size()
    module = case.torch_model()
    if world > 1:  # one process: the plain loop, as a user runs it
        module = DistributedDataParallel(module)
    optimizer = torch.optim.Adam(module.parameters(), **run.keras_adam())
    txs, tys = case.torch_data(xs, ys)
    txs = [x[rank::world] for x in txs]
    tys = [y[rank::world] for y in tys]
    seconds = []
    for _ in range(epochs):
        if world > 1:
            dist.barrier()
        start = time.perf_counter()
        run.hand_epoch(case, module, optimizer, txs, tys, batch)
        if world > 1:
            dist.barrier()
        seconds.append(time.perf_counter() - start)
    return seconds


def _plait_epochs(case, xs, ys, batch, epochs):
    """plait's `fit` as a user calls it under torchrun (it splits the arrays among the
    processes itself). Returns each epoch's wall time."""
    import torch.distributed as dist

    import plait
    from bench import run

    times = []

    def barrier():
        if dist.is_initialized():  # fit starts the group only when WORLD_SIZE > 1
            dist.barrier()

    class EpochClock(plait.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            barrier()
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            barrier()
            times.append(time.perf_counter() - self.start)

    model = case.plait_model()
    run.compile_plait(case, model)
    model.fit(xs, ys, batch_size=batch, epochs=epochs, verbose=0, callbacks=[EpochClock()])
    return times


def worker(argv) -> None:
    """One process of a measurement (started by torchrun)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("case")
    parser.add_argument("impl", choices=("plait", "hand"))
    parser.add_argument("--global-batch", type=int, default=256)
    parser.add_argument("--samples", type=int, default=8192)
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import torch
    import torch.distributed as dist

    from bench import models

    torch.set_num_threads(1)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    case = next(c for c in models.ALL if c.name == args.case)
    torch.manual_seed(0)
    xs, ys = case.data(args.samples)
    batch = args.global_batch // world
    if args.impl == "plait":
        seconds = _plait_epochs(case, xs, ys, batch, args.epochs)
    else:
        dist.init_process_group("gloo")
        seconds = _hand_epochs(case, xs, ys, batch, args.epochs)
    if int(os.environ.get("RANK", "0")) == 0:
        rate = args.samples / statistics.median(seconds[2:])  # two warm-up epochs
        print(json.dumps({"samples_per_s": rate}), flush=True)
    if dist.is_initialized():
        dist.destroy_process_group()


def measure(case: str, impl: str, processes: int, samples: int, timeout: float) -> float:
    """samples/s (median epoch after two warm-up ones), `processes` processes on one
    global batch of 256."""
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        f"--nproc_per_node={processes}",
        f"--master_port={_free_port()}",
        str(Path(__file__)),
        case,
        impl,
        "--samples",
        str(samples),
    ]
    env = dict(os.environ, OMP_NUM_THREADS="1", PLAIT_DIST_TIMEOUT="120")
    out = subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout
    )
    if out.returncode:
        raise RuntimeError(f"scaling run {case} {impl} x{processes} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])["samples_per_s"]


def section_scaling(report, names, samples: int = 8192) -> None:
    """Add the table: samples/s in 1 and 2 processes and the scaling efficiency
    (2-process samples/s / (2 x 1-process samples/s))."""
    lines = [
        "`fit` on the same global batch of 256, in 1 process and in 2 (128 each) under "
        "torchrun, gloo on loopback, one torch thread per process, "
        f"{samples} samples an epoch; wall time, the median of 4 epochs after 2 warm-up "
        "ones. Efficiency = "
        "2-process samples/s / (2 x 1-process samples/s); the machine has 2 cores, so 1.0 is "
        "the ceiling.",
        "",
        "| model | impl | 1 process samples/s | 2 processes samples/s | efficiency |",
        "|---|---|---:|---:|---:|",
    ]
    for name in names:
        for impl in ("plait", "hand"):
            rates = {}
            for processes in (1, 2):
                rates[processes] = measure(name, impl, processes, samples, 600)
            efficiency = rates[2] / (2 * rates[1])
            label = "plait" if impl == "plait" else "hand-written DDP"
            lines.append(
                f"| {name} | {label} | {rates[1]:,.0f} | {rates[2]:,.0f} | {efficiency:.2f} |"
            )
            print(f"  scaling {name} {impl}: {rates[1]:.0f} -> {rates[2]:.0f}", flush=True)
    report.add("Scaling: 1 and 2 processes", lines)


if __name__ == "__main__":
    worker(sys.argv[1:])
