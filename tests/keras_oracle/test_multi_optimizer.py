"""`MultiOptimizer` and `OptimizerMap` against Keras 3 (torch backend): the same weights
routed to the same sub-optimizers give Keras's weights, state and config keys."""

import numpy as np
import pytest
import torch

import plait
from plait import layers, optimizers
from plait.utils.variables import make_variable
from tests.keras_oracle.conftest import keras

PATHS = ["enc/kernel", "enc/bias", "dec/kernel", "dec/bias"]
SHAPES = [(4, 3), (3,), (3, 2), (2,)]


def _start():
    rng = np.random.default_rng(0)
    return [rng.normal(size=s).astype("float32") for s in SHAPES]


def _grads(steps=10):
    rng = np.random.default_rng(1)
    return [[rng.normal(size=s).astype("float32") for s in SHAPES] for _ in range(steps)]


def _keras_vars(start):
    out = []
    for path, w in zip(PATHS, start):
        with keras.name_scope(path.split("/")[0]):
            out.append(keras.Variable(w, name=path.split("/")[1]))
    return out


def _plait_vars(start):
    return [
        make_variable(torch.tensor(w), True, True, p.split("/")[1], p) for p, w in zip(PATHS, start)
    ]


def _build(lib, mode):
    O = keras.optimizers if lib == "keras" else optimizers
    if mode == "map":
        return O.MultiOptimizer(
            O.OptimizerMap(O.SGD(0.1, momentum=0.5), {"enc/.*": O.Adam(0.01)}),
        )
    if mode == "loss_scale":
        return O.MultiOptimizer(
            O.OptimizerMap(O.RMSprop(0.01), {"dec/kernel": O.Adam(0.01)}),
            loss_scale_factor=4.0,
        )
    adam, sgd = O.Adam(0.02), O.SGD(0.05)
    return O.MultiOptimizer(lambda v: adam if "kernel" in v.path else sgd)


@pytest.mark.parametrize("mode", ["map", "loss_scale", "callable"])
def test_multi_optimizer_matches_keras(mode):
    start, grads = _start(), _grads()
    kvars, pvars = _keras_vars(start), _plait_vars(start)
    assert [v.path for v in kvars] == [v.path for v in pvars]
    kopt, popt = _build("keras", mode), _build("plait", mode)
    for step in grads:
        kopt.apply([torch.tensor(g) for g in step], kvars)
        popt.apply([torch.tensor(g) for g in step], pvars)
    for k, p in zip(kvars, pvars):
        ours, theirs = p.detach().numpy(), keras.ops.convert_to_numpy(k)
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
    assert int(popt.iterations) == int(kopt.iterations) == len(grads)
    kinds = [type(o).__name__ for o in kopt.optimizers]
    assert [type(o).__name__ for o in popt.optimizers] == kinds
    theirs = [keras.ops.convert_to_numpy(v) for v in kopt.variables]
    ours = [v.detach().numpy() for v in popt.variables]
    assert [np.shape(v) for v in ours] == [np.shape(v) for v in theirs]
    for a, b in zip(ours[2:], theirs[2:]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_optimizer_map_lookup_as_kerass():
    for O in (keras.optimizers, optimizers):
        m = O.OptimizerMap(default_optimizer=O.RMSprop())
        m["encoder/layer_0/dense"] = O.Adam()
        m["encoder/.*"] = O.SGD()
        m["decoder"] = O.Adam()
        got = [
            type(m[k]).__name__.lower()
            for k in (
                "decoder",
                "encoder/layer_0/dense",
                "encoder/layer_0/attention/query",
                "decoder/layer_0/dense",
            )
        ]
        assert got == ["adam", "adam", "sgd", "rmsprop"]
        m["enc.*"] = O.SGD()
        with pytest.raises(ValueError, match="Multiple optimizers"):
            m["encoder/x"]
        with pytest.raises(ValueError, match="already exists"):
            m["decoder"] = O.SGD()
        with pytest.raises(ValueError, match="cannot be"):
            m["x"] = O.LossScaleOptimizer(O.SGD())
        with pytest.raises(TypeError):
            O.OptimizerMap("adam")


def test_config_round_trip_and_keras_keys():
    popt, kopt = _build("plait", "map"), _build("keras", "map")
    assert set(popt.get_config()) == set(kopt.get_config())
    again = optimizers.deserialize(optimizers.serialize(popt))
    assert isinstance(again, optimizers.MultiOptimizer)
    assert [o.name for o in again.optimizers] == [o.name for o in popt.optimizers]
    assert again.optimizers[0].learning_rate == pytest.approx(0.01)
    with pytest.raises(AttributeError, match="sub-optimizers"):
        popt.learning_rate


def test_fit_save_load_and_state_dict(tmp_path):
    plait.utils.set_random_seed(0)
    model = plait.Sequential(
        [plait.Input((4,)), layers.Dense(8, name="enc"), layers.Dense(1, name="dec")]
    )
    opt = optimizers.MultiOptimizer(
        optimizers.OptimizerMap(
            optimizers.SGD(0.05), {"enc/.*": optimizers.Adam(0.01, use_ema=True)}
        )
    )
    model.compile(optimizer=opt, loss="mse")
    x = np.random.normal(size=(64, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    history = model.fit(x, y, epochs=4, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    adam, sgd = opt.optimizers
    assert int(adam.iterations) == int(sgd.iterations) == int(opt.iterations) == 16
    for name in ("m.plait", "m.keras"):
        model.save(tmp_path / name)
        loaded = plait.models.load_model(tmp_path / name)
        assert [type(o).__name__ for o in loaded.optimizer.optimizers] == ["Adam", "SGD"]
    assert int(plait.models.load_model(tmp_path / "m.plait").optimizer.iterations) == 16
    state = opt.state_dict()
    fresh = optimizers.MultiOptimizer(
        optimizers.OptimizerMap(optimizers.SGD(0.05), {"enc/.*": optimizers.Adam(0.01)})
    )
    fresh.build(list(model.parameters()))
    with pytest.raises(ValueError):
        fresh.load_state_dict({"inner": [state["inner"][0]]})
