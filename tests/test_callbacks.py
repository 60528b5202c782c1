"""Keras's callbacks over hand-made nn.Modules."""

import json
import os
import runpy
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from torch import nn

from plait import callbacks, optimizers, training
from plait.utils import set_random_seed
from tests.training.helpers import assert_same_state, state_copy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def data(n=16, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x.sum(axis=1, keepdims=True) > 0).astype("float32")


def compiled(lr=0.01, metrics=("binary_accuracy",)):
    model = nn.Sequential(nn.Linear(4, 1), nn.Sigmoid())
    training.compile(
        model, optimizers.SGD(learning_rate=lr), loss="binary_crossentropy", metrics=list(metrics)
    )
    return model


# ---------------------------------------------------------------------------- hooks


class Recorder(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def _record(name):
        def hook(self, *args, **kwargs):
            self.events.append((name,) + tuple(a for a in args if isinstance(a, int)))

        return hook

    for _name in callbacks._HOOKS:
        if _name not in ("on_batch_begin", "on_batch_end"):
            locals()[_name] = _record(_name)
    del _name


def test_hooks_run_in_keras_order():
    model = compiled()
    x, y = data(8)
    recorder = Recorder()
    training.fit(
        model,
        x,
        y,
        batch_size=4,
        epochs=2,
        validation_data=(x[:4], y[:4]),
        callbacks=[recorder],
        verbose=0,
    )
    epoch = [
        ("on_train_batch_begin", 0),
        ("on_train_batch_end", 0),
        ("on_train_batch_begin", 1),
        ("on_train_batch_end", 1),
        ("on_test_begin",),
        ("on_test_batch_begin", 0),
        ("on_test_batch_end", 0),
        ("on_test_end",),
    ]
    assert recorder.events == (
        [("on_train_begin",), ("on_epoch_begin", 0)]
        + epoch
        + [("on_epoch_end", 0), ("on_epoch_begin", 1)]
        + epoch
        + [("on_epoch_end", 1), ("on_train_end",)]
    )
    assert recorder.model is model
    assert recorder.params == {"verbose": 0, "epochs": 2, "steps": 2, "do_validation": True}
    recorder.events.clear()
    training.evaluate(model, x, y, batch_size=8, callbacks=[recorder], verbose=0)
    assert recorder.events == [
        ("on_test_begin",),
        ("on_test_batch_begin", 0),
        ("on_test_batch_end", 0),
        ("on_test_end",),
    ]


def test_on_batch_hooks_are_the_training_batch_aliases():
    seen = []

    class Old(callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append((batch, sorted(logs)))

    model = compiled()
    x, y = data(8)
    training.fit(model, x, y, batch_size=4, callbacks=[Old()], verbose=0)
    assert seen == [(0, ["binary_accuracy", "loss"]), (1, ["binary_accuracy", "loss"])]


def test_epoch_logs_and_history():
    model = compiled()
    x, y = data()
    logs = []
    history = training.fit(
        model,
        x,
        y,
        epochs=2,
        validation_split=0.25,
        verbose=0,
        callbacks=[callbacks.LambdaCallback(on_epoch_end=lambda epoch, l: logs.append(dict(l)))],
    )
    assert list(logs[0]) == ["loss", "binary_accuracy", "val_loss", "val_binary_accuracy"]
    assert all(isinstance(v, float) for v in logs[0].values())
    assert history.history == {k: [l[k] for l in logs] for k in logs[0]}
    assert model.history is history


def test_lambda_callback_takes_any_hook_and_refuses_unknown_ones():
    ends = []
    cb = callbacks.LambdaCallback(on_test_end=lambda logs: ends.append(logs["loss"]))
    model = compiled()
    training.evaluate(model, *data(), callbacks=[cb], verbose=0)
    assert len(ends) == 1
    with pytest.raises(ValueError, match=r"LambdaCallback got an unknown hook `on_epoch_ended`"):
        callbacks.LambdaCallback(on_epoch_ended=print)


# ---------------------------------------------------------------------------- EarlyStopping


def run_epochs(cb, model, values, key="val_loss", before_epoch=None):
    """Drive a callback through epochs with made-up logs; stop when the model says so."""
    model.stop_training = False
    cb.set_model(model)
    cb.on_train_begin()
    for epoch, value in enumerate(values):
        if before_epoch:
            before_epoch(epoch)
        cb.on_epoch_end(epoch, {key: value})
        if model.stop_training:
            break
    cb.on_train_end()
    return epoch


def test_early_stopping_waits_patience_epochs():
    model = nn.Linear(2, 1)
    cb = callbacks.EarlyStopping(patience=2)
    assert run_epochs(cb, model, [1.0, 0.9, 0.95, 0.91, 0.5]) == 3
    assert cb.stopped_epoch == 3 and cb.best == 0.9
    cb = callbacks.EarlyStopping(patience=1, min_delta=0.2)
    assert run_epochs(cb, model, [1.0, 0.9, 0.85]) == 1


def test_early_stopping_mode_auto_maximizes_accuracy():
    model = nn.Linear(2, 1)
    cb = callbacks.EarlyStopping(monitor="val_accuracy", patience=1)
    assert run_epochs(cb, model, [0.5, 0.6, 0.7, 0.65, 0.9], key="val_accuracy") == 3
    with pytest.raises(
        ValueError,
        match=r"EarlyStopping `mode` must be 'auto', 'min' or "
        r"'max'. Received: mode='lowest'",
    ):
        callbacks.EarlyStopping(mode="lowest")


@pytest.mark.parametrize("monitor", ["val_AUC", "val_Precision", "cosine_similarity"])
def test_mode_auto_maximizes_metrics_whatever_their_case(monitor):
    # metrics=["AUC"] logs "AUC" and "val_AUC", as in Keras; AUC grows as the model learns
    model = nn.Linear(2, 1)
    cb = callbacks.EarlyStopping(monitor=monitor, patience=1)
    assert run_epochs(cb, model, [0.5, 0.6, 0.7, 0.65, 0.9], key=monitor) == 3
    assert callbacks.ModelCheckpoint("m.plait", monitor=monitor)._maximize


def test_early_stopping_baseline_and_start_from_epoch():
    model = nn.Linear(2, 1)
    values = [0.9, 0.95, 0.97, 0.99]
    assert run_epochs(callbacks.EarlyStopping(patience=2), model, values) == 2
    # Not beating the baseline keeps the patience counter running.
    assert run_epochs(callbacks.EarlyStopping(patience=2, baseline=0.5), model, values) == 1
    cb = callbacks.EarlyStopping(patience=0, start_from_epoch=2)
    assert run_epochs(cb, model, [1.0, 2.0, 3.0, 4.0, 5.0]) == 3


def test_early_stopping_restores_the_best_weights(capsys):
    model = nn.Linear(2, 1)
    snapshots = []

    def perturb(epoch):
        with torch.no_grad():
            model.weight.fill_(float(epoch))
        snapshots.append(state_copy(model))

    cb = callbacks.EarlyStopping(patience=1, restore_best_weights=True, verbose=1)
    run_epochs(cb, model, [0.9, 0.3, 0.5, 0.6], before_epoch=perturb)
    assert_same_state(state_copy(model), snapshots[1])
    assert capsys.readouterr().out == (
        "Epoch 3: early stopping\nRestoring model weights from the end of the best epoch: 2.\n"
    )


def test_early_stopping_warns_when_the_monitor_is_missing():
    model = compiled()
    with pytest.warns(
        UserWarning,
        match=r"Early stopping conditioned on metric `val_loss` "
        r"which is not available",
    ):
        training.fit(model, *data(), callbacks=[callbacks.EarlyStopping()], verbose=0)


def test_early_stopping_in_fit():
    model = compiled(lr=0.0)  # nothing improves
    history = training.fit(
        model,
        *data(),
        epochs=10,
        validation_split=0.25,
        verbose=0,
        callbacks=[callbacks.EarlyStopping(patience=2)],
    )
    assert history.epoch == [0, 1, 2]


# ---------------------------------------------------------------------------- ModelCheckpoint


class Saving(nn.Linear):
    """A module with Keras's save methods, recording the paths."""

    def __init__(self):
        super().__init__(2, 1)
        self.saved = []

    def save(self, path):
        self.saved.append(("model", path))

    def save_weights(self, path):
        self.saved.append(("weights", path))


def test_checkpoint_formats_the_path_and_saves_each_epoch(tmp_path, capsys):
    model = Saving()
    cb = callbacks.ModelCheckpoint(str(tmp_path / "ck-{epoch:02d}-{val_loss:.2f}.plait"), verbose=1)
    run_epochs(cb, model, [0.5, 0.25])
    assert model.saved == [
        ("model", str(tmp_path / "ck-01-0.50.plait")),
        ("model", str(tmp_path / "ck-02-0.25.plait")),
    ]
    assert capsys.readouterr().out == (
        f"\nEpoch 1: saving model to {tmp_path}/ck-01-0.50.plait\n"
        f"\nEpoch 2: saving model to {tmp_path}/ck-02-0.25.plait\n"
    )


def test_checkpoint_save_best_only(tmp_path, capsys):
    model = Saving()
    cb = callbacks.ModelCheckpoint(
        str(tmp_path / "best"), save_best_only=True, save_weights_only=True, verbose=1
    )
    run_epochs(cb, model, [0.5, 0.7, 0.25])
    assert [kind for kind, _ in model.saved] == ["weights", "weights"]
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from inf to 0.50000, saving model to" in out
    assert "Epoch 2: val_loss did not improve from 0.50000" in out
    assert "Epoch 3: val_loss improved from 0.50000 to 0.25000" in out
    cb = callbacks.ModelCheckpoint(
        str(tmp_path / "best"),
        monitor="val_accuracy",
        save_best_only=True,
        initial_value_threshold=0.8,
    )
    model.saved.clear()
    run_epochs(cb, model, [0.5, 0.9], key="val_accuracy")
    assert len(model.saved) == 1
    with pytest.warns(UserWarning, match=r"Can save best model only with val_loss available"):
        run_epochs(
            callbacks.ModelCheckpoint(str(tmp_path / "x"), save_best_only=True),
            model,
            [1.0],
            key="loss",
        )


def test_checkpoint_writes_safetensors_for_a_plain_module(tmp_path):
    from safetensors.torch import load_file

    model = compiled()
    path = tmp_path / "ckpt" / "w-{epoch}.safetensors"
    training.fit(
        model,
        *data(),
        epochs=2,
        verbose=0,
        callbacks=[callbacks.ModelCheckpoint(str(path), save_weights_only=True, save_freq="epoch")],
    )
    assert sorted(os.listdir(tmp_path / "ckpt")) == ["w-1.safetensors", "w-2.safetensors"]
    assert_same_state(load_file(str(tmp_path / "ckpt" / "w-2.safetensors")), state_copy(model))


def test_checkpoint_and_backup_files_respect_the_umask(tmp_path):
    # as model.save does, not the 0600 of a private temporary file
    old = os.umask(0o022)
    try:
        training.fit(
            compiled(),
            *data(),
            epochs=1,
            verbose=0,
            callbacks=[
                callbacks.ModelCheckpoint(str(tmp_path / "w.safetensors"), save_weights_only=True),
                callbacks.BackupAndRestore(str(tmp_path / "backup"), delete_checkpoint=False),
            ],
        )
    finally:
        os.umask(old)
    written = [tmp_path / "w.safetensors"] + sorted((tmp_path / "backup").iterdir())
    assert len(written) >= 3
    assert {oct(path.stat().st_mode & 0o777) for path in written} == {oct(0o644)}


def test_checkpoint_errors(tmp_path):
    with pytest.raises(
        TypeError,
        match=r"ModelCheckpoint saves whole models with "
        r"model.save\(path\), which Sequential does not have",
    ):
        training.fit(
            compiled(),
            *data(),
            verbose=0,
            callbacks=[callbacks.ModelCheckpoint(str(tmp_path / "m"))],
        )
    with pytest.raises(KeyError, match=r"the key 'val_acc' is not among the logged values"):
        training.fit(
            compiled(),
            *data(),
            verbose=0,
            callbacks=[
                callbacks.ModelCheckpoint(str(tmp_path / "{val_acc}"), save_weights_only=True)
            ],
        )
    with pytest.raises(ValueError, match=r"`save_freq` must be 'epoch' or a positive number"):
        callbacks.ModelCheckpoint("x", save_freq="batch")


@pytest.mark.parametrize(
    "path,weights_only,match",
    [
        ("best.keras", True, r"'.keras' holds a whole model"),
        ("w.weights.h5", False, r"'.weights.h5' file holds weights only"),
        ("w.plait", True, r"With save_weights_only=True, .* '.safetensors' file"),
        ("m.safetensors", False, r"pass save_weights_only=True"),
    ],
)
def test_checkpoint_refuses_a_file_type_at_once(path, weights_only, match):
    # the first save would refuse it, after an epoch of training
    with pytest.raises(ValueError, match=match + r".*Received: filepath="):
        callbacks.ModelCheckpoint(path, save_weights_only=weights_only)


def test_checkpoint_every_n_batches(tmp_path):
    model = Saving()
    training.compile(model, "sgd", loss="mse")
    x = np.ones((8, 2), dtype="float32")
    training.fit(
        model,
        x,
        np.ones((8, 1)),
        batch_size=2,
        verbose=0,
        callbacks=[callbacks.ModelCheckpoint(str(tmp_path / "{epoch}-{batch}"), save_freq=3)],
    )
    assert [os.path.basename(p) for _, p in model.saved] == ["1-3"]


# ---------------------------------------------------------------------------- learning rates


def test_reduce_lr_on_plateau(capsys):
    model = compiled(lr=1.0)
    optimizer = model._compile_state.optimizer
    cb = callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.2, verbose=1)
    cb.set_model(model)
    cb.on_train_begin()
    rates = []
    for epoch, value in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]):
        logs = {"val_loss": value}
        cb.on_epoch_end(epoch, logs)
        rates.append(logs["learning_rate"])
    # The logs hold the rate the epoch ran with. Reductions after epochs 2, 4 (the
    # cooldown epoch 3 resets the wait) and 6, where min_lr stops it at 0.2.
    assert rates == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2]
    assert optimizer.learning_rate == 0.2
    assert capsys.readouterr().out == (
        "\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.5.\n"
        "\nEpoch 5: ReduceLROnPlateau reducing learning rate to 0.25.\n"
        "\nEpoch 7: ReduceLROnPlateau reducing learning rate to 0.2.\n"
    )
    for epoch in range(8, 12):
        cb.on_epoch_end(epoch, {"val_loss": 1.0})
    assert optimizer.learning_rate == 0.2
    cb.on_epoch_end(12, {"val_loss": 0.5})
    assert cb.best == 0.5 and cb.wait == 0
    with pytest.raises(ValueError, match=r"does not support a factor >= 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.5)


def test_learning_rate_scheduler():
    model = compiled(lr=0.1)
    history = training.fit(
        model,
        *data(),
        epochs=3,
        verbose=0,
        callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)],
    )
    assert history.history["learning_rate"] == [0.05, 0.025, 0.0125]
    assert model._compile_state.optimizer.learning_rate == 0.0125
    training.fit(
        model,
        *data(),
        epochs=2,
        verbose=0,
        callbacks=[callbacks.LearningRateScheduler(lambda epoch: 0.3 + epoch)],
    )
    assert model._compile_state.optimizer.learning_rate == 1.3
    with pytest.raises(ValueError, match=r"should be a float. Received: schedule\(0\) = 'fast'"):
        training.fit(
            model,
            *data(),
            verbose=0,
            callbacks=[callbacks.LearningRateScheduler(lambda epoch: "fast")],
        )


