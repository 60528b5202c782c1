"""Global pooling layers, and output shapes of every pooling layer over its arguments."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from plait.layers import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    Input,
    MaxPooling1D,
    MaxPooling2D,
)
from plait.layers.layer import LayerCallError
from tests.layers.harness import run_layer_test

GLOBAL = [
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
]

CASES = [
    (GlobalMaxPooling1D, {}, (5, 3), (None, 3)),
    (GlobalAveragePooling1D, dict(keepdims=True), (5, 3), (None, 1, 3)),
    (GlobalAveragePooling1D, dict(data_format="channels_first"), (3, 5), (None, 3)),
    (
        GlobalMaxPooling2D,
        dict(keepdims=True, data_format="channels_first"),
        (3, 4, 5),
        (None, 3, 1, 1),
    ),
    (GlobalAveragePooling2D, {}, (4, 5, 3), (None, 3)),
    (GlobalMaxPooling3D, {}, (2, 3, 4, 3), (None, 3)),
    (GlobalAveragePooling3D, dict(keepdims=True), (2, 3, 4, 3), (None, 1, 1, 1, 3)),
]


@pytest.mark.parametrize(
    "cls,kwargs,shape,expected", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]
)
def test_layer_contract(cls, kwargs, shape, expected):
    run_layer_test(cls, kwargs, shape, expected, expected_num_weights=0)


@pytest.mark.parametrize("cls", GLOBAL, ids=lambda c: c.__name__)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_global_pooling_math(cls, data_format):
    x = np.random.rand(2, *(range(3, 3 + cls.rank)), 4).astype("float32")
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    axes = (
        tuple(range(1, cls.rank + 1))
        if data_format == "channels_last"
        else tuple(range(2, cls.rank + 2))
    )
    reduce = np.max if cls.mode == "max" else np.mean
    out = cls(data_format=data_format)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(out, reduce(x, axis=axes), rtol=1e-6)
    kept = cls(data_format=data_format, keepdims=True)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(kept, reduce(x, axis=axes, keepdims=True), rtol=1e-6)


def test_global_average_pooling_1d_with_mask_averages_unmasked_steps():
    x = torch.arange(12.0).reshape(1, 4, 3)
    mask = torch.tensor([[True, True, False, False]])
    out = GlobalAveragePooling1D()(x, mask=mask)
    torch.testing.assert_close(out, x[:, :2].mean(dim=1))


@settings(max_examples=40, deadline=None)
@given(
    cls=st.sampled_from([MaxPooling2D, AveragePooling2D]),
    pool=st.integers(1, 4),
    strides=st.one_of(st.none(), st.integers(1, 3)),
    padding=st.sampled_from(["valid", "same"]),
    rows=st.integers(4, 9),
    cols=st.integers(4, 9),
    data_format=st.sampled_from(["channels_last", "channels_first"]),
)
def test_pooling_shapes_symbolic_equal_concrete(
    cls, pool, strides, padding, rows, cols, data_format
):
    layer = cls(pool, strides=strides, padding=padding, data_format=data_format)
    shape = (rows, cols, 2) if data_format == "channels_last" else (2, rows, cols)
    symbolic = layer(Input(shape=shape))
    concrete = layer(torch.randn((2,) + shape))
    assert symbolic.shape == (None,) + tuple(concrete.shape[1:])


@settings(max_examples=30, deadline=None)
@given(
    cls=st.sampled_from(GLOBAL),
    keepdims=st.booleans(),
    data_format=st.sampled_from(["channels_last", "channels_first"]),
    data=st.data(),
)
def test_global_shapes_symbolic_equal_concrete(cls, keepdims, data_format, data):
    shape = tuple(
        data.draw(st.lists(st.integers(1, 4), min_size=cls.rank + 1, max_size=cls.rank + 1))
    )
    layer = cls(keepdims=keepdims, data_format=data_format)
    symbolic = layer(Input(shape=shape))
    concrete = layer(torch.randn((2,) + shape))
    assert symbolic.shape == (None,) + tuple(concrete.shape[1:])


def test_errors():
    with pytest.raises(
        LayerCallError,
        match=r"GlobalAveragePooling2D layer "
        r"'global_average_pooling2d_1' expects a 4-D input",
    ):
        GlobalAveragePooling2D()(Input(shape=(4, 3)))
    with pytest.raises(
        LayerCallError,
        match=r"pool_size \(3,\) is larger than the input's "
        r"spatial size \(2,\)",
    ):
        MaxPooling1D(3)(Input(shape=(2, 4)))
    with pytest.raises(ValueError, match="data_format"):
        GlobalMaxPooling1D(data_format="NHWC")
    with pytest.raises(ValueError, match="padding"):
        AveragePooling1D(padding="full")
