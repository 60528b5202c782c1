"""Out-of-memory and Ctrl-C during fit/evaluate/predict (plait/training/faults.py).

Failures are injected: a layer's forward, a gradient hook or the optimizer's update raises
the allocator's own error (CUDA's `torch.OutOfMemoryError`, or the CPU allocator's
RuntimeError from asking for 2**62 bytes, which fails before allocating anything), or sends
SIGINT to this process mid-step. Each test checks the model against a twin trained for the
steps that completed."""

import signal

import numpy as np
import pytest
import torch

import plait
from plait import callbacks, layers
from plait.training import faults

STEPS_PER_EPOCH = 4
BATCH = 8


def _data():
    rng = np.random.RandomState(0)
    x = rng.rand(STEPS_PER_EPOCH * BATCH, 5).astype("float32")
    y = (x.sum(axis=1, keepdims=True) > 2.5).astype("float32")
    return x, y


def _model(optimizer="adam"):
    plait.utils.set_random_seed(3)
    model = plait.Sequential(
        [
            layers.Input((5,)),
            layers.Dense(8, activation="relu", name="hidden"),
            layers.BatchNormalization(name="norm"),
            layers.Dense(1, activation="sigmoid", name="out"),
        ],
        name="faulty_net",
    )
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _state(model):
    """Weights, buffers and optimizer state, as numpy copies."""
    tensors = dict(model.state_dict())
    opt = model.optimizer
    for name, values in opt._slots.items():
        for i, value in enumerate(values):
            if value is not None:
                tensors[f"opt/{name}/{i}"] = value
    out = {k: v.detach().cpu().numpy().copy() for k, v in tensors.items()}
    out["opt/iterations"] = np.array(int(opt.iterations))
    return out


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def _twin_after(steps, optimizer="adam"):
    """A twin model trained for exactly `steps` steps of the same data."""
    x, y = _data()
    twin = _model(optimizer)
    epochs, rest = divmod(steps, STEPS_PER_EPOCH)
    if epochs:
        twin.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0)
    if rest:
        twin.fit(
            x[: rest * BATCH],
            y[: rest * BATCH],
            batch_size=BATCH,
            initial_epoch=epochs,
            epochs=epochs + 1,
            shuffle=False,
            verbose=0,
        )
    return _state(twin)


class _FailAt:
    """Calls `fn` normally, but raises `error()` on call number `at` (from 1)."""

    def __init__(self, fn, at, error):
        self.fn, self.at, self.error, self.calls = fn, at, error, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.at:
            raise self.error()
        return self.fn(*args, **kwargs)


def _cuda_oom():
    return torch.OutOfMemoryError(
        "CUDA out of memory. Tried to allocate 20.00 GiB. GPU 0 has a total capacity of 79 GiB"
    )


def _cpu_oom():
    try:
        torch.empty(2**62, dtype=torch.uint8)  # refused at once: nothing is allocated
    except RuntimeError as error:
        return error
    raise AssertionError("the CPU allocator gave 4 EiB")


@pytest.mark.parametrize("error", [_cuda_oom, _cpu_oom], ids=["cuda", "cpu"])
def test_oom_in_the_forward_is_a_clear_error_and_the_model_is_as_after_the_last_step(error):
    x, y = _data()
    model = _model()
    out = model.get_layer("out")
    out.forward = _FailAt(out.forward, STEPS_PER_EPOCH + 3, error)  # epoch 1, third step
    with pytest.raises(faults.OutOfMemoryError) as caught:
        model.fit(x, y, batch_size=BATCH, epochs=3, shuffle=False, verbose=0)
    message = str(caught.value)
    assert "fit() ran out of memory on model 'faulty_net'" in message
    assert "batch of 8 samples" in message and "batch_size=4" in message
    assert "largest weight is 'hidden.kernel'" in message or "largest weight" in message
    assert "last completed step" in message
    assert "Received: " in message
    assert caught.value.batch_size == BATCH and caught.value.restored
    assert isinstance(caught.value, torch.OutOfMemoryError)  # old except clauses still work
    assert "allocate" in message
    # BatchNormalization's statistics moved in the failed forward; they are put back too.
    _assert_same(_state(model), _twin_after(STEPS_PER_EPOCH + 2))
    assert model.history.epoch == [0]  # the History so far is kept
    assert all(p.grad is None for p in model.parameters())  # the step's gradients freed
    assert not any(m.training for m in model.modules())  # modes given back


def test_oom_in_the_backward_leaves_weights_buffers_and_optimizer_untouched():
    x, y = _data()
    model = _model()
    kernel = next(model.get_layer("hidden").parameters())
    calls = {"n": 0}

    def hook(grad):
        calls["n"] += 1
        if calls["n"] == 2:
            raise _cuda_oom()
        return grad

    kernel.register_hook(hook)
    with pytest.raises(faults.OutOfMemoryError, match="last completed step"):
        model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    _assert_same(_state(model), _twin_after(1))


