"""`plot_history`: the loss and metric curves of a `History`, train against validation.

One panel per metric (`loss`, `accuracy`, ...), the training curve and its `val_` twin in
each, epochs on the x axis. Drawn with Pillow and the font `plait.plotting.draw` bundles, so
nothing else is needed; written as PNG, SVG or PDF, atomically.

All sizes below are in points (1/72 inch); a raster image is drawn at `dpi / 72` pixels per
point.
"""

import difflib
import math
import numbers
from xml.sax.saxutils import escape as _xml_escape

from PIL import Image, ImageDraw

from plait.plotting import draw, pdf, vector
from plait.utils.atomic import atomic_write

__all__ = ["plot_history"]

FORMATS = ("png", "svg", "pdf")

PANEL_WIDTH, PANEL_HEIGHT = 300.0, 205.0
PANEL_GAP, MARGIN = 22.0, 14.0
TITLE_SIZE, TEXT_SIZE, TICK_SIZE = 11.0, 8.5, 8.0
CURVE_WIDTH, GRID_WIDTH, AXIS_WIDTH = 1.6, 0.6, 0.9
DOT_RADIUS = 2.1
MAX_DOTS = 40  # longer curves are drawn without a dot per epoch
TICK_LENGTH = 3.0
LEGEND_LINE = 16.0
MAX_COLUMNS = 3

TRAIN_COLOR, VAL_COLOR = "#2F6FAE", "#E07B24"
GRID_COLOR, AXIS_COLOR = "#E4E8EC", "#8C939B"
TEXT_COLOR, TICK_COLOR = draw.TEXT_COLOR, draw.DETAIL_COLOR
BACKGROUND = draw.BACKGROUND
SUPERSAMPLE = 2  # lines are drawn at twice the size and reduced, for smooth edges


def plot_history(history, to_file="history.png", metrics=None, dpi=150):
    """Draws the loss and metric curves of a training run to an image file.

    One panel per metric, in the order `fit` logged them; each shows the training values
    (`loss`) and the validation values (`val_loss`) when there are any, against the epoch
    (counted from 1, as the progress bar counts). A panel has a title, a legend and axis
    ticks with values; a value that is NaN or infinite leaves a gap in its curve.

    The format follows `to_file`'s extension: `.png` (default, also used without an
    extension), `.svg` or `.pdf`. The file is written atomically: a failure leaves any
    previous file untouched.

    Args:
        history: the `History` that `fit` returns, or its `.history` dict
            (`{"loss": [...], "val_loss": [...], ...}`).
        to_file: where to write the image (str or path). Default "history.png".
        metrics: the metrics to draw, by name (`"loss"`, `["loss", "accuracy"]`); a
            `val_` name draws its panel too. Default None (every metric).
        dpi: the resolution of PNG images (SVG and PDF are vector). Default 150.

    Returns:
        The path written (a str).

    Validation values logged only every few epochs (`validation_freq`) are placed at the
    epochs they were logged at when `history` is a `History`; a bare dict does not say, so
    a list `k` times shorter than the training list is placed every `k`-th epoch.

    Example:
        After `history = model.fit(x, y, validation_split=0.2, epochs=20)`,
        `plot_history(history)` draws its curves; a dict of values works the same:

        >>> import os, tempfile
        >>> from plait.utils import plot_history
        >>> history = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6]}
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = plot_history(history, to_file=os.path.join(folder, "history.svg"))
        ...     os.path.basename(path), os.path.getsize(path) > 0
        ('history.svg', True)
    """
    path, fmt = draw.check_image_path(to_file, FORMATS, "plot_history", "history.png")
    _check_dpi(dpi)
    panels = history_panels(history, metrics)
    scene = _scene(panels)
    with atomic_write(path) as f:
        if fmt == "svg":
            f.write(_to_svg(scene).encode("utf-8"))
        elif fmt == "png":
            _to_image(scene, dpi).save(f, format="PNG", dpi=(dpi, dpi))
        else:
            _to_pdf(scene).write(f)
    return path


# ---------------------------------------------------------------------------- checks


