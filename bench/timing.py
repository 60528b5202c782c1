"""Alternating, repeated timing of two (or three) implementations of the same work.

`compare` runs the implementations in turn (the order flips every round, so a slow drift of
the machine hits both alike) until the ratio of their speeds is stable, and returns the
medians and the spread. A "run" is one call of a function that does a fixed amount of work
and returns the seconds it took.
"""

import statistics
import time


class Comparison:
    """Result of `compare`: seconds per run of each implementation and the per-round ratios.

    `ratio` is plait's speed over the reference's (> 1: plait is faster), the median over
    rounds; `low`/`high` are the quartiles of the per-round ratios.
    """

    def __init__(self, names, times):
        self.names = names
        self.times = times  # {name: [seconds per run, ...]}, same length each
        self.rounds = len(times[names[0]])

    def median_time(self, name):
        return statistics.median(self.times[name])

    def ratios(self, name, reference):
        return [r / t for t, r in zip(self.times[name], self.times[reference])]

    def ratio(self, name, reference):
        return statistics.median(self.ratios(name, reference))

    def spread(self, name, reference):
        """(first quartile, third quartile) of the per-round ratios."""
        values = sorted(self.ratios(name, reference))
        if len(values) < 4:
            return values[0], values[-1]
        q = statistics.quantiles(values, n=4)
        return q[0], q[2]


def _stable(ratios, tolerance):
    """The median ratio is known to within `tolerance` (relative): the half-width of its
    95% confidence interval, 1.57 * IQR / sqrt(n) (the box-plot notch), is below it."""
    if len(ratios) < 4:
        return False
    q = statistics.quantiles(sorted(ratios), n=4)
    median = statistics.median(ratios)
    return 1.57 * (q[2] - q[0]) / len(ratios) ** 0.5 < tolerance * median


def compare(runs, min_rounds=6, max_rounds=30, budget_s=10.0, tolerance=0.03):
    """Time each of `runs` ({name: fn() -> seconds}) in alternating rounds.

    The first name is the one whose ratio to the second decides stability. Stops after
    `min_rounds` once stable, after `max_rounds`, or once `budget_s` seconds have passed.
    """
    names = list(runs)
    times = {name: [] for name in names}
    start = time.perf_counter()
    for i in range(max_rounds):
        order = names if i % 2 == 0 else names[::-1]
        for name in order:
            times[name].append(runs[name]())
        ratios = [r / t for t, r in zip(times[names[0]], times[names[1]])]
        if i + 1 >= min_rounds and (
            _stable(ratios, tolerance) or time.perf_counter() - start > budget_s
        ):
            break
    return Comparison(names, times)


def timed(fn):
    """A run function timing one call of `fn()`."""

    def run():
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    return run


def calibrate(fn, target_s, unit, minimum, maximum):
    """How many units of work make a run of about `target_s`, given `fn(units) -> seconds`.

    Starts at `minimum` units and scales up; the result is a multiple of `unit`.
    """
    units = minimum
    fn(units)  # warm-up: first calls allocate
    while True:
        seconds = fn(units)
        if seconds >= target_s / 4 or units >= maximum:
            break
        units = min(maximum, units * 4)
    wanted = units * target_s / max(seconds, 1e-9)
    units = int(max(minimum, min(maximum, wanted)) // unit * unit)
    return max(unit, units)
