"""Issue 13's layers against Keras 3 (torch backend): same config, Keras's weights through
set_weights, same inputs -> same outputs (1e-5) and input gradients; get_config keys and
defaults; plus plait's run_layer_test contract."""

import numpy as np
import pytest
import torch

import plait
from plait.utils import nest
from tests.keras_oracle.conftest import keras
from tests.layers.harness import run_layer_test

RNG = np.random.default_rng(0)
SEQ = RNG.normal(size=(3, 5, 4)).astype("float32")
IMG = RNG.normal(size=(2, 7, 9, 3)).astype("float32")
VID = RNG.normal(size=(2, 3, 6, 5, 2)).astype("float32")
VOL = RNG.normal(size=(2, 5, 6, 7, 2)).astype("float32")


def _rnn(cells, **kwargs):
    return lambda L: L.RNN(cells(L), **kwargs)


# (id, factory taking a layers module, input array)
CASES = [
    ("rnn_lstm", _rnn(lambda L: L.LSTMCell(6)), SEQ),
    (
        "rnn_lstm_seq_state_back",
        _rnn(lambda L: L.LSTMCell(6), return_sequences=True, return_state=True, go_backwards=True),
        SEQ,
    ),
    (
        "rnn_lstm_relu_nobias",
        _rnn(lambda L: L.LSTMCell(5, activation="relu", use_bias=False, unit_forget_bias=False)),
        SEQ,
    ),
    ("rnn_gru", _rnn(lambda L: L.GRUCell(6), return_sequences=True), SEQ),
    (
        "rnn_gru_reset_before",
        _rnn(lambda L: L.GRUCell(6, reset_after=False), return_state=True),
        SEQ,
    ),
    (
        "rnn_simple",
        _rnn(lambda L: L.SimpleRNNCell(6, activation="relu"), return_sequences=True),
        SEQ,
    ),
    (
        "rnn_stacked",
        _rnn(lambda L: L.StackedRNNCells([L.LSTMCell(6), L.GRUCell(3)]), return_state=True),
        SEQ,
    ),
    (
        "rnn_cell_list",
        _rnn(lambda L: [L.SimpleRNNCell(6), L.LSTMCell(2)], return_sequences=True),
        SEQ,
    ),
    ("rnn_unroll", _rnn(lambda L: L.GRUCell(4), unroll=True), SEQ),
    ("adaptive_avg_1d", lambda L: L.AdaptiveAveragePooling1D(3), SEQ),
    ("adaptive_max_1d", lambda L: L.AdaptiveMaxPooling1D(2), SEQ),
    ("adaptive_avg_2d", lambda L: L.AdaptiveAveragePooling2D((3, 2)), IMG),
    ("adaptive_max_2d", lambda L: L.AdaptiveMaxPooling2D(4), IMG),
    (
        "adaptive_avg_2d_first",
        lambda L: L.AdaptiveAveragePooling2D(2, data_format="channels_first"),
        IMG,
    ),
    ("adaptive_avg_3d", lambda L: L.AdaptiveAveragePooling3D(2), VOL),
    ("adaptive_max_3d", lambda L: L.AdaptiveMaxPooling3D((1, 2, 3)), VOL),
    ("rms_norm", lambda L: L.RMSNormalization(), IMG),
    ("conv_lstm_2d", lambda L: L.ConvLSTM2D(4, 3), VID),
    (
        "conv_lstm_2d_same_seq_state_back",
        lambda L: L.ConvLSTM2D(
            4, (3, 2), padding="same", return_sequences=True, return_state=True, go_backwards=True
        ),
        VID,
    ),
    ("conv_lstm_1d_strides", lambda L: L.ConvLSTM1D(3, 2, strides=2), IMG),
    (
        "conv_lstm_1d_dilated_nobias",
        lambda L: L.ConvLSTM1D(3, 3, dilation_rate=2, return_sequences=True, use_bias=False),
        IMG,
    ),
    ("einsum_heads", lambda L: L.EinsumDense("abc,cde->abde", (None, 4, 3), bias_axes="de"), SEQ),
    (
        "einsum_left_elided",
        lambda L: L.EinsumDense("...b,bc->...c", 7, bias_axes="c", activation="relu"),
        SEQ,
    ),
    ("einsum_right_elided", lambda L: L.EinsumDense("ab...,bc->ac...", (4,), bias_axes="c"), SEQ),
    ("einsum_no_bias", lambda L: L.EinsumDense("abc,cd->abd", (5, 3)), SEQ),
    ("rms_norm_axes", lambda L: L.RMSNormalization(axis=[2, 3], epsilon=1e-3), IMG),
]


