"""Every plait optimizer against Keras 3 itself (torch backend): the same variables, the
same gradients for 20 steps, then the same weights; and whole models fitted from the same
weights with SGD and Adam give Keras's weights and History.

PLAIT_ORACLE_FULL=1 runs 200 steps per case instead of 20.

Tolerance: weights agree to 1e-6 relative (plus 1e-7 absolute, for weights near 0); Keras
computes its per-step scalars (bias corrections, Nadam's momentum product) in float32 and
plait in float64, and the fused Adam kernel rounds `m`, `v` its own way: both differ from
Keras by float32 rounding, far below 1e-6. Wider where noted in CASES.
"""

import os

import numpy as np
import pytest
import torch

from plait import optimizers
from plait.optimizers import schedules
from tests.keras_oracle.conftest import keras

STEPS = 200 if os.environ.get("PLAIT_ORACLE_FULL") else 20
SHAPES = [(5, 3), (3,), (2, 3, 4)]

# name: (keras class, plait class, Keras's default learning rate for the cases that set one)
CLASSES = {
    "SGD": (keras.optimizers.SGD, optimizers.SGD),
    "Adam": (keras.optimizers.Adam, optimizers.Adam),
    "AdamW": (keras.optimizers.AdamW, optimizers.AdamW),
    "Adamax": (keras.optimizers.Adamax, optimizers.Adamax),
    "Nadam": (keras.optimizers.Nadam, optimizers.Nadam),
    "RMSprop": (keras.optimizers.RMSprop, optimizers.RMSprop),
    "Adagrad": (keras.optimizers.Adagrad, optimizers.Adagrad),
    "Adadelta": (keras.optimizers.Adadelta, optimizers.Adadelta),
    "Ftrl": (keras.optimizers.Ftrl, optimizers.Ftrl),
    "Lion": (keras.optimizers.Lion, optimizers.Lion),
    "Adafactor": (keras.optimizers.Adafactor, optimizers.Adafactor),
    "Lamb": (keras.optimizers.Lamb, optimizers.Lamb),
    "ScheduleFreeAdamW": (keras.optimizers.ScheduleFreeAdamW, optimizers.ScheduleFreeAdamW),
    "Muon": (keras.optimizers.Muon, optimizers.Muon),
}

COMMON = {
    "defaults": {},
    "weight_decay": {"learning_rate": 0.05, "weight_decay": 0.1},
    "clipnorm": {"learning_rate": 0.05, "clipnorm": 0.5},
    "clipvalue": {"learning_rate": 0.05, "clipvalue": 0.3},
    "global_clipnorm": {"learning_rate": 0.05, "global_clipnorm": 0.7},
    "schedule": {"learning_rate": "schedule"},
    "use_ema": {"learning_rate": 0.05, "use_ema": True, "ema_momentum": 0.9},
    "ema_overwrite": {
        "learning_rate": 0.05,
        "use_ema": True,
        "ema_momentum": 0.8,
        "ema_overwrite_frequency": 3,
    },
    "gradient_accumulation_steps": {"learning_rate": 0.05, "gradient_accumulation_steps": 3},
    "loss_scale_factor": {"learning_rate": 0.05, "loss_scale_factor": 8.0},
}
SPECIFIC = {
    "SGD": {
        "momentum": {"learning_rate": 0.05, "momentum": 0.9},
        "nesterov": {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True},
        "momentum_schedule": {"learning_rate": "schedule", "momentum": 0.8},
    },
    "Adam": {
        "amsgrad": {"learning_rate": 0.05, "amsgrad": True},
        "betas": {"learning_rate": 0.02, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3},
    },
    "AdamW": {"amsgrad": {"learning_rate": 0.05, "amsgrad": True, "weight_decay": 0.2}},
    "RMSprop": {
        "centered": {"learning_rate": 0.01, "centered": True},
        "momentum": {"learning_rate": 0.01, "momentum": 0.9},
        "centered_momentum": {"learning_rate": 0.01, "centered": True, "momentum": 0.5, "rho": 0.8},
    },
    "Adagrad": {"accumulator": {"learning_rate": 0.1, "initial_accumulator_value": 0.5}},
    "Adadelta": {"rho": {"learning_rate": 1.0, "rho": 0.9}},
    "Ftrl": {
        "regularized": {
            "learning_rate": 0.1,
            "l1_regularization_strength": 0.01,
            "l2_regularization_strength": 0.02,
            "l2_shrinkage_regularization_strength": 0.01,
            "beta": 0.1,
            "learning_rate_power": -0.7,
        }
    },
    "ScheduleFreeAdamW": {"warmup": {"learning_rate": 0.05, "warmup_steps": 5, "beta_1": 0.8}},
    "Lion": {"betas": {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9}},
    "Muon": {
        "no_nesterov": {"learning_rate": 0.02, "nesterov": False, "momentum": 0.9},
        "no_rms_rate": {"learning_rate": 0.02, "rms_rate": None, "weight_decay": None},
        "adam_options": {
            "learning_rate": 0.02,
            "adam_lr_ratio": 0.5,
            "adam_beta_1": 0.8,
            "adam_weight_decay": 0.1,
            "ns_steps": 3,
        },
    },
    "Adafactor": {
        "no_relative_step": {"learning_rate": 0.1, "relative_step": False, "clip_threshold": 0.5}
    },
}
CASES = [
    (cls, case, kwargs)
    for cls in CLASSES
    for case, kwargs in {**COMMON, **SPECIFIC.get(cls, {})}.items()
]


