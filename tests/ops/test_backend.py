"""plait.backend: Keras 3's backend names, and the Keras 2 `K.*` functions checked against
NumPy (Keras 2's definitions) on concrete tensors and inside graphs (Lambda, symbolic)."""

import numpy as np
import pytest
import torch

from plait import Input, Model, layers
from plait import backend as K

keras = pytest.importorskip("keras")
rng = np.random.default_rng(0)
A = rng.normal(size=(3, 4)).astype("float32")
P = rng.uniform(0.1, 0.9, (3, 4)).astype("float32")
B3 = rng.normal(size=(2, 3, 4)).astype("float32")
C3 = rng.normal(size=(2, 4, 5)).astype("float32")

# (K function, args, kwargs, NumPy reference of Keras 2's definition)
CASES = [
    ("sum", (A,), {"axis": 1}, lambda: A.sum(1)),
    ("mean", (A,), {}, lambda: A.mean()),
    ("max", (A,), {"axis": 0, "keepdims": True}, lambda: A.max(0, keepdims=True)),
    ("min", (A,), {"axis": -1}, lambda: A.min(-1)),
    ("prod", (P,), {}, lambda: P.prod()),
    ("std", (A,), {"axis": 1}, lambda: A.std(1)),
    ("var", (A,), {}, lambda: A.var()),
    ("square", (A,), {}, lambda: A**2),
    ("sqrt", (A,), {}, lambda: np.sqrt(np.maximum(A, 0))),
    ("abs", (A,), {}, lambda: np.abs(A)),
    ("exp", (A,), {}, lambda: np.exp(A)),
    ("log", (P,), {}, lambda: np.log(P)),
    ("pow", (P, 3), {}, lambda: P**3),
    ("maximum", (A, P), {}, lambda: np.maximum(A, P)),
    ("minimum", (A, 0.0), {}, lambda: np.minimum(A, 0)),
    ("clip", (A, -0.5, 0.5), {}, lambda: np.clip(A, -0.5, 0.5)),
    ("clip", (A, None, 0.5), {}, lambda: np.minimum(A, 0.5)),
    ("dot", (A, A.T), {}, lambda: A @ A.T),
    ("dot", (B3, C3[0]), {}, lambda: B3 @ C3[0]),
    ("batch_dot", (B3, C3), {}, lambda: np.einsum("bij,bjk->bik", B3, C3)),
    ("batch_dot", (A, P), {"axes": 1}, lambda: (A * P).sum(1, keepdims=True)),
    ("batch_dot", (B3, B3), {"axes": (2, 2)}, lambda: np.einsum("bij,bkj->bik", B3, B3)),
    ("concatenate", ([A, P],), {}, lambda: np.concatenate([A, P], -1)),
    ("stack", ([A, P],), {"axis": 1}, lambda: np.stack([A, P], 1)),
    ("reshape", (A, (4, 3)), {}, lambda: A.reshape(4, 3)),
    ("permute_dimensions", (B3, (0, 2, 1)), {}, lambda: B3.transpose(0, 2, 1)),
    ("expand_dims", (A,), {}, lambda: A[..., None]),
    ("squeeze", (A[:, None], 1), {}, lambda: A),
    ("flatten", (B3,), {}, lambda: B3.reshape(-1)),
    ("batch_flatten", (B3,), {}, lambda: B3.reshape(2, -1)),
    ("tile", (A, (2, 1)), {}, lambda: np.tile(A, (2, 1))),
    ("repeat_elements", (A, 2, 1), {}, lambda: np.repeat(A, 2, 1)),
    ("repeat", (A, 3), {}, lambda: np.repeat(A[:, None], 3, 1)),
    ("gather", (A, [2, 0]), {}, lambda: A[[2, 0]]),
    ("one_hot", (np.array([0, 2]), 3), {}, lambda: np.eye(3)[[0, 2]]),
    ("argmax", (A,), {}, lambda: A.argmax(-1)),
    ("argmin", (A,), {}, lambda: A.argmin(-1)),
    ("any", (A > 1,), {"axis": 1}, lambda: (A > 1).any(1)),
    ("all", (A > -3,), {}, lambda: (A > -3).all()),
    ("equal", (A, A), {}, lambda: A == A),
    ("not_equal", (A, P), {}, lambda: A != P),
    ("greater", (A, 0), {}, lambda: A > 0),
    ("less", (A, P), {}, lambda: A < P),
    ("cumsum", (A,), {"axis": 1}, lambda: A.cumsum(1)),
    ("logsumexp", (A,), {"axis": 1}, lambda: np.log(np.exp(A).sum(1))),
    ("round", (A * 3,), {}, lambda: np.round(A * 3)),
    ("sign", (A,), {}, lambda: np.sign(A)),
    ("transpose", (A,), {}, lambda: A.T),
    ("arange", (5,), {}, lambda: np.arange(5)),
    ("ones", ((2, 3),), {}, lambda: np.ones((2, 3))),
    ("zeros", ((2,),), {}, lambda: np.zeros(2)),
    ("ones_like", (A,), {}, lambda: np.ones_like(A)),
    ("zeros_like", (A,), {}, lambda: np.zeros_like(A)),
    ("eye", (3,), {}, lambda: np.eye(3)),
    ("eye", ((2, 3),), {}, lambda: np.eye(2, 3)),
    (
        "l2_normalize",
        (A,),
        {"axis": -1},
        lambda: A / np.sqrt(np.maximum((A**2).sum(-1, keepdims=True), 1e-12)),
    ),
    ("switch", (A > 0, A, -A), {}, lambda: np.abs(A)),
    ("switch", (True, lambda: A, lambda: P), {}, lambda: A),
    ("cast", (A, "int32"), {}, lambda: A.astype("int32")),
    ("softmax", (A,), {}, lambda: np.exp(A) / np.exp(A).sum(-1, keepdims=True)),
    ("relu", (A,), {}, lambda: np.maximum(A, 0)),
    (
        "relu",
        (A,),
        {"alpha": 0.1, "max_value": 0.5},
        lambda: np.minimum(np.where(A >= 0, A, 0.1 * A), 0.5),
    ),
    ("sigmoid", (A,), {}, lambda: 1 / (1 + np.exp(-A))),
    ("tanh", (A,), {}, lambda: np.tanh(A)),
    ("hard_sigmoid", (A,), {}, lambda: np.clip(0.2 * A + 0.5, 0, 1)),
    (
        "categorical_crossentropy",
        (np.eye(4)[[0, 1, 3]].astype("float32"), P),
        {},
        lambda: -np.log(np.clip((P / P.sum(-1, keepdims=True))[[0, 1, 2], [0, 1, 3]], 1e-7, 1)),
    ),
    (
        "binary_crossentropy",
        ((P > 0.5).astype("float32"), P),
        {},
        lambda: -np.where(P > 0.5, np.log(P), np.log(1 - P)),
    ),
    ("stop_gradient", (A,), {}, lambda: A),
    ("bias_add", (A, P[0]), {}, lambda: A + P[0]),
]


