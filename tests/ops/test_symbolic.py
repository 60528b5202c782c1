"""plait.ops on symbolic tensors: each op is one node of the functional graph (a TorchOp row
in the summary, an inline call in the generated forward), the model predicts what the op
computes eagerly, configs round-trip, and bad shapes raise when the graph is built."""

import io
import contextlib

import numpy as np
import pytest
import torch

from plait import Input, Model, layers, ops

X = np.random.default_rng(0).normal(size=(5, 4, 6)).astype("float32")

# (op name, function of the symbolic/concrete input)
GRAPH_CASES = [
    ("mean", lambda x: ops.mean(x, axis=-1, keepdims=True)),
    ("sum", lambda x: ops.sum(x, axis=(1, 2))),
    ("square", ops.square),
    ("sqrt", lambda x: ops.sqrt(ops.abs(x))),
    ("softmax", lambda x: ops.softmax(x, axis=1)),
    ("relu", ops.nn.relu),
    ("argmax", lambda x: ops.argmax(x, axis=-1)),
    ("one_hot", lambda x: ops.one_hot(ops.argmax(x, axis=-1), 6)),
    ("transpose", lambda x: ops.transpose(x, (0, 2, 1))),
    ("reshape", lambda x: ops.reshape(x, (-1, 24))),
    ("expand_dims", lambda x: ops.expand_dims(x, 1)),
    ("concatenate", lambda x: ops.concatenate([x, ops.square(x)], axis=-1)),
    ("stack", lambda x: ops.stack([x, x], axis=1)),
    ("where", lambda x: ops.where(x > 0, x, 0.0)),
    ("matmul", lambda x: ops.matmul(x, ops.transpose(x, (0, 2, 1)))),
    ("einsum", lambda x: ops.einsum("bij,bkj->bik", x, x)),
    ("clip", lambda x: ops.clip(x, -0.5, 0.5)),
    ("cast", lambda x: ops.cast(x, "int32")),
    ("top_k", lambda x: ops.top_k(x, 2)[0]),
    ("max_pool", lambda x: ops.max_pool(x, 2)),
    ("logsumexp", lambda x: ops.logsumexp(x, axis=-1)),
    ("layer_normalization", lambda x: ops.layer_normalization(x)),
    ("slice", lambda x: ops.slice(x, (0, 1, 2), (2, 2, 3))),
    ("split", lambda x: ops.split(x, 2, axis=-1)[1]),
]


@pytest.mark.parametrize("name,fn", GRAPH_CASES, ids=[c[0] for c in GRAPH_CASES])
def test_op_is_a_graph_node(name, fn):
    inputs = Input(shape=(4, 6))
    outputs = fn(inputs)
    model = Model(inputs, outputs)
    summary = io.StringIO()
    with contextlib.redirect_stdout(summary):
        model.summary()
    assert f"{name}_1" in [layer.name for layer in model.layers]
    assert f"{name}_1 (TorchOp)"[:28] in summary.getvalue()
    assert f"plait_ops_{name}" in model.code
    got = model.predict(X, verbose=0)
    expected = fn(X)
    np.testing.assert_allclose(np.asarray(got), expected.numpy(), rtol=1e-5, atol=1e-6)
    assert tuple(outputs.shape[1:]) == tuple(expected.shape[1:])
    assert outputs.dtype == expected.dtype


@pytest.mark.parametrize("name,fn", GRAPH_CASES[:8], ids=[c[0] for c in GRAPH_CASES[:8]])
def test_config_round_trip(name, fn):
    inputs = Input(shape=(4, 6))
    model = Model(inputs, fn(inputs))
    clone = Model.from_config(model.get_config())
    np.testing.assert_allclose(clone.predict(X, verbose=0), model.predict(X, verbose=0))


def test_ops_between_layers_train():
    inputs = Input(shape=(6,))
    hidden = layers.Dense(8)(inputs)
    scaled = ops.nn.gelu(hidden) * ops.sigmoid(ops.mean(hidden, axis=-1, keepdims=True))
    model = Model(inputs, layers.Dense(1)(scaled))
    model.compile("adam", "mse")
    data = np.random.default_rng(1).normal(size=(64, 6)).astype("float32")
    history = model.fit(data, data[:, :1], epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_unknown_batch_dimension_stays_none():
    inputs = Input(shape=(3,))
    assert ops.sum(inputs, axis=-1).shape == (None,)
    assert ops.reshape(inputs, (-1, 3, 1)).shape == (None, 3, 1)
    assert ops.mean(ops.cast(inputs, "int32"), axis=-1).dtype == torch.float32


@pytest.mark.parametrize(
    "build,match",
    [
        (
            lambda: ops.add(Input(shape=(3,)), Input(shape=(4,))),
            r"plait\.ops\.add .*\(None, 3\).*\(None, 4\).*do not broadcast",
        ),
        (lambda: ops.matmul(Input(shape=(3,)), Input(shape=(4, 2))), r"plait\.ops\.matmul"),
        (
            lambda: ops.concatenate([Input(shape=(2, 3)), Input(shape=(4, 5))], axis=-1),
            r"plait\.ops\.concatenate .*\(None, 2, 3\).*\(None, 4, 5\)",
        ),
        (lambda: ops.reshape(Input(shape=(3,)), (4,)), r"plait\.ops\.reshape"),
        (lambda: ops.squeeze(Input(shape=(3,)), axis=1), r"squeeze.*axis 1.*size 3"),
    ],
)
def test_bad_shapes_raise_when_the_graph_is_built(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_bad_arguments_raise_keras_style_errors():
    with pytest.raises(ValueError, match="pad: unknown mode.*Received: mode='mirror'"):
        ops.pad(np.ones((2, 2)), 1, mode="mirror")
    with pytest.raises(ValueError, match="split.*does not divide"):
        ops.split(np.ones((2, 3)), 2, axis=1)
    with pytest.raises(ValueError, match="Invalid dtype"):
        ops.cast(np.ones(2), "float8")
    with pytest.raises(ValueError, match="resize: unknown interpolation"):
        ops.image.resize(np.ones((1, 4, 4, 1)), (2, 2), interpolation="magic")
    with pytest.raises(ValueError, match="where: give both"):
        ops.where(np.ones(2) > 0, np.ones(2))


def test_a_saved_config_may_name_only_registered_ops():
    from plait.layers.torch_ops import resolve_function

    assert resolve_function("plait.ops.mean") is ops.mean
    with pytest.raises(ValueError, match="Unknown torch operation"):
        resolve_function("plait.ops.__init__")
    with pytest.raises(ValueError, match="Unknown torch operation"):
        resolve_function("plait.ops.REGISTRY")