def _outputs(layer, x, grad=True):
    xt = torch.tensor(x, requires_grad=grad)
    out = [o for o in nest.flatten(layer(xt)) if isinstance(o, torch.Tensor)]
    if grad:
        sum(o.sum() for o in out).backward()
    return [o.detach().numpy() for o in out], (xt.grad.numpy() if grad else None)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_layer_matches_keras(case):
    _, factory, x = case
    k_layer, p_layer = factory(keras.layers), factory(plait.layers)
    k_layer(torch.tensor(x))
    p_layer(torch.tensor(x))
    k_weights = [np.asarray(w) for w in k_layer.get_weights()]
    assert [w.shape for w in p_layer.get_weights()] == [w.shape for w in k_weights]
    p_layer.set_weights(k_weights)
    expected, expected_grad = _outputs(k_layer, x)
    got, got_grad = _outputs(p_layer, x)
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_grad, expected_grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_config_matches_keras(case):
    factory = case[1]
    k_layer, p_layer = factory(keras.layers), factory(plait.layers)
    k_config, p_config = k_layer.get_config(), p_layer.get_config()
    if "cell" not in k_config:
        skip = {"name", "dtype", "trainable"}
        keys = [k for k, v in k_config.items() if k not in skip and not isinstance(v, dict)]
        assert set(keys) <= set(p_config)
        assert {k: p_config[k] for k in keys} == {k: k_config[k] for k in keys}
        return
    assert set(k_config) <= set(p_config) | {"dtype"}
    for key in (
        "return_sequences",
        "return_state",
        "go_backwards",
        "stateful",
        "unroll",
        "zero_output_for_mask",
    ):
        assert p_config[key] == k_config[key], key
    k_cell, p_cell = k_config["cell"], p_config["cell"]
    assert p_cell["class_name"] == k_cell["class_name"]
    if "cells" not in k_cell["config"]:
        skip = {"name", "dtype", "trainable"}
        assert set(k_cell["config"]) - skip <= set(p_cell["config"])
        for key, value in k_cell["config"].items():
            if key not in skip and not isinstance(value, dict):
                assert p_cell["config"][key] == value, key


def test_masked_rnn_matches_keras():
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], dtype=bool)
    k_layer = keras.layers.RNN(keras.layers.LSTMCell(4), return_sequences=True)
    p_layer = plait.layers.RNN(plait.layers.LSTMCell(4), return_sequences=True)
    k_layer(torch.tensor(SEQ))
    p_layer(torch.tensor(SEQ))
    p_layer.set_weights([np.asarray(w) for w in k_layer.get_weights()])
    expected = k_layer(torch.tensor(SEQ), mask=torch.tensor(mask)).detach().numpy()
    got = p_layer(torch.tensor(SEQ), mask=torch.tensor(mask)).detach().numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_initial_state_matches_keras():
    h0 = RNG.normal(size=(3, 4)).astype("float32")
    c0 = RNG.normal(size=(3, 4)).astype("float32")
    k_layer = keras.layers.RNN(keras.layers.LSTMCell(4))
    p_layer = plait.layers.RNN(plait.layers.LSTMCell(4))
    k_layer(torch.tensor(SEQ))
    p_layer(torch.tensor(SEQ))
    p_layer.set_weights([np.asarray(w) for w in k_layer.get_weights()])
    states = [torch.tensor(h0), torch.tensor(c0)]
    expected = k_layer(torch.tensor(SEQ), initial_state=states).detach().numpy()
    got = p_layer(torch.tensor(SEQ), initial_state=states).detach().numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)


