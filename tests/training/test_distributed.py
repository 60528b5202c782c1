"""Data-parallel fit: two real processes (gloo, CPU) under torchrun run ddp_worker.py; their
results are compared with each other and with the same fit in this one process."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.distributed as dist

import plait
from plait.layers import Dense, Input
from plait.models import Model

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

pytestmark = pytest.mark.skipif(
    not (dist.is_available() and dist.is_gloo_available()),
    reason="needs torch.distributed with gloo",
)


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
    }
    env.update(PYTHONPATH=ROOT, OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        os.path.join(HERE, "ddp_worker.py"),
        str(out),
    ]
    try:
        done = subprocess.run(
            command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=150
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"the 2-process fit did not finish in 150 s:\n{error.stderr}")
    assert done.returncode == 0, done.stderr[-4000:]
    results = []
    for rank in (0, 1):
        with open(out / f"rank{rank}.json") as f:
            results.append(json.load(f))
    return results, out


def single_process_fit(initial):
    """The worker's even split (2 processes x batch 8, unshuffled) as one batch-16 fit."""
    visible = Input(shape=(4,))
    model = Model(visible, Dense(1)(Dense(8, activation="tanh")(visible)))
    model.set_weights([np.array(w, dtype="float32") for w in initial])
    model.compile(optimizer=plait.optimizers.SGD(learning_rate=0.1), loss="mse", metrics=["mae"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 4)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype="float32") + 0.1
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return model.get_weights(), history.history


def assert_weights_close(a, b, atol=1e-5):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_allclose(np.array(x), np.array(y), atol=atol)


@pytest.mark.parametrize("case", ["even", "even_jit"])
def test_two_processes_train_as_one_process_on_the_whole_batch(ranks, case):
    (zero, one), _ = ranks
    if case == "even_jit" and case not in zero:
        pytest.skip(
            "jit_compile under DDP compiles for ~10 s per process: set "
            "PLAIT_TEST_DDP_JIT=1 to run it"
        )
    assert zero["world_size"] == 2
    # Each rank began from its own random weights; DDP starts both from rank 0's.
    assert_weights_close(zero[case]["weights"], one[case]["weights"], atol=0)
    weights, history = single_process_fit(zero[case]["initial"])
    assert_weights_close(zero[case]["weights"], weights)
    assert not np.allclose(np.array(zero[case]["initial"][0]), weights[0], atol=1e-3)
    # Loss and metrics are those of all the data, in every process.
    for rank in (zero, one):
        for key, values in history.items():
            np.testing.assert_allclose(rank[case]["history"][key], values, rtol=1e-5)
    # The progress bar prints in rank 0 only.
    assert zero[case]["printed"].startswith("Epoch 1/2\n3/3 - ")
    assert "loss: " + f"{history['loss'][0]:.4f}" in zero[case]["printed"]
    assert one[case]["printed"] == ""
    assert zero[case]["model_type"] == "Model"  # the user's model was never replaced


def test_shuffled_fit_with_callbacks_writes_files_in_rank_0_only(ranks):
    (zero, one), out = ranks
    assert_weights_close(zero["shuffled"]["weights"], one["shuffled"]["weights"], atol=0)
    assert zero["shuffled"]["history"] == one["shuffled"]["history"]
    assert len(zero["shuffled"]["history"]["val_loss"]) == 3
    assert zero["shuffled"]["files"] == [
        "backup",
        "log.csv",
        "w1.weights.safetensors",
        "w2.weights.safetensors",
        "w3.weights.safetensors",
    ]
    assert one["shuffled"]["files"] == []
    with open(out / "files0" / "log.csv") as f:
        assert f.readline().strip() == "epoch,loss,mae,val_loss,val_mae"


def test_an_output_without_loss_and_a_stop_in_one_process(ranks):
    (zero, one), _ = ranks
    # The head without a loss gets no gradient; the processes still agree on every weight.
    assert_weights_close(zero["unused_output"]["weights"], one["unused_output"]["weights"], atol=0)
    assert list(zero["unused_output"]["history"]) == ["loss", "used_loss"]
    # Rank 1 asked to stop during the first epoch: both stopped after it, together.
    assert zero["stop"]["epochs"] == one["stop"]["epochs"] == 1
    assert_weights_close(zero["stop"]["weights"], one["stop"]["weights"], atol=0)


def test_no_ddp_wrapper_outlives_its_fit(ranks):
    (zero, one), _ = ranks
    for rank in (zero, one):
        assert rank["wrappers_made"] == 4  # the jit step averages without a wrapper
        assert rank["wrappers_alive"] == 0


def test_one_process_trains_without_torch_distributed(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "1")
    from plait.training import distributed

    assert distributed.data_parallel(torch.nn.Linear(2, 1)) is None
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(
        ValueError,
        match=r"WORLD_SIZE must be an integer.*Received: "
        r"WORLD_SIZE='two'",
    ):
        distributed.data_parallel(torch.nn.Linear(2, 1))
