"""PyTorch inside the graph: operators and torch functions on symbolic tensors recorded as
TorchOp nodes, and TorchModule."""

import contextlib
import io
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from plait.layers import Dense, Input, TorchModule, TorchOp
from plait.layers.layer import LayerCallError
from plait.models import Model

A = torch.randn(3, 4, 8)
B = torch.randn(3, 4, 8)

# name, how to build it from two symbolic/concrete (batch, 4, 8) tensors, expected name
OPS = [
    ("add", lambda x, y: x + y),
    ("mul", lambda x, y: x * 2),
    ("sub", lambda x, y: 1 - x),  # reflected
    ("truediv", lambda x, y: x / (y.abs() + 1)),
    ("pow", lambda x, y: x**2),
    ("neg", lambda x, y: -x),
    ("abs", lambda x, y: abs(x)),
    ("getitem", lambda x, y: x[:, 0]),
    ("getitem", lambda x, y: x[..., None, 1:3]),
    ("matmul", lambda x, y: x @ y.transpose(1, 2)),
    ("gt", lambda x, y: x > y),
    ("le", lambda x, y: x <= 0),
    ("eq", lambda x, y: x == y),
    ("ne", lambda x, y: x != 0),
    ("cat", lambda x, y: torch.cat([x, y], dim=-1)),
    ("stack", lambda x, y: torch.stack((x, y), dim=1)),
    ("gelu", lambda x, y: F.gelu(x)),
    ("softmax", lambda x, y: F.softmax(x, dim=-1)),
    ("reshape", lambda x, y: x.reshape(-1, 32)),
    ("sum", lambda x, y: x.sum(dim=1, keepdim=True)),
    ("mt", lambda x, y: x.mT),
    ("transpose", lambda x, y: x.transpose(1, 2)),
    ("to", lambda x, y: x.to(torch.float64)),
    ("where", lambda x, y: torch.where(x > 0, x, y)),
    ("add", lambda x, y: x + torch.arange(8.0)),  # a tensor constant
]


@pytest.mark.parametrize("index", range(len(OPS)), ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPS)])
def test_op_is_recorded_with_inferred_shape(index):
    name, build = OPS[index]
    x, y = Input(shape=(4, 8)), Input(shape=(4, 8))
    out = build(x, y)
    layer = out.node.layer
    assert isinstance(layer, TorchOp)
    assert layer.name == f"{name}_1" or layer.name.startswith(name)
    real = build(A, B)
    assert out.dtype == real.dtype
    assert len(out.shape) == real.dim()
    assert out.shape[0] is None or out.shape[0] == real.shape[0]
    assert all(s is None or s == r for s, r in zip(out.shape, real.shape))
    assert out.shape[1:] == tuple(real.shape[1:])
    model = Model([x, y], out)
    with torch.no_grad():
        torch.testing.assert_close(model([A, B]), real)
    # the config rebuilds the op, and the rebuilt model computes the same
    rebuilt = Model.from_config(json.loads(json.dumps(model.get_config())))
    with torch.no_grad():
        torch.testing.assert_close(rebuilt([A, B]), real)


def test_names_count_per_operation():
    x = Input(shape=(3,))
    first, second, third = x + 1, x + 2, x * 3
    assert [t.name for t in (first, second, third)] == ["add_1", "add_2", "mul_1"]


def test_generated_code_runs_ops_inline_and_summary_lists_them():
    x = Input(shape=(4, 8))
    h = Dense(8, name="dense")(x)
    out = torch.cat([F.gelu(h)[:, 0], h.mean(dim=1)], dim=-1) * 2
    model = Model(x, out)
    assert out.shape == (None, 16)
    code = model.code
    assert "gelu(dense_1)" in code
    assert "torch.cat([getitem_1, mean_1], dim = -1)" in code
    assert "mul_1 = cat_1 * 2" in code
    assert "self.gelu_1" not in code  # inline, no module call
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        model.summary()
    text = buf.getvalue()
    for row in (
        "gelu_1 (TorchOp)",
        "getitem_1 (TorchOp)",
        "mean_1 (TorchOp)",
        "cat_1 (TorchOp)",
        "mul_1 (TorchOp)",
    ):
        assert row in text
    assert "(None, 16)" in text
    with torch.no_grad():
        h_real = model.get_layer("dense")(A)
        want = torch.cat([F.gelu(h_real)[:, 0], h_real.mean(dim=1)], dim=-1) * 2
        torch.testing.assert_close(model(A), want)


