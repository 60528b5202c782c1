"""Attention layers: math against independent einsum implementations on the same (Keras
layout) weights, masks, causal masks, dropout in training only, shapes, configs, errors."""

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import plait
from plait import serialization
from plait.layers import Embedding, Input
from plait.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from plait.layers.layer import LayerCallError
from plait.models import Model
from tests.layers.harness import run_layer_test

NEG = -1e9


def _t(array):
    return torch.as_tensor(np.asarray(array))


def reference_mha(weights, query, value, key=None, mask=None, use_bias=True):
    """Keras's multi-head attention written with einsum on Keras-layout weights."""
    key = value if key is None else key
    if use_bias:
        wq, bq, wk, bk, wv, bv, wo, bo = map(_t, weights)
    else:
        wq, wk, wv, wo = map(_t, weights)
        bq = bk = bv = bo = 0.0
    q = torch.einsum("btd,dnh->btnh", query, wq) + bq
    k = torch.einsum("bsd,dnh->bsnh", key, wk) + bk
    v = torch.einsum("bsd,dnh->bsnh", value, wv) + bv
    logits = torch.einsum("bsnh,btnh->bnts", k, q / math.sqrt(q.shape[-1]))
    if mask is not None:
        logits = logits + (1.0 - mask[:, None].float()) * NEG
    scores = torch.softmax(logits, dim=-1)
    context = torch.einsum("bnts,bsnh->btnh", scores, v)
    out_dims = wo.shape[2:]
    out = torch.einsum("btnh,nho->bto", context, wo.reshape(wo.shape[0], wo.shape[1], -1))
    out = out.reshape(out.shape[:2] + out_dims) + bo
    return out, scores


def reference_attention(
    query, value, key=None, scores_fn=None, q_mask=None, v_mask=None, causal=False
):
    key = value if key is None else key
    scores = scores_fn(query, key)
    mask = torch.ones(scores.shape, dtype=torch.bool)
    if v_mask is not None:
        mask = mask & v_mask[:, None, :]
    if causal:
        t, s = scores.shape[-2:]
        mask = mask & torch.tensor([[j <= i for j in range(s)] for i in range(t)])
    scores = scores + (~mask).float() * NEG
    weights = torch.softmax(scores, dim=-1)
    out = weights @ value
    if q_mask is not None:
        out = out * q_mask[..., None].float()
    return out, weights


def _close(a, b, atol=1e-5):
    torch.testing.assert_close(a, b, atol=atol, rtol=1e-5)


# ------------------------------------------------------------------ MultiHeadAttention


def test_mha_weight_layout_names_and_order():
    x, y = Input(shape=(5, 16)), Input(shape=(7, 12))
    layer = MultiHeadAttention(num_heads=2, key_dim=4, value_dim=3, output_shape=10)
    assert layer(x, y).shape == (None, 5, 10)
    names = [e[0].split("/", 1)[1] for e in layer._ordered_entries()]
    assert names == [
        "query/kernel",
        "query/bias",
        "key/kernel",
        "key/bias",
        "value/kernel",
        "value/bias",
        "attention_output/kernel",
        "attention_output/bias",
    ]
    shapes = [w.shape for w in layer.get_weights()]
    assert shapes == [(16, 2, 4), (2, 4), (12, 2, 4), (2, 4), (12, 2, 3), (2, 3), (2, 3, 10), (10,)]
    assert layer.count_params() == sum(int(np.prod(s)) for s in shapes)
    _close(layer.query_kernel, _t(layer.get_weights()[0]))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(num_heads=2, key_dim=4),
        dict(num_heads=3, key_dim=2, value_dim=5, use_bias=False),
        dict(num_heads=1, key_dim=8, output_shape=(3, 2)),
    ],
)
@pytest.mark.parametrize("with_key", [False, True])
def test_mha_math_matches_einsum(kwargs, with_key):
    layer = MultiHeadAttention(**kwargs)
    q, v, k = torch.randn(2, 5, 6), torch.randn(2, 7, 4), torch.randn(2, 7, 3)
    out, scores = layer(q, v, key=k if with_key else None, return_attention_scores=True)
    fused = layer(q, v, key=k if with_key else None)
    want, want_scores = reference_mha(
        layer.get_weights(), q, v, k if with_key else None, use_bias=kwargs.get("use_bias", True)
    )
    _close(out, want)
    _close(fused, want)
    _close(scores, want_scores)
    assert scores.shape == (2, kwargs["num_heads"], 5, 7)