def test_callbacks_need_a_compiled_model():
    cb = callbacks.LearningRateScheduler(lambda epoch: 0.1)
    cb.set_model(nn.Linear(2, 1))
    with pytest.raises(ValueError, match=r"LearningRateScheduler needs the model's optimizer"):
        cb.on_epoch_begin(0)


# ---------------------------------------------------------------------------- logging


def test_csv_logger(tmp_path):
    path = tmp_path / "log.csv"
    model = compiled(lr=0.0)
    history = training.fit(
        model,
        *data(),
        epochs=2,
        validation_split=0.25,
        verbose=0,
        callbacks=[callbacks.CSVLogger(str(path))],
    )
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch,binary_accuracy,loss,val_binary_accuracy,val_loss"
    assert lines[1].split(",") == ["0"] + [
        repr(history.history[k][0])
        for k in ("binary_accuracy", "loss", "val_binary_accuracy", "val_loss")
    ]
    training.fit(
        model,
        *data(),
        epochs=1,
        validation_split=0.25,
        verbose=0,
        callbacks=[callbacks.CSVLogger(str(path), separator=";", append=True)],
    )
    lines = path.read_text().splitlines()
    assert len(lines) == 4 and lines[3].startswith("0;")


def test_csv_logger_fills_validation_columns_that_come_later(tmp_path):
    path = tmp_path / "log.csv"
    model = compiled()
    x, y = data()
    training.fit(
        model,
        x,
        y,
        epochs=2,
        validation_data=(x, y),
        validation_freq=2,
        verbose=0,
        callbacks=[callbacks.CSVLogger(str(path))],
    )
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch,binary_accuracy,loss,val_binary_accuracy,val_loss"
    assert lines[1].endswith(",NA,NA") and not lines[2].endswith("NA")


