"""plot_history: panels from a History, ticks, the files it writes and its errors."""

import math
import os
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image, ImageColor
from torch import nn

import plait
from plait import training
from plait.callbacks import History
from plait.plotting import history as history_plot
from plait.plotting.history import format_ticks, history_panels, nice_ticks, plot_history

LOGS = {
    "loss": [0.9, 0.5, 0.3],
    "accuracy": [0.5, 0.7, 0.8],
    "val_loss": [1.0, 0.6, 0.45],
    "val_accuracy": [0.45, 0.65, 0.7],
}


def fitted_history(epochs=3, **kwargs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype("float32")
    y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")
    module = nn.Sequential(nn.Linear(4, 1), nn.Sigmoid())
    training.compile(module, optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    return training.fit(module, x, y, epochs=epochs, batch_size=16, verbose=0, **kwargs)


def has_color(image, color):
    rgb = ImageColor.getrgb(color)
    return rgb in {c for _, c in image.getcolors(maxcolors=1 << 20)}


# ---------------------------------------------------------------------------- pictures


def test_png_of_a_fit_shows_train_and_validation_curves(tmp_path):
    history = fitted_history(validation_split=0.25)
    path = plot_history(history, to_file=tmp_path / "h.png")
    assert path == str(tmp_path / "h.png")
    with Image.open(path) as image:
        image.load()
    assert image.format == "PNG" and image.mode == "RGB"
    assert has_color(image, history_plot.TRAIN_COLOR)
    assert has_color(image, history_plot.VAL_COLOR)
    assert [p.title for p in history_panels(history)] == ["loss", "accuracy"]


def test_a_history_and_its_dict_draw_the_same_picture(tmp_path):
    history = fitted_history(validation_split=0.25)
    plot_history(history, tmp_path / "a.png")
    plot_history(history.history, tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_one_panel_per_metric_and_the_size_follows_dpi(tmp_path):
    plot_history(LOGS, tmp_path / "two.png", dpi=72)
    plot_history(LOGS, tmp_path / "one.png", metrics="loss", dpi=72)
    plot_history(LOGS, tmp_path / "big.png", metrics=["loss"], dpi=144)
    sizes = {name: Image.open(tmp_path / f"{name}.png").size for name in ("two", "one", "big")}
    panel, gap, margin = history_plot.PANEL_WIDTH, history_plot.PANEL_GAP, history_plot.MARGIN
    assert sizes["one"][0] == math.ceil(panel + 2 * margin)
    assert sizes["two"][0] == math.ceil(2 * panel + gap + 2 * margin)
    assert sizes["two"][1] == sizes["one"][1]
    assert sizes["big"] == (2 * sizes["one"][0], 2 * sizes["one"][1])


def test_panels_pair_each_metric_with_its_validation_values():
    panels = history_panels(LOGS)
    assert [p.title for p in panels] == ["loss", "accuracy"]
    loss = panels[0]
    assert [s.label for s in loss.series] == ["train", "validation"]
    assert loss.series[1].values == [1.0, 0.6, 0.45]
    assert loss.series[0].epochs == [1, 2, 3]
    # A val_ name draws its metric's panel; a metric without validation has one curve.
    assert [p.title for p in history_panels(LOGS, metrics=["val_accuracy"])] == ["accuracy"]
    only_train = history_panels({"loss": [1.0, 0.5], "lr": [0.1, 0.1]})
    assert [len(p.series) for p in only_train] == [1, 1]


def test_validation_every_other_epoch_is_placed_at_its_epochs():
    history = fitted_history(epochs=5, validation_split=0.25, validation_freq=2)
    assert len(history.history["val_loss"]) == 2
    val = history_panels(history)[0].series[1]
    assert val.epochs == [2, 4]
    # A bare dict does not say: a list k times shorter goes every k-th epoch.
    val = history_panels({"loss": [1, 2, 3, 4, 5, 6], "val_loss": [1, 2, 3]})[0].series[1]
    assert val.epochs == [2, 4, 6]


def test_a_resumed_fit_counts_epochs_from_where_it_started():
    history = History()
    for epoch in (4, 5):
        history.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1)})
    assert history_panels(history)[0].series[0].epochs == [5, 6]


def test_nan_values_leave_gaps_and_lists_of_arrays_are_skipped(tmp_path):
    logs = {
        "loss": [1.0, float("nan"), 0.5, 0.4],
        "f1_score": [[0.1, 0.2]] * 4,
        "val_loss": [float("nan")] * 4,
    }
    panels = history_panels(logs)
    assert [p.title for p in panels] == ["loss"]
    points = [
        None if math.isnan(v) else (e, v)
        for e, v in zip(*[(s.epochs, s.values) for s in panels[0].series][0])
    ]
    assert [len(run) for run in history_plot._runs(points)] == [1, 2]
    plot_history(logs, tmp_path / "nan.png")
    plot_history({"loss": [0.7]}, tmp_path / "single.png")


