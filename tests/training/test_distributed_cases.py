"""Data-parallel fits whose outcome could differ between processes: every process must see
the same values and decide alike. Real process groups (gloo, 2 processes on loopback),
started by torchrun, each with a timeout so that a deadlock fails the test instead of
hanging the suite."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import torch.distributed as dist

import plait
from plait.layers import BatchNormalization, Dense, Input
from plait.models import Model

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORKER = os.path.join(HERE, "ddp_cases_worker.py")
TIMEOUT = 240

pytestmark = pytest.mark.skipif(
    not (dist.is_available() and dist.is_gloo_available()),
    reason="needs torch.distributed with gloo",
)


def clean_env():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
    }
    env.update(PYTHONPATH=ROOT, OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    return env


def torchrun(args, out, cases, timeout=TIMEOUT):
    command = [sys.executable, "-m", "torch.distributed.run", *args, WORKER, str(out), *cases]
    try:
        return subprocess.run(
            command, env=clean_env(), cwd=ROOT, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(
            f"torchrun did not finish in {timeout} s (a deadlock?):\n"
            f"{(error.stderr or b'')[-3000:]}"
        )


def read_ranks(out):
    ranks = []
    for rank in (0, 1):
        with open(out / f"rank{rank}.json") as f:
            ranks.append(json.load(f))
    return ranks


CASES = ["epoch_end_stop", "early_stopping", "validation_metrics", "batch_norm", "sync_batch_norm"]


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("cases")
    done = torchrun(["--standalone", "--nproc_per_node=2"], out, CASES)
    assert done.returncode == 0, done.stderr[-4000:]
    return read_ranks(out)


def test_a_stop_in_on_epoch_end_of_one_process_stops_both(ranks):
    zero, one = ranks
    assert zero["epoch_end_stop"]["epochs"] == one["epoch_end_stop"]["epochs"] == 1
    assert zero["epoch_end_stop"]["weights"] == one["epoch_end_stop"]["weights"]


def test_early_stopping_on_rank_specific_validation_data_decides_alike(ranks):
    zero, one = ranks
    assert zero["early_stopping"]["history"] == one["early_stopping"]["history"]
    assert zero["early_stopping"]["stopped_epoch"] == one["early_stopping"]["stopped_epoch"]
    assert len(zero["early_stopping"]["history"]["val_loss"]) < 6  # it did stop early


def test_validation_metrics_are_those_of_all_the_validation_data(ranks):
    zero, one = ranks
    assert zero["validation_metrics"]["history"] == one["validation_metrics"]["history"]
    history = zero["validation_metrics"]["history"]
    np.testing.assert_allclose(
        history["val_loss"][-1], zero["validation_metrics"]["full_val_loss"], rtol=1e-5
    )
    np.testing.assert_allclose(
        history["val_mae"][-1], zero["validation_metrics"]["full_val_mae"], rtol=1e-5
    )


def test_batch_norm_moving_statistics_agree_across_processes(ranks):
    zero, one = ranks
    for case in ("batch_norm", "sync_batch_norm"):
        for a, b in zip(zero[case]["weights"], one[case]["weights"]):
            np.testing.assert_allclose(a, b, atol=1e-7)


def test_synchronized_batch_norm_equals_one_process_on_the_whole_batch(ranks):
    zero, _ = ranks
    visible = Input(shape=(4,))
    hidden = BatchNormalization(momentum=0.9)(Dense(6)(visible))
    model = Model(visible, Dense(1)(hidden))
    model.set_weights([np.array(w, dtype="float32") for w in zero["sync_batch_norm"]["initial"]])
    model.compile(optimizer=plait.optimizers.SGD(learning_rate=0.1), loss="mse")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype="float32") + 0.1
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for got, expected in zip(zero["sync_batch_norm"]["weights"], model.get_weights()):
        np.testing.assert_allclose(got, expected, atol=1e-5)
    # Without synchronization each process normalized with its half of the batch.
    assert not all(
        np.allclose(a, b, atol=1e-5)
        for a, b in zip(zero["batch_norm"]["weights"], model.get_weights())
    )


def test_an_exception_in_one_process_ends_the_job(tmp_path):
    done = torchrun(["--standalone", "--nproc_per_node=2"], tmp_path, ["raise_in_one_process"])
    assert done.returncode != 0
    assert "a callback failed in rank 1" in done.stderr


def test_a_killed_process_resumes_from_backup_and_restore(tmp_path):
    done = torchrun(
        ["--standalone", "--nproc_per_node=2", "--max-restarts=1"], tmp_path, ["resume_after_kill"]
    )
    assert done.returncode == 0, done.stderr[-4000:]
    zero, one = read_ranks(tmp_path)
    assert zero["resume_after_kill"]["restarts"] == 1
    assert zero["resume_after_kill"]["epochs_run"] == 1  # epoch 3 only, after the restart
    assert zero["resume_after_kill"]["weights"] == one["resume_after_kill"]["weights"]
    unbroken = tmp_path / "unbroken"
    unbroken.mkdir()
    (unbroken / "killed").touch()  # no kill this time
    done = torchrun(["--standalone", "--nproc_per_node=2"], unbroken, ["resume_after_kill"])
    assert done.returncode == 0, done.stderr[-4000:]
    expected, _ = read_ranks(unbroken)
    for a, b in zip(zero["resume_after_kill"]["weights"], expected["resume_after_kill"]["weights"]):
        np.testing.assert_allclose(a, b, atol=1e-6)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_nodes_on_loopback_train_as_one(tmp_path):
    """`torchrun --nnodes=2`, one process per "node", both on this machine."""
    endpoint = f"127.0.0.1:{free_port()}"
    common = [
        "--nnodes=2",
        "--nproc_per_node=1",
        "--rdzv-backend=c10d",
        f"--rdzv-endpoint={endpoint}",
        "--rdzv-id=plait-test",
    ]
    command = [sys.executable, "-m", "torch.distributed.run"]
    nodes = [
        subprocess.Popen(
            command
            + common
            + [f"--node-rank={n}", WORKER, str(tmp_path), "validation_metrics", "sync_batch_norm"],
            env=clean_env(),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in (0, 1)
    ]
    try:
        errors = [node.communicate(timeout=TIMEOUT)[1] for node in nodes]
    except subprocess.TimeoutExpired:
        pytest.fail("the two nodes did not finish in time")
    finally:
        for node in nodes:
            if node.poll() is None:
                node.kill()
    assert [node.returncode for node in nodes] == [0, 0], errors[0][-3000:] + errors[1][-3000:]
    zero, one = read_ranks(tmp_path)
    assert zero["world_size"] == one["world_size"] == 2
    assert zero["validation_metrics"] == one["validation_metrics"]
    assert zero["sync_batch_norm"]["weights"] == one["sync_batch_norm"]["weights"]


def test_fsdp2_trains_as_one_process_and_saves_full_weights(tmp_path):
    done = torchrun(["--standalone", "--nproc_per_node=2"], tmp_path, ["fsdp_user", "fsdp_fit"])
    assert done.returncode == 0, done.stderr[-4000:]
    zero, one = read_ranks(tmp_path)
    for case in ("fsdp_user", "fsdp_fit"):
        assert zero[case]["sharded"] and one[case]["sharded"]
        assert zero[case]["weights"] == one[case]["weights"]
        visible = Input(shape=(4,))
        model = Model(visible, Dense(1)(Dense(8, activation="tanh")(visible)))
        model.set_weights([np.array(w, dtype="float32") for w in zero[case]["initial"]])
        model.compile(optimizer=plait.optimizers.SGD(learning_rate=0.1), loss="mse")
        rng = np.random.default_rng(0)
        x = rng.normal(size=(32, 4)).astype("float32")
        y = x @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype="float32") + 0.1
        model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        for got, expected in zip(zero[case]["weights"], model.get_weights()):
            np.testing.assert_allclose(got, expected, atol=1e-5)
        # Every format holds the whole weights, readable by a plain process.
        files = zero[case]["files"]
        for name in ("m.plait", "m.keras"):
            loaded = plait.models.load_model(files[name])
            for got, expected in zip(loaded.get_weights(), zero[case]["weights"]):
                np.testing.assert_array_equal(got, np.array(expected, dtype="float32"))
        for name in ("w.safetensors", "w.weights.h5"):
            model.load_weights(files[name])
            for got, expected in zip(model.get_weights(), zero[case]["weights"]):
                np.testing.assert_array_equal(got, np.array(expected, dtype="float32"))