def test_terminate_on_nan_stops_and_says_at_which_batch(capsys):
    model = nn.Linear(4, 1)
    training.compile(model, "sgd", loss="mse")
    x, y = data(12)
    x[5] = np.nan
    recorder = Recorder()
    history = training.fit(
        model,
        x,
        y,
        batch_size=2,
        epochs=3,
        shuffle=False,
        verbose=0,
        callbacks=[callbacks.TerminateOnNaN(), recorder],
    )
    assert capsys.readouterr().out == "Batch 2: Invalid loss, terminating training\n"
    assert ("on_train_batch_begin", 3) not in recorder.events
    assert history.epoch == [0] and np.isnan(history.history["loss"][0])


def test_terminate_on_nan_stops_a_sigmoid_and_binary_crossentropy_fit(capsys):
    # a NaN probability must give a NaN loss, not an error from the loss function
    model = nn.Sequential(nn.Linear(4, 1), nn.Sigmoid())
    training.compile(model, "sgd", loss="binary_crossentropy", metrics=["accuracy"])
    x, y = data(12)
    x[5] = np.nan
    history = training.fit(
        model,
        x,
        y,
        batch_size=2,
        epochs=3,
        shuffle=False,
        verbose=0,
        callbacks=[callbacks.TerminateOnNaN()],
    )
    assert capsys.readouterr().out == "Batch 2: Invalid loss, terminating training\n"
    assert history.epoch == [0] and np.isnan(history.history["loss"][0])


