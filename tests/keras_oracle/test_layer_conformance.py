"""Layer conformance with Keras 3 (torch backend), table-driven (issue 15, "The oracle").

For every row of `layer_cases.CASES`: build the plait and the Keras layer from the same
config on the same input, copy Keras's weights into plait through get_weights/set_weights,
then compare forward (inference, and training for deterministic layers) to 1e-5, gradients
with respect to the inputs and to every weight, the weights after a training call
(BatchNormalization's moving statistics), output shapes (symbolic and concrete),
count_params, compute_mask, and get_config keys and defaults. Every layer both libraries
have is either built by a row or listed in `SKIPPED` with a reason. Initializers are
compared statistically. `PLAIT_ORACLE_FULL=1` runs more rows.
"""

import inspect

import numpy as np
import pytest
import torch

import plait
from plait.utils import nest
from tests.keras_oracle.conftest import keras
from tests.keras_oracle.layer_cases import (
    ACTIVE,
    ALIASES,
    CASES,
    CONFIG_DIFFERENCES,
    IDS,
    SKIPPED,
)

IDS_OF = [case.id for case in ACTIVE]


def _tensor(a, grad=False):
    t = torch.tensor(a)
    if grad and t.is_floating_point():
        t.requires_grad_(True)
    return t


def _args(case, grad=False):
    xs = (
        [_tensor(a, grad) for a in case.inputs[0]]
        if case.as_list
        else [_tensor(a, grad) for a in case.inputs]
    )
    call = {
        k: (
            [torch.tensor(m) for m in v]
            if isinstance(v, list)
            else torch.tensor(v)
            if isinstance(v, np.ndarray)
            else v
        )
        for k, v in case.call.items()
    }
    args = [xs] if case.as_list else xs
    return xs, args, call


def _built_pair(case):
    k_layer, p_layer = case.factory(keras.layers), case.factory(plait.layers)
    for layer in (k_layer, p_layer):
        _, args, call = _args(case)
        layer(*args, **call)
    k_weights = [np.asarray(keras.ops.convert_to_numpy(w)) for w in k_layer.get_weights()]
    assert [w.shape for w in p_layer.get_weights()] == [w.shape for w in k_weights]
    p_layer.set_weights(k_weights)
    return k_layer, p_layer


def _raw(variable):
    return getattr(variable, "value", variable)


def _run(layer, case, training):
    """Forward, then backward of a fixed weighted sum; returns outputs, input and weight
    gradients."""
    xs, args, call = _args(case, grad=True)
    for w in layer.weights:
        _raw(w).grad = None
    outs = [
        o
        for o in nest.flatten(layer(*args, training=training, **call))
        if isinstance(o, torch.Tensor)
    ]
    rng = np.random.default_rng(1)
    loss = sum(
        (o * torch.tensor(rng.normal(size=tuple(o.shape)).astype("float32"))).sum()
        for o in outs
        if o.is_floating_point()
    )
    if isinstance(loss, torch.Tensor) and loss.requires_grad:
        loss.backward()
    x_grads = [x.grad for x in xs if x.requires_grad]
    return ([_np(o) for o in outs], [_np(g) for g in x_grads], _weight_grads(layer))


def _np(t):
    return None if t is None else t.detach().numpy()


def _weight_grads(layer):
    """Gradients in Keras's layout and order: Keras's own variables are in that layout; for
    plait, load each gradient into its parameter and read it back through get_weights."""
    raws = [_raw(w) for w in layer.weights]
    if isinstance(layer, keras.layers.Layer):
        return [_np(t.grad) for t in raws]
    saved = [t.data.clone() for t in raws]
    try:
        for t in raws:
            t.data = t.grad.clone() if t.grad is not None else torch.zeros_like(t.data)
        return [np.asarray(g) for g in layer.get_weights()]
    finally:
        for t, data in zip(raws, saved):
            t.data = data


def _close(got, expected, what, rtol=1e-5, atol=1e-5):
    assert len(got) == len(expected), what
    for i, (a, b) in enumerate(zip(got, expected)):
        if b is None or a is None:
            assert a is None or not np.any(a), f"{what}[{i}]"
            continue
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{what}[{i}]")


@pytest.mark.parametrize("case", ACTIVE, ids=IDS_OF)
@pytest.mark.parametrize("training", [False, True], ids=["inference", "training"])
def test_forward_and_gradients(case, training):
    if training and not case.train:
        pytest.skip("training-mode forward is random")
    k_layer, p_layer = _built_pair(case)
    expected, k_xg, k_wg = _run(k_layer, case, training)
    got, p_xg, p_wg = _run(p_layer, case, training)
    _close(got, expected, "outputs")
    _close(p_xg, k_xg, "input gradients", rtol=1e-4)
    _close(p_wg, k_wg, "weight gradients", rtol=1e-4, atol=1e-4)
    k_after = [keras.ops.convert_to_numpy(w) for w in k_layer.get_weights()]
    _close(p_layer.get_weights(), k_after, "weights after the call")