@pytest.mark.parametrize(
    "name,args,kwargs,expected", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_keras2_function_matches_numpy(name, args, kwargs, expected):
    got = getattr(K, name)(*args, **kwargs)
    got = got.detach().numpy() if isinstance(got, torch.Tensor) else np.asarray(got)
    np.testing.assert_allclose(got, expected(), rtol=1e-5, atol=1e-6)


def test_shapes_values_and_variables():
    x = Input(shape=(3, 4))
    assert K.int_shape(x) == (None, 3, 4) and K.ndim(x) == 3 and K.dtype(x) == "float32"
    assert K.int_shape(A) == (3, 4) and K.shape(torch.ones(2, 5)) == (2, 5)
    v = K.variable(A)
    assert isinstance(v, torch.nn.Parameter) and K.count_params(v) == 12
    K.set_value(v, np.zeros((3, 4)))
    np.testing.assert_array_equal(K.get_value(v), np.zeros((3, 4)))
    K.batch_set_value([(v, np.ones((3, 4)))])
    np.testing.assert_array_equal(K.batch_get_value([v])[0], np.ones((3, 4)))
    assert K.constant(2.0, shape=(2,)).tolist() == [2.0, 2.0]
    assert K.random_normal((100, 10), seed=1).shape == (100, 10)
    u = K.random_uniform((1000,), minval=2, maxval=3, seed=1)
    assert 2 <= float(u.min()) and float(u.max()) < 3
    assert K.is_keras_tensor(x) and not K.is_keras_tensor(v)
    assert K.learning_phase() == 0 and K.map_fn(lambda r: r * 2, torch.ones(2, 2)).sum() == 8


def test_set_value_on_the_optimizer_learning_rate_keras2_idiom():
    inp = Input((3,))
    model = Model(inp, layers.Dense(1)(inp))
    model.compile("sgd", "mse")
    K.set_value(model.optimizer.lr, 0.25)
    assert float(K.get_value(model.optimizer.learning_rate)) == 0.25
    model.set_weights([np.zeros((3, 1)), np.zeros(1)])
    # one step of mse on zeros against ones: every gradient is -2, so every weight is 2 * lr
    model.fit(np.ones((4, 3)), np.ones((4, 1)), batch_size=4, verbose=0)
    np.testing.assert_allclose(model.get_weights()[0], np.full((3, 1), 0.5))
    with pytest.raises(TypeError, match="Received: x=3"):
        K.set_value(3, 1.0)


def test_keras3_names_match_keras():
    for name in (
        "backend",
        "clear_session",
        "epsilon",
        "floatx",
        "get_uid",
        "image_data_format",
        "is_float_dtype",
        "is_int_dtype",
        "is_keras_tensor",
        "result_type",
        "set_epsilon",
        "set_floatx",
        "set_image_data_format",
        "standardize_dtype",
    ):
        assert callable(getattr(K, name)), name
    assert K.backend() == "torch" and K.epsilon() == keras.backend.epsilon()
    for dtype in ("float32", "int8", "bool", torch.float16, np.int64, int, float):
        assert K.standardize_dtype(dtype) == keras.backend.standardize_dtype(dtype)
    for pair in (
        ("int32", "float16"),
        ("uint8", "int8"),
        ("int64", "float32"),
        ("int32", float),
        ("bool", int),
        ("float16", "bfloat16"),
    ):
        assert K.result_type(*pair) == keras.backend.result_type(*pair), pair
    assert K.is_float_dtype("float16") and K.is_int_dtype("uint8")
    assert K.get_uid("thing") == 1 and K.get_uid("thing") == 2
    K.clear_session()
    assert K.get_uid("thing") == 1


def test_k_functions_in_a_lambda_and_on_symbolic_tensors():
    inputs = Input(shape=(4,))
    normed = layers.Lambda(lambda t: K.l2_normalize(t, axis=-1))(inputs)
    total = K.sum(K.square(normed), axis=-1, keepdims=True)  # a graph node, no Lambda
    model = Model(inputs, [normed, total])
    out, sums = model.predict(A, verbose=0)
    np.testing.assert_allclose(sums, np.ones((3, 1)), rtol=1e-5)
    np.testing.assert_allclose(out, A / np.linalg.norm(A, axis=-1, keepdims=True), rtol=1e-5)


def test_batch_dot_mismatch_raises():
    with pytest.raises(ValueError, match=r"batch_dot.*Received: x.shape=\(2, 3, 4\)"):
        K.batch_dot(B3, B3)
    with pytest.raises(ValueError, match="plait.ops.batch_dot|batch_dot"):
        K.batch_dot(Input(shape=(3, 4)), Input(shape=(3, 4)))
