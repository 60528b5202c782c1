"""`SeedGenerator` and the seed arithmetic of Keras 3's torch backend.

Keras's random functions are stateless: a seed becomes a pair `[seed, counter]` of int32
values, and each draw seeds a fresh `torch.Generator` with `(seed + counter) & 0xFFFFFFFF`.
plait does the same arithmetic, so the same seed on the same device gives Keras's numbers.
"""

import random as python_random

import torch

from plait.utils import naming
from plait.utils import random as random_utils
from plait.utils.variables import make_variable

__all__ = ["SeedGenerator", "draw_seed", "torch_generator"]

_GLOBAL = "seed_generator"  # key in plait.utils.random.GLOBAL_SEED_STATE


def _int32(value):
    """`value` wrapped to a signed 32-bit integer, as int32 tensor arithmetic wraps."""
    return (int(value) & 0xFFFFFFFF ^ 0x80000000) - 0x80000000


class SeedGenerator:
    """The state of a random stream: each call of a `plait.random` function given it as
    `seed` draws new numbers, and two generators made with the same `seed` give the same
    stream (Keras's `keras.random.SeedGenerator`, with its arithmetic).

    Args:
        seed: an int; None (default) picks one with Python's `random` (which
            `plait.utils.set_random_seed` seeds).
        name: default: `seed_generator_<n>`.

    Attributes:
        state: an int32 tensor `[seed, counter]` (a non-trainable variable named
            `seed_generator_state`); `next()` returns it and adds 1 to the counter.

    Raises:
        ValueError: `seed` not an int; an unknown keyword argument.

    Example:
        >>> import plait, torch
        >>> gen = plait.random.SeedGenerator(42)
        >>> a = plait.random.normal((2,), seed=gen)
        >>> b = plait.random.normal((2,), seed=gen)     # different numbers from a
        >>> bool((a == plait.random.normal((2,), seed=plait.random.SeedGenerator(42))).all())
        True
    """

    def __init__(self, seed=None, name=None, **kwargs):
        kwargs.pop("backend", None)  # Keras's backend override; torch is the only one here
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        self.name = name or naming.unique_name("seed_generator")
        self._initial_seed = seed
        if seed is None:
            seed = python_random.randint(1, int(1e9))
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed}")
        self.state = make_variable(
            torch.tensor([_int32(seed), 0], dtype=torch.int32),
            trainable=False,
            requires_grad=False,
            name="seed_generator_state",
            path=f"{self.name}/seed_generator_state",
        )

    def next(self, ordered=True):
        """The current `[seed, counter]` (a copy), then advance the state.

        Args:
            ordered: True: add 1 to the counter. False: Keras's scrambled step
                `state = (state + 1) * 5387 % 933199` (its global generator's).
        """
        seed, counter = (int(v) for v in self.state.tolist())
        if ordered:
            new = [seed, _int32(counter + 1)]
        else:  # int32 arithmetic as Keras's: the product wraps, then a floored modulo
            new = [_int32(_int32(v + 1) * 5387) % 933199 for v in (seed, counter)]
        with torch.no_grad():
            self.state.copy_(torch.tensor(new, dtype=torch.int32))
        return torch.tensor([seed, counter], dtype=torch.int32)

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator name={self.name!r} seed={self._initial_seed}>"


def global_seed_generator():
    """The generator `seed=None` draws from; `plait.utils.set_random_seed` replaces it."""
    gen = random_utils.GLOBAL_SEED_STATE.get(_GLOBAL)
    if gen is None:
        gen = random_utils.GLOBAL_SEED_STATE[_GLOBAL] = SeedGenerator()
    return gen


def draw_seed(seed):
    """`[seed, counter]` (int32) for a `seed` argument: a SeedGenerator advances, an int
    gives `[seed, 0]`, None draws from the global generator.

    Raises:
        ValueError: any other `seed`.
    """
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, int):
        return torch.tensor([_int32(seed), 0], dtype=torch.int32)
    if seed is None:
        return global_seed_generator().next(ordered=False)
    raise ValueError(
        "Argument `seed` must be either an integer or an instance of `SeedGenerator`. "
        f"Received: seed={seed} (of type {type(seed)})"
    )


def seed_value(seed):
    """The 32-bit seed a draw with `seed` uses: `(seed + counter) & 0xFFFFFFFF`."""
    first, second = (int(v) for v in draw_seed(seed).tolist())
    return (first + second) & 0xFFFFFFFF


def torch_generator(seed, device):
    """A `torch.Generator` on `device` seeded as Keras's torch backend seeds one."""
    generator = torch.Generator(device=device)
    generator.manual_seed(seed_value(seed))
    return generator