def test_callback_list_adds_history_and_progbar_once():
    mine = callbacks.History()
    cbs = callbacks.CallbackList([mine], add_history=True, add_progbar=True)
    assert cbs.history is mine
    assert [type(c).__name__ for c in cbs] == ["History", "ProgbarLogger"]
    with pytest.raises(
        TypeError,
        match=r"Every entry of `callbacks` must be a "
        r"plait.callbacks.Callback",
    ):
        callbacks.CallbackList([lambda: None])


# ---------------------------------------------------------------------------- BackupAndRestore


def backup_model():
    set_random_seed(3)
    model = nn.Sequential(
        nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 1), nn.Sigmoid()
    )
    training.compile(model, "adam", loss="binary_crossentropy")
    return model


class Crash(callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if self.params and self.model._crash_at == (self._epoch, batch):
            raise KeyboardInterrupt("simulated crash")

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch


def test_backup_and_restore_resumes_an_interrupted_fit(tmp_path):
    x, y = data(40)
    unbroken = backup_model()
    training.fit(unbroken, x, y, batch_size=8, epochs=4, verbose=0)

    backup = str(tmp_path / "backup")
    model = backup_model()
    model._crash_at = (2, 1)
    with pytest.raises(KeyboardInterrupt):
        training.fit(
            model,
            x,
            y,
            batch_size=8,
            epochs=4,
            verbose=0,
            callbacks=[callbacks.BackupAndRestore(backup), Crash()],
        )
    assert sorted(os.listdir(backup)) == ["state-1.safetensors", "state.json"]
    with open(os.path.join(backup, "state.json")) as f:
        assert json.load(f)["epoch"] == 1

    model = backup_model()  # a new process builds the model again
    history = training.fit(
        model,
        x,
        y,
        batch_size=8,
        epochs=4,
        verbose=0,
        callbacks=[callbacks.BackupAndRestore(backup)],
    )
    assert history.epoch == [2, 3]
    assert_same_state(state_copy(model), state_copy(unbroken))
    assert model._compile_state.optimizer.iterations == unbroken._compile_state.optimizer.iterations
    assert not os.path.exists(backup)  # deleted once fit ends normally


SCRIPT = textwrap.dedent("""
    import os, signal, sys
    import numpy as np, torch
    from torch import nn
    from plait import callbacks, training
    from plait.utils import set_random_seed
    from safetensors.torch import save_file

    backup, out, kill = sys.argv[1], sys.argv[2], sys.argv[3] == "kill"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 4)).astype("float32")
    y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")
    set_random_seed(5)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 1),
                          nn.Sigmoid())
    training.compile(model, "adam", loss="binary_crossentropy")

    class Kill(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
        def on_train_batch_end(self, batch, logs=None):
            if kill and (self.epoch, batch) == (2, 3):
                os.kill(os.getpid(), signal.SIGKILL)

    cbs = [Kill()] + ([callbacks.BackupAndRestore(backup)] if backup != "-" else [])
    training.fit(model, x, y, batch_size=8, epochs=4, verbose=0, callbacks=cbs)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, out)
""")


def test_backup_and_restore_survives_sigkill(tmp_path, monkeypatch):
    from safetensors.torch import load_file

    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": ROOT}
    backup = str(tmp_path / "backup")

    def run(*args):
        return subprocess.run(
            [sys.executable, str(script), *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    killed = run(backup, str(tmp_path / "killed.safetensors"), "kill")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with open(os.path.join(backup, "state.json")) as f:
        assert json.load(f)["epoch"] == 1
    resumed = run(backup, str(tmp_path / "resumed.safetensors"), "run")
    assert resumed.returncode == 0, resumed.stderr
    # The unbroken run, in this process (a third interpreter would only cost time).
    monkeypatch.setattr(
        sys, "argv", ["train.py", "-", str(tmp_path / "unbroken.safetensors"), "run"]
    )
    runpy.run_path(str(script), run_name="__main__")
    assert_same_state(
        load_file(str(tmp_path / "resumed.safetensors")),
        load_file(str(tmp_path / "unbroken.safetensors")),
    )


def test_backup_and_restore_arguments():
    with pytest.raises(ValueError, match=r"BackupAndRestore needs a folder"):
        callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match=r"only backs up at epoch ends.*save_freq=10"):
        callbacks.BackupAndRestore("b", save_freq=10)


def test_progbar_logger_prints_epochs_only_when_there_are_several(capsys):
    model = compiled()
    training.fit(model, *data(), epochs=1, verbose=2)
    out = capsys.readouterr().out
    assert not out.startswith("Epoch") and out.startswith("1/1 - ")
    training.fit(model, *data(), epochs=2, verbose=2)
    assert capsys.readouterr().out.count("Epoch ") == 2
