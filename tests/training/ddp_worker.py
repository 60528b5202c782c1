"""One process of a data-parallel fit, run by tests/training/test_distributed.py:

    python -m torch.distributed.run --standalone --nproc_per_node=2 ddp_worker.py OUT_DIR

With PLAIT_TEST_DDP_JIT=1 it also runs a jit_compile=True fit (slow: torch.compile).

Each process runs the same fits and writes what it saw to OUT_DIR/rank<R>.json (weights,
histories, what it printed, the files its callbacks wrote); the test compares the ranks with
each other and with a single-process fit.
"""

import contextlib
import gc
import io
import json
import os
import sys
import weakref

import numpy as np
import torch
import torch.distributed as dist

import plait
from plait import callbacks
from plait.layers import Dense, Input
from plait.models import Model
from plait.training import distributed, loop

# Every DDP wrapper fit makes, to check that none outlives its fit.
WRAPPERS = []
FITTED = []


class RecordedDDP(distributed.DistributedDataParallel):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        WRAPPERS.append(weakref.ref(self))


distributed.DistributedDataParallel = RecordedDDP


def regression_data(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype="float32") + 0.1
    return x, y


def mlp(seed):
    plait.utils.set_random_seed(seed)  # different in each rank: DDP starts all from rank 0's
    visible = Input(shape=(4,))
    return Model(visible, Dense(1)(Dense(8, activation="tanh")(visible)))


def weights(model):
    return [w.tolist() for w in model.get_weights()]


def fit_quietly(model, *args, **kwargs):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        history = model.fit(*args, **kwargs)
    return history.history, printed.getvalue()


def even_split(rank, out, jit=False):
    """Per-process batch 8 on 48 samples, unshuffled: the single-process batch-16 fit."""
    model = mlp(seed=rank)
    initial = weights(model) if rank == 0 else None
    model.compile(
        optimizer=plait.optimizers.SGD(learning_rate=0.1),
        loss="mse",
        metrics=["mae"],
        jit_compile=jit,
    )
    x, y = regression_data(48)
    history, printed = fit_quietly(model, x, y, batch_size=8, epochs=2, shuffle=False, verbose=2)
    FITTED.append(model)
    return {
        "initial": initial,
        "weights": weights(model),
        "history": history,
        "printed": printed,
        "model_type": type(model).__name__,
    }


def shuffled_with_callbacks(rank, out):
    """Shuffled, 45 samples (padded to 46), validation, and callbacks that write files."""
    model = mlp(seed=10 + rank)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x, y = regression_data(45, seed=1)
    vx, vy = regression_data(10, seed=2)
    folder = os.path.join(out, f"files{rank}")
    os.makedirs(folder)
    cbs = [
        callbacks.ModelCheckpoint(
            os.path.join(folder, "w{epoch}.weights.safetensors"), save_weights_only=True
        ),
        callbacks.CSVLogger(os.path.join(folder, "log.csv")),
        callbacks.BackupAndRestore(os.path.join(folder, "backup"), delete_checkpoint=False),
    ]
    history, printed = fit_quietly(
        model,
        x,
        y,
        batch_size=8,
        epochs=3,
        shuffle=True,
        validation_data=(vx, vy),
        callbacks=cbs,
        verbose=2,
    )
    return {
        "weights": weights(model),
        "history": history,
        "printed": printed,
        "files": sorted(os.listdir(folder)),
        "steps": len(history["loss"]),
    }


def unused_output(rank, out):
    """Two outputs, a loss on one: the other head's weights get no gradient."""
    plait.utils.set_random_seed(rank)
    visible = Input(shape=(4,))
    hidden = Dense(8, activation="relu")(visible)
    model = Model(visible, [Dense(1, name="used")(hidden), Dense(2, name="unused")(hidden)])
    model.compile(optimizer="sgd", loss=["mse", None])
    x, y = regression_data(32)
    history, _ = fit_quietly(model, x, [y, None], batch_size=4, epochs=2, verbose=0)
    return {"weights": weights(model), "history": history}


def stop_in_one_process(rank, out):
    """Rank 1 asks to stop in the middle of the first epoch: both stop after it."""
    model = mlp(seed=0)
    model.compile(optimizer="sgd", loss="mse")
    x, y = regression_data(64)

    def stop(batch, logs):
        if rank == 1 and batch == 1:
            model.stop_training = True

    history, _ = fit_quietly(
        model,
        x,
        y,
        batch_size=8,
        epochs=3,
        verbose=0,
        callbacks=[callbacks.LambdaCallback(on_train_batch_end=stop)],
    )
    return {"epochs": len(history["loss"]), "weights": weights(model)}


def main():
    out = sys.argv[1]
    rank = int(os.environ["RANK"])
    torch.set_num_threads(1)
    result = {"world_size": int(os.environ["WORLD_SIZE"])}
    result["even"] = even_split(rank, out)
    if os.environ.get("PLAIT_TEST_DDP_JIT") == "1":  # compiling costs ~10 s per process
        loop._COMPILE_BACKEND = "aot_eager"
        result["even_jit"] = even_split(rank, out, jit=True)
    result["shuffled"] = shuffled_with_callbacks(rank, out)
    result["unused_output"] = unused_output(rank, out)
    result["stop"] = stop_in_one_process(rank, out)
    gc.collect()
    result["wrappers_made"] = len(WRAPPERS)
    result["wrappers_alive"] = sum(ref() is not None for ref in WRAPPERS)
    # The user's model is a plain module again: a backward in one process alone needs no
    # other process (a DDP hook left behind would wait for rank 1 here).
    if rank == 0:
        x, _ = regression_data(4)
        FITTED[0](torch.as_tensor(x)).sum().backward()
    with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
        json.dump(result, f)
    dist.barrier()


if __name__ == "__main__":
    main()