def make_kwargs(kwargs, lib):
    kwargs = dict(kwargs)
    if kwargs.get("learning_rate") == "schedule":
        mod = keras.optimizers.schedules if lib == "keras" else schedules
        kwargs["learning_rate"] = mod.ExponentialDecay(0.05, decay_steps=3, decay_rate=0.7)
    return kwargs


def gradients(seed, steps):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=s).astype("float32") for s in SHAPES] for _ in range(steps)]


def initial(seed):
    rng = np.random.default_rng(seed + 1000)
    return [rng.normal(size=s).astype("float32") for s in SHAPES]


def run_keras(cls_name, kwargs, start, grads):
    opt = CLASSES[cls_name][0](**make_kwargs(kwargs, "keras"))
    variables = [keras.Variable(w) for w in start]
    for step in grads:
        opt.apply([torch.tensor(g) for g in step], variables)
    if kwargs.get("use_ema"):
        opt.finalize_variable_values(variables)
    return [keras.ops.convert_to_numpy(v) for v in variables], opt


def run_plait(cls_name, kwargs, start, grads):
    opt = CLASSES[cls_name][1](**make_kwargs(kwargs, "plait"))
    params = [torch.nn.Parameter(torch.tensor(w)) for w in start]
    for step in grads:
        opt.apply([torch.tensor(g) for g in step], params)
    if kwargs.get("use_ema"):
        opt.finalize_variable_values(params)
    return [p.detach().numpy() for p in params], opt


def assert_weights_close(ours, theirs, rtol=1e-6, atol=1e-7):
    for i, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"weight {i}")


@pytest.mark.parametrize(
    "cls_name, case, kwargs", CASES, ids=[f"{c}-{case}" for c, case, _ in CASES]
)
def test_optimizer_matches_keras(cls_name, case, kwargs):
    seed = sum(map(ord, cls_name + case))
    start, grads = initial(seed), gradients(seed, STEPS)
    theirs, keras_opt = run_keras(cls_name, kwargs, start, grads)
    ours, plait_opt = run_plait(cls_name, kwargs, start, grads)
    assert_weights_close(ours, theirs)
    assert int(plait_opt.iterations) == int(keras_opt.iterations)
    moved = max(np.abs(a - b).max() for a, b in zip(ours, start))
    assert moved > 1e-5, "the case must move the weights to test anything"


@pytest.mark.parametrize("cls_name", list(CLASSES))
def test_optimizer_state_matches_keras_variables(cls_name):
    """`variables` lists the state in Keras's order, with Keras's values."""
    kwargs = {"use_ema": True} if cls_name != "Ftrl" else {}
    start, grads = initial(1), gradients(1, 3)
    _, keras_opt = run_keras(cls_name, kwargs, start, grads)
    _, plait_opt = run_plait(cls_name, kwargs, start, grads)
    theirs = [keras.ops.convert_to_numpy(v) for v in keras_opt.variables]
    ours = [v.detach().numpy() for v in plait_opt.variables]
    assert [np.shape(v) for v in ours] == [np.shape(v) for v in theirs]
    for i, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7, err_msg=f"variable {i}")


