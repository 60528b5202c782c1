"""Keras's progress bar: `32/32 [==============================] - 0s 2ms/step - loss: 0.6931`.

On a terminal the bar is redrawn in place (a carriage return, throttled to `interval`
seconds); when the stream is not a terminal (a log file, CI) verbose=1 writes only the
finished line of each run, so logs are not flooded. verbose=2 writes one summary line:
`32/32 - 0s - loss: 0.6931 - 45ms/epoch - 1ms/step`.
"""

import math
import os
import sys
import logging
import time

from plait.utils import settings

__all__ = ["Progbar", "is_interactive"]

# The clock is a module attribute so golden-text tests can replace it.
_now = time.time


def is_interactive(stream=None):
    """True when `stream` (default stdout) is a terminal or a notebook renders it."""
    stream = sys.stdout if stream is None else stream
    try:
        if stream.isatty():
            return True
    except (AttributeError, ValueError):
        pass
    return "ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ


class Progbar:
    """A progress bar.

    Args:
        target: the total number of steps, or None when unknown (`17/Unknown`).
        width: the bar's width in characters. Default 30.
        verbose: 1 for the bar, 2 for one line at the end, 0 for silence. Default 1.
        interval: the least time in seconds between two redraws. Default 0.05.
        stateful_metrics: names whose values are shown as given; other values are
            averaged over the steps, as Keras does. None means none.
        unit_name: the unit in the timing (`2ms/step`). Default "step".
        stream: where to write; None means `sys.stdout` at the time of writing.

    Example:
        >>> bar = Progbar(target=2, verbose=2)
        >>> bar.update(1, values=[("loss", 0.5)])
        >>> bar.update(2, values=[("loss", 0.3)], finalize=True)  # doctest: +ELLIPSIS
        2/2 - ... - loss: 0.4000 - ...
    """

    def __init__(
        self,
        target,
        width=30,
        verbose=1,
        interval=0.05,
        stateful_metrics=None,
        unit_name="step",
        stream=None,
    ):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.stateful_metrics = set(stateful_metrics or ())
        self.unit_name = unit_name
        self._stream = stream
        self._dynamic = is_interactive(self.stream)
        self._values = {}
        self._order = []
        self._seen = 0
        self._width_drawn = 0
        self._start = _now()
        self._last_draw = 0.0
        self._after_first_step = None

    @property
    def stream(self):
        if self._stream is None and not settings.get("interactive_logging"):
            return _LOG_STREAM  # plait.config.disable_interactive_logging()
        return sys.stdout if self._stream is None else self._stream

    def due(self, current, finalize=False):
        """True when `update(current, ...)` would draw; lets callers skip reading values."""
        if self.verbose == 1 and self._dynamic and not finalize:
            return _now() - self._last_draw >= self.interval
        return finalize

    def update(self, current, values=None, finalize=None):
        """Move the bar to step `current`.

        Args:
            current: the steps done so far.
            values: a list of `(name, value)` pairs to show.
            finalize: whether this is the last update; default `current >= target`.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._record(current, values or [])
        now = _now()
        if current == 1 and self._after_first_step is None:
            self._after_first_step = now
        if self.verbose == 1 and (
            finalize or (self._dynamic and now - self._last_draw >= self.interval)
        ):
            self._draw_bar(current, now, finalize)
            self._last_draw = now
        elif self.verbose == 2 and finalize:
            self._draw_summary(current, now)

    def add(self, n, values=None):
        self.update(self._seen + n, values)

    def _record(self, current, values):
        steps = max(current - self._seen, 1)
        for name, value in values:
            if name not in self._order:
                self._order.append(name)
            if name in self.stateful_metrics:
                self._values[name] = value
            else:
                total, count = self._values.get(name, (0.0, 0))
                self._values[name] = (total + value * steps, count + steps)
        self._seen = current

    def _value_text(self):
        text = ""
        for name in self._order:
            value = self._values[name]
            if isinstance(value, tuple):
                value = value[0] / max(1, value[1])
            text += f" - {name}: {_format_value(value)}"
        return text

    def _counter(self, current):
        if self.target is None:
            return "%7d/Unknown" % current
        digits = int(math.log10(max(self.target, 1))) + 1
        return f"{current:{digits}d}/{self.target}"

    def _draw_bar(self, current, now, finalize):
        line = self._counter(current)
        if self.target is not None:
            done = int(self.width * min(current / max(self.target, 1), 1.0))
            bar = ""
            if done > 0:
                bar = "=" * (done - 1) + (">" if current < self.target else "=")
            line += " [" + bar + "." * (self.width - done) + "]"
        per_step = self._step_time(current, now)
        if finalize or self.target is None:
            line += f" - {now - self._start:.0f}s" + _format_time(per_step, self.unit_name)
        else:
            line += " - ETA: " + _format_eta(per_step * (self.target - current))
        line += self._value_text()
        if not self._dynamic:
            if finalize:
                self.stream.write(line + "\n")
                self.stream.flush()
            return
        padding = " " * max(0, self._width_drawn - len(line))
        self._width_drawn = len(line)
        self.stream.write("\r" + line + padding + ("\n" if finalize else ""))
        self.stream.flush()

    def _draw_summary(self, current, now):
        elapsed = now - self._start
        steps = self.target if self.target is not None else max(current, 1)
        line = self._counter(current) + f" - {elapsed:.0f}s" + self._value_text()
        line += " -" + _format_time(elapsed, "epoch")
        line += " -" + _format_time(elapsed / max(steps, 1), self.unit_name)
        self.stream.write(line + "\n")
        self.stream.flush()

    def _step_time(self, current, now):
        """Seconds per step, leaving out the first step (it pays for warm-up) when possible."""
        if current <= 0:
            return 0.0
        if self._after_first_step is not None and current > 1:
            return (now - self._after_first_step) / (current - 1)
        return (now - self._start) / current


def _format_value(value):
    value = float(value)
    if abs(value) > 1e-3:
        return f"{value:.4f}"
    return f"{value:.4e}"


def _format_time(seconds, unit):
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit}"
    return f" {seconds * 1e6:.0f}us/{unit}"


def _format_eta(seconds):
    seconds = int(seconds)
    if seconds > 3600:
        return f"{seconds // 3600}:{(seconds % 3600) // 60:02d}:{seconds % 60:02d}"
    if seconds > 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


class _LogStream:
    """A stream that sends each finished line to the 'plait' logger (INFO), for
    `plait.config.disable_interactive_logging()`."""

    def __init__(self):
        self._pending = ""

    def write(self, text):
        self._pending += text.replace("\r", "")
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            logging.getLogger("plait").info(line)

    def flush(self):
        pass

    def isatty(self):
        return False


_LOG_STREAM = _LogStream()