def _check_dpi(dpi):
    if (
        isinstance(dpi, bool)
        or not isinstance(dpi, numbers.Real)
        or not dpi > 0
        or (not math.isfinite(dpi))
    ):
        raise ValueError(f"dpi must be a positive number, e.g. 96 or 150. Received: dpi={dpi!r}")


# ---------------------------------------------------------------------------- history -> panels


class Series:
    """One curve: `epochs` (from 1) and `values` (floats, NaN for a gap)."""

    def __init__(self, label, epochs, values, color):
        self.label = label
        self.epochs = epochs
        self.values = values
        self.color = color


class Panel:
    """One metric's panel: a title and its curves (training first)."""

    def __init__(self, title, series):
        self.title = title
        self.series = series


def history_panels(history, metrics=None):
    """The panels `plot_history` draws: a list of `Panel`, one per metric."""
    logs, logged_epochs = _read_history(history)
    plottable = {key: values for key, values in logs.items() if _numbers(values) is not None}
    if not any(plottable.values()):
        raise ValueError(
            "The history holds no epochs to plot: it has no numeric values "
            f"(keys: {sorted(logs)}). Train for at least one epoch first (fit with "
            f"epochs >= 1). Received: history with {_describe(logs)}"
        )
    bases = []
    for key in plottable:
        base = _base_name(key)
        if base not in bases:
            bases.append(base)
    chosen = _choose(bases, metrics, logs, plottable)
    longest = max(len(v) for v in plottable.values())
    panels = []
    for base in chosen:
        series = []
        for key, label, color in (
            (base, "train", TRAIN_COLOR),
            ("val_" + base, "validation", VAL_COLOR),
        ):
            values = plottable.get(key)
            if values:
                epochs = _epochs_of(key, len(values), logged_epochs, longest)
                series.append(Series(label, epochs, _numbers(values), color))
        panels.append(Panel(base, series))
    return panels


def _read_history(history):
    """`(logs, epochs)`: the dict of lists, and per key the 0-based epochs it was logged at
    (or None when unknown)."""
    if isinstance(history, dict):
        logs, epochs = history, None
    elif isinstance(getattr(history, "history", None), dict):
        logs = history.history
        epochs = dict(getattr(history, "_logged_epochs", None) or {})
        known = list(getattr(history, "epoch", None) or [])
        for key, values in logs.items():
            if key not in epochs and len(known) == len(values):
                epochs[key] = known
    else:
        raise TypeError(
            "plot_history needs the History that fit returns, or its `.history` dict "
            "({'loss': [...], 'val_loss': [...]}). "
            f"Received: history={history!r:.200} of type {type(history).__name__}"
        )
    for key, values in logs.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
            raise TypeError(
                f"Every value of the history must be a list of per-epoch values, but "
                f"{key!r} holds {type(values).__name__}. "
                f"Received: history[{key!r}]={values!r:.100}"
            )
    return logs, epochs


def _numbers(values):
    """`values` as floats, or None when some value is not a single number."""
    out = []
    for value in values:
        if hasattr(value, "ndim") and getattr(value, "ndim", 1) == 0:
            value = value.item()  # a 0-d numpy array or tensor
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return None
        out.append(float(value))
    return out


def _describe(logs):
    if not logs:
        return "no keys"
    return ", ".join(
        f"{k!r}: {len(v) if hasattr(v, '__len__') else '?'} values" for k, v in logs.items()
    )


def _base_name(key):
    """The panel a key belongs to: `val_loss` -> `loss`."""
    if key.startswith("val_") and len(key) > 4:
        return key[4:]
    return key


def _choose(bases, metrics, logs, plottable):
    if metrics is None:
        return bases
    names = [metrics] if isinstance(metrics, str) else metrics
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise TypeError(
            "metrics must be a metric name or a list of names, e.g. ['loss', 'accuracy']. "
            f"Received: metrics={metrics!r}"
        )
    if not names:
        raise ValueError(
            "metrics is empty: name at least one metric, or pass metrics=None for all of "
            f"them ({bases}). Received: metrics={metrics!r}"
        )
    chosen = []
    for name in names:
        if name in logs and name not in plottable:
            raise ValueError(
                f"Cannot plot {name!r}: its values are not single numbers (one per epoch). "
                f"Received: metrics={metrics!r}"
            )
        base = _base_name(name)
        if base not in bases:
            known = bases + ["val_" + b for b in bases if "val_" + b in plottable]
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"Unknown metric {name!r} for plot_history.{hint} The history holds "
                f"{bases}. Received: metrics={metrics!r}"
            )
        if base not in chosen:
            chosen.append(base)
    return chosen


