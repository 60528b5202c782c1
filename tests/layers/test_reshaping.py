"""Reshape, Permute, RepeatVector, ZeroPadding, Cropping, UpSampling: contract, NumPy math,
output shapes over their arguments, errors."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from plait.layers import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Input,
    Permute,
    RepeatVector,
    Reshape,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from plait.layers.layer import LayerCallError
from tests.layers.harness import run_layer_test

CASES = [
    (Reshape, dict(target_shape=(3, 4)), (12,), (None, 3, 4)),
    (Reshape, dict(target_shape=(-1, 2)), (3, 4), (None, 6, 2)),
    (Reshape, dict(target_shape=(2, -1)), (None, 4), (None, 2, None)),
    (Permute, dict(dims=(2, 1)), (3, 4), (None, 4, 3)),
    (Permute, dict(dims=(3, 1, 2)), (2, 3, 4), (None, 4, 2, 3)),
    (RepeatVector, dict(n=3), (4,), (None, 3, 4)),
    (ZeroPadding1D, {}, (5, 2), (None, 7, 2)),
    (ZeroPadding1D, dict(padding=(0, 3)), (5, 2), (None, 8, 2)),
    (ZeroPadding2D, dict(padding=((1, 2), (3, 4))), (4, 3, 2), (None, 7, 10, 2)),
    (ZeroPadding2D, dict(padding=(1, 2), data_format="channels_first"), (2, 4, 3), (None, 2, 6, 7)),
    (ZeroPadding3D, {}, (2, 2, 2, 1), (None, 4, 4, 4, 1)),
    (Cropping1D, {}, (5, 2), (None, 3, 2)),
    (Cropping2D, dict(cropping=((1, 0), (2, 1))), (4, 5, 2), (None, 3, 2, 2)),
    (Cropping2D, dict(cropping=1, data_format="channels_first"), (2, 4, 5), (None, 2, 2, 3)),
    (Cropping3D, {}, (3, 4, 5, 1), (None, 1, 2, 3, 1)),
    (UpSampling1D, dict(size=3), (4, 2), (None, 12, 2)),
    (UpSampling2D, {}, (3, 4, 2), (None, 6, 8, 2)),
    (UpSampling2D, dict(size=(2, 3), interpolation="bilinear"), (3, 4, 2), (None, 6, 12, 2)),
    (
        UpSampling2D,
        dict(size=2, data_format="channels_first", interpolation="bilinear"),
        (2, 3, 4),
        (None, 2, 6, 8),
    ),
    (UpSampling3D, dict(size=(1, 2, 3)), (2, 2, 2, 1), (None, 2, 4, 6, 1)),
]


@pytest.mark.parametrize(
    "cls,kwargs,shape,expected", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]
)
def test_layer_contract(cls, kwargs, shape, expected):
    run_layer_test(cls, kwargs, shape, expected, expected_num_weights=0)


def test_math_against_numpy():
    x = np.random.rand(2, 3, 4, 5).astype("float32")
    t = torch.from_numpy(x)
    np.testing.assert_array_equal(Reshape((-1, 10))(t).numpy(), x.reshape(2, 6, 10))
    np.testing.assert_array_equal(Permute((3, 1, 2))(t).numpy(), x.transpose(0, 3, 1, 2))
    v = np.random.rand(2, 4).astype("float32")
    np.testing.assert_array_equal(
        RepeatVector(3)(torch.from_numpy(v)).numpy(), np.repeat(v[:, None], 3, axis=1)
    )
    np.testing.assert_array_equal(
        ZeroPadding2D(((1, 2), (0, 3)))(t).numpy(), np.pad(x, [(0, 0), (1, 2), (0, 3), (0, 0)])
    )
    np.testing.assert_array_equal(
        ZeroPadding1D((2, 1))(t[:, 0]).numpy(), np.pad(x[:, 0], [(0, 0), (2, 1), (0, 0)])
    )
    np.testing.assert_array_equal(Cropping2D(((1, 0), (1, 2)))(t).numpy(), x[:, 1:, 1:2])
    np.testing.assert_array_equal(Cropping1D((0, 2))(t[:, 0]).numpy(), x[:, 0, :2])
    np.testing.assert_array_equal(
        UpSampling2D((2, 3))(t).numpy(), np.repeat(np.repeat(x, 2, axis=1), 3, axis=2)
    )
    np.testing.assert_array_equal(UpSampling1D(2)(t[:, 0]).numpy(), np.repeat(x[:, 0], 2, 1))


def _numpy_bilinear(x, size):
    """TensorFlow's bilinear resize with half-pixel centres (Keras's UpSampling2D)."""
    out = x
    for axis, scale in ((1, size[0]), (2, size[1])):
        n = out.shape[axis]
        src = np.clip((np.arange(n * scale) + 0.5) / scale - 0.5, 0, None)
        lo = np.minimum(np.floor(src).astype(int), n - 1)
        hi = np.minimum(lo + 1, n - 1)
        frac = (src - lo).reshape([-1 if a == axis else 1 for a in range(4)])
        out = np.take(out, lo, axis=axis) * (1 - frac) + np.take(out, hi, axis=axis) * frac
    return out


def test_bilinear_upsampling_matches_tensorflow_resize():
    x = np.random.rand(2, 3, 5, 2).astype("float32")
    out = UpSampling2D((2, 3), interpolation="bilinear")(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(out, _numpy_bilinear(x, (2, 3)), rtol=1e-5, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
def test_reshape_shapes_symbolic_equal_concrete(shape, data):
    total = math.prod(shape)
    first = data.draw(st.sampled_from([d for d in range(1, total + 1) if total % d == 0]))
    target = [first, total // first]
    if data.draw(st.booleans()):
        target[data.draw(st.integers(0, 1))] = -1
    layer = Reshape(tuple(target))
    symbolic = layer(Input(shape=tuple(shape)))
    concrete = layer(torch.randn((2,) + tuple(shape)))
    assert symbolic.shape == (None,) + tuple(concrete.shape[1:])


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(["pad", "crop", "up"]),
    data_format=st.sampled_from(["channels_last", "channels_first"]),
    pairs=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=2, max_size=2),
    rows=st.integers(5, 7),
    cols=st.integers(5, 7),
)
def test_spatial_shapes_symbolic_equal_concrete(kind, data_format, pairs, rows, cols):
    if kind == "pad":
        layer = ZeroPadding2D(pairs, data_format=data_format)
    elif kind == "crop":
        layer = Cropping2D(pairs, data_format=data_format)
    else:
        layer = UpSampling2D((pairs[0][0] + 1, pairs[1][1] + 1), data_format=data_format)
    shape = (rows, cols, 3) if data_format == "channels_last" else (3, rows, cols)
    symbolic = layer(Input(shape=shape))
    concrete = layer(torch.randn((2,) + shape))
    assert symbolic.shape == (None,) + tuple(concrete.shape[1:])


def test_constructor_errors():
    with pytest.raises(TypeError, match="`target_shape` must be a tuple"):
        Reshape(12)
    with pytest.raises(ValueError, match="at most one -1"):
        Reshape((-1, -1))
    with pytest.raises(ValueError, match="positive ints"):
        Reshape((0, 3))
    with pytest.raises(ValueError, match="permutation of 1, 2, ..., n"):
        Permute((0, 1))
    with pytest.raises(TypeError, match="`dims` must be a tuple"):
        Permute(2)
    with pytest.raises(ValueError, match="`n` must be a positive integer"):
        RepeatVector(0)
    with pytest.raises(ValueError, match="`padding` must be an int, a tuple of 2 ints"):
        ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match=r"`cropping` must be an int or a pair"):
        Cropping1D((-1, 0))
    with pytest.raises(ValueError, match="`interpolation` must be one of"):
        UpSampling2D(interpolation="lanczos3")
    with pytest.raises(ValueError, match="`size`"):
        UpSampling1D(size=0)


def test_call_errors_name_layer_and_both_shapes():
    with pytest.raises(
        LayerCallError,
        match=r"Layer 'reshape_1' \(Reshape\).*\(None, 3, 4\).*"
        r"samples of shape \(3, 4\) \(12 values\) into "
        r"target_shape=\(5, 2\)",
    ):
        Reshape((5, 2))(Input(shape=(3, 4)))
    with pytest.raises(LayerCallError, match=r"target_shape=\(5, -1\)"):
        Reshape((5, -1))(Input(shape=(3, 4)))
    with pytest.raises(LayerCallError, match="Permute layer 'permute_1' with dims=.*3-D input"):
        Permute((2, 1))(Input(shape=(2, 3, 4)))
    with pytest.raises(LayerCallError, match="RepeatVector layer 'repeat_vector_1' expects a 2-D"):
        RepeatVector(2)(Input(shape=(2, 3)))
    with pytest.raises(LayerCallError, match="removes all of axis 1"):
        Cropping1D((2, 3))(Input(shape=(5, 2)))
    with pytest.raises(LayerCallError, match="ZeroPadding2D layer 'zero_padding2d_1' expects"):
        ZeroPadding2D()(Input(shape=(5, 2)))