class MinimalRNNCell(plait.layers.Layer):
    """The user cell of Keras's RNN guide."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units))
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, self.units))

    def call(self, inputs, states):
        output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
        return output, [output]


class WrongStateCell(MinimalRNNCell):
    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.state_size = [units, units]


def test_user_cell_in_a_model():
    inputs = plait.Input((5, 4))
    outputs = plait.layers.RNN(MinimalRNNCell(3), return_sequences=True)(inputs)
    model = plait.Model(inputs, outputs)
    assert model(torch.tensor(SEQ)).shape == (3, 5, 3)
    layer = model.layers[-1]
    kernel, recurrent = layer.get_weights()
    h = np.zeros((3, 3), dtype="float32")
    for t in range(5):
        h = SEQ[:, t] @ kernel + h @ recurrent
    np.testing.assert_allclose(model(torch.tensor(SEQ))[:, -1].detach().numpy(), h, atol=1e-5)


def test_cell_whose_state_size_does_not_match_its_call():
    with pytest.raises(ValueError, match=r"state_size=\[3, 3\]"):
        plait.layers.RNN(WrongStateCell(3))(plait.Input((5, 4)))


def test_rnn_rejects_stateful_and_non_cells():
    with pytest.raises(ValueError, match="stateful"):
        plait.layers.RNN(plait.layers.LSTMCell(3), stateful=True)
    with pytest.raises(ValueError, match="state_size"):
        plait.layers.RNN(plait.layers.Dense(3))


HARNESS = [
    (plait.layers.RNN, {"cell": plait.layers.LSTMCell(4)}, (5, 3), (None, 4)),
    (
        plait.layers.RNN,
        {"cell": plait.layers.GRUCell(4), "return_sequences": True},
        (5, 3),
        (None, 5, 4),
    ),
    (
        plait.layers.RNN,
        {"cell": plait.layers.SimpleRNNCell(4), "return_state": True},
        (5, 3),
        [(None, 4), (None, 4)],
    ),
    (
        plait.layers.RNN,
        {
            "cell": plait.layers.StackedRNNCells(
                [plait.layers.LSTMCell(4), plait.layers.SimpleRNNCell(2)]
            )
        },
        (5, 3),
        (None, 2),
    ),
]


HARNESS += [
    (plait.layers.AdaptiveAveragePooling2D, {"output_size": 3}, (7, 9, 2), (None, 3, 3, 2)),
    (plait.layers.AdaptiveMaxPooling1D, {"output_size": 2}, (7, 2), (None, 2, 2)),
    (plait.layers.AdaptiveMaxPooling3D, {"output_size": 2}, (4, 4, 4, 1), (None, 2, 2, 2, 1)),
    (plait.layers.RMSNormalization, {"axis": [1, 2]}, (3, 4), (None, 3, 4)),
    (plait.layers.ConvLSTM2D, {"filters": 3, "kernel_size": 2}, (2, 4, 4, 1), (None, 3, 3, 3)),
    (
        plait.layers.EinsumDense,
        {"equation": "abc,cde->abde", "output_shape": (3, 2, 5), "bias_axes": "e"},
        (3, 4),
        (None, 3, 2, 5),
    ),
]


@pytest.mark.parametrize("cls,kwargs,shape,expected", HARNESS)
def test_layer_contract(cls, kwargs, shape, expected):
    run_layer_test(cls, kwargs, shape, expected_output_shape=expected)


def test_einsum_dense_bad_equation_and_bias_axes():
    with pytest.raises(ValueError, match="Invalid einsum equation"):
        plait.layers.EinsumDense("ab->b", 3)
    with pytest.raises(ValueError, match="Bias dimension 'z'"):
        plait.layers.EinsumDense("ab,bc->ac", 3, bias_axes="z")(plait.Input((4,)))


def test_torch_module_wrapper_matches_keras():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 2))
    k_layer = keras.layers.TorchModuleWrapper(module)
    p_layer = plait.layers.TorchModuleWrapper(module, output_shape=(None, 5, 2))
    assert p_layer(plait.Input((5, 4))).shape == (None, 5, 2)
    x = torch.tensor(SEQ)
    torch.testing.assert_close(p_layer(x), k_layer(x))
    assert len(p_layer.trainable_weights) == 4
    inputs = plait.Input((5, 4))
    model = plait.Model(inputs, plait.layers.TorchModuleWrapper(torch.nn.Linear(4, 3))(inputs))
    assert model.count_params() == 15


GQA = [
    ({}, {}),
    ({"use_gate": True, "sliding_window": 2}, {"use_causal_mask": True}),
    ({"use_bias": False}, {"return_attention_scores": True}),
    ({}, {"attention_mask": np.tril(np.ones((2, 5, 7), dtype=bool))}),
]


@pytest.mark.parametrize("kwargs,call_kwargs", GQA)
def test_group_query_attention_matches_keras(kwargs, call_kwargs):
    call_kwargs = {
        k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in call_kwargs.items()
    }
    query = RNG.normal(size=(2, 5, 8)).astype("float32")
    value = torch.tensor(RNG.normal(size=(2, 7, 8)).astype("float32"))
    k_layer = keras.layers.GroupQueryAttention(4, 4, 2, **kwargs)
    p_layer = plait.layers.GroupQueryAttention(4, 4, 2, **kwargs)
    k_layer(torch.tensor(query), value)
    p_layer(torch.tensor(query), value)
    p_layer.set_weights([np.asarray(w) for w in k_layer.get_weights()])
    results = []
    for layer in (k_layer, p_layer):
        q = torch.tensor(query, requires_grad=True)
        out = [o for o in nest.flatten(layer(q, value, **call_kwargs)) if o is not None]
        sum(o.sum() for o in out).backward()
        results.append(([o.detach().numpy() for o in out], q.grad.numpy()))
    (expected, expected_grad), (got, got_grad) = results
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, atol=1e-5)
    np.testing.assert_allclose(got_grad, expected_grad, atol=1e-5)
    k_config, p_config = k_layer.get_config(), p_layer.get_config()
    keys = [
        k for k, v in k_config.items() if k not in ("name", "dtype") and not isinstance(v, dict)
    ]
    assert {k: p_config[k] for k in keys} == {k: k_config[k] for k in keys}
    rebuilt = plait.layers.GroupQueryAttention.from_config(p_config)
    assert rebuilt.get_config() == p_config


def test_group_query_attention_symbolic_and_errors():
    layer = plait.layers.GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
    assert layer(plait.Input((5, 8)), plait.Input((7, 8))).shape == (None, 5, 8)
    with pytest.raises(ValueError, match="divisible"):
        plait.layers.GroupQueryAttention(4, 4, 3)
    with pytest.raises(ValueError, match="sliding_window"):
        plait.layers.GroupQueryAttention(4, 4, 2, sliding_window=0)


@pytest.mark.parametrize(
    "inner", [lambda L: L.Dense(3), lambda L: L.Conv2D(3, 3)], ids=["dense", "conv"]
)
def test_spectral_normalization_matches_keras(inner):
    x = torch.tensor(IMG)
    k_layer = keras.layers.SpectralNormalization(inner(keras.layers), power_iterations=2)
    p_layer = plait.layers.SpectralNormalization(inner(plait.layers), power_iterations=2)
    k_layer(x)
    p_layer(x)
    start = [np.asarray(w) for w in k_layer.get_weights()]
    p_layer.set_weights(start)
    for training in (True, True, False):
        expected = k_layer(x, training=training).detach().numpy()
        got = p_layer(x, training=training).detach().numpy()
        np.testing.assert_allclose(got, expected, atol=1e-5)
    for a, b in zip(p_layer.get_weights(), k_layer.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-6)
    kernel = p_layer.get_weights()[0]
    assert not np.allclose(kernel, start[0])
    assert np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0] < 1.2
    assert p_layer.get_config()["power_iterations"] == 2


def test_spectral_normalization_errors_and_contract():
    with pytest.raises(ValueError, match="power_iterations"):
        plait.layers.SpectralNormalization(plait.layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="kernel"):
        plait.layers.SpectralNormalization(plait.layers.Dropout(0.1))(plait.Input((3,)))
    run_layer_test(
        plait.layers.SpectralNormalization,
        {"layer": plait.layers.Dense(4)},
        (3,),
        expected_output_shape=(None, 4),
    )
