"""SimpleRNN, GRU, LSTM and Bidirectional: the layer contract, Keras's math (checked against
a step-by-step NumPy implementation of Keras's cell formulas, fed the same Keras-layout
weights), masks, initial states, dropout and build-time errors."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from plait import constraints, regularizers
from plait.layers import GRU, LSTM, Bidirectional, Embedding, Input, SimpleRNN
from plait.layers.layer import LayerCallError
from plait.models import Model
from tests.layers.harness import run_layer_test

# ------------------------------------------------------------------ the layer contract
CASES = [
    (SimpleRNN, dict(units=4), (5, 3), (None, 4), 3),
    (SimpleRNN, dict(units=4, activation="relu", return_sequences=True), (5, 3), (None, 5, 4), 3),
    (
        SimpleRNN,
        dict(units=2, activation="sigmoid", use_bias=False, return_state=True),
        (5, 3),
        [(None, 2), (None, 2)],
        2,
    ),
    (GRU, dict(units=4), (5, 3), (None, 4), 3),
    (GRU, dict(units=4, reset_after=False, return_sequences=True), (5, 3), (None, 5, 4), 3),
    (
        GRU,
        dict(units=3, use_bias=False, go_backwards=True, return_state=True),
        (6, 2),
        [(None, 3), (None, 3)],
        2,
    ),
    (
        GRU,
        dict(units=3, activation="relu", dropout=0.2, recurrent_dropout=0.3),
        (4, 2),
        (None, 3),
        3,
    ),
    (
        LSTM,
        dict(units=4, return_sequences=True, return_state=True),
        (5, 3),
        [(None, 5, 4), (None, 4), (None, 4)],
        3,
    ),
    (
        LSTM,
        dict(units=4, use_bias=False, unit_forget_bias=False, go_backwards=True),
        (5, 3),
        (None, 4),
        2,
    ),
    (
        LSTM,
        dict(
            units=2,
            kernel_regularizer="l2",
            recurrent_constraint="non_neg",
            zero_output_for_mask=True,
            seed=3,
            dropout=0.1,
        ),
        (5, 3),
        (None, 2),
        3,
    ),
    (Bidirectional, dict(layer=LSTM(3, return_sequences=True)), (5, 2), (None, 5, 6), 6),
    (Bidirectional, dict(layer=GRU(3), merge_mode="sum"), (5, 2), (None, 3), 6),
    (
        Bidirectional,
        dict(layer=SimpleRNN(3, return_state=True), merge_mode="ave"),
        (5, 2),
        [(None, 3), (None, 3), (None, 3)],
        6,
    ),
    (
        Bidirectional,
        dict(layer=GRU(3, return_sequences=True, return_state=True), merge_mode=None),
        (5, 2),
        [(None, 5, 3), (None, 5, 3), (None, 3), (None, 3)],
        6,
    ),
    (
        Bidirectional,
        dict(
            layer=LSTM(2),
            merge_mode="mul",
            backward_layer=LSTM(2, activation="relu", go_backwards=True),
        ),
        (4, 2),
        (None, 2),
        6,
    ),
]


@pytest.mark.parametrize(
    "cls, kwargs, shape, expected, n_weights",
    CASES,
    ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)],
)
def test_layer_contract(cls, kwargs, shape, expected, n_weights):
    run_layer_test(cls, kwargs, shape, expected, expected_num_weights=n_weights)


def test_family_module_import_path():
    from plait.layers.recurrent import GRU as G, LSTM as L, SimpleRNN as S
    from plait.layers.wrappers import Bidirectional as B

    assert (G, L, S, B) == (GRU, LSTM, SimpleRNN, Bidirectional)


@pytest.mark.parametrize(
    "layer, shapes",
    [
        (SimpleRNN(5), [(3, 5), (5, 5), (5,)]),
        (GRU(5), [(3, 15), (5, 15), (2, 15)]),
        (GRU(5, reset_after=False), [(3, 15), (5, 15), (15,)]),
        (GRU(5, use_bias=False), [(3, 15), (5, 15)]),
        (LSTM(5), [(3, 20), (5, 20), (20,)]),
    ],
)
def test_keras_weight_shapes(layer, shapes):
    layer(Input(shape=(7, 3)))
    assert [w.shape for w in layer.get_weights()] == shapes


# ------------------------------------------------------------ Keras's formulas in NumPy
def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def hard_sigmoid(v):
    return np.clip(v / 6 + 0.5, 0, 1)


ACTS = {
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "relu": lambda v: np.maximum(v, 0),
    "hard_sigmoid": hard_sigmoid,
}


def keras_step(kind, x_t, states, weights, units, act, rec_act, reset_after):
    kernel, recurrent = weights[0], weights[1]
    bias = weights[2] if len(weights) > 2 else None
    h = states[0]
    if kind == "simple":
        h = act(x_t @ kernel + h @ recurrent + (0 if bias is None else bias))
        return h, [h]
    if kind == "lstm":
        z = x_t @ kernel + h @ recurrent + (0 if bias is None else bias)
        i, f, c, o = np.split(z, 4, axis=-1)
        c = rec_act(f) * states[1] + rec_act(i) * act(c)
        h = rec_act(o) * act(c)
        return h, [h, c]
    if reset_after:
        in_bias, rec_bias = (0, 0) if bias is None else (bias[0], bias[1])
        x_z, x_r, x_h = np.split(x_t @ kernel + in_bias, 3, axis=-1)
        r_z, r_r, r_h = np.split(h @ recurrent + rec_bias, 3, axis=-1)
        z, r = rec_act(x_z + r_z), rec_act(x_r + r_r)
        candidate = act(x_h + r * r_h)
    else:
        x_z, x_r, x_h = np.split(x_t @ kernel + (0 if bias is None else bias), 3, axis=-1)
        z = rec_act(x_z + h @ recurrent[:, :units])
        r = rec_act(x_r + h @ recurrent[:, units : 2 * units])
        candidate = act(x_h + (r * h) @ recurrent[:, 2 * units :])
    h = z * h + (1 - z) * candidate
    return h, [h]


def keras_rnn(
    kind,
    x,
    weights,
    units,
    act="tanh",
    rec_act="sigmoid",
    reset_after=True,
    mask=None,
    initial=None,
    go_backwards=False,
    zero_output_for_mask=False,
):
    """Keras's RNN loop: returns (sequence of outputs, last output, states)."""
    batch, steps, _ = x.shape
    n_states = 2 if kind == "lstm" else 1
    states = [np.zeros((batch, units))] * n_states if initial is None else list(initial)
    if mask is None:
        mask = np.ones((batch, steps), dtype=bool)
    if go_backwards:
        x, mask = x[:, ::-1], mask[:, ::-1]
    output = np.zeros((batch, units))
    outputs = []
    for t in range(steps):
        out, new = keras_step(
            kind, x[:, t], states, weights, units, ACTS[act], ACTS[rec_act], reset_after
        )
        keep = mask[:, t : t + 1]
        states = [np.where(keep, n, s) for n, s in zip(new, states)]
        output = np.where(keep, out, 0 if zero_output_for_mask else output)
        outputs.append(output)
    return np.stack(outputs, axis=1), output, states