@pytest.mark.parametrize("case", ACTIVE, ids=IDS_OF)
def test_shapes_and_params(case):
    k_layer, p_layer = _built_pair(case)
    assert p_layer.count_params() == k_layer.count_params()
    _, args, call = _args(case)
    concrete = [tuple(o.shape) for o in nest.flatten(p_layer(*args, **call))]
    assert concrete == [tuple(o.shape) for o in nest.flatten(k_layer(*args, **call))]
    arrays = case.inputs[0] if case.as_list else case.inputs
    k_sym = [keras.Input(shape=a.shape[1:], dtype=str(a.dtype)) for a in arrays]
    p_sym = [plait.layers.Input(shape=a.shape[1:], dtype=str(a.dtype)) for a in arrays]
    sym_call = {k: v for k, v in case.call.items() if not isinstance(v, (np.ndarray, list))}
    k_out = case.factory(keras.layers)(*([k_sym] if case.as_list else k_sym), **sym_call)
    p_out = case.factory(plait.layers)(*([p_sym] if case.as_list else p_sym), **sym_call)
    assert [tuple(t.shape) for t in nest.flatten(p_out)] == [
        tuple(t.shape) for t in nest.flatten(k_out)
    ]


def _as_object(value):
    """A string naming a Keras object (plait writes default initializers by name) as the
    dict Keras writes for it."""
    if isinstance(value, str):
        try:
            return keras.saving.serialize_keras_object(keras.initializers.get(value))
        except ValueError:
            return value
    return value


def _same(got, expected, where):
    """plait's config value `got` carries Keras's `expected` (plait may hold more keys)."""
    if isinstance(expected, dict) and "class_name" in expected:
        got = _as_object(got)
        assert isinstance(got, dict), f"{where}: {got!r} is not {expected!r}"
        assert got["class_name"] == expected["class_name"], where
        _same_config(got.get("config") or {}, expected.get("config") or {}, where)
    elif isinstance(expected, dict):
        _same_config(got, expected, where)
    elif isinstance(expected, (list, tuple)) and not isinstance(got, str):
        assert len(got) == len(expected), where
        for i, (a, b) in enumerate(zip(got, expected)):
            _same(a, b, f"{where}[{i}]")
    else:
        assert got == expected, f"{where}: plait {got!r} != Keras {expected!r}"


def _same_config(got, expected, where):
    missing = set(expected) - set(got) - CONFIG_DIFFERENCES
    assert not missing, f"{where}: plait's get_config lacks Keras's keys {sorted(missing)}"
    for key, value in expected.items():
        if key not in CONFIG_DIFFERENCES:
            _same(got[key], value, f"{where}.{key}")


@pytest.mark.parametrize("case", ACTIVE, ids=IDS_OF)
def test_config_keys_and_defaults(case):
    if case.id == "lambda":
        pytest.skip("Lambda serializes a Python function; compared in its own tests")
    k_config = case.factory(keras.layers).get_config()
    p_config = case.factory(plait.layers).get_config()
    _same_config(p_config, k_config, case.id)


def test_embedding_mask_zero_mask():
    for mask_zero in (True, False):
        k = keras.layers.Embedding(10, 3, mask_zero=mask_zero)
        p = plait.layers.Embedding(10, 3, mask_zero=mask_zero)
        k_mask, p_mask = k.compute_mask(torch.tensor(IDS)), p.compute_mask(torch.tensor(IDS))
        if k_mask is None:
            assert p_mask is None
        else:
            np.testing.assert_array_equal(p_mask.numpy(), keras.ops.convert_to_numpy(k_mask))


