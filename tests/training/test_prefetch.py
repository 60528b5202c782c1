"""Reading ahead (plait/training/prefetch.py): the same batches in the same order and the
same trained weights as without it, loader errors re-raised with the batch index, and no
thread left running after fit, however fit ends."""

import threading

import numpy as np
import pytest
import torch

from plait import callbacks, layers
from plait.models import Model
from plait.training import data as data_lib
from plait.training import prefetch as prefetch_lib
from plait.training.prefetch import Prefetcher
from plait.utils import PyDataset


def _reader_threads():
    return [
        t
        for t in threading.enumerate()
        if t.name == "plait-prefetch" or t.name.startswith("ThreadPoolExecutor")
    ]


def _batches(count=6, seed=0):
    rng = np.random.default_rng(seed)
    return [
        (rng.standard_normal((4, 3), dtype=np.float32), rng.standard_normal((4, 1), np.float32))
        for _ in range(count)
    ]


def _model():
    torch.manual_seed(0)
    visible = layers.Input(shape=(3,))
    model = Model(visible, layers.Dense(1)(layers.Dense(5, activation="relu")(visible)))
    model.compile(optimizer="adam", loss="mse")
    return model


class _Failing(Exception):
    pass


def _failing_generator(batches, at):
    for i, batch in enumerate(batches):
        if i == at:
            raise _Failing(f"cannot read batch {i}")
        yield batch


# ------------------------------------------------------------------ the Prefetcher


def test_prefetcher_yields_every_item_in_order_then_its_thread_ends():
    items = Prefetcher(iter(range(100)), depth=3)
    assert list(items) == list(range(100))
    assert not items.thread_alive


def test_prefetcher_reraises_the_loader_error_with_the_batch_index():
    items = Prefetcher(_failing_generator(range(10), at=4), depth=2)
    assert [next(items) for _ in range(4)] == [0, 1, 2, 3]
    with pytest.raises(_Failing, match="cannot read batch 4") as info:
        next(items)
    assert any("batch 4" in note for note in info.value.__notes__)
    assert not items.thread_alive
    with pytest.raises(StopIteration):
        next(items)


def test_closing_a_prefetcher_stops_its_thread_while_the_queue_is_full():
    def endless():
        while True:
            yield 1

    items = Prefetcher(endless(), depth=2)
    assert next(items) == 1
    items.close()
    assert not items.thread_alive


def test_prefetcher_checks_its_depth():
    with pytest.raises(ValueError, match="Received: depth=0"):
        Prefetcher([], depth=0)


# ------------------------------------------------------------------ fit on generators


@pytest.mark.parametrize("steps_per_epoch", [None, 2])
def test_fit_trains_the_same_weights_with_and_without_prefetching(monkeypatch, steps_per_epoch):
    batches = _batches()
    epochs = 1 if steps_per_epoch is None else 3
    with_prefetch = _model()
    with_prefetch.fit(iter(batches), steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=0)
    monkeypatch.setattr(prefetch_lib, "DEFAULT_DEPTH", 0)
    without = _model()
    without.fit(iter(batches), steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=0)
    for a, b in zip(with_prefetch.get_weights(), without.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not _reader_threads()


def test_the_loop_gets_the_generators_batches_in_order():
    batches = _batches(5)
    spec = data_lib.ModelSpec(_model())
    source = data_lib.make_source(spec, iter(batches))
    assert source.prefetch
    epochs = data_lib.EpochIterator(source)
    with data_lib.closing(epochs):
        seen = [(step, xs[0], ys[0]) for step, (xs, ys, _) in epochs.epoch()]
    assert [step for step, _, _ in seen] == list(range(5))
    for (_, x, y), (bx, by) in zip(seen, batches):
        np.testing.assert_array_equal(x.numpy(), bx)
        np.testing.assert_array_equal(y.numpy(), by)
    assert not _reader_threads()


def test_a_loader_error_reaches_fit_with_the_batch_index():
    model = _model()
    with pytest.raises(_Failing, match="cannot read batch 3") as info:
        model.fit(_failing_generator(_batches(), at=3), epochs=1, verbose=0)
    assert any("batch 3" in note for note in info.value.__notes__)
    assert not _reader_threads()


def test_no_thread_is_left_after_an_early_stop():
    class StopAfterOne(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.model.stop_training = True

    def endless():
        batches = _batches(2)
        while True:
            yield from batches

    model = _model()
    history = model.fit(
        endless(), steps_per_epoch=5, epochs=3, verbose=0, callbacks=[StopAfterOne()]
    )
    assert len(history.history["loss"]) == 1
    assert not _reader_threads()


def test_no_thread_is_left_after_a_keyboard_interrupt():
    class Interrupt(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                raise KeyboardInterrupt

    model = _model()
    with pytest.raises(KeyboardInterrupt):
        model.fit(iter(_batches()), epochs=1, verbose=0, callbacks=[Interrupt()])
    assert not _reader_threads()


def test_evaluate_and_predict_read_generators_ahead_and_stop():
    batches = _batches(4)
    model = _model()
    loss = model.evaluate(iter(batches), verbose=0)
    assert np.isfinite(loss)
    out = model.predict(iter([x for x, _ in batches]), verbose=0)
    assert out.shape == (16, 1)
    assert not _reader_threads()


# ------------------------------------------------------------------ PyDataset workers


class _Slices(PyDataset):
    def __init__(self, batches, fail_at=None, **kwargs):
        super().__init__(**kwargs)
        self.batches, self.fail_at = batches, fail_at

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, index):
        if index == self.fail_at:
            raise _Failing(f"cannot read batch {index}")
        return self.batches[index]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_pydataset_error_names_the_batch_index(workers):
    model = _model()
    data = _Slices(_batches(), fail_at=2, workers=workers)
    with pytest.raises(_Failing, match="cannot read batch 2") as info:
        model.fit(data, epochs=1, shuffle=False, verbose=0)
    assert any("batch 2 of the PyDataset" in note for note in info.value.__notes__)
    assert not _reader_threads()


def test_pydataset_workers_train_the_same_weights_as_one_worker():
    batches = _batches()
    one, two = _model(), _model()
    one.fit(_Slices(batches, workers=1), epochs=2, shuffle=False, verbose=0)
    two.fit(_Slices(batches, workers=2, max_queue_size=3), epochs=2, shuffle=False, verbose=0)
    for a, b in zip(one.get_weights(), two.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not _reader_threads()