def random_weights(layer, rng, scale=0.6):
    return [rng.normal(0, scale, w.shape) for w in layer.get_weights()]


MATH = [
    ("simple", SimpleRNN, dict()),
    ("simple", SimpleRNN, dict(activation="relu")),
    ("simple", SimpleRNN, dict(activation="sigmoid")),
    ("gru", GRU, dict()),
    ("gru", GRU, dict(reset_after=False)),
    ("gru", GRU, dict(use_bias=False)),
    ("gru", GRU, dict(activation="relu", recurrent_activation="hard_sigmoid")),
    ("lstm", LSTM, dict()),
    ("lstm", LSTM, dict(use_bias=False)),
    ("lstm", LSTM, dict(activation="relu", recurrent_activation="hard_sigmoid")),
]


def _reference_kwargs(kwargs):
    return dict(
        act=kwargs.get("activation", "tanh"),
        rec_act=kwargs.get("recurrent_activation", "sigmoid"),
        reset_after=kwargs.get("reset_after", True),
    )


@pytest.mark.parametrize("masked", [False, True], ids=["plain", "masked"])
@pytest.mark.parametrize("go_backwards", [False, True], ids=["fwd", "bwd"])
@pytest.mark.parametrize(
    "kind, cls, kwargs", MATH, ids=[f"{c.__name__}-{i}" for i, (_, c, _) in enumerate(MATH)]
)
def test_math_matches_keras_formulas(kind, cls, kwargs, go_backwards, masked):
    rng = np.random.default_rng(0)
    units, batch, steps = 3, 4, 6
    layer = cls(
        units, return_sequences=True, return_state=True, go_backwards=go_backwards, **kwargs
    )
    layer(Input(shape=(steps, 2)))
    weights = random_weights(layer, rng)
    layer.set_weights(weights)
    x = rng.normal(size=(batch, steps, 2))
    mask = None
    if masked:  # right padding, left padding, holes, and a row with no data at all
        mask = np.array(
            [[1, 1, 1, 1, 0, 0], [0, 0, 1, 1, 1, 1], [1, 0, 1, 0, 1, 1], [0, 0, 0, 0, 0, 0]],
            dtype=bool,
        )
    n_states = 2 if kind == "lstm" else 1
    initial = [rng.normal(size=(batch, units)) for _ in range(n_states)]
    seq, last, states = keras_rnn(
        kind,
        x,
        weights,
        units,
        mask=mask,
        initial=initial,
        go_backwards=go_backwards,
        **_reference_kwargs(kwargs),
    )
    t = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    call = dict(initial_state=[t(s) for s in initial])
    if masked:
        call["mask"] = torch.tensor(mask)
    with torch.no_grad():
        out = layer(t(x), **call)
    np.testing.assert_allclose(out[0].numpy(), seq, atol=2e-5)
    for got, want in zip(out[1:], states):
        np.testing.assert_allclose(got.numpy(), want, atol=2e-5)
    layer.return_sequences = False
    with torch.no_grad():
        np.testing.assert_allclose(layer(t(x), **call)[0].numpy(), last, atol=2e-5)


