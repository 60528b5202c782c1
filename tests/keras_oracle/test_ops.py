"""plait.ops against Keras 3's ops on its PyTorch backend (values, dtypes, shapes), table
driven over every op plait implements (tests/keras_oracle/ops_cases.py), and against NumPy
where Keras 3.15 on PyTorch departs from NumPy's definition."""

import numpy as np
import pytest
import torch

keras = pytest.importorskip("keras")

from plait import ops  # noqa: E402
from plait.backend import standardize_dtype  # noqa: E402
from tests.keras_oracle import ops_cases as C  # noqa: E402


def _numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def assert_same(expected, got, where, values=True):
    if isinstance(expected, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(expected), where
        for e, g in zip(expected, got):
            assert_same(e, g, where, values)
        return
    if isinstance(expected, (str, bool, int)):
        assert got == expected, f"{where}: {got!r} != {expected!r}"
        return
    e, g = _numpy(expected), _numpy(got)
    assert g.shape == e.shape, f"{where}: shape {g.shape}, Keras {e.shape}"
    if hasattr(expected, "dtype"):
        assert standardize_dtype(got.dtype) == keras.backend.standardize_dtype(expected.dtype), (
            f"{where}: dtype {got.dtype}, Keras {expected.dtype}"
        )
    if not values:
        return
    if e.dtype.kind in "fc":
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5, err_msg=where)
    else:
        np.testing.assert_array_equal(g, e, err_msg=where)


def _id(case):
    name, args, kwargs = case
    kinds = ",".join(str(getattr(a, "dtype", type(a).__name__)) for a in args)
    return f"{name}({kinds}){'' if not kwargs else sorted(kwargs)}"


CASES = [c for c in C.cases() if not c[2].get("_skip_")]


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_op_matches_keras(case):
    name, args, kwargs = case
    expected = getattr(keras.ops, name)(*args, **kwargs)
    got = getattr(ops, name)(*args, **kwargs)
    assert_same(expected, got, _id(case), values=name not in C.VALUES_ARBITRARY)


@pytest.mark.parametrize("case", C.IMAGE, ids=[_id(c) for c in C.IMAGE])
def test_image_op_matches_keras(case):
    name, args, kwargs = case
    assert_same(
        getattr(keras.ops.image, name)(*args, **kwargs),
        getattr(ops.image, name)(*args, **kwargs),
        _id(case),
    )


def _np_sparsemax(x):
    z = np.sort(x, axis=-1)[..., ::-1]
    k = np.arange(1, x.shape[-1] + 1)
    cum = np.cumsum(z, -1)
    support = (1 + k * z) > cum
    kmax = support.sum(-1, keepdims=True)
    tau = (np.take_along_axis(cum, kmax - 1, -1) - 1) / kmax
    return np.maximum(x - tau, 0)


def _np_avg_pool_same(x, size, stride):
    n, h, w, c = x.shape
    oh, ow = -(-h // stride), -(-w // stride)
    ph = max((oh - 1) * stride + size - h, 0) // 2
    pw = max((ow - 1) * stride + size - w, 0) // 2
    out = np.zeros((n, oh, ow, c), x.dtype)
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * stride - ph, j * stride - pw
            win = x[:, max(r0, 0) : r0 + size, max(c0, 0) : c0 + size]
            out[:, i, j] = win.mean(axis=(1, 2))
    return out


NUMPY_REFERENCE = {
    "cross": lambda a, b: np.cross(a, b),
    "pad": lambda x, w, mode: np.pad(x, w, mode=mode),
    "sparsemax": _np_sparsemax,
    "vdot": lambda a, b: np.vdot(a, b),
    "unstack": lambda x, axis: list(np.moveaxis(x, axis, 0)),
    "stop_gradient": lambda x: x,
    "average_pool": lambda x, size, strides, padding: _np_avg_pool_same(x, size, strides),
    "imag": np.imag,
}


@pytest.mark.parametrize("case", C.NUMPY, ids=[_id(c) for c in C.NUMPY])
def test_op_matches_numpy(case):
    name, args, kwargs = case
    mode = {"edge": "edge", "wrap": "wrap"}.get(kwargs.get("mode"), kwargs.get("mode"))
    kw = dict(kwargs, mode=mode) if "mode" in kwargs else kwargs
    expected = NUMPY_REFERENCE[name](*args, **kw)
    got = getattr(ops, name)(*args, **kwargs)
    if isinstance(expected, list):
        assert len(got) == len(expected)
        for e, g in zip(expected, got):
            np.testing.assert_allclose(_numpy(g), e, rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_allclose(_numpy(got), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES[::3], ids=[_id(c) for c in CASES[::3]])
def test_torch_inputs_give_the_same_result(case):
    name, args, kwargs = case
    if name in C.VALUES_ARBITRARY or name == "is_tensor":
        return
    as_torch = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]
    assert_same(
        getattr(ops, name)(*args, **kwargs), getattr(ops, name)(*as_torch, **kwargs), _id(case)
    )


def test_covers_at_least_90_percent_of_keras_ops():
    names = [n for n in dir(keras.ops) if not n.startswith("_")]
    missing = [n for n in names if not hasattr(ops, n)]
    share = 1 - len(missing) / len(names)
    assert share >= 0.9, f"{share:.1%} of keras.ops; missing {missing}"
    for sub, least in (("nn", 0.9), ("numpy", 0.99), ("linalg", 1.0), ("image", 0.5)):
        theirs = [n for n in dir(getattr(keras.ops, sub)) if not n.startswith("_")]
        ours = getattr(ops, sub)
        assert sum(hasattr(ours, n) for n in theirs) / len(theirs) >= least, sub


def test_every_table_op_is_tested():
    tested = {c[0] for c in C.cases() + C.IMAGE + C.NUMPY}
    untested = sorted(
        n
        for n in ops.__all__
        if n not in tested and n not in ("core", "image", "linalg", "math", "nn", "numpy")
    )
    # control flow, conversion and gradient helpers: tests/ops/test_core.py
    assert set(untested) <= {
        "associative_scan",
        "cond",
        "convert_to_numpy",
        "custom_gradient",
        "fori_loop",
        "map",
        "scan",
        "switch",
        "vectorized_map",
        "while_loop",
        "jvp",
        "eig",
        "vectorize",
    }, untested
