"""The last Keras layer names plait lacked, against Keras 3 (torch backend): AlphaDropout
(training noise through Keras's own constants), Wrapper (a user subclass), InputSpec and its
checks (same accept/reject and messages), layers.serialize/deserialize (Keras's layout),
Convolution1DTranspose. ReversibleEmbedding's numerics are rows of layer_cases.py."""

import numpy as np
import pytest
import torch

import plait
from tests.keras_oracle.conftest import keras

RNG = np.random.default_rng(3)
X = RNG.normal(size=(64, 6, 8)).astype("float32")


def _np(t):
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


def _keras_alpha_values(rate, x):
    """Keras's kept value (an affine map of x) and dropped value, read from its output."""
    out = _np(keras.layers.AlphaDropout(rate, seed=1)(x, training=True))
    # two points determine the affine map a * x + b of the kept units; the rest is constant
    values, counts = np.unique(np.round(out, 5), return_counts=True)
    dropped = values[np.argmax(counts)]
    kept = ~np.isclose(out, dropped, atol=1e-5)
    i, j = np.flatnonzero(kept.ravel())[:2]
    a = (out.ravel()[i] - out.ravel()[j]) / (x.ravel()[i] - x.ravel()[j])
    b = out.ravel()[i] - a * x.ravel()[i]
    return a, b, dropped, kept.mean()


@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_alpha_dropout_uses_keras_affine_correction(rate):
    a, b, dropped, keep_share = _keras_alpha_values(rate, X)
    layer = plait.layers.AlphaDropout(rate, seed=2)
    x = torch.tensor(X, requires_grad=True)
    out = layer(x, training=True)
    got = _np(out)
    kept = ~np.isclose(got, dropped, atol=1e-5)
    np.testing.assert_allclose(got[kept], a * X[kept] + b, rtol=1e-4, atol=1e-4)
    assert abs(kept.mean() - (1 - rate)) < 0.02 and abs(keep_share - (1 - rate)) < 0.02
    out.sum().backward()
    np.testing.assert_allclose(_np(x.grad), np.where(kept, a, 0.0), rtol=1e-4)
    np.testing.assert_allclose(_np(layer(torch.tensor(X), training=False)), X)


def test_alpha_dropout_keeps_selu_statistics_and_noise_shape():
    x = torch.randn(4000, 16)
    out = plait.layers.AlphaDropout(0.2, seed=123)(x, training=True)
    assert abs(float(out.mean())) < 0.03 and abs(float(out.std()) - 1) < 0.03
    shared = plait.layers.AlphaDropout(0.5, noise_shape=(None, 1, 8), seed=0)
    y = _np(shared(torch.tensor(X), training=True))
    values, counts = np.unique(np.round(y, 5), return_counts=True)
    dropped = np.isclose(y, values[np.argmax(counts)], atol=1e-5)
    assert 0.4 < dropped.mean() < 0.6
    assert (dropped == dropped[:, :1, :]).all()  # one mask for every time step
    again = plait.layers.AlphaDropout(0.5, noise_shape=(None, 1, 8), seed=0)
    np.testing.assert_allclose(_np(again(torch.tensor(X), training=True)), y)


def test_alpha_dropout_errors_and_config():
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="rate"):
            keras.layers.AlphaDropout(bad)
        with pytest.raises(ValueError, match="Received: rate="):
            plait.layers.AlphaDropout(bad)
    with pytest.raises(ValueError, match="noise_shape"):
        plait.layers.AlphaDropout(0.1, noise_shape=(None, 2))(plait.Input((3, 4)))
    with pytest.raises(ValueError, match="rate=1"):
        plait.layers.AlphaDropout(1.0)(torch.ones(2, 2), training=True)
    k = keras.layers.AlphaDropout(0.2, noise_shape=(None, 1, 3), seed=4).get_config()
    p = plait.layers.AlphaDropout(0.2, noise_shape=(None, 1, 3), seed=4).get_config()
    for key in ("rate", "seed", "noise_shape"):
        assert (
            list(p[key] or []) == list(k[key] or []) if key == "noise_shape" else p[key] == k[key]
        )


def _scaled(module):
    class Scaled(module.layers.Wrapper):
        def call(self, inputs):
            return 2.0 * self.layer(inputs) + 1.0

    return Scaled


def test_wrapper_subclass_matches_keras():
    k = _scaled(keras)(keras.layers.Dense(3))
    p = _scaled(plait)(plait.layers.Dense(3))
    x = X[:4, 0]
    k(torch.tensor(x))
    p(torch.tensor(x))
    assert len(p.weights) == len(k.weights) == 2
    p.set_weights([_np(w) for w in k.get_weights()])
    np.testing.assert_allclose(_np(p(torch.tensor(x))), _np(k(torch.tensor(x))), rtol=1e-5)
    k_config, p_config = k.get_config(), p.get_config()
    assert set(k_config) - {"dtype"} <= set(p_config)
    assert p_config["layer"]["class_name"] == k_config["layer"]["class_name"] == "Dense"
    clone = type(p).from_config(p_config)
    assert clone.layer.units == 3 and clone.layer is not p.layer
    inputs = plait.Input((8,))
    model = plait.Model(inputs, p(inputs))
    np.testing.assert_allclose(_np(model(torch.tensor(x))), _np(k(torch.tensor(x))), rtol=1e-5)


