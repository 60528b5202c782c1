"""Keras 3 on its PyTorch backend is the oracle these tests compare plait with."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import pytest

keras = pytest.importorskip("keras")  # a test dependency: installed by `make test`