@pytest.mark.parametrize("rnn", ["LSTM", "GRU", "SimpleRNN"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_masking_through_embedding(rnn, go_backwards):
    models = []
    for ns in (keras, plait):
        inputs = ns.Input(shape=(5,), dtype="int64")
        x = ns.layers.Embedding(10, 3, mask_zero=True)(inputs)
        x = getattr(ns.layers, rnn)(4, return_sequences=True, go_backwards=go_backwards)(x)
        models.append(ns.Model(inputs, ns.layers.GlobalAveragePooling1D()(x)))
    k_model, p_model = models
    p_model.set_weights([keras.ops.convert_to_numpy(w) for w in k_model.get_weights()])
    expected = keras.ops.convert_to_numpy(k_model(torch.tensor(IDS)))
    np.testing.assert_allclose(
        p_model(torch.tensor(IDS)).detach().numpy(), expected, rtol=1e-5, atol=1e-5
    )


def _public_classes(module):
    return {n for n in dir(module) if not n.startswith("_") and inspect.isclass(getattr(module, n))}


def test_every_shared_layer_has_a_row_or_a_reason():
    shared = _public_classes(plait.layers) & _public_classes(keras.layers)
    built = {type(case.factory(plait.layers)).__name__ for case in CASES}
    uncovered = {
        n for n in shared if n not in built and n not in SKIPPED and ALIASES.get(n) not in built
    }
    assert not uncovered, f"no conformance row nor skip reason for {sorted(uncovered)}"


# ---- initializers: distributions, fans, bounds -------------------------------------------

INIT_SHAPES = [(256, 384), (3, 3, 16, 64), (5, 32, 128)]
INITIALIZERS = [
    ("GlorotUniform", {}),
    ("GlorotNormal", {}),
    ("HeUniform", {}),
    ("HeNormal", {}),
    ("LecunUniform", {}),
    ("LecunNormal", {}),
    ("RandomNormal", {"stddev": 0.3}),
    ("RandomUniform", {"minval": -0.2, "maxval": 0.5}),
    ("TruncatedNormal", {"stddev": 0.2}),
    ("VarianceScaling", {"scale": 2.0, "mode": "fan_avg", "distribution": "uniform"}),
    ("VarianceScaling", {"scale": 0.5, "mode": "fan_out", "distribution": "truncated_normal"}),
    ("VarianceScaling", {"mode": "fan_in", "distribution": "untruncated_normal"}),
    ("Zeros", {}),
    ("Ones", {}),
    ("Constant", {"value": 0.7}),
]


@pytest.mark.parametrize("shape", INIT_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize(
    "name,kwargs", INITIALIZERS, ids=[f"{n}{i}" for i, (n, _) in enumerate(INITIALIZERS)]
)
def test_initializer_distribution(name, kwargs, shape):
    k = keras.ops.convert_to_numpy(getattr(keras.initializers, name)(**kwargs)(shape))
    p = getattr(plait.initializers, name)(**kwargs)(shape)
    p = p.detach().numpy() if isinstance(p, torch.Tensor) else np.asarray(p)
    assert p.shape == k.shape and p.dtype == k.dtype
    n = k.size
    # means agree within 6 standard errors, standard deviations (so the fans) within 3%
    assert abs(p.mean() - k.mean()) < 6 * max(k.std(), 1e-12) * np.sqrt(2 / n) + 1e-7
    np.testing.assert_allclose(p.std(), k.std(), rtol=0.03, atol=1e-7)
    k_init = getattr(keras.initializers, name)(**kwargs)
    config = dict(
        k_init.get_config(),
        **{a: getattr(k_init, a) for a in ("scale", "mode", "distribution") if hasattr(k_init, a)},
    )
    bound = _bound(config, name, shape)
    if bound is not None:  # uniform limits and truncation at two standard deviations
        low, high = bound
        assert low - 1e-6 <= p.min() <= low * 0.95 + 1e-7 or low == high
        assert high * 0.95 - 1e-7 <= p.max() <= high + 1e-6


def _bound(config, name, shape):
    """The support Keras's documentation gives an initializer, fans computed as Keras does
    (receptive field = product of all but the last two dimensions)."""
    if name in ("Zeros", "Ones", "Constant"):
        value = {"Zeros": 0.0, "Ones": 1.0}.get(name, config.get("value"))
        return value, value
    if name == "RandomUniform":
        return config["minval"], config["maxval"]
    if name == "TruncatedNormal":
        return -2 * config["stddev"] + config["mean"], 2 * config["stddev"] + config["mean"]
    if name == "RandomNormal" or config.get("distribution") == "untruncated_normal":
        return None
    field = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    fan_in, fan_out = (
        (shape[-2] * field, shape[-1] * field) if len(shape) > 1 else (shape[0], shape[0])
    )
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[
        config.get("mode", "fan_in")
    ]
    variance = config.get("scale", 1.0) / fan
    if config.get("distribution") == "uniform":
        limit = np.sqrt(3 * variance)
    else:
        limit = 2 * np.sqrt(variance) / 0.87962566103423978
    return -limit, limit


@pytest.mark.parametrize("shape", [(64, 64), (32, 96), (3, 3, 8, 8)])
def test_orthogonal_and_identity(shape):
    p = plait.initializers.Orthogonal(gain=1.5)(shape)
    p = p.detach().numpy().reshape(-1, shape[-1]) if isinstance(p, torch.Tensor) else p
    k = keras.ops.convert_to_numpy(keras.initializers.Orthogonal(gain=1.5)(shape))
    k = k.reshape(-1, shape[-1])
    small = min(p.shape)
    gram = (p.T @ p) if p.shape[0] >= p.shape[1] else (p @ p.T)
    k_gram = (k.T @ k) if k.shape[0] >= k.shape[1] else (k @ k.T)
    np.testing.assert_allclose(gram, k_gram, atol=1e-4)
    np.testing.assert_allclose(gram, 2.25 * np.eye(small), atol=1e-4)
    if len(shape) == 2:
        pi = plait.initializers.Identity(gain=2.0)(shape)
        pi = pi.detach().numpy() if isinstance(pi, torch.Tensor) else pi
        np.testing.assert_array_equal(
            pi, keras.ops.convert_to_numpy(keras.initializers.Identity(gain=2.0)(shape))
        )


@pytest.mark.parametrize(
    "name", ["GlorotUniform", "HeNormal", "TruncatedNormal", "RandomUniform", "Orthogonal"]
)
def test_initializer_config(name):
    k = getattr(keras.initializers, name)().get_config()
    p = getattr(plait.initializers, name)().get_config()
    k = {key: v for key, v in k.items() if key not in CONFIG_DIFFERENCES}
    assert set(k) <= set(p)
    assert {key: p[key] for key in k} == k