def test_wrapper_rejects_what_keras_rejects():
    with pytest.raises(ValueError, match="isn't a supported layer type"):
        keras.layers.Wrapper(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="isn't a supported layer type"):
        plait.layers.Wrapper(torch.nn.Linear(2, 2))


SPECS = [
    {"ndim": 3},
    {"min_ndim": 2, "axes": {-1: 8}},
    {"max_ndim": 2},
    {"shape": (None, 6, 8)},
    {"shape": (None, 6, 9)},
    {"shape": (None, 6, 8, 1), "allow_last_axis_squeeze": True},
    {"dtype": "float32", "ndim": 3},
    {"dtype": "int64"},
    {"axes": {1: 5}},
]


def _outcome(fn):
    try:
        fn()
    except ValueError as err:
        return str(err)
    return None


@pytest.mark.parametrize("kwargs", SPECS, ids=[str(s) for s in SPECS])
def test_input_spec_checks_like_keras(kwargs):
    from keras.src.layers.input_spec import assert_input_compatibility as k_check

    from plait.layers.input_spec import assert_input_compatibility as p_check

    x = torch.tensor(X[:2])
    k_spec, p_spec = keras.layers.InputSpec(**kwargs), plait.layers.InputSpec(**kwargs)
    assert repr(p_spec) == repr(k_spec)
    assert p_spec.get_config() == k_spec.get_config()
    expected = _outcome(lambda: k_check(k_spec, x, "probe"))
    got = _outcome(lambda: p_check(p_spec, x, "probe"))
    assert got == expected


def test_input_spec_counts_and_names_like_keras():
    from keras.src.layers.input_spec import assert_input_compatibility as k_check

    from plait.layers.input_spec import assert_input_compatibility as p_check

    x = torch.zeros(2, 3)
    for module, check in ((keras.layers, k_check), (plait.layers, p_check)):
        named = [module.InputSpec(name="a", ndim=2), module.InputSpec(name="b", ndim=2)]
        assert check(named, {"b": x, "a": x}, "pair") is None
        with pytest.raises(ValueError, match='Missing data for input "b"'):
            check(named, {"a": x, "c": x}, "pair")
        with pytest.raises(ValueError, match="expects 2 named input"):
            check(named, [x], "pair")
    with pytest.raises(TypeError, match="integer keys"):
        plait.layers.InputSpec(axes={"x": 1})
    with pytest.raises(ValueError, match="greater than the maximum"):
        plait.layers.InputSpec(ndim=2, axes={3: 1})


def test_layers_serialize_has_keras_layout_and_round_trips():
    k_layer, p_layer = keras.layers.Dense(4, name="head"), plait.layers.Dense(4, name="head")
    k_layer(keras.Input((3,)))
    p_layer(plait.Input((3,)))
    k_out, p_out = keras.layers.serialize(k_layer), plait.layers.serialize(p_layer)
    assert set(p_out) == set(k_out)
    assert p_out["class_name"] == k_out["class_name"] and p_out["registered_name"] is None
    assert tuple(p_out["build_config"]["input_shape"]) == tuple(
        k_out["build_config"]["input_shape"]
    )
    clone = plait.layers.deserialize(p_out)
    assert clone.built and clone.name == "head" and clone.units == 4
    assert [tuple(w.shape) for w in clone.get_weights()] == [(3, 4), (4,)]


def test_layers_serialize_registered_custom_class_like_keras():
    @keras.saving.register_keras_serializable(package="Probe")
    class KScale(keras.layers.Layer):
        def call(self, x):
            return x

    @plait.saving.register_serializable(package="Probe")
    class PScale(plait.layers.Layer):
        def call(self, x):
            return x

    assert keras.layers.serialize(KScale())["registered_name"] == "Probe>KScale"
    out = plait.layers.serialize(PScale())
    assert out["registered_name"] == "Probe>PScale" and out["class_name"] == "PScale"
    assert isinstance(plait.layers.deserialize(out), PScale)
    with pytest.raises(ValueError, match="Unknown layer class"):
        plait.layers.deserialize({"class_name": "NoSuchLayer", "config": {}})
    with pytest.raises(ValueError, match="not a `plait.layers.Layer`"):
        plait.layers.deserialize(plait.serialization.serialize(plait.initializers.Zeros()))


