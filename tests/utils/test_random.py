"""set_random_seed and enable_determinism."""

import random

import numpy as np
import pytest
import torch
from torch import nn

from plait import training
from plait.utils import enable_determinism, set_random_seed


def draws():
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_set_random_seed_seeds_python_numpy_and_torch():
    set_random_seed(42)
    first = draws()
    set_random_seed(42)
    assert draws() == first
    set_random_seed(43)
    assert draws() != first


def test_set_random_seed_checks_its_argument():
    with pytest.raises(
        TypeError,
        match=r"Expected `seed` argument to be an integer. "
        r"Received: seed=1.5",
    ):
        set_random_seed(1.5)
    with pytest.raises(ValueError, match=r"`seed` must be >= 0. Received: seed=-1"):
        set_random_seed(-1)


@pytest.fixture
def determinism():
    before = (
        torch.are_deterministic_algorithms_enabled(),
        torch.backends.cudnn.deterministic,
        torch.backends.cudnn.benchmark,
    )
    enable_determinism()
    yield
    torch.use_deterministic_algorithms(before[0])
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = before[1:]


def seeded_fit(x, y):
    set_random_seed(7)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 1))
    training.compile(model, "adam", loss="mse")
    training.fit(model, x, y, batch_size=8, epochs=2, verbose=0)  # shuffled, with dropout
    return model.state_dict()


def test_two_seeded_fits_give_bit_identical_weights(determinism):
    assert torch.are_deterministic_algorithms_enabled()
    x = np.random.rand(40, 4).astype("float32")
    y = np.random.rand(40, 1).astype("float32")
    first, second = seeded_fit(x, y), seeded_fit(x, y)
    for key in first:
        assert torch.equal(first[key], second[key]), key
    set_random_seed(8)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 1))
    assert not torch.equal(model[0].weight, first["0.weight"])
