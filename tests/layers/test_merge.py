"""Element-wise merge layers and Dot: contract, NumPy math, broadcasting, errors."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from plait.layers import (
    Add,
    Average,
    Dot,
    Input,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from plait.layers.layer import LayerCallError
from plait.models import Model
from tests.layers.harness import run_layer_test

ELEMENTWISE = {
    Add: lambda xs: sum(xs),
    Subtract: lambda xs: xs[0] - xs[1],
    Multiply: lambda xs: np.prod(np.broadcast_arrays(*xs), axis=0),
    Average: lambda xs: sum(xs) / len(xs),
    Maximum: lambda xs: np.maximum.reduce(np.broadcast_arrays(*xs)),
    Minimum: lambda xs: np.minimum.reduce(np.broadcast_arrays(*xs)),
}

CASES = [
    (Add, [(3, 4), (3, 4), (3, 4)], (None, 3, 4)),
    (Add, [(3, 4), (1, 4)], (None, 3, 4)),
    (Subtract, [(4,), (4,)], (None, 4)),
    (Multiply, [(3, 4), (4,)], (None, 3, 4)),  # the lower rank gains axes after the batch
    (Average, [(2, 1), (1, 5)], (None, 2, 5)),
    (Maximum, [(None, 3), (1, 3)], (None, None, 3)),
    (Minimum, [(2, 3), (2, 3)], (None, 2, 3)),
    (Dot, [(3, 4), (5, 4)], (None, 3, 5)),
]


@pytest.mark.parametrize(
    "cls,shapes,expected", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]
)
def test_layer_contract(cls, shapes, expected):
    kwargs = dict(axes=2) if cls is Dot else {}
    run_layer_test(cls, kwargs, shapes, expected, expected_num_weights=0)


@pytest.mark.parametrize("cls", list(ELEMENTWISE), ids=lambda c: c.__name__)
def test_elementwise_math(cls):
    count = 2 if cls is Subtract else 3
    arrays = [np.random.rand(2, 3, 4).astype("float32") for _ in range(count)]
    arrays[-1] = arrays[-1][:, :1]  # broadcasts along axis 1
    out = cls()([torch.from_numpy(a) for a in arrays]).numpy()
    np.testing.assert_allclose(out, ELEMENTWISE[cls](arrays), rtol=1e-6)


def test_lower_rank_inputs_broadcast_after_the_batch_axis():
    a, b = np.random.rand(2, 3, 4).astype("float32"), np.random.rand(2, 4).astype("float32")
    out = Add()([torch.from_numpy(a), torch.from_numpy(b)]).numpy()
    np.testing.assert_allclose(out, a + b[:, None, :], rtol=1e-6)


@pytest.mark.parametrize(
    "shape_a,shape_b,axes,einsum,expected",
    [
        ((4,), (4,), 1, "bi,bi->b", (None, 1)),
        ((3, 4), (5, 4), 2, "bij,bkj->bik", (None, 3, 5)),
        ((3, 4), (3, 5), (1, 1), "bij,bik->bjk", (None, 4, 5)),
        ((4,), (6, 4), (1, 2), "bi,bki->bk", (None, 6)),
        ((2, 3, 4), (4, 5), (-1, 1), "bijk,bkl->bijl", (None, 2, 3, 5)),
    ],
)
def test_dot_matches_einsum(shape_a, shape_b, axes, einsum, expected):
    a, b = Input(shape=shape_a), Input(shape=shape_b)
    layer = Dot(axes=axes)
    assert layer([a, b]).shape == expected
    x, y = np.random.rand(2, *shape_a), np.random.rand(2, *shape_b)
    out = layer([torch.from_numpy(x).float(), torch.from_numpy(y).float()]).numpy()
    reference = np.einsum(einsum, x, y)
    np.testing.assert_allclose(out, reference.reshape(out.shape), rtol=1e-5, atol=1e-6)


def test_dot_normalize_is_cosine_similarity():
    x, y = np.random.randn(3, 5), np.random.randn(3, 5)
    out = Dot(axes=1, normalize=True)([torch.tensor(x).float(), torch.tensor(y).float()])
    cosine = (x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
    np.testing.assert_allclose(out.numpy()[:, 0], cosine, rtol=1e-5)


def test_functional_forms_build_the_layers():
    a, b = Input(shape=(3,)), Input(shape=(3,))
    outputs = [
        add([a, b]),
        subtract([a, b]),
        multiply([a, b]),
        average([a, b]),
        maximum([a, b]),
        minimum([a, b]),
        dot([a, b], axes=1, normalize=True),
    ]
    assert [type(t.layer).__name__ for t in outputs] == [
        "Add",
        "Subtract",
        "Multiply",
        "Average",
        "Maximum",
        "Minimum",
        "Dot",
    ]
    assert outputs[-1].layer.normalize is True
    model = Model([a, b], outputs[:2])
    x, y = torch.randn(2, 3), torch.randn(2, 3)
    total, difference = model([x, y])
    torch.testing.assert_close(total, x + y)
    torch.testing.assert_close(difference, x - y)


def test_errors_name_layer_and_shapes():
    a, b = Input(shape=(3, 4)), Input(shape=(3, 5))
    with pytest.raises(
        LayerCallError,
        match=r"Layer 'add_1' \(Add\).*do not broadcast: "
        r"received shapes \(None, 3, 4\), \(None, 3, 5\)",
    ):
        Add()([a, b])
    with pytest.raises(LayerCallError, match="Subtract takes exactly 2 inputs"):
        Subtract()([a, a, a])
    with pytest.raises(LayerCallError, match="must be called on a list of tensors"):
        Multiply()(a)
    with pytest.raises(LayerCallError, match="needs at least 2 inputs"):
        Maximum()([a])
    with pytest.raises(
        LayerCallError,
        match=r"axis 2 of \(None, 3, 4\) \(4\) and axis 2 of "
        r"\(None, 3, 5\) \(5\) must be equal",
    ):
        Dot(axes=2)([a, b])
    with pytest.raises(LayerCallError, match="batch axis 0"):
        Dot(axes=(0, 1))([a, b])
    with pytest.raises(LayerCallError, match="out of range"):
        Dot(axes=3)([a, b])
    with pytest.raises(TypeError, match="`axes` must be an int or a pair"):
        Dot(axes="last")
    with pytest.raises(ValueError, match="`axes` must be an int or a pair"):
        Dot(axes=(1, 2, 3))


# ------------------------------------------------- shapes, over generated arguments
@st.composite
def _broadcasting_shapes(draw):
    """2-3 sample shapes (no batch) that broadcast as Keras merges them: each a suffix of a
    common shape (a lower rank gains axes after the batch), some sizes 1, some unknown."""
    full = draw(st.lists(st.integers(2, 4), min_size=1, max_size=3))
    shapes = []
    for _ in range(draw(st.integers(2, 3))):
        rank = draw(st.integers(1, len(full)))
        concrete = [draw(st.sampled_from([d, 1])) for d in full[len(full) - rank :]]
        symbolic = [draw(st.sampled_from([d, None])) for d in concrete]
        shapes.append((tuple(concrete), tuple(symbolic)))
    return shapes


@settings(max_examples=40, deadline=None)
@given(
    cls=st.sampled_from([Add, Multiply, Average, Maximum, Minimum]), shapes=_broadcasting_shapes()
)
def test_elementwise_shapes_symbolic_equal_concrete(cls, shapes):
    layer = cls()
    symbolic = layer([Input(shape=s) for _, s in shapes])
    with torch.no_grad():
        concrete = layer([torch.randn((2,) + c) for c, _ in shapes])
    assert len(symbolic.shape) == concrete.dim()
    assert symbolic.shape[0] is None
    for s, c in zip(symbolic.shape[1:], concrete.shape[1:]):
        assert s is None or s == c, (symbolic.shape, tuple(concrete.shape))


@settings(max_examples=40, deadline=None)
@given(data=st.data(), rank_a=st.integers(1, 3), rank_b=st.integers(1, 3), normalize=st.booleans())
def test_dot_shapes_symbolic_equal_concrete(data, rank_a, rank_b, normalize):
    a = data.draw(st.lists(st.integers(2, 4), min_size=rank_a, max_size=rank_a))
    b = data.draw(st.lists(st.integers(2, 4), min_size=rank_b, max_size=rank_b))
    axis_a, axis_b = data.draw(st.integers(1, rank_a)), data.draw(st.integers(1, rank_b))
    b[axis_b - 1] = a[axis_a - 1]
    negative = data.draw(st.booleans())
    axes = (axis_a - rank_a - 1, axis_b - rank_b - 1) if negative else (axis_a, axis_b)
    layer = Dot(axes=axes, normalize=normalize)
    symbolic = layer([Input(shape=tuple(a)), Input(shape=tuple(b))])
    x, y = torch.randn((2,) + tuple(a)), torch.randn((2,) + tuple(b))
    with torch.no_grad():
        concrete = layer([x, y])
    assert symbolic.shape == (None,) + tuple(concrete.shape[1:])
    if normalize:
        x = torch.nn.functional.normalize(x, dim=axis_a)
        y = torch.nn.functional.normalize(y, dim=axis_b)
    expected = torch.tensordot(x[0], y[0], dims=([axis_a - 1], [axis_b - 1]))
    torch.testing.assert_close(concrete[0].reshape(-1), expected.reshape(-1), atol=1e-5, rtol=1e-5)