def test_masked_steps_carry_the_previous_output_and_zeros_with_zero_output_for_mask():
    layer = GRU(2, return_sequences=True)
    x = torch.randn(1, 4, 3)
    mask = torch.tensor([[False, True, False, True]])
    with torch.no_grad():
        out = layer(x, mask=mask)
        layer.zero_output_for_mask = True
        zeroed = layer(x, mask=mask)
    assert torch.all(out[0, 0] == 0)  # before the first real step: zeros
    torch.testing.assert_close(out[0, 2], out[0, 1])  # then: the previous output
    assert torch.all(zeroed[0, 0] == 0) and torch.all(zeroed[0, 2] == 0)
    torch.testing.assert_close(zeroed[0, 3], out[0, 3])


def test_gru_is_stored_in_pytorch_gate_order():
    """The stored tensors are nn.GRU's: its state_dict loads into nn.GRU unchanged."""
    layer = GRU(4, return_sequences=True)
    layer(Input(shape=(5, 3)))
    layer.set_weights(random_weights(layer, np.random.default_rng(1)))
    reference = torch.nn.GRU(3, 4, batch_first=True)
    reference.load_state_dict(
        {
            "weight_ih_l0": layer.weight_ih,
            "weight_hh_l0": layer.weight_hh,
            "bias_ih_l0": layer.bias[0],
            "bias_hh_l0": layer.bias[1],
        }
    )
    x = torch.randn(2, 5, 3)
    with torch.no_grad():
        torch.testing.assert_close(layer(x), reference(x)[0])
    # kernel / recurrent_kernel are Keras-layout views of the same numbers
    np.testing.assert_allclose(layer.kernel.detach().numpy(), layer.get_weights()[0])
    np.testing.assert_allclose(layer.recurrent_kernel.detach().numpy(), layer.get_weights()[1])