def test_tensor_constants_follow_to_and_save_in_config():
    x = Input(shape=(3,))
    offset = torch.tensor([1.0, 2.0, 3.0])
    out = x * offset
    model = Model(x, out)
    layer = out.node.layer
    assert "constant_0" not in model.state_dict() and "mul_1.constant_0" not in model.state_dict()
    config = json.loads(json.dumps(model.get_config()))
    model.to(torch.float64)
    assert layer.constant_0.dtype == torch.float64
    data = torch.randn(2, 3, dtype=torch.float64)
    result = model(data)
    assert result.dtype == torch.float64
    torch.testing.assert_close(result, data * offset.double())
    rebuilt = Model.from_config(config)
    torch.testing.assert_close(rebuilt(data.float()), data.float() * offset)


def test_config_refuses_functions_outside_torch_overrides():
    base = {
        "name": "evil",
        "trainable": True,
        "dtype": "float32",
        "arguments": [{"__input__": 0}],
        "keyword_arguments": {"__dict__": {}},
    }
    for name in (
        "os.system",
        "builtins.eval",
        "torch.load",
        "torch.Tensor.apply_",
        "torch.Tensor.register_hook",
        "torch.Tensor.__setstate__",
    ):
        with pytest.raises(ValueError, match=f"Unknown torch operation '{name}'"):
            TorchOp.from_config(dict(base, function=name))
    with pytest.raises(ValueError, match="may only read a public tensor property"):
        TorchOp.from_config(
            dict(base, function="getattr", arguments=[{"__input__": 0}, "__class__"])
        )
    # a config without keyword arguments is fine
    layer = TorchOp.from_config(
        {"name": "neg", "function": "operator.neg", "arguments": [{"__input__": 0}]}
    )
    torch.testing.assert_close(layer(torch.ones(2)), -torch.ones(2))


def test_property_round_trips():
    x = Input(shape=(3,))
    out = x.T
    assert out.shape == (3, None)
    model = Model(x, out)
    rebuilt = Model.from_config(json.loads(json.dumps(model.get_config())))
    data = torch.randn(2, 3)
    torch.testing.assert_close(rebuilt(data), data.T)


@pytest.mark.parametrize(
    "build,match",
    [
        (
            lambda x, z: x + z,
            r"operator.add \(add_1\) cannot be applied to inputs 'input_1' of "
            r"shape \(None, 3\).*'input_2' of shape \(None, 4\).*axis -1 has size "
            r"3 in one and 4 in the other",
        ),
        (lambda x, z: x * torch.ones(5), r"shapes \(None, 3\) and \(5,\) do not broadcast"),
        (lambda x, z: x @ z, r"operator.matmul \(matmul_1\).*\(None, 3\).*\(None, 4\)"),
        (
            lambda x, z: torch.cat([x, z[:, None]], dim=1),
            r"torch.cat \(cat_1\).*\(None, 3\).*getitem_1' of shape \(None, 1, 4\)",
        ),
        (lambda x, z: x.reshape(5, -1), r"torch.Tensor.reshape \(reshape_1\).*\(None, 3\)"),
        (lambda x, z: x[:, 7], r"getitem_1.*\(None, 3\).*index 7 is out of bounds"),
        (lambda x, z: x.size(1), r"returns a value of type int, not a tensor"),
    ],
)
def test_incompatible_shapes_raise_naming_op_and_shapes(build, match):
    x, z = Input(shape=(3,)), Input(shape=(4,))
    with pytest.raises(LayerCallError, match=match):
        build(x, z)


def test_non_tensor_operations_refused():
    x = Input(shape=(3,))
    with pytest.raises(TypeError, match="holds no data"):
        bool(x > 0)
    with pytest.raises(TypeError, match="Slice bounds must be Python ints"):
        x[:, :x]


# ------------------------------------------------------------------ TorchModule


def _module_model():
    x = Input(shape=(6,))
    h = TorchModule(nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.BatchNorm1d(5)), name="block")(x)
    out = TorchModule(nn.LazyLinear(3), name="lazy")(h)
    return Model(x, out)