@pytest.mark.parametrize("cls_name", list(CLASSES))
def test_config_matches_keras(cls_name):
    keras_opt, plait_opt = CLASSES[cls_name][0](), CLASSES[cls_name][1]()
    theirs, ours = keras_opt.get_config(), plait_opt.get_config()
    theirs.pop("name"), ours.pop("name")
    assert set(ours) == set(theirs)
    for key, value in theirs.items():
        assert ours[key] == pytest.approx(value), key
    again = CLASSES[cls_name][1].from_config(keras_opt.get_config())
    assert again.get_config()["learning_rate"] == pytest.approx(theirs["learning_rate"])


def test_loss_scale_optimizer_matches_keras():
    """Dynamic loss scaling: finite steps divide by the scale, a non-finite step is
    skipped and halves the scale, `dynamic_growth_steps` finite steps double it."""
    start, grads = initial(7), gradients(7, 12)
    grads[4][1][0] = np.inf
    grads[9][0][1, 1] = np.nan

    def run(lib):
        if lib == "keras":
            opt = keras.optimizers.LossScaleOptimizer(
                keras.optimizers.Adam(0.05), initial_scale=64.0, dynamic_growth_steps=3
            )
            variables = [keras.Variable(w) for w in start]
        else:
            opt = optimizers.LossScaleOptimizer(
                optimizers.Adam(0.05), initial_scale=64.0, dynamic_growth_steps=3
            )
            variables = [torch.nn.Parameter(torch.tensor(w)) for w in start]
        scales = []
        for step in grads:
            opt.apply([torch.tensor(g) * 64.0 for g in step], variables)
            scales.append(float(keras.ops.convert_to_numpy(opt.dynamic_scale)))
        return [keras.ops.convert_to_numpy(v) for v in variables], scales, opt

    theirs, keras_scales, keras_opt = run("keras")
    ours, plait_scales, plait_opt = run("plait")
    assert plait_scales == keras_scales
    assert_weights_close(ours, theirs)
    assert int(plait_opt.iterations) == int(keras_opt.iterations)
    assert plait_opt.get_config()["inner_optimizer"]["config"]["learning_rate"] == 0.05


# ---------------------------------------------------------------------------- whole models


def _mlp(lib):
    mod = keras if lib == "keras" else __import__("plait")
    return mod.Sequential(
        [
            mod.layers.Input(shape=(8,)),
            mod.layers.Dense(16, activation="relu"),
            mod.layers.Dense(8, activation="tanh"),
            mod.layers.Dense(3, activation="softmax"),
        ]
    )


FIT_OPTIMIZERS = {
    "sgd": lambda mod: "sgd",
    "adam": lambda mod: "adam",
    # fit swaps the EMA weights in after the last epoch, as Keras's fit does
    "adamw_clip_ema": lambda mod: mod.AdamW(
        0.01, global_clipnorm=1.0, use_ema=True, ema_momentum=0.9
    ),
    "sgd_nesterov_schedule": lambda mod: mod.SGD(
        mod.schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.8),
        momentum=0.9,
        nesterov=True,
    ),
}


@pytest.mark.parametrize("name", list(FIT_OPTIMIZERS))
def test_mlp_fit_matches_keras(name):
    """The tutorial MLP, 3 epochs from the same weights, unshuffled: Keras's weights and
    History. Tolerance 1e-5: the forward/backward in float32 differ in summation order."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 8)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, size=96)]
    theirs = _mlp("keras")
    ours = _mlp("plait")
    ours.set_weights(theirs.get_weights())
    kwargs = {"batch_size": 16, "epochs": 3, "shuffle": False, "verbose": 0}
    theirs.compile(
        optimizer=FIT_OPTIMIZERS[name](keras.optimizers),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    ours.compile(
        optimizer=FIT_OPTIMIZERS[name](optimizers),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    keras_history = theirs.fit(x, y, **kwargs).history
    plait_history = ours.fit(x, y, **kwargs).history
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(plait_history["loss"], keras_history["loss"], rtol=1e-5)
    np.testing.assert_allclose(plait_history["accuracy"], keras_history["accuracy"])
