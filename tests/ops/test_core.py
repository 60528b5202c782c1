"""Control flow, conversion and gradient helpers of plait.ops.core, against Keras's ops on
its PyTorch backend (or plain Python where the result is a structure)."""

import numpy as np
import pytest
import torch

from plait import Input, Model, ops

keras = pytest.importorskip("keras")


def _np(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def test_cond_and_switch_match_keras():
    for pred in (True, False):
        got = ops.cond(pred, lambda: ops.ones(2), lambda: ops.zeros(2))
        expected = keras.ops.cond(pred, lambda: keras.ops.ones(2), lambda: keras.ops.zeros(2))
        np.testing.assert_array_equal(_np(got), _np(expected))
    branches = [lambda x: x + 1, lambda x: x * 10]
    for index in (0, 1, 5):
        assert float(ops.switch(index, branches, 2.0)) == float(
            keras.ops.switch(index, branches, 2.0)
        )


def test_cond_on_a_symbolic_predicate_selects_in_the_graph():
    x = Input(shape=(3,))
    y = ops.cond(ops.sum(x, axis=-1, keepdims=True) > 0, lambda: x * 2, lambda: -x)
    data = np.array([[1, 2, 3], [-1, -2, -3]], "float32")
    np.testing.assert_allclose(Model(x, y).predict(data, verbose=0), [[2, 4, 6], [1, 2, 3]])


def test_loops_match_keras():
    body = lambda i, v: v + i  # noqa: E731
    assert int(ops.fori_loop(0, 5, body, 0)) == int(keras.ops.fori_loop(0, 5, body, 0))
    cond, step = (lambda a, b: a < 10), (lambda a, b: (a + 1, b * 2))
    got = ops.while_loop(cond, step, (0, 1))
    expected = keras.ops.while_loop(cond, step, (0, 1))
    assert [int(v) for v in got] == [int(v) for v in expected]
    assert int(ops.while_loop(lambda a: a < 10, lambda a: a + 1, 0, maximum_iterations=3)) == 3
    # Keras starts the loop from tensors and returns a tuple, whatever the input sequence
    got, expected = ops.while_loop(cond, step, [0, 1]), keras.ops.while_loop(cond, step, [0, 1])
    assert type(got) is type(expected) is tuple
    assert [(v.dtype, int(v)) for v in got] == [(v.dtype, int(v)) for v in expected]


def test_scan_map_and_associative_scan_match_keras():
    xs = np.arange(6, dtype="float32").reshape(3, 2)
    f = lambda c, x: (c + x, c * x)  # noqa: E731
    got, expected = (
        ops.scan(f, np.zeros(2, "float32"), xs),
        keras.ops.scan(f, np.zeros(2, "float32"), xs),
    )
    for g, e in zip(got, expected):
        np.testing.assert_allclose(_np(g), _np(e))
    got = ops.scan(f, np.zeros(2, "float32"), xs, reverse=True)
    expected = keras.ops.scan(f, np.zeros(2, "float32"), xs, reverse=True)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(_np(g), _np(e))
    np.testing.assert_allclose(
        _np(ops.map(lambda x: x * 2, xs)), _np(keras.ops.map(lambda x: x * 2, xs))
    )
    np.testing.assert_allclose(
        _np(ops.associative_scan(lambda a, b: a + b, xs, axis=1)),
        _np(keras.ops.associative_scan(lambda a, b: a + b, xs, axis=1)),
    )
    np.testing.assert_allclose(
        _np(ops.vectorized_map(lambda x: x.sum(), torch.tensor(xs))), xs.sum(1)
    )


def test_conversion():
    x = ops.convert_to_tensor([1.5, 2])
    assert x.dtype == torch.float32 and isinstance(ops.convert_to_numpy(x), np.ndarray)
    assert ops.is_tensor(x) and not ops.is_tensor(np.ones(2))
    assert ops.shape(np.ones((2, 3))) == (2, 3) and ops.dtype(x) == "float32"
    symbolic = Input(shape=(3,))
    assert ops.convert_to_tensor(symbolic) is symbolic
    assert ops.shape(symbolic) == (None, 3)


def test_custom_gradient_and_stop_gradient():
    @ops.custom_gradient
    def clipped_identity(x):
        def grad(upstream):
            return torch.clamp(upstream, -0.5, 0.5)

        return x * 1.0, grad

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (clipped_identity(x) * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.5])
    y = torch.tensor([1.0], requires_grad=True)
    assert not ops.stop_gradient(y).requires_grad


def test_jvp_and_eig():
    primal, tangent = ops.linalg.jvp(lambda x: x**2, (torch.tensor([3.0]),), (torch.tensor([1.0]),))
    assert float(primal) == 9.0 and float(tangent) == 6.0
    matrix = np.array([[2.0, 0.0], [0.0, 3.0]], "float32")
    values, _ = ops.linalg.eig(matrix)
    np.testing.assert_allclose(sorted(values.real.numpy()), [2.0, 3.0])
    vec = ops.vectorize(lambda a, b: a + b)
    np.testing.assert_allclose(_np(vec(np.ones(3), np.ones(3))), 2 * np.ones(3))