# ------------------------------------------------------------------------ masks in graphs
def test_embedding_mask_zero_into_lstm_equals_unpadded_sequences():
    tokens = Input(shape=(6,), dtype="int64")
    embedded = Embedding(12, 4, mask_zero=True)(tokens)
    hidden = LSTM(5, return_sequences=True)(embedded)  # passes the mask on
    model = Model(tokens, [LSTM(3)(hidden), Bidirectional(GRU(2))(hidden)])
    ids = torch.tensor([[3, 5, 7, 0, 0, 0], [1, 2, 3, 4, 5, 6], [9, 0, 0, 0, 0, 0]])
    with torch.no_grad():
        last, both = model(ids)
        for row, length in enumerate([3, 6, 1]):
            alone = model(ids[row : row + 1, :length])
            torch.testing.assert_close(last[row], alone[0][0], atol=1e-6, rtol=1e-5)
            torch.testing.assert_close(both[row], alone[1][0], atol=1e-6, rtol=1e-5)
    # the mask is a node of the graph, so the config rebuilds it
    rebuilt = Model.from_config(model.get_config())
    rebuilt.set_weights(model.get_weights())
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(ids)[0], last)


def test_bidirectional_sequences_are_zero_on_masked_steps():
    tokens = Input(shape=(5,), dtype="int64")
    out = Bidirectional(LSTM(2, return_sequences=True))(Embedding(9, 3, mask_zero=True)(tokens))
    model = Model(tokens, out)
    with torch.no_grad():
        y = model(torch.tensor([[4, 2, 0, 0, 0]]))
    assert torch.all(y[0, 2:] == 0) and torch.all(y[0, :2] != 0)


def test_symbolic_initial_state_in_a_model():
    rng = np.random.default_rng(2)
    x, h0, c0 = Input(shape=(4, 3)), Input(shape=(2,)), Input(shape=(2,))
    layer = LSTM(2, return_sequences=True)
    model = Model([x, h0, c0], layer(x, initial_state=[h0, c0]))
    weights = random_weights(layer, rng)
    layer.set_weights(weights)
    data = [rng.normal(size=s) for s in [(3, 4, 3), (3, 2), (3, 2)]]
    want = keras_rnn("lstm", data[0], weights, 2, initial=data[1:])[0]
    with torch.no_grad():
        got = model([torch.tensor(d, dtype=torch.float32) for d in data])
    np.testing.assert_allclose(got.numpy(), want, atol=2e-5)


# ----------------------------------------------------------------------------- dropout
@pytest.mark.parametrize("cls", [SimpleRNN, GRU, LSTM])
@pytest.mark.parametrize("rates", [dict(dropout=0.5), dict(recurrent_dropout=0.5)])
def test_dropout_only_in_training(cls, rates):
    plain = cls(4, return_sequences=True)
    dropped = cls(4, return_sequences=True, seed=1, **rates)
    x = torch.randn(3, 6, 2)
    plain(x)
    dropped(x)
    dropped.set_weights(plain.get_weights())
    with torch.no_grad():
        torch.testing.assert_close(dropped(x), plain(x))  # inference: no dropout
        train = dropped(x, training=True)
        assert not torch.allclose(train, plain(x))
        dropped.train()
        assert not torch.allclose(dropped(x), plain(x))  # training=None follows the mode


def test_recurrent_dropout_mask_is_shared_by_all_steps():
    """With a recurrent kernel of zeros, recurrent dropout changes nothing; with input
    dropout at rate 0.5 and one shared mask, a constant input gives a constant
    pre-activation at every step (SimpleRNN without recurrence)."""
    layer = SimpleRNN(8, return_sequences=True, dropout=0.5, seed=0, use_bias=False)
    layer(torch.zeros(1, 1, 4))
    kernel, recurrent = layer.get_weights()
    layer.set_weights([np.ones_like(kernel), np.zeros_like(recurrent)])
    out = layer(torch.ones(2, 5, 4), training=True)
    torch.testing.assert_close(out, out[:, :1].expand_as(out))


