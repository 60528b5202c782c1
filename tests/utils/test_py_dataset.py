"""PyDataset (and Keras 2's Sequence) fed to fit/evaluate/predict."""

import math
import threading

import numpy as np
import pytest

import plait
from plait import layers, utils


class Batches(utils.PyDataset):
    def __init__(self, x, y, batch_size=8, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.calls, self.begins, self.ends, self.threads = [], 0, 0, set()

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, idx):
        self.calls.append(idx)
        self.threads.add(threading.get_ident())
        low = idx * self.batch_size
        if self.y is None:
            return self.x[low : low + self.batch_size]
        return self.x[low : low + self.batch_size], self.y[low : low + self.batch_size]

    def on_epoch_begin(self):
        self.begins += 1

    def on_epoch_end(self):
        self.ends += 1


def _data(n=40):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


def _model():
    model = plait.Sequential([plait.Input((4,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_fit_reads_every_batch_each_epoch_and_calls_the_epoch_hooks():
    x, y = _data()
    data = Batches(x, y)
    history = _model().fit(data, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3
    assert sorted(data.calls) == sorted(list(range(5)) * 3)
    assert data.begins == 3 and data.ends == 3


def test_fit_shuffles_batch_order_and_evaluate_does_not():
    x, y = _data(400)
    data = Batches(x, y)
    model = _model()
    model.fit(data, epochs=1, verbose=0)
    assert data.calls != list(range(50))
    data.calls.clear()
    model.evaluate(data, verbose=0)
    assert data.calls == list(range(50))
    data.calls.clear()
    model.fit(data, epochs=1, shuffle=False, verbose=0)
    assert data.calls == list(range(50))


def test_workers_read_in_threads_and_results_match_one_worker():
    x, y = _data()
    model = _model()
    one = model.predict(Batches(x, None), verbose=0)
    data = Batches(x, None, workers=3, max_queue_size=2)
    many = model.predict(data, verbose=0)
    np.testing.assert_allclose(one, many)
    assert threading.get_ident() not in data.threads
    assert data.begins == 1 and data.ends == 1


def test_use_multiprocessing_reads_in_processes():
    x, y = _data()
    model = _model()
    plain = model.evaluate(Batches(x, y), verbose=0)
    data = Batches(x, y, workers=2, use_multiprocessing=True)
    assert model.evaluate(data, verbose=0) == pytest.approx(plain)
    assert data.calls == []  # the reads happened in the worker processes


def test_sequence_is_pydataset_and_missing_super_init_warns():
    assert utils.Sequence is utils.PyDataset

    class NoSuper(utils.Sequence):
        def __init__(self):
            self.x = np.ones((4, 4), "float32")

        def __len__(self):
            return 2

        def __getitem__(self, i):
            return self.x[:2], self.x[:2, :1]

    with pytest.warns(UserWarning, match="super"):
        _model().fit(NoSuper(), verbose=0)


def test_bad_arguments_and_batches_raise():
    with pytest.raises(ValueError, match="workers"):
        Batches(*_data(), workers=-1)

    class Bad(Batches):
        def __getitem__(self, idx):
            return (self.x[:2],) * 4

    with pytest.raises(ValueError, match="4 entries"):
        _model().fit(Bad(*_data()), verbose=0)
    with pytest.raises(ValueError, match="`y` must be None"):
        _model().fit(Batches(*_data()), np.zeros(3), verbose=0)


def test_endless_pydataset_with_steps_per_epoch():
    x, y = _data()

    class Endless(Batches):
        @property
        def num_batches(self):
            return None

        def __getitem__(self, idx):
            return super().__getitem__(idx % 5)

    with pytest.warns(UserWarning, match="endless PyDataset"):
        history = _model().fit(Endless(x, y), epochs=2, steps_per_epoch=7, verbose=0)
    assert len(history.history["loss"]) == 2