def test_mha_attention_mask_and_causal_mask():
    layer = MultiHeadAttention(num_heads=2, key_dim=4)
    q = torch.randn(3, 5, 8)
    v = torch.randn(3, 5, 8)
    mask = torch.rand(3, 5, 5) > 0.3
    mask[:, :, 0] = True  # every row keeps a key
    layer(q, v)
    want, _ = reference_mha(layer.get_weights(), q, v, mask=mask)
    _close(layer(q, v, attention_mask=mask), want)
    _close(layer(q, v, attention_mask=mask, return_attention_scores=True)[0], want)

    causal = torch.ones(5, 5, dtype=torch.bool).tril()
    want, want_scores = reference_mha(layer.get_weights(), q, v, mask=causal.expand(3, 5, 5))
    _close(layer(q, v, use_causal_mask=True), want)
    out, scores = layer(q, v, use_causal_mask=True, return_attention_scores=True)
    _close(out, want)
    assert torch.all(scores[..., 0, 1:] == 0)  # the first step sees only itself
    both = mask & causal
    want, _ = reference_mha(layer.get_weights(), q, v, mask=both)
    _close(layer(q, v, attention_mask=mask, use_causal_mask=True), want)


def test_mha_fully_masked_row_is_uniform_not_nan():
    layer = MultiHeadAttention(num_heads=1, key_dim=4)
    q = torch.randn(1, 2, 4)
    mask = torch.tensor([[[True, True], [False, False]]])
    layer(q, q)
    out = layer(q, q, attention_mask=mask)
    assert not torch.isnan(out).any()
    _close(out, reference_mha(layer.get_weights(), q, q, mask=mask)[0])


def test_mha_uses_input_masks_from_embedding():
    tokens = Input(shape=(6,), dtype="int64")
    x = Embedding(10, 8, mask_zero=True)(tokens)
    layer = MultiHeadAttention(num_heads=2, key_dim=4)
    model = Model(tokens, layer(x, x))
    data = torch.tensor([[1, 2, 3, 0, 0, 0], [4, 5, 6, 7, 8, 9]])
    present = data != 0
    emb = model.get_layer(index=1)(data)
    mask = present[:, :, None] & present[:, None, :]
    want, _ = reference_mha(layer.get_weights(), emb, emb, mask=mask)
    with torch.no_grad():
        _close(model(data), want)
    node_kwargs = layer._inbound_nodes[0].call_kwargs
    assert set(node_kwargs) == {"query_mask", "value_mask"}


def test_mha_dropout_only_in_training():
    layer = MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.5, seed=3)
    q = torch.randn(4, 6, 8)
    first = layer(q, q)  # layers start in inference
    want, _ = reference_mha(layer.get_weights(), q, q)
    _close(first, want)
    _close(layer(q, q, training=False), want)
    dropped = layer(q, q, training=True)
    assert not torch.allclose(dropped, want, atol=1e-3)
    again = MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.5, seed=3)
    again(q, q)
    again.set_weights(layer.get_weights())
    _close(again(q, q, training=True), dropped)  # seeded: the same masks
    layer.train()
    assert not torch.allclose(layer(q, q), want, atol=1e-3)  # training=None follows the mode


