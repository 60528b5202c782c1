import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # keras, the test oracle, runs on PyTorch

import pytest
import torch

import plait


@pytest.fixture(autouse=True)
def fresh_session():
    """Every test starts with name counters at 1 (dense_1, ...) and CPU weights."""
    plait.backend.clear_session()
    torch.manual_seed(0)
    yield
