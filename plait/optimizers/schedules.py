"""Learning-rate schedules with Keras's names, arguments and formulas.

A schedule is a callable `schedule(step) -> float` that an optimizer evaluates at its
`iterations` count before each update (step 0 for the first update). The values are
plain Python floats, computed on the host: no tensor, no device sync.

    lr = ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96, staircase=True)
    opt = plait.optimizers.SGD(learning_rate=lr)
"""

import math

from plait import serialization

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "deserialize",
    "serialize",
]


def __dir__():  # dir() lists the public API, not torch, re or helpers
    return sorted(
        set(__all__)
        | {
            n
            for n, v in globals().items()
            if isinstance(v, type) and v.__module__ == __name__ and not n.startswith("_")
        }
    )


def _check_positive(name, value):
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


@serialization.register_serializable(package="plait")
class LearningRateSchedule:
    """Base class: subclasses implement `__call__(step)` and `get_config()`.

    Raises:
        NotImplementedError: from `__call__` or `get_config` when a subclass lacks them.

    Example:
        >>> from plait import optimizers
        >>> class Halving(optimizers.schedules.LearningRateSchedule):
        ...     def __call__(self, step):
        ...         return 0.1 * 0.5 ** (step // 100)
        ...     def get_config(self):
        ...         return {}
        >>> opt = optimizers.SGD(learning_rate=Halving())
        >>> opt.learning_rate, Halving()(250)
        (0.1, 0.025)
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override "
            "`get_config()` in order to be serializable."
        )

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class _StepDecay(LearningRateSchedule):
    """A rate that decays with `p = step / decay_steps` (floored when `staircase`): the
    arguments and config of `ExponentialDecay` and `InverseTimeDecay`."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def _progress(self, step):
        p = step / self.decay_steps
        return math.floor(p) if self.staircase else p

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


@serialization.register_serializable(package="plait")
class ExponentialDecay(_StepDecay):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`.

    Args:
        initial_learning_rate: float.
        decay_steps: int > 0.
        decay_rate: float.
        staircase: if True, `step / decay_steps` is floored. Default False.
        name: default "ExponentialDecay".

    Raises:
        ValueError: decay_steps <= 0.

    Example:
        >>> from plait.optimizers import schedules
        >>> lr = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
        >>> [round(lr(step), 4) for step in (0, 5, 10, 20)]
        [0.1, 0.0707, 0.05, 0.025]
        >>> stairs = schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)
        >>> [round(stairs(step), 4) for step in (0, 5, 10)]
        [0.1, 0.1, 0.05]
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name="ExponentialDecay",
    ):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return float(self.initial_learning_rate * self.decay_rate ** self._progress(step))


@serialization.register_serializable(package="plait")
class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[0]` while `step <= boundaries[0]`, `values[i]` while
    `boundaries[i-1] < step <= boundaries[i]`, `values[-1]` after the last boundary.

    Args:
        boundaries: increasing step numbers.
        values: one more value than boundaries.
        name: default "PiecewiseConstant".

    Raises:
        ValueError: boundaries not one fewer than values, or not increasing.

    Example:
        >>> from plait.optimizers import schedules
        >>> lr = schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001])
        >>> [lr(step) for step in (0, 10, 11, 20, 21)]
        [0.1, 0.1, 0.01, 0.01, 0.001]
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}."
            )
        if any(b >= c for b, c in zip(boundaries, boundaries[1:])):
            raise ValueError(
                "Argument `boundaries` must be strictly increasing. "
                f"Received: boundaries={boundaries}"
            )
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step):
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return float(value)
        return float(self.values[-1])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


