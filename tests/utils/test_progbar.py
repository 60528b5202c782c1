"""Keras's progress bar, checked against golden text with a fake clock."""

import io

import pytest

from plait.utils import progbar as progbar_module
from plait.utils.progbar import Progbar
from tests.training.helpers import TTY, Clock


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)
    fake = Clock(0.002)
    monkeypatch.setattr(progbar_module, "_now", fake)
    return fake


def test_terminal_bar_redraws_in_place(clock):
    stream = TTY()
    bar = Progbar(4, stream=stream, interval=0.0, stateful_metrics=["loss"])
    for step in range(1, 5):
        bar.update(step, [("loss", 1.0 / step)], finalize=False)
    bar.update(4, [("loss", 0.25), ("accuracy", 0.5)], finalize=True)
    assert stream.getvalue() == (
        "\r1/4 [======>.......................] - ETA: 0s - loss: 1.0000"
        "\r2/4 [==============>...............] - ETA: 0s - loss: 0.5000"
        "\r3/4 [=====================>........] - ETA: 0s - loss: 0.3333"
        "\r4/4 [==============================] - ETA: 0s - loss: 0.2500"
        "\r4/4 [==============================] - 0s 3ms/step - loss: 0.2500 - accuracy: 0.5000\n"
    )


def test_terminal_bar_is_throttled(clock):
    stream = TTY()
    bar = Progbar(100, stream=stream, interval=0.05, stateful_metrics=["loss"])
    for step in range(1, 101):
        bar.update(step, [("loss", 0.5)], finalize=False)
    # 0.002 s per read: a redraw every 0.05 s is about every 25 steps, not 100 redraws.
    assert 2 <= stream.getvalue().count("\r") <= 6


def test_a_shorter_line_erases_the_longer_one(clock):
    stream = TTY()
    bar = Progbar(2, stream=stream, interval=0.0, stateful_metrics=["loss"])
    bar.update(1, [("loss", 123.456)], finalize=False)
    first = stream.getvalue()
    bar.update(2, [("loss", 0.5)], finalize=False)
    second = stream.getvalue()[len(first) :]
    assert len(second) >= len(first)
    assert second.rstrip().endswith("loss: 0.5000")


def test_not_a_terminal_writes_only_the_finished_line(clock):
    stream = io.StringIO()
    bar = Progbar(3, stream=stream, stateful_metrics=["loss"])
    for step in range(1, 4):
        bar.update(step, [("loss", 0.5)], finalize=False)
    assert stream.getvalue() == ""
    bar.update(3, [("loss", 0.5)], finalize=True)
    assert (
        stream.getvalue() == "3/3 [==============================] - 0s 3ms/step - loss: 0.5000\n"
    )


def test_verbose_2_writes_one_summary_line(clock):
    stream = TTY()
    bar = Progbar(10, verbose=2, stream=stream, stateful_metrics=["loss", "acc"])
    for step in range(1, 10):
        bar.update(step, [("loss", 0.25), ("acc", 0.0001)])
    assert stream.getvalue() == ""
    bar.update(10, [("loss", 0.25), ("acc", 0.0001)])
    assert (
        stream.getvalue() == "10/10 - 0s - loss: 0.2500 - acc: 1.0000e-04 - 20ms/epoch - 2ms/step\n"
    )


def test_values_not_stateful_are_averaged_over_steps(clock):
    stream = io.StringIO()
    bar = Progbar(2, stream=stream)
    bar.update(1, [("loss", 1.0)])
    bar.update(2, [("loss", 3.0)])
    assert stream.getvalue().endswith("loss: 2.0000\n")


def test_unknown_target(clock):
    stream = TTY()
    bar = Progbar(None, stream=stream, interval=0.0, stateful_metrics=["loss"])
    bar.update(7, [("loss", 0.5)])
    assert stream.getvalue() == "\r      7/Unknown - 0s 286us/step - loss: 0.5000"


def test_counter_is_padded_to_the_target_width(clock):
    stream = io.StringIO()
    bar = Progbar(120, verbose=2, stream=stream)
    bar.update(120)
    assert stream.getvalue().startswith("120/120 - 0s")
    stream = TTY()
    bar = Progbar(120, stream=stream, interval=0.0)
    bar.update(7)
    assert stream.getvalue().startswith("\r  7/120 [>.....")
    bar.update(60)
    assert stream.getvalue().endswith(" 60/120 [==============>...............] - ETA: 0s")


def test_eta_and_time_formats():
    assert progbar_module._format_eta(5.4) == "5s"
    assert progbar_module._format_eta(75) == "1:15"
    assert progbar_module._format_eta(3725) == "1:02:05"
    assert progbar_module._format_time(2.0, "step") == " 2s/step"
    assert progbar_module._format_time(0.0021, "step") == " 2ms/step"
    assert progbar_module._format_time(0.0000021, "step") == " 2us/step"