def test_convolution1d_transpose_is_keras_alias():
    assert keras.layers.Convolution1DTranspose is keras.layers.Conv1DTranspose
    assert plait.layers.Convolution1DTranspose is plait.layers.Conv1DTranspose


def test_reversible_embedding_ties_and_masks():
    layer = plait.layers.ReversibleEmbedding(12, 5, mask_zero=True)
    ids = torch.tensor([[3, 0, 7]])
    hidden = layer(ids)
    logits = layer(hidden, reverse=True)
    np.testing.assert_allclose(_np(logits), _np(hidden @ layer.embeddings.T), rtol=1e-6)
    assert layer.compute_mask(ids).tolist() == [[True, False, True]]
    inputs = plait.Input((None,), dtype="int64")
    model = plait.Model(inputs, layer(layer(inputs), reverse=True))
    assert model.output_shape == (None, None, 12)
    np.testing.assert_allclose(_np(model(ids)), _np(logits), rtol=1e-6)
    k_config = keras.layers.ReversibleEmbedding(12, 5, reverse_dtype="float32").get_config()
    p_config = plait.layers.ReversibleEmbedding(12, 5, reverse_dtype="float32").get_config()
    for key in ("tie_weights", "reverse_dtype", "logit_soft_cap", "mask_zero"):
        assert p_config[key] == k_config[key]
    with pytest.raises(ValueError, match="input_dim"):
        plait.layers.ReversibleEmbedding(0, 5)


VIDEO = RNG.normal(size=(2, 3, 6, 5, 2)).astype("float32")


def _fixed_masks():
    cache = {}

    def masks(like, rate):
        key = (tuple(like.shape), rate)
        if key not in cache:
            gen = torch.Generator().manual_seed(len(cache))
            shape = tuple(like.shape)
            cache[key] = [
                (torch.rand(shape, generator=gen) >= rate).float() / (1 - rate) for _ in range(4)
            ]
        return cache[key]

    return masks


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dropout": 0.3},
        {"recurrent_dropout": 0.4},
        {"dropout": 0.2, "recurrent_dropout": 0.5, "padding": "same", "return_sequences": True},
    ],
)
def test_conv_lstm_dropout_matches_keras_for_the_same_masks(kwargs):
    k = keras.layers.ConvLSTM2D(4, 3, **kwargs)
    p = plait.layers.ConvLSTM2D(4, 3, **kwargs)
    k(torch.tensor(VIDEO))
    p(torch.tensor(VIDEO))
    p.set_weights([_np(w) for w in k.get_weights()])
    masks = _fixed_masks()  # Keras's per-gate masks, drawn once per batch, given to both
    k.cell._create_dropout_mask = masks
    p.dropout_masks = masks
    results = []
    for layer in (k, p):
        x = torch.tensor(VIDEO, requires_grad=True)
        out = layer(x, training=True)
        (out * torch.linspace(-1, 1, out.numel()).reshape(out.shape)).sum().backward()
        results.append((_np(out), _np(x.grad)))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-4, atol=1e-6)
    inference = _np(p(torch.tensor(VIDEO), training=False))
    np.testing.assert_allclose(inference, _np(k(torch.tensor(VIDEO))), rtol=1e-5, atol=1e-6)
    k_config, p_config = k.get_config(), p.get_config()
    for key in ("dropout", "recurrent_dropout", "seed"):
        assert p_config[key] == k_config[key]


def test_conv_lstm_dropout_is_seeded_and_active_only_in_training():
    def make():
        return plait.layers.ConvLSTM1D(3, 2, dropout=0.5, recurrent_dropout=0.5, seed=3)

    a, b = make(), make()
    x = torch.tensor(VIDEO[:, :, 0])
    a(x), b(x)
    b.set_weights(a.get_weights())
    torch.testing.assert_close(a(x, training=True), b(x, training=True))
    assert not torch.allclose(a(x, training=True), a(x, training=False))
    assert torch.equal(a(x), a(x, training=False))
    clipped = plait.layers.ConvLSTM1D(3, 2, dropout=1.5, recurrent_dropout=-1)
    assert (clipped.dropout, clipped.recurrent_dropout) == (1.0, 0.0)  # Keras clips
    torch.testing.assert_close(clipped(x, training=True), clipped(x, training=False))


def _spec_layer(module):
    class NeedsRank3(module.layers.Layer):
        def __init__(self):
            super().__init__()
            self.input_spec = module.layers.InputSpec(ndim=3)

        def call(self, x):
            return x

    return NeedsRank3()


def test_a_layers_input_spec_is_checked_when_called_as_keras_does():
    for shape, ok in (((4,), False), ((4, 5), True)):
        outcomes = []
        for module in (keras, plait):
            try:
                _spec_layer(module)(module.Input(shape))
                outcomes.append("ok")
            except ValueError as err:
                assert "expected ndim=3, found ndim=2" in str(err)
                outcomes.append("refused")
        assert outcomes == ["ok" if ok else "refused"] * 2