def _half_update(optimizer, at, error):
    """The optimizer's update applies itself to the first half of the weights, then fails,
    on call `at`."""
    real = optimizer._update_step
    calls = {"n": 0}

    def update(params, grads, slots, lr, iterations):
        calls["n"] += 1
        if calls["n"] != at:
            return real(params, grads, slots, lr, iterations)
        half = max(1, len(params) // 2)
        real(params[:half], grads[:half], {k: v[:half] for k, v in slots.items()}, lr, iterations)
        raise error()

    optimizer._update_step = update


@pytest.mark.parametrize("undo", [True, "first"])
def test_oom_inside_the_optimizer_update_is_undone_from_the_copy(monkeypatch, undo):
    monkeypatch.setattr(faults, "UNDO_UPDATES", undo)
    at = 3 if undo is True else 1  # "first": only the first step of a call is copied
    x, y = _data()
    model = _model()
    _half_update(model.optimizer, at, _cuda_oom)
    with pytest.raises(faults.OutOfMemoryError) as caught:
        model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    assert caught.value.restored
    _assert_same(_state(model), _twin_after(at - 1))


def test_oom_inside_an_uncopied_update_says_the_weights_may_be_partly_updated(monkeypatch):
    monkeypatch.setattr(faults, "UNDO_UPDATES", "first")
    x, y = _data()
    model = _model()
    _half_update(model.optimizer, 3, _cuda_oom)
    with pytest.raises(faults.OutOfMemoryError, match="inside the optimizer update") as caught:
        model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    assert not caught.value.restored


@pytest.mark.parametrize("call", ["evaluate", "predict"])
def test_oom_in_evaluate_and_predict_names_the_call_and_the_batch(call):
    x, y = _data()
    model = _model()
    out = model.get_layer("out")
    out.forward = _FailAt(out.forward, 2, _cpu_oom)
    with pytest.raises(faults.OutOfMemoryError) as caught:
        if call == "evaluate":
            model.evaluate(x, y, batch_size=16, verbose=0)
        else:
            model.predict(x, batch_size=16, verbose=0)
    message = str(caught.value)
    assert f"{call}() ran out of memory on model 'faulty_net' with a batch of 16" in message
    assert "batch_size=8" in message and "you tried" not in message.split("Received")[0]


def test_a_model_over_the_copy_limit_is_not_copied_for_its_first_step(monkeypatch):
    monkeypatch.setattr(faults, "UNDO_UPDATES", "first")
    monkeypatch.setattr(faults, "UNDO_FIRST_MAX_BYTES", 100)  # the test model has 1,000+
    x, y = _data()
    model = _model()
    _half_update(model.optimizer, 1, _cuda_oom)
    with pytest.raises(faults.OutOfMemoryError, match="inside the optimizer update") as caught:
        model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    assert not caught.value.restored


def test_train_on_batch_is_guarded_like_a_fit_step():
    x, y = _data()
    model = _model()
    out = model.get_layer("out")
    out.forward = _FailAt(out.forward, 3, _cpu_oom)
    for i in range(2):
        model.train_on_batch(x[i * BATCH : (i + 1) * BATCH], y[i * BATCH : (i + 1) * BATCH])
    with pytest.raises(faults.OutOfMemoryError, match=r"train_on_batch\(\) ran out of memory"):
        model.train_on_batch(x[2 * BATCH : 3 * BATCH], y[2 * BATCH : 3 * BATCH])
    _assert_same(_state(model), _twin_after(2))  # BatchNormalization's statistics put back
    assert all(p.grad is None for p in model.parameters())
    with pytest.raises(faults.OutOfMemoryError, match=r"test_on_batch\(\) ran out of memory"):
        out.forward = _FailAt(out.forward.fn, 1, _cpu_oom)
        model.test_on_batch(x[:BATCH], y[:BATCH])


def test_train_on_batch_copies_the_update_state_on_its_first_call_only(monkeypatch):
    monkeypatch.setattr(faults, "UNDO_UPDATES", "first")
    x, y = _data()
    model = _model()
    _half_update(model.optimizer, 1, _cuda_oom)
    with pytest.raises(faults.OutOfMemoryError) as caught:
        model.train_on_batch(x[:BATCH], y[:BATCH])
    assert caught.value.restored
    _assert_same(_state(model), _twin_after(0))
    _half_update(model.optimizer, 2, _cuda_oom)
    model.train_on_batch(x[:BATCH], y[:BATCH])
    with pytest.raises(faults.OutOfMemoryError, match="inside the optimizer update") as caught:
        model.train_on_batch(x[BATCH : 2 * BATCH], y[BATCH : 2 * BATCH])
    assert not caught.value.restored


def test_ctrl_c_inside_train_on_batch_stops_after_the_step(capfd):
    x, y = _data()
    model = _model()
    _sigint_inside_update(model.optimizer, 1)
    with pytest.raises(KeyboardInterrupt):
        model.train_on_batch(x[:BATCH], y[:BATCH])
    assert "stopping after this training step" in capfd.readouterr().err
    _assert_same(_state(model), _twin_after(1))  # the whole update, not half of it


def test_other_errors_pass_unchanged():
    x, y = _data()
    model = _model()
    out = model.get_layer("out")
    out.forward = _FailAt(out.forward, 2, lambda: ValueError("a bug in a layer"))
    with pytest.raises(ValueError, match="^a bug in a layer"):
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    assert not faults.is_out_of_memory(RuntimeError("shapes cannot be multiplied"))
    assert faults.is_out_of_memory(_cpu_oom())


# ---------------------------------------------------------------------------- Ctrl-C


class _Log(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_end(self, logs=None):
        self.events.append("train_end")


def _sigint_inside_update(optimizer, at, twice=False):
    """SIGINT to this process in the middle of update number `at` (twice: two of them)."""
    real = optimizer._update_step
    calls = {"n": 0}

    def update(params, grads, slots, lr, iterations):
        calls["n"] += 1
        if calls["n"] != at:
            return real(params, grads, slots, lr, iterations)
        half = max(1, len(params) // 2)
        real(params[:half], grads[:half], {k: v[:half] for k, v in slots.items()}, lr, iterations)
        signal.raise_signal(signal.SIGINT)
        if twice:
            signal.raise_signal(signal.SIGINT)
        real(params[half:], grads[half:], {k: v[half:] for k, v in slots.items()}, lr, iterations)

    optimizer._update_step = update


def test_ctrl_c_inside_a_step_stops_after_it_and_fit_resumes(capfd):
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    x, y = _data()
    model = _model()
    at = STEPS_PER_EPOCH + 2
    _sigint_inside_update(model.optimizer, at)
    log = _Log()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=BATCH, epochs=3, shuffle=False, verbose=0, callbacks=[log])
    assert "stopping after this training step" in capfd.readouterr().err
    _assert_same(_state(model), _twin_after(at))  # the whole step, not half of it
    assert log.events == ["train_end"]  # the callbacks still end training
    assert model.history.epoch == [0]
    assert not any(m.training for m in model.modules())
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler given back
    # Resume: the epochs continue from the one interrupted.
    history = model.fit(x, y, batch_size=BATCH, initial_epoch=1, epochs=3, verbose=0)
    assert history.epoch == [1, 2]


class _StopAt(callbacks.Callback):
    def __init__(self, epoch, interrupt):
        super().__init__()
        self.epoch, self.interrupt = epoch, interrupt

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch and self.interrupt:
            raise KeyboardInterrupt
        if epoch == self.epoch:
            self.model.stop_training = True


@pytest.mark.parametrize("interrupt", [True, False])
def test_backup_and_restore_keeps_its_backup_only_when_fit_is_interrupted(tmp_path, interrupt):
    x, y = _data()
    model = _model()
    backup = callbacks.BackupAndRestore(tmp_path / "backup")
    log = _Log()
    run = [backup, _StopAt(1, interrupt), log]
    if interrupt:
        with pytest.raises(KeyboardInterrupt):
            model.fit(x, y, batch_size=BATCH, epochs=4, verbose=0, callbacks=run)
    else:
        model.fit(x, y, batch_size=BATCH, epochs=4, verbose=0, callbacks=run)
    assert log.events == ["train_end"]
    # Ctrl-C keeps what the next fit resumes from; a stop by a callback is a finished fit.
    assert (tmp_path / "backup" / "state.json").exists() == interrupt


def test_a_second_ctrl_c_stops_at_once_and_is_undone_from_the_copy(monkeypatch):
    monkeypatch.setattr(faults, "UNDO_UPDATES", True)
    x, y = _data()
    model = _model()
    _sigint_inside_update(model.optimizer, 2, twice=True)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    _assert_same(_state(model), _twin_after(1))


def test_a_programs_own_sigint_handler_is_left_alone():
    seen = []
    previous = signal.signal(signal.SIGINT, lambda *a: seen.append("mine"))
    try:
        x, y = _data()
        model = _model()
        _sigint_inside_update(model.optimizer, 2)
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
        assert seen == ["mine"]
    finally:
        signal.signal(signal.SIGINT, previous)
