"""Initializers: Keras's names, classes, defaults and statistics, computed on the Keras
layout's fans; seeded ones repeat."""

import math

import pytest
import torch

from plait import initializers

# name, class, Keras's default config
DEFAULTS = [
    ("zeros", initializers.Zeros, {}),
    ("ones", initializers.Ones, {}),
    ("constant", initializers.Constant, {"value": 0.0}),
    ("random_uniform", initializers.RandomUniform, {"minval": -0.05, "maxval": 0.05, "seed": None}),
    ("random_normal", initializers.RandomNormal, {"mean": 0.0, "stddev": 0.05, "seed": None}),
    ("truncated_normal", initializers.TruncatedNormal, {"mean": 0.0, "stddev": 0.05, "seed": None}),
    (
        "variance_scaling",
        initializers.VarianceScaling,
        {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal", "seed": None},
    ),
    ("glorot_uniform", initializers.GlorotUniform, {"seed": None}),
    ("glorot_normal", initializers.GlorotNormal, {"seed": None}),
    ("he_uniform", initializers.HeUniform, {"seed": None}),
    ("he_normal", initializers.HeNormal, {"seed": None}),
    ("lecun_uniform", initializers.LecunUniform, {"seed": None}),
    ("lecun_normal", initializers.LecunNormal, {"seed": None}),
    ("orthogonal", initializers.Orthogonal, {"gain": 1.0, "seed": None}),
    ("identity", initializers.Identity, {"gain": 1.0}),
]


@pytest.mark.parametrize("name,cls,config", DEFAULTS, ids=[d[0] for d in DEFAULTS])
def test_names_classes_and_keras_defaults(name, cls, config):
    init = initializers.get(name)
    assert type(init) is cls
    assert init.get_config() == config
    assert getattr(initializers, name) is cls  # Keras's snake_case spelling
    assert type(initializers.get(cls)) is cls
    assert type(initializers.get({"class_name": cls.__name__, "config": config})) is cls
    assert initializers.serialize(init) == name


# name, fan used, scale, uniform?
SCALED = [
    ("glorot_uniform", "avg", 1.0, True),
    ("glorot_normal", "avg", 1.0, False),
    ("he_uniform", "in", 2.0, True),
    ("he_normal", "in", 2.0, False),
    ("lecun_uniform", "in", 1.0, True),
    ("lecun_normal", "in", 1.0, False),
]


@pytest.mark.parametrize("name,fan,scale,uniform", SCALED, ids=[s[0] for s in SCALED])
def test_variance_scaling_statistics_on_the_keras_conv_layout(name, fan, scale, uniform):
    shape = (3, 3, 40, 60)  # a Conv2D kernel in Keras's layout: fans count the 3x3 field
    fan_in, fan_out = 9 * 40, 9 * 60
    n = fan_in if fan == "in" else (fan_in + fan_out) / 2
    std = math.sqrt(scale / n)
    values = initializers.get(name)(shape)
    assert values.shape == shape and values.dtype == torch.float32
    assert abs(values.std().item() - std) < 0.03 * std
    assert abs(values.mean().item()) < 0.03 * std
    bound = math.sqrt(3) * std if uniform else 2 * std / 0.87962566103423978
    assert values.abs().max().item() <= bound + 1e-6
    assert values.abs().max().item() > 0.9 * bound


def test_random_and_truncated_normal():
    normal = initializers.RandomNormal(mean=1.0, stddev=0.5)((200, 200))
    assert abs(normal.mean().item() - 1.0) < 0.01 and abs(normal.std().item() - 0.5) < 0.01
    truncated = initializers.get("truncated_normal")((200, 200))
    assert truncated.abs().max().item() <= 0.1  # redrawn beyond two stddevs
    uniform = initializers.RandomUniform(-1.0, 3.0)((200, 200))
    assert uniform.min().item() >= -1.0 and uniform.max().item() <= 3.0
    assert abs(uniform.mean().item() - 1.0) < 0.02


def test_orthogonal_identity_constant():
    weights = initializers.Orthogonal(gain=2.0)((3, 4, 6))  # rows: 3 * 4 = 12 >= 6
    flat = weights.reshape(12, 6)
    torch.testing.assert_close(flat.T @ flat, 4.0 * torch.eye(6), atol=1e-5, rtol=0)
    wide = initializers.get("orthogonal")((3, 5))
    torch.testing.assert_close(wide @ wide.T, torch.eye(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(initializers.Identity(gain=3.0)((2, 3)), 3.0 * torch.eye(2, 3))
    assert initializers.Constant(0.25)((2,)).tolist() == [0.25, 0.25]
    with pytest.raises(ValueError, match="2-D shape"):
        initializers.Identity()((2, 2, 2))


@pytest.mark.parametrize(
    "cls",
    [
        initializers.GlorotUniform,
        initializers.HeNormal,
        initializers.RandomNormal,
        initializers.TruncatedNormal,
        initializers.Orthogonal,
    ],
)
def test_seeded_initializers_repeat_and_unseeded_do_not(cls):
    torch.testing.assert_close(cls(seed=3)((8, 8)), cls(seed=3)((8, 8)), atol=0, rtol=0)
    assert not torch.equal(cls(seed=3)((8, 8)), cls(seed=4)((8, 8)))
    unseeded = cls()
    assert not torch.equal(unseeded((8, 8)), unseeded((8, 8)))


def test_config_round_trip_and_errors():
    init = initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=5)
    again = initializers.get(initializers.serialize(init))
    assert type(again) is initializers.VarianceScaling
    assert again.get_config() == init.get_config()
    torch.testing.assert_close(again((4, 4)), init((4, 4)))
    with pytest.raises(ValueError, match="Unknown initializer"):
        initializers.get("glorot_uniformm")
    with pytest.raises(ValueError, match="mode"):
        initializers.VarianceScaling(mode="fan")