def test_mha_in_model_trains_and_round_trips_config():
    x, y = Input(shape=(5, 8)), Input(shape=(3, 6))
    out = MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.1, name="mha")(
        x, y, use_causal_mask=True
    )
    model = Model([x, y], out)
    config = json.loads(json.dumps(model.get_config()))
    rebuilt = Model.from_config(config)
    rebuilt.set_weights(model.get_weights())
    data = [np.random.rand(4, 5, 8).astype("float32"), np.random.rand(4, 3, 6).astype("float32")]
    np.testing.assert_allclose(
        rebuilt.predict(data, verbose=0), model.predict(data, verbose=0), atol=1e-5
    )
    model.compile("adam", "mse")
    before = model.get_layer("mha").get_weights()
    model.fit(data, np.random.rand(4, 5, 8).astype("float32"), epochs=1, verbose=0)
    after = model.get_layer("mha").get_weights()
    assert all(not np.allclose(a, b) for a, b in zip(before, after))


def test_mha_layer_config_round_trip():
    layer = MultiHeadAttention(
        num_heads=3,
        key_dim=2,
        value_dim=4,
        dropout=0.2,
        use_bias=False,
        output_shape=(2, 3),
        attention_axes=1,
        kernel_initializer="he_normal",
        kernel_regularizer="l2",
        seed=7,
    )
    x = Input(shape=(4, 5))
    layer(x, x)
    config = layer.get_config()
    assert config["output_shape"] == [2, 3] and config["attention_axes"] == [1]
    rebuilt = serialization.deserialize(json.loads(json.dumps(serialization.serialize(layer))))
    assert {k: v for k, v in rebuilt.get_config().items() if k != "name"} == {
        k: v for k, v in config.items() if k != "name"
    }
    rebuilt(x, x)
    rebuilt.set_weights(layer.get_weights())
    data = torch.randn(2, 4, 5)
    _close(rebuilt(data, data), layer(data, data))
    assert len(layer.regularization_losses()) == 4


@settings(max_examples=15, deadline=None)
@given(
    heads=st.integers(1, 3),
    key_dim=st.integers(1, 4),
    value_dim=st.integers(1, 4),
    steps=st.one_of(st.none(), st.integers(1, 5)),
    source=st.integers(1, 5),
    dims=st.tuples(st.integers(1, 6), st.integers(1, 6)),
    out=st.one_of(st.none(), st.integers(1, 4)),
    scores=st.booleans(),
)
def test_mha_shapes_symbolic_equal_concrete(
    heads, key_dim, value_dim, steps, source, dims, out, scores
):
    plait.backend.clear_session()
    q, v = Input(shape=(steps, dims[0])), Input(shape=(source, dims[1]))
    layer = MultiHeadAttention(heads, key_dim, value_dim, output_shape=out)
    symbolic = layer(q, v, return_attention_scores=scores)
    concrete = layer(
        torch.randn(2, steps or 3, dims[0]),
        torch.randn(2, source, dims[1]),
        return_attention_scores=scores,
    )
    for sym, real in zip(symbolic if scores else [symbolic], concrete if scores else [concrete]):
        assert len(sym.shape) == real.dim()
        assert sym.shape[0] is None
        assert all(s is None or s == r for s, r in zip(sym.shape, real.shape))
    first = symbolic[0] if scores else symbolic
    assert first.shape == (None, steps, out or dims[0])
    if scores:
        assert symbolic[1].shape == (None, heads, steps, source)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(num_heads=0, key_dim=2), "num_heads=0"),
        (dict(num_heads=2, key_dim=2.5), "key_dim=2.5"),
        (dict(num_heads=2, key_dim=2, attention_axes=(1, 2)), r"attention_axes=\(1, 2\)"),
        (dict(num_heads=2, key_dim=2, output_shape="big"), "output_shape='big'"),
        (dict(num_heads=2, key_dim=2, dropout=1.5), "dropout=1.5"),
        (dict(num_heads=2, key_dim=2, activity_regularizer="l2"), "activity_regularizer='l2'"),
    ],
)
def test_mha_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MultiHeadAttention(**kwargs)