def _epochs_of(key, count, logged_epochs, longest):
    known = (logged_epochs or {}).get(key)
    if known is not None and len(known) == count:
        return [int(e) + 1 for e in known]
    every = max(longest // count, 1) if count < longest else 1
    return [every * (i + 1) for i in range(count)]


# ---------------------------------------------------------------------------- ticks


def nice_ticks(lo, hi, count=5, integer=False):
    """Round tick values inside `[lo, hi]`, as close to `count` of them as round steps
    allow, and their step.

    Steps are 1, 2, 2.5 or 5 times a power of ten (1, 2 or 5 with `integer=True`, never
    below 1); of those, the one giving the number of ticks nearest `count` (the larger step
    on a tie)."""
    if not hi - lo > 0:
        return [lo], 1.0
    power = math.floor(math.log10((hi - lo) / max(count, 1)))
    factors = (1, 2, 5) if integer else (1, 2, 2.5, 5)
    best = None
    for exponent in (power - 1, power, power + 1):
        for factor in factors:
            step = factor * 10.0**exponent
            if integer and step < 1:
                continue
            first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
            key = (abs(last - first + 1 - count), -step)
            if best is None or key < best[0]:
                best = (key, step, first, last)
    _, step, first, last = best
    if integer:
        step = round(step)
    return [k * step for k in range(first, last + 1)], step


def format_ticks(values, step):
    """Tick labels with as many decimals as `step` needs (`0.25` -> 2), the same for all;
    with more than six decimals, or for values of a million or more, in scientific form
    with a shared precision (`2.50e-07`)."""
    values = [0.0 if abs(v) < step * 1e-9 else v for v in values]
    decimals = next((d for d in range(0, 12) if abs(round(step, d) - step) <= step * 1e-6), 12)
    if decimals <= 6 and max(abs(v) for v in values) < 1e6:
        return [f"{v:.{decimals}f}" for v in values]
    mantissa = max(_mantissa_digits(v, step) for v in values)
    return [f"{v:.{mantissa}e}" for v in values]


def _mantissa_digits(value, step):
    if value == 0:
        return 0
    for digits in range(0, 12):
        if abs(float(f"{value:.{digits}e}") - value) <= step * 1e-6:
            return digits
    return 12


def _value_range(series):
    finite = [v for s in series for v in s.values if math.isfinite(v)]
    if not finite:
        return 0.0, 1.0
    lo, hi = min(finite), max(finite)
    if hi - lo <= 1e-12 * max(1.0, abs(hi)):
        pad = abs(hi) * 0.05 or 0.5
    else:
        pad = (hi - lo) * 0.06
    return lo - pad, hi + pad


def _epoch_range(series):
    epochs = [e for s in series for e in s.epochs]
    lo, hi = min(epochs), max(epochs)
    pad = 0.5 if hi == lo else (hi - lo) * 0.03
    return lo - pad, hi + pad


# ---------------------------------------------------------------------------- scene


class _Scene:
    """What to draw, in points, origin top left: shapes (drawn first) and texts."""

    def __init__(self, width, height):
        self.width = width
        self.height = height
        self.shapes = []  # ("line", points, color, width) | ("dot", (x, y), radius, color)
        self.texts = []  # (x, baseline y, text, size, color, anchor "l" | "m" | "r")


def _digit_height(size):
    return -draw._font(100).getbbox("0", anchor="ls")[1] * size / 100


def _scene(panels):
    columns = min(len(panels), MAX_COLUMNS if len(panels) != 4 else 2)
    rows = math.ceil(len(panels) / columns)
    scene = _Scene(
        2 * MARGIN + columns * PANEL_WIDTH + (columns - 1) * PANEL_GAP,
        2 * MARGIN + rows * PANEL_HEIGHT + (rows - 1) * PANEL_GAP,
    )
    for k, panel in enumerate(panels):
        row, column = divmod(k, columns)
        _draw_panel(
            scene,
            panel,
            MARGIN + column * (PANEL_WIDTH + PANEL_GAP),
            MARGIN + row * (PANEL_HEIGHT + PANEL_GAP),
        )
    return scene


def _draw_panel(scene, panel, left, top):
    right, bottom = left + PANEL_WIDTH, top + PANEL_HEIGHT
    y_lo, y_hi = _value_range(panel.series)
    x_lo, x_hi = _epoch_range(panel.series)
    y_ticks, y_step = nice_ticks(y_lo, y_hi, count=6)
    x_ticks, _ = nice_ticks(x_lo, x_hi, count=7, integer=True)
    y_labels = format_ticks(y_ticks, y_step)
    label_width = max(draw.text_width(t, TICK_SIZE) for t in y_labels)

    header = _draw_header(scene, panel, left, right, top)
    area = (
        left + label_width + TICK_LENGTH + 4.0,
        top + header,
        right - 4.0,
        bottom - TICK_SIZE * 1.3 - TEXT_SIZE * 1.3 - TICK_LENGTH - 6.0,
    )
    x0, y0, x1, y1 = area

    def px(epoch):
        return x0 + (epoch - x_lo) / (x_hi - x_lo) * (x1 - x0)

    def py(value):
        return y1 - (value - y_lo) / (y_hi - y_lo) * (y1 - y0)

    centre = _digit_height(TICK_SIZE) / 2
    for value, text in zip(y_ticks, y_labels):
        y = py(value)
        scene.shapes.append(("line", [(x0, y), (x1, y)], GRID_COLOR, GRID_WIDTH))
        scene.shapes.append(("line", [(x0 - TICK_LENGTH, y), (x0, y)], AXIS_COLOR, AXIS_WIDTH))
        scene.texts.append((x0 - TICK_LENGTH - 2.5, y + centre, text, TICK_SIZE, TICK_COLOR, "r"))
    for epoch in x_ticks:
        x = px(epoch)
        scene.shapes.append(("line", [(x, y0), (x, y1)], GRID_COLOR, GRID_WIDTH))
        scene.shapes.append(("line", [(x, y1), (x, y1 + TICK_LENGTH)], AXIS_COLOR, AXIS_WIDTH))
        scene.texts.append(
            (
                x,
                y1 + TICK_LENGTH + 2.0 + _digit_height(TICK_SIZE),
                str(epoch),
                TICK_SIZE,
                TICK_COLOR,
                "m",
            )
        )
    scene.shapes.append(("line", [(x0, y0), (x0, y1), (x1, y1)], AXIS_COLOR, AXIS_WIDTH))
    scene.texts.append(((x0 + x1) / 2, bottom - 2.0, "epoch", TEXT_SIZE, TICK_COLOR, "m"))

    for series in panel.series:
        points = [
            (px(e), py(v)) if math.isfinite(v) else None
            for e, v in zip(series.epochs, series.values)
        ]
        for run in _runs(points):
            if len(run) > 1:
                scene.shapes.append(("line", run, series.color, CURVE_WIDTH))
        if len(points) <= MAX_DOTS or all(len(r) == 1 for r in _runs(points)):
            for point in points:
                if point is not None:
                    scene.shapes.append(("dot", point, DOT_RADIUS, series.color))


def _runs(points):
    """The stretches of consecutive points without a gap (None)."""
    runs, current = [], []
    for point in points:
        if point is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(point)
    if current:
        runs.append(current)
    return runs


def _draw_header(scene, panel, left, right, top):
    """The title (left) and the legend (right, or below the title when they would touch);
    returns the header's height."""
    line = TITLE_SIZE * 1.45
    title = _fit_text(panel.title, TITLE_SIZE, PANEL_WIDTH)
    scene.texts.append(
        (left, top + draw._ascent(TITLE_SIZE) * 0.8, title, TITLE_SIZE, TEXT_COLOR, "l")
    )
    entries = [(s.label, s.color) for s in panel.series]
    widths = [LEGEND_LINE + 4.0 + draw.text_width(label, TEXT_SIZE) for label, _ in entries]
    legend_width = sum(widths) + 10.0 * (len(entries) - 1)
    baseline = top + draw._ascent(TITLE_SIZE) * 0.8
    height = line + 4.0
    if draw.text_width(title, TITLE_SIZE) + 16.0 + legend_width > PANEL_WIDTH:
        baseline += TEXT_SIZE * 1.5
        height += TEXT_SIZE * 1.5
    x = right - legend_width
    for (label, color), width in zip(entries, widths):
        mid = baseline - _digit_height(TEXT_SIZE) / 2
        scene.shapes.append(("line", [(x, mid), (x + LEGEND_LINE, mid)], color, CURVE_WIDTH))
        scene.shapes.append(("dot", (x + LEGEND_LINE / 2, mid), DOT_RADIUS, color))
        scene.texts.append((x + LEGEND_LINE + 4.0, baseline, label, TEXT_SIZE, TICK_COLOR, "l"))
        x += width + 10.0
    return height


def _fit_text(text, size, width):
    """`text`, cut with an ellipsis so that it fits in `width` points."""
    if draw.text_width(text, size) <= width:
        return text
    while text and draw.text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


# ---------------------------------------------------------------------------- output


_ANCHORS = {"l": ("ls", "start"), "m": ("ms", "middle"), "r": ("rs", "end")}


def _to_image(scene, dpi):
    scale = dpi / 72.0
    size = (max(math.ceil(scene.width * scale), 1), max(math.ceil(scene.height * scale), 1))
    canvas = Image.new("RGB", (size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE), BACKGROUND)
    pen = ImageDraw.Draw(canvas)
    s = scale * SUPERSAMPLE
    for shape in scene.shapes:
        if shape[0] == "line":
            _, points, color, width = shape
            pen.line(
                [(x * s, y * s) for x, y in points],
                fill=color,
                width=max(1, round(width * s)),
                joint="curve",
            )
        else:
            _, (x, y), radius, color = shape
            r = radius * s
            pen.ellipse((x * s - r, y * s - r, x * s + r, y * s + r), fill=color)
    canvas = canvas.reduce(SUPERSAMPLE)
    pen = ImageDraw.Draw(canvas)
    for x, y, text, size_pt, color, anchor in scene.texts:
        pen.text(
            (x * scale, y * scale),
            text,
            fill=color,
            font=draw._font(size_pt * scale),
            anchor=_ANCHORS[anchor][0],
        )
    return canvas


def _to_pdf(scene):
    """The scene as a vector `pdf.Page`, drawn as the SVG is."""
    page = pdf.Page(scene.width, scene.height, BACKGROUND)
    for shape in scene.shapes:
        if shape[0] == "line":
            _, points, color, width = shape
            page.polyline(points, color, width, cap=1)
        else:
            _, (x, y), radius, color = shape
            page.circle(x, y, radius, color)
    for x, y, text, size, color, anchor in scene.texts:
        page.text(x, y, text, size, color, anchor=anchor)
    return page


def _to_svg(scene):
    w, h = scene.width, scene.height
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.1f}pt" height="{h:.1f}pt" '
        f'viewBox="0 0 {w:.2f} {h:.2f}">',
        "<style>"
        + vector._font_face()
        + "text{font-family:PlaitSans,Helvetica,Arial,sans-serif}</style>",
        f'<rect width="{w:.2f}" height="{h:.2f}" fill="{BACKGROUND}"/>',
    ]
    for shape in scene.shapes:
        if shape[0] == "line":
            _, points, color, width = shape
            path = " ".join(f"{x:.2f},{y:.2f}" for x, y in points)
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" '
                f'stroke-width="{width}" stroke-linejoin="round" stroke-linecap="round"/>'
            )
        else:
            _, (x, y), radius, color = shape
            out.append(f'<circle cx="{x:.2f}" cy="{y:.2f}" r="{radius}" fill="{color}"/>')
    for x, y, text, size, color, anchor in scene.texts:
        out.append(
            f'<text x="{x:.2f}" y="{y:.2f}" font-size="{size}" '
            f'text-anchor="{_ANCHORS[anchor][1]}" fill="{color}">{_xml_escape(text)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
