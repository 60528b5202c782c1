"""One process of the data-parallel cases of tests/training/test_distributed_cases.py:

    python -m torch.distributed.run --standalone --nproc_per_node=2 ddp_cases_worker.py \
        OUT_DIR CASE [CASE ...]

Each case is a fit whose outcome could differ between the processes (a stop decided in one
process, rank-specific validation data, BatchNormalization statistics); the process writes
what it saw to OUT_DIR/rank<R>.json and the test compares the ranks.
"""

import json
import os
import signal
import sys

import numpy as np
import torch
import torch.distributed as dist

import plait
from plait import callbacks
from plait.layers import BatchNormalization, Dense, Input
from plait.models import Model

RANK = int(os.environ.get("RANK", "0"))


def regression_data(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype="float32") + 0.1
    return x, y


def mlp(seed=0):
    plait.utils.set_random_seed(seed)
    visible = Input(shape=(4,))
    return Model(visible, Dense(1)(Dense(8, activation="tanh")(visible)))


def weights(model):
    return [w.tolist() for w in model.get_weights()]


def epoch_end_stop():
    """Rank 1 stops in on_epoch_end of the first epoch; rank 0 does not."""
    model = mlp()
    model.compile(optimizer="sgd", loss="mse")
    x, y = regression_data(32)

    def stop(epoch, logs):
        if RANK == 1 and epoch == 0:
            model.stop_training = True

    history = model.fit(
        x,
        y,
        batch_size=8,
        epochs=3,
        verbose=0,
        callbacks=[callbacks.LambdaCallback(on_epoch_end=stop)],
    )
    return {"epochs": len(history.history["loss"]), "weights": weights(model)}


def early_stopping_on_rank_data():
    """Each rank validates on data of its own; EarlyStopping must decide alike."""
    model = mlp()
    model.compile(optimizer=plait.optimizers.SGD(learning_rate=0.05), loss="mse")
    x, y = regression_data(32)
    vx, vy = regression_data(12, seed=100 + RANK)
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=1, min_delta=0.5)
    history = model.fit(
        x, y, batch_size=8, epochs=6, verbose=0, validation_data=(vx, vy), callbacks=[stopper]
    )
    return {"history": history.history, "stopped_epoch": stopper.stopped_epoch}


def validation_metrics():
    """Validation on 13 samples (not a multiple of 2): each sample counted once."""
    model = mlp()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x, y = regression_data(32)
    vx, vy = regression_data(13, seed=7)
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_data=(vx, vy))
    with torch.no_grad():
        predicted = model(torch.from_numpy(vx)).numpy()
    return {
        "history": history.history,
        "full_val_loss": float(np.mean((predicted - vy) ** 2)),
        "full_val_mae": float(np.mean(np.abs(predicted - vy))),
    }


def batch_norm(synchronized):
    plait.utils.set_random_seed(0)
    visible = Input(shape=(4,))
    hidden = BatchNormalization(synchronized=synchronized, momentum=0.9)(Dense(6)(visible))
    model = Model(visible, Dense(1)(hidden))
    initial = weights(model)
    model.compile(optimizer=plait.optimizers.SGD(learning_rate=0.1), loss="mse")
    x, y = regression_data(32, seed=3)
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    return {"initial": initial, "weights": weights(model)}


def resume_after_kill(out):
    """Three epochs with BackupAndRestore; rank 1 kills itself at the end of epoch 2 of the
    first attempt, torchrun restarts both, and the fit resumes from the backup."""
    model = mlp()
    model.compile(optimizer=plait.optimizers.SGD(learning_rate=0.1), loss="mse")
    x, y = regression_data(32)
    marker = os.path.join(out, "killed")

    def kill(epoch, logs):
        if RANK == 1 and epoch == 1 and not os.path.exists(marker):
            open(marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)

    backup = callbacks.BackupAndRestore(os.path.join(out, "backup"))
    history = model.fit(
        x,
        y,
        batch_size=8,
        epochs=3,
        shuffle=False,
        verbose=0,
        callbacks=[backup, callbacks.LambdaCallback(on_epoch_end=kill)],
    )
    return {
        "weights": weights(model),
        "epochs_run": len(history.history["loss"]),
        "restarts": int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")),
    }


def raise_in_one_process():
    model = mlp()
    model.compile(optimizer="sgd", loss="mse")
    x, y = regression_data(32)

    def fail(epoch, logs):
        if RANK == 1:
            raise RuntimeError("a callback failed in rank 1")

    model.fit(
        x,
        y,
        batch_size=8,
        epochs=50,
        verbose=0,
        callbacks=[callbacks.LambdaCallback(on_epoch_end=fail)],
    )
    return {}


def main():
    out, cases = sys.argv[1], sys.argv[2:]
    torch.set_num_threads(1)
    table = {
        "epoch_end_stop": epoch_end_stop,
        "early_stopping": early_stopping_on_rank_data,
        "validation_metrics": validation_metrics,
        "batch_norm": lambda: batch_norm(False),
        "sync_batch_norm": lambda: batch_norm(True),
        "resume_after_kill": lambda: resume_after_kill(out),
        "raise_in_one_process": raise_in_one_process,
    }
    result = {"world_size": int(os.environ["WORLD_SIZE"])}
    for case in cases:
        result[case] = EXTRA[case](out) if case in EXTRA else table[case]()
    with open(os.path.join(out, f"rank{RANK}.json"), "w") as f:
        json.dump(result, f)
    dist.barrier()


def fsdp(out, how):
    """FSDP2, sharded by the user (`fully_shard`) or by `fit(distribute="fsdp")`: trains as
    one process on the whole batch, and saves full weights in every format."""
    model = mlp(seed=0)
    initial = weights(model)
    if how == "user":
        from torch.distributed.fsdp import fully_shard

        for layer in model.layers[1:]:
            fully_shard(layer)
        fully_shard(model)
    model.compile(optimizer=plait.optimizers.SGD(learning_rate=0.1), loss="mse")
    x, y = regression_data(32)
    model.fit(
        x,
        y,
        batch_size=8,
        epochs=2,
        shuffle=False,
        verbose=0,
        distribute="fsdp" if how == "fit" else "auto",
    )
    files = {}
    for name in ("m.plait", "w.safetensors", "m.keras", "w.weights.h5"):
        path = os.path.join(out, f"{how}{RANK}_{name}")
        (model.save if name.startswith("m.") else model.save_weights)(path)
        files[name] = path
    return {
        "initial": initial,
        "weights": weights(model),
        "files": files,
        "sharded": any(type(p).__name__ == "DTensor" for p in model.parameters()),
    }


EXTRA = {"fsdp_user": lambda out: fsdp(out, "user"), "fsdp_fit": lambda out: fsdp(out, "fit")}


if __name__ == "__main__":
    main()
