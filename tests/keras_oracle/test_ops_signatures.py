"""Keras's arguments that plait's ops took late (`unique(return_index=)` in Keras's position,
`max`/`min`'s `initial`, `prod`'s `dtype`, the bitwise ops' `x`/`y` names, `cdist(x, y)`):
the same call gives Keras 3's value and dtype on its PyTorch backend."""

import inspect

import numpy as np
import pytest
import torch

keras = pytest.importorskip("keras")

from plait import ops  # noqa: E402

X = np.array([3, 1, 3, 2, 1], "int32")
M = np.array([[1, 2], [3, 4], [1, 2]], "int32")
F = np.array([[1.0, 5.0], [3.0, 2.0]], "float32")
CASES = [
    ("unique", (X,), {"return_index": True}),
    ("unique", (X, True, True, True, True), {}),
    ("unique", (X,), {"size": 5, "return_counts": True, "return_index": True}),
    ("unique", (X,), {"size": 2, "return_counts": True, "return_index": True}),
    ("unique", (X,), {"size": 4, "fill_value": -1}),
    ("unique", (M,), {"axis": 0, "return_index": True, "return_counts": True}),
    ("unique", (M,), {"axis": 0, "size": 3}),
    ("max", (F,), {"axis": 1, "initial": 4.0}),
    ("min", (F,), {"initial": 1.5}),
    ("max", (np.zeros((0, 3), "float32"),), {"initial": 1.0, "keepdims": True}),
    ("prod", (M,), {"axis": 0, "dtype": "float32"}),
    ("prod", (np.array([1.5, 2.0], "float32"),), {"dtype": "int32"}),
    ("bitwise_and", (), {"x": X, "y": 6}),
    ("left_shift", (), {"x": X, "y": 2}),
    ("cdist", (), {"x": F, "y": F[:1]}),
]


def _tensors(value):
    return torch.as_tensor(value) if isinstance(value, np.ndarray) else value


@pytest.mark.parametrize("name,args,kwargs", CASES, ids=[f"{c[0]}{sorted(c[2])}" for c in CASES])
def test_call_matches_keras(name, args, kwargs):
    expected = getattr(keras.ops, name)(
        *map(_tensors, args), **{k: _tensors(v) for k, v in kwargs.items()}
    )
    got = getattr(ops, name)(*args, **kwargs)
    expected = expected if isinstance(expected, tuple) else (expected,)
    got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(expected)
    for e, g in zip(expected, got):
        assert g.dtype == e.dtype and g.shape == e.shape
        torch.testing.assert_close(g, e)


@pytest.mark.parametrize("name", ["unique", "max", "min", "prod", "bitwise_or", "right_shift"])
def test_parameters_are_kerass(name):
    ours = list(inspect.signature(getattr(ops, name)).parameters)
    assert ours == list(inspect.signature(getattr(keras.ops, name)).parameters)