def test_mha_call_errors():
    layer = MultiHeadAttention(num_heads=2, key_dim=2)
    with pytest.raises(LayerCallError, match=r"3-D inputs.*query_shape=\(None, 4\)"):
        layer(Input(shape=(4,)), Input(shape=(3, 4)))
    layer = MultiHeadAttention(num_heads=2, key_dim=2)
    with pytest.raises(
        LayerCallError, match=r"value_shape=\(None, 3, 4\), key_shape=\(None, 5, 4\)"
    ):
        layer(Input(shape=(2, 4)), Input(shape=(3, 4)), key=Input(shape=(5, 4)))
    layer = MultiHeadAttention(num_heads=2, key_dim=2)
    with pytest.raises(LayerCallError, match=r"must be known.*query_shape=\(None, 2, None\)"):
        layer(Input(shape=(2, None)), Input(shape=(3, 4)))
    with pytest.raises(TypeError, match="layer\\(query, value\\)"):
        MultiHeadAttention(num_heads=2, key_dim=2)(Input(shape=(2, 4)))


# ------------------------------------------------------------------ Attention layers


def _dot(use_scale_value=None):
    def scores(q, k):
        s = q @ k.transpose(-1, -2)
        return s if use_scale_value is None else s * use_scale_value

    return scores


@pytest.mark.parametrize(
    "cls,kwargs,weights",
    [
        (Attention, {}, 0),
        (Attention, dict(use_scale=True), 1),
        (Attention, dict(score_mode="concat", use_scale=True), 2),
        (AdditiveAttention, {}, 1),
        (AdditiveAttention, dict(use_scale=False), 0),
    ],
)
def test_attention_contract(cls, kwargs, weights):
    run_layer_test(
        cls, kwargs, [(4, 6), (5, 3), (5, 6)], (None, 4, 3), expected_num_weights=weights
    )


def _scores_fn(layer):
    ws = [_t(w) for w in layer.get_weights()]
    if isinstance(layer, AdditiveAttention):
        scale = ws[0] if layer.use_scale else 1.0
        return lambda q, k: (scale * torch.tanh(q[:, :, None] + k[:, None])).sum(-1)
    if layer.score_mode == "concat":
        scale = ws[0] if layer.use_scale else 1.0
        weight = ws[-1]
        return lambda q, k: weight * torch.tanh(scale * (q[:, :, None] + k[:, None])).sum(-1)
    return _dot(ws[0] if layer.use_scale else None)


@pytest.mark.parametrize(
    "layer_fn",
    [
        lambda: Attention(),
        lambda: Attention(use_scale=True),
        lambda: Attention(score_mode="concat"),
        lambda: Attention(score_mode="concat", use_scale=True),
        lambda: AdditiveAttention(),
        lambda: AdditiveAttention(use_scale=False),
    ],
)
@pytest.mark.parametrize("causal", [False, True])
def test_attention_math(layer_fn, causal):
    layer = layer_fn()
    q, v, k = torch.randn(2, 4, 3), torch.randn(2, 5, 2), torch.randn(2, 5, 3)
    layer([q, v, k])
    layer.set_weights([w + 0.3 for w in layer.get_weights()])
    q_mask = torch.tensor([[True, True, True, False], [True] * 4])
    v_mask = torch.tensor([[True, True, False, True, False], [True] * 5])
    fn = _scores_fn(layer)
    want, want_w = reference_attention(q, v, k, fn, q_mask, v_mask, causal)
    out, weights = layer(
        [q, v, k], mask=[q_mask, v_mask], return_attention_scores=True, use_causal_mask=causal
    )
    _close(out, want)
    _close(weights, want_w)
    _close(layer([q, v, k], mask=[q_mask, v_mask], use_causal_mask=causal), want)
    want, _ = reference_attention(q, v, k, fn, causal=causal)
    _close(layer([q, v, k], use_causal_mask=causal), want)


def test_attention_key_defaults_to_value_and_mask_propagates():
    tokens = Input(shape=(5,), dtype="int64")
    x = Embedding(10, 4, mask_zero=True)(tokens)
    layer = Attention()
    out = layer([x, x])
    assert set(layer._inbound_nodes[0].call_kwargs) == {"mask"}
    model = Model(tokens, out)
    data = torch.tensor([[1, 2, 0, 0, 0], [3, 4, 5, 6, 7]])
    emb = model.get_layer(index=1)(data)
    present = data != 0
    want, _ = reference_attention(emb, emb, None, _dot(), present, present)
    with torch.no_grad():
        _close(model(data), want)
    assert layer.compute_mask([x, x], mask=[None, None]) is None