def test_svg_and_pdf(tmp_path):
    plot_history(LOGS, tmp_path / "h.svg")
    root = ET.parse(tmp_path / "h.svg").getroot()
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert {"loss", "accuracy", "train", "validation", "epoch"} <= set(texts)
    assert len(list(root.iter("{http://www.w3.org/2000/svg}polyline"))) > 8
    plot_history(LOGS, tmp_path / "h.pdf")
    assert (tmp_path / "h.pdf").read_bytes().startswith(b"%PDF")


def test_no_extension_writes_a_png(tmp_path):
    plot_history(LOGS, tmp_path / "curves")
    with Image.open(tmp_path / "curves") as image:
        assert image.format == "PNG"


def test_the_write_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "h.png"
    target.write_bytes(b"old picture")

    def broken_save(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        plot_history(LOGS, target)
    assert target.read_bytes() == b"old picture"
    assert os.listdir(tmp_path) == ["h.png"]


def test_reexported_from_plait_utils():
    assert plait.utils.plot_history is plot_history


def test_import_plait_loads_neither_the_plot_nor_pillow():
    import subprocess
    import sys

    code = (
        "import sys, plait; "
        "assert 'plait.plotting' not in sys.modules, 'plotting'; "
        "assert 'PIL' not in sys.modules, 'PIL'; "
        "f = plait.utils.plot_history; "
        "assert f.__module__ == 'plait.plotting.history' and 'PIL' in sys.modules"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": root},
    )
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------------------- ticks


@pytest.mark.parametrize(
    "lo, hi, count, integer, ticks",
    [
        (-0.14, 2.52, 6, False, [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]),
        (0.13, 30.87, 7, True, [5, 10, 15, 20, 25, 30]),
        (0.6, 5.4, 7, True, [1, 2, 3, 4, 5]),
        (0.5, 1.5, 7, True, [1]),
        (0.5, 1.5, 6, False, [0.5, 0.75, 1.0, 1.25, 1.5]),
    ],
)
def test_nice_ticks(lo, hi, count, integer, ticks):
    got, _ = nice_ticks(lo, hi, count, integer)
    assert got == pytest.approx(ticks)


@pytest.mark.parametrize(
    "values, step, labels",
    [
        ([-1.0, -0.5, 1e-17, 0.5], 0.5, ["-1.0", "-0.5", "0.0", "0.5"]),
        ([0.5, 0.75, 1.0], 0.25, ["0.50", "0.75", "1.00"]),
        ([1, 2, 3], 1, ["1", "2", "3"]),
        ([0.00095, 0.001], 0.000025, ["0.000950", "0.001000"]),
        ([9.5e-8, 9.75e-8, 1.025e-7], 2.5e-9, ["9.500e-08", "9.750e-08", "1.025e-07"]),
        ([1e6, 2e6], 1e6, ["1e+06", "2e+06"]),
    ],
)
def test_format_ticks(values, step, labels):
    assert format_ticks(values, step) == labels


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize("history", [{}, {"loss": []}, History()])
def test_an_empty_history_is_refused(history, tmp_path):
    with pytest.raises(ValueError, match="no epochs to plot.*epochs >= 1"):
        plot_history(history, tmp_path / "h.png")


def test_an_unknown_metric_suggests_the_close_one(tmp_path):
    with pytest.raises(
        ValueError,
        match=r"Unknown metric 'acuracy'.*Did you mean 'accuracy'\?"
        r".*Received: metrics=\['acuracy'\]",
    ):
        plot_history(LOGS, tmp_path / "h.png", metrics=["acuracy"])
    with pytest.raises(ValueError, match="metrics is empty"):
        plot_history(LOGS, tmp_path / "h.png", metrics=[])
    with pytest.raises(TypeError, match="metrics must be a metric name or a list"):
        plot_history(LOGS, tmp_path / "h.png", metrics=3)
    with pytest.raises(ValueError, match="Cannot plot 'f1'.*not single numbers"):
        plot_history({"loss": [1.0], "f1": [[1.0, 2.0]]}, tmp_path / "h.png", metrics="f1")


def test_a_bad_history_is_refused(tmp_path):
    with pytest.raises(
        TypeError, match="needs the History that fit returns.*Received: history=\\[1, 2\\]"
    ):
        plot_history([1, 2], tmp_path / "h.png")
    with pytest.raises(TypeError, match="must be a list of per-epoch values.*'loss' holds float"):
        plot_history({"loss": 0.5}, tmp_path / "h.png")


def test_bad_targets_and_dpi_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"Unknown image format '\.jpg'.*\.png, \.svg or \.pdf"):
        plot_history(LOGS, tmp_path / "h.jpg")
    with pytest.raises(ValueError, match="folder of to_file does not exist"):
        plot_history(LOGS, tmp_path / "missing" / "h.png")
    with pytest.raises(ValueError, match="to_file is a folder"):
        plot_history(LOGS, tmp_path)
    with pytest.raises(TypeError, match="to_file must be a file path"):
        plot_history(LOGS, 3)
    with pytest.raises(ValueError, match="dpi must be a positive number.*Received: dpi=0"):
        plot_history(LOGS, tmp_path / "h.png", dpi=0)
    assert os.listdir(tmp_path) == []