def test_torch_module_weights_count_and_summary():
    model = _module_model()
    assert model.output_shape == (None, 3)
    lazy = model.get_layer("lazy").module
    assert lazy.weight.shape == (3, 5)  # materialized from the symbolic input
    shapes = [w.shape for w in model.get_weights()]
    # Keras 3's order, layer by layer: block's parameters then its statistics, then lazy
    assert shapes == [(5, 6), (5,), (5,), (5,), (5,), (5,), (), (3, 5), (3,)]
    assert model.count_params() == 35 + 10 + 18 + 11
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        model.summary()
    text = buf.getvalue()
    assert "block (TorchModule)" in text and "(None, 5)" in text
    assert "Trainable params: 63" in text and "Non-trainable params: 11" in text
    weights = [w + 1 for w in model.get_weights()]
    model.set_weights(weights)
    torch.testing.assert_close(
        model.get_layer("block").module[0].weight, torch.as_tensor(weights[0])
    )


def test_torch_module_parameters_train():
    model = _module_model()
    model.compile("adam", "mse")
    before = model.get_weights()
    model.fit(
        np.random.rand(16, 6).astype("float32"),
        np.random.rand(16, 3).astype("float32"),
        batch_size=8,
        verbose=0,
    )
    after = model.get_weights()
    assert all(not np.allclose(a, b) for a, b in zip(before, after))
    assert not model.get_layer("block").training  # back to inference after fit


def test_torch_module_built_frozen_does_not_train():
    inputs = Input(shape=(6,))
    frozen = TorchModule(nn.Linear(6, 4), trainable=False)
    model = Model(inputs, Dense(3)(frozen(inputs)))
    model.compile("sgd", "mse")
    before = frozen.get_weights()
    model.fit(
        np.random.rand(16, 6).astype("float32"), np.random.rand(16, 3).astype("float32"), verbose=0
    )
    assert all(np.array_equal(a, b) for a, b in zip(before, frozen.get_weights()))
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2


def test_torch_module_training_argument_sets_the_mode_for_the_call():
    inputs = Input(shape=(200,))
    dropout = nn.Dropout(0.5)
    model = Model(inputs, TorchModule(dropout)(inputs, training=True))  # Monte-Carlo dropout
    ones = torch.ones(2, 200)
    assert (model(ones) == 0).any()
    assert not dropout.training  # the module's own mode is left as it was
    layer = TorchModule(nn.Dropout(0.5))
    layer(Input(shape=(200,)))
    layer.train()
    assert torch.equal(layer(ones, training=False), ones)
    assert layer.module.training


def test_torch_module_computes_like_the_module():
    module = nn.Linear(4, 2)
    layer = TorchModule(module)
    x = Input(shape=(3, 4))
    assert layer(x).shape == (None, 3, 2)
    data = torch.randn(2, 3, 4)
    with torch.no_grad():
        torch.testing.assert_close(Model(x, layer(x))(data), module(data))


def test_torch_module_errors():
    with pytest.raises(TypeError, match="'dense_1' is already a plait layer"):
        TorchModule(Dense(3))
    with pytest.raises(TypeError, match=r"wraps a torch.nn.Module.*module=.*function"):
        TorchModule(lambda t: t)
    layer = TorchModule(nn.Linear(3, 2))
    with pytest.raises(ValueError, match="cannot be saved in a config: it holds a Linear"):
        layer.get_config()
    with pytest.raises(ValueError, match="cannot be saved in a config"):
        _module_model().get_config()
    with pytest.raises(LayerCallError, match=r"lazy module.*input_shape=\(None, None\)"):
        TorchModule(nn.LazyLinear(3))(Input(shape=(None,)))
    with pytest.raises(LayerCallError, match=r"torch_module_\d.*\(None, 4\)"):
        TorchModule(nn.Linear(3, 2))(Input(shape=(4,)))


def test_named_tuple_results_keep_their_fields():
    x = Input(shape=(4, 8))
    best = torch.max(x, dim=1)
    assert type(best) is torch.return_types.max
    assert best.values.shape == (None, 8) and best.indices.dtype == torch.int64
    assert best[0] is best.values
    top = x.topk(2, dim=-1)
    model = Model(x, [Dense(3)(best.values), top.indices])
    out, indices = model(A)
    assert out.shape == (3, 3)
    assert torch.equal(indices, A.topk(2, dim=-1).indices)
    again = Model.from_config(model.get_config())
    assert torch.equal(again(A)[1], indices)