@pytest.mark.parametrize("cls", [Attention, AdditiveAttention])
def test_attention_dropout_only_in_training(cls):
    layer = cls(dropout=0.5, seed=1)
    q = torch.randn(3, 6, 4)
    plain = layer([q, q])
    _close(layer([q, q], training=False), plain)
    out, weights = layer([q, q], training=True, return_attention_scores=True)
    assert not torch.allclose(out, plain, atol=1e-3)
    assert (weights == 0).float().mean() > 0.2  # dropped weights are returned as Keras does


@pytest.mark.parametrize(
    "cls,kwargs",
    [
        (Attention, dict(use_scale=True, score_mode="concat", dropout=0.25, seed=2)),
        (AdditiveAttention, dict(use_scale=False, dropout=0.1)),
    ],
)
def test_attention_config_round_trip(cls, kwargs):
    layer = cls(**kwargs)
    config = layer.get_config()
    for key, value in kwargs.items():
        assert config[key] == value
    assert ("score_mode" in config) == (cls is Attention)
    rebuilt = cls.from_config(json.loads(json.dumps(config)))
    assert rebuilt.get_config() == config


@settings(max_examples=15, deadline=None)
@given(
    tq=st.one_of(st.none(), st.integers(1, 5)),
    tv=st.integers(1, 5),
    dim=st.integers(1, 4),
    vdim=st.integers(1, 4),
    additive=st.booleans(),
    scores=st.booleans(),
)
def test_attention_shapes_symbolic_equal_concrete(tq, tv, dim, vdim, additive, scores):
    plait.backend.clear_session()
    layer = AdditiveAttention() if additive else Attention(use_scale=True)
    sym = layer(
        [Input(shape=(tq, dim)), Input(shape=(tv, vdim)), Input(shape=(tv, dim))],
        return_attention_scores=scores,
    )
    real = layer(
        [torch.randn(2, tq or 3, dim), torch.randn(2, tv, vdim), torch.randn(2, tv, dim)],
        return_attention_scores=scores,
    )
    sym, real = (sym, real) if scores else ([sym], [real])
    assert sym[0].shape == (None, tq, vdim)
    if scores:
        assert sym[1].shape == (None, tq, tv)
    for s, r in zip(sym, real):
        assert len(s.shape) == r.dim()
        assert all(a is None or a == b for a, b in zip(s.shape, r.shape))


def test_attention_errors():
    with pytest.raises(ValueError, match="score_mode='sum'"):
        Attention(score_mode="sum")
    x = Input(shape=(3, 4))
    with pytest.raises(ValueError, match="must be called on a list of inputs"):
        Attention()(x)
    with pytest.raises(ValueError, match="Received: a list of 1"):
        Attention()([x])
    with pytest.raises(
        LayerCallError, match=r"query_shape=\(None, 3, 4\), key_shape=\(None, 3, 5\)"
    ):
        Attention()([x, x, Input(shape=(3, 5))])
    with pytest.raises(
        LayerCallError, match=r"value_shape=\(None, 3, 4\), key_shape=\(None, 2, 4\)"
    ):
        AdditiveAttention()([x, x, Input(shape=(2, 4))])
    with pytest.raises(LayerCallError, match=r"its query has shape \(None, 4\)"):
        Attention()([Input(shape=(4,)), x])
    layer = Attention()
    q = torch.randn(1, 3, 4)
    with pytest.raises(ValueError, match="mask=tensor"):
        layer([q, q], mask=torch.ones(1, 3, dtype=torch.bool))


def test_attention_exported():
    assert plait.layers.MultiHeadAttention is MultiHeadAttention
    assert plait.layers.Attention is Attention
    assert plait.layers.AdditiveAttention is AdditiveAttention
    import plait.layers.attention as module

    assert module.MultiHeadAttention is MultiHeadAttention
