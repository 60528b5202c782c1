"""Keras 3 on its PyTorch backend is the oracle these tests compare plait with."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import pytest  # noqa: E402

keras = pytest.importorskip("keras")  # a test dependency: installed by `make test`