# ---------------------------------------------------------------------------- Bidirectional
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merge_modes(merge_mode):
    layer = Bidirectional(LSTM(3, return_sequences=True), merge_mode=merge_mode)
    x = torch.randn(2, 5, 4)
    with torch.no_grad():
        out = layer(x)
        y = layer.forward_layer(x)
        y_rev = layer.backward_layer(x).flip(1)
    want = {
        "concat": lambda: torch.cat([y, y_rev], -1),
        "sum": lambda: y + y_rev,
        "mul": lambda: y * y_rev,
        "ave": lambda: (y + y_rev) / 2,
        None: lambda: [y, y_rev],
    }[merge_mode]()
    if merge_mode is None:
        assert isinstance(out, list) and len(out) == 2
        for a, b in zip(out, want):
            torch.testing.assert_close(a, b)
    else:
        torch.testing.assert_close(out, want)


def test_bidirectional_names_weights_states_and_weights_argument():
    inner = LSTM(3)
    assert inner.name == "lstm_1"
    layer = Bidirectional(inner, merge_mode="concat")
    assert (layer.forward_layer.name, layer.backward_layer.name) == (
        "forward_lstm_1",
        "backward_lstm_1",
    )
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    layer(Input(shape=(4, 2)))
    weights = layer.get_weights()
    assert [w.shape for w in weights] == [(2, 12), (3, 12), (12,)] * 2
    np.testing.assert_array_equal(weights[3], layer.backward_layer.get_weights()[0])
    again = Bidirectional(LSTM(3), weights=[w + 1 for w in weights])
    again(Input(shape=(4, 2)))
    for a, b in zip(again.get_weights(), weights):
        np.testing.assert_allclose(a, b + 1)

    stateful = Bidirectional(GRU(3, return_state=True))
    x = torch.randn(2, 4, 2)
    h_f, h_b = torch.randn(2, 3), torch.randn(2, 3)
    out, fwd_h, bwd_h = stateful(x, initial_state=[h_f, h_b])
    with torch.no_grad():
        torch.testing.assert_close(fwd_h, stateful.forward_layer(x, initial_state=[h_f])[1])
        torch.testing.assert_close(bwd_h, stateful.backward_layer(x, initial_state=[h_b])[1])
        torch.testing.assert_close(out, torch.cat([fwd_h, bwd_h], -1))


# ------------------------------------------------------------- regularizers, constraints
def test_gru_regularizer_and_constraint_see_keras_layout():
    layer = GRU(
        3, kernel_regularizer=regularizers.l2(0.1), recurrent_constraint=constraints.non_neg()
    )
    layer(Input(shape=(4, 2)))
    kernel = layer.get_weights()[0]
    (penalty,) = layer.regularization_losses()
    np.testing.assert_allclose(penalty.item(), 0.1 * np.sum(kernel**2), rtol=1e-5)
    layer.apply_constraints()
    assert np.all(layer.get_weights()[1] >= 0)
    assert layer.get_config()["recurrent_constraint"] is not None


# ------------------------------------------------------------------------------ shapes
@settings(max_examples=25, deadline=None)
@given(
    cls=st.sampled_from([SimpleRNN, GRU, LSTM]),
    units=st.integers(1, 5),
    steps=st.integers(1, 6),
    features=st.integers(1, 4),
    sequences=st.booleans(),
    state=st.booleans(),
    backwards=st.booleans(),
    wrap=st.sampled_from([None, "concat", "sum"]),
)
def test_symbolic_shapes_equal_concrete(
    cls, units, steps, features, sequences, state, backwards, wrap
):
    layer = cls(units, return_sequences=sequences, return_state=state, go_backwards=backwards)
    if wrap is not None:
        layer = Bidirectional(layer, merge_mode=wrap)
    symbolic = layer(Input(shape=(steps, features)))
    with torch.no_grad():
        concrete = layer(torch.randn(2, steps, features))
    symbolic = symbolic if isinstance(symbolic, list) else [symbolic]
    concrete = concrete if isinstance(concrete, list) else [concrete]
    assert [s.shape[1:] for s in symbolic] == [tuple(c.shape[1:]) for c in concrete]