@serialization.register_serializable(package="plait")
class PolynomialDecay(LearningRateSchedule):
    """`(initial - end) * (1 - step / decay_steps) ** power + end`, with step capped at
    `decay_steps`; with `cycle=True`, decay_steps grows to the first multiple of itself
    above step.

    Args:
        initial_learning_rate: float.
        decay_steps: int > 0.
        end_learning_rate: default 0.0001.
        power: default 1.0.
        cycle: default False.
        name: default "PolynomialDecay".

    Raises:
        ValueError: decay_steps <= 0.

    Example:
        >>> from plait.optimizers import schedules
        >>> lr = schedules.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01)
        >>> [round(lr(step), 4) for step in (0, 5, 10, 20)]
        [0.1, 0.055, 0.01, 0.01]
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0001,
        power=1.0,
        cycle=False,
        name="PolynomialDecay",
    ):
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        decay_steps = self.decay_steps
        if self.cycle:
            decay_steps = decay_steps * (1.0 if step == 0 else math.ceil(step / decay_steps))
        else:
            step = min(step, decay_steps)
        p = step / decay_steps
        delta = self.initial_learning_rate - self.end_learning_rate
        return float(delta * (1.0 - p) ** self.power + self.end_learning_rate)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


@serialization.register_serializable(package="plait")
class InverseTimeDecay(_StepDecay):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`.

    Args:
        initial_learning_rate, decay_steps, decay_rate, staircase: as in
            `ExponentialDecay` (`decay_steps` > 0; `staircase=True` floors
            `step / decay_steps`; default False).
        name: default "InverseTimeDecay".

    Example:
        >>> from plait.optimizers import schedules
        >>> lr = schedules.InverseTimeDecay(0.1, decay_steps=10, decay_rate=1.0)
        >>> [round(lr(step), 4) for step in (0, 5, 10, 30)]
        [0.1, 0.0667, 0.05, 0.025]

    Raises:
        ValueError: decay_steps <= 0.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name="InverseTimeDecay",
    ):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return float(self.initial_learning_rate / (1.0 + self.decay_rate * self._progress(step)))


@serialization.register_serializable(package="plait")
class CosineDecay(LearningRateSchedule):
    """Cosine decay with an optional linear warmup (Keras 3).

    Without `warmup_target`: `initial * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps))
    + alpha)` with `s = min(step, decay_steps)`. With it: a linear ramp from
    `initial_learning_rate` to `warmup_target` over `warmup_steps`, then the cosine decay
    from `warmup_target` over `decay_steps`.

    Args:
        initial_learning_rate: float.
        decay_steps: int > 0.
        alpha: the final rate as a fraction of the decayed-from rate. Default 0.0.
        name: default "CosineDecay".
        warmup_target: the rate reached after warmup, or None (no warmup). Default None.
        warmup_steps: default 0.

    Raises:
        ValueError: decay_steps <= 0.

    Example:
        >>> from plait.optimizers import schedules
        >>> lr = schedules.CosineDecay(0.1, decay_steps=10)
        >>> [round(lr(step), 4) for step in (0, 5, 10, 20)]
        [0.1, 0.05, 0.0, 0.0]
        >>> warm = schedules.CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=5)
        >>> [round(warm(step), 4) for step in (0, 5, 10, 15)]
        [0.0, 0.1, 0.05, 0.0]
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        alpha=0.0,
        name="CosineDecay",
        warmup_target=None,
        warmup_steps=0,
    ):
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, step, decay_from):
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return decay_from * ((1.0 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        if self.warmup_target is None:
            return float(self._decay(min(step, self.decay_steps), self.initial_learning_rate))
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            fraction = step / self.warmup_steps
            delta = self.warmup_target - self.initial_learning_rate
            return float(delta * fraction + self.initial_learning_rate)
        return float(self._decay(step - self.warmup_steps, self.warmup_target))

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


@serialization.register_serializable(package="plait")
class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): the first period lasts
    `first_decay_steps`, each next one `t_mul` times longer and starting from `m_mul`
    times the previous peak.

    Args:
        initial_learning_rate: float.
        first_decay_steps: int > 0.
        t_mul: default 2.0.
        m_mul: default 1.0.
        alpha: the minimum as a fraction of initial_learning_rate. Default 0.0.
        name: default "SGDRDecay".

    Raises:
        ValueError: first_decay_steps <= 0.

    Example:
        >>> from plait.optimizers import schedules
        >>> lr = schedules.CosineDecayRestarts(0.1, first_decay_steps=10)
        >>> [round(lr(step), 4) for step in (0, 5, 10, 20, 30)]
        [0.1, 0.05, 0.1, 0.05, 0.1]
    """

    def __init__(
        self,
        initial_learning_rate,
        first_decay_steps,
        t_mul=2.0,
        m_mul=1.0,
        alpha=0.0,
        name="SGDRDecay",
    ):
        _check_positive("first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        fraction = step / self.first_decay_steps
        if self.t_mul == 1.0:
            restart = math.floor(fraction)
            fraction -= restart
        else:
            restart = math.floor(
                math.log(1.0 - fraction * (1.0 - self.t_mul)) / math.log(self.t_mul)
            )
            done = (1.0 - self.t_mul**restart) / (1.0 - self.t_mul)
            fraction = (fraction - done) / self.t_mul**restart
        cosine = 0.5 * self.m_mul**restart * (1.0 + math.cos(math.pi * fraction))
        return float(self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha))

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


CLASSES = {
    cls.__name__: cls
    for cls in (
        LearningRateSchedule,
        ExponentialDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        InverseTimeDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def serialize(schedule):
    """`{"class_name": ..., "config": ...}` for a schedule.

    Args:
        schedule: a `LearningRateSchedule`.

    Returns:
        A dict that `deserialize` turns back into the schedule.

    Example:
        >>> from plait.optimizers import schedules
        >>> schedules.serialize(schedules.PiecewiseConstantDecay([10], [0.1, 0.01]))
        {'class_name': 'PiecewiseConstantDecay', 'config': {'boundaries': [10], 'values': [0.1, 0.01], 'name': 'PiecewiseConstant'}}
    """
    return serialization.serialize(schedule)


def deserialize(config, custom_objects=None):
    """Rebuild a schedule from `serialize`'s output.

    Args:
        config: a dict as `serialize` returns.
        custom_objects: a dict of your own schedule classes by name. Default None.

    Returns:
        The schedule.

    Example:
        >>> from plait.optimizers import schedules
        >>> config = schedules.serialize(schedules.ExponentialDecay(0.1, 10, 0.5))
        >>> lr = schedules.deserialize(config)
        >>> type(lr).__name__, round(lr(10), 4)
        ('ExponentialDecay', 0.05)
    """
    return serialization.deserialize(
        config, {**CLASSES, **(custom_objects or {})}, kind="learning rate schedule"
    )