# ------------------------------------------------------------------------------ errors
def test_two_d_input_is_refused_when_the_graph_is_built():
    for cls in (LSTM, GRU, SimpleRNN):
        with pytest.raises(
            LayerCallError,
            match=r"expects a 3-D input \(batch, timesteps, "
            r"features\); received an input of shape "
            r"\(None, 8\)",
        ):
            cls(4)(Input(shape=(8,)))


def test_initial_state_errors():
    x = Input(shape=(5, 3))
    with pytest.raises(
        LayerCallError,
        match=r"takes 2 initial state tensor\(s\) \[h, c\].*"
        r"received 1",
    ):
        LSTM(4)(x, initial_state=[Input(shape=(4,))])
    with pytest.raises(
        LayerCallError,
        match=r"Initial state 'h' of GRU layer 'gru_1' must "
        r"have shape \(batch, 4\).*\(None, 3\)",
    ):
        GRU(4)(x, initial_state=[Input(shape=(3,))])
    with pytest.raises(LayerCallError, match=r"Initial state 'c'.*\(None, 4, 1\)"):
        LSTM(4)(x, initial_state=[Input(shape=(4,)), Input(shape=(4, 1))])
    with pytest.raises(LayerCallError, match=r"Initial state 'h' of LSTM layer 'forward_lstm"):
        Bidirectional(LSTM(4))(x, initial_state=[Input(shape=(5,))] * 4)
    with pytest.raises(ValueError, match=r"takes 1 initial state tensor\(s\)"):
        SimpleRNN(2)(torch.randn(1, 3, 2), initial_state=[torch.zeros(1, 2)] * 2)


def test_mask_and_multiple_input_errors():
    x = Input(shape=(5, 3))
    with pytest.raises(
        LayerCallError,
        match=r"mask of LSTM layer .* must be \(batch, "
        r"timesteps\)",
    ):
        LSTM(2)(x, mask=Input(shape=(5, 3), dtype="bool"))
    with pytest.raises(LayerCallError, match="takes one input tensor.*initial_state="):
        GRU(2)([x, Input(shape=(2,))])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(units=0), ValueError, r"`units` must be a positive integer. Received: units=0"),
        (
            dict(units=2, stateful=True),
            ValueError,
            r"does not support stateful=True.*"
            r"Received: stateful=True",
        ),
        (dict(units=2, dropout=1.5), ValueError, r"`dropout` must be a float between 0 and 1"),
        (dict(units=2, recurrent_dropout=-0.1), ValueError, r"Received: recurrent_dropout=-0.1"),
        (dict(units=2, seed="x"), TypeError, r"`seed` must be an int or None"),
        (dict(units=2, use_cudnn="yes"), ValueError, r"`use_cudnn` must be one of"),
        (dict(units=2, activation="tanhh"), ValueError, r"Unknown activation: 'tanhh'"),
    ],
)
def test_constructor_errors(kwargs, error, match):
    for cls in (SimpleRNN, GRU, LSTM):
        with pytest.raises(error, match=match):
            cls(**kwargs)


def test_bidirectional_errors():
    with pytest.raises(
        TypeError,
        match=r"Bidirectional wraps a plait recurrent layer.*"
        r"Received: layer=",
    ):
        Bidirectional("lstm")
    with pytest.raises(
        TypeError,
        match=r"has no \['go_backwards', 'return_sequences', "
        r"'return_state'\]",
    ):
        Bidirectional(Embedding(3, 2))
    with pytest.raises(ValueError, match=r"Invalid merge_mode.*Received: merge_mode='max'"):
        Bidirectional(LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match=r"different `go_backwards` values"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2))
    with pytest.raises(ValueError, match=r"the same `return_sequences`"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2, go_backwards=True, return_sequences=True))
