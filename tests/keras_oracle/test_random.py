"""`plait.random` against `keras.random` (torch backend): the same seed gives the same
numbers, bit for bit, on the CPU; SeedGenerator streams and the global generator after
`set_random_seed` follow Keras's; dtypes, shapes and errors are Keras's."""

import numpy as np
import pytest
import torch

import plait
from plait import random as prandom
from tests.keras_oracle.conftest import keras

X = np.arange(24, dtype="float32").reshape(2, 3, 4)
LOGITS = np.array([[0.0, 1.0, 2.0], [3.0, 1.0, 0.0]], dtype="float32")

# (case, function name, positional args, keyword args)
CASES = [
    ("normal", "normal", ((3, 4),), {}),
    ("normal_mean_std", "normal", ((5,),), {"mean": 2.0, "stddev": 3.0}),
    ("normal_float64", "normal", ((2, 2),), {"dtype": "float64"}),
    ("uniform", "uniform", ((3, 4),), {"minval": 1.0, "maxval": 3.0}),
    ("uniform_scalar", "uniform", ((),), {}),
    ("randint", "randint", ((3, 4), 0, 9), {}),
    ("randint_int64", "randint", ((6,), -5, 5), {"dtype": "int64"}),
    ("truncated_normal", "truncated_normal", ((3, 4),), {"mean": 1.0, "stddev": 2.0}),
    ("categorical", "categorical", (LOGITS, 5), {}),
    ("dropout", "dropout", (X, 0.5), {}),
    ("dropout_noise_shape", "dropout", (X, 0.3), {"noise_shape": (None, 1, 4)}),
    ("shuffle", "shuffle", (X,), {}),
    ("shuffle_axis1", "shuffle", (X,), {"axis": 1}),
    ("gamma", "gamma", ((3, 4), 2.0), {}),
    ("binomial", "binomial", ((3, 4), 5, 0.3), {}),
    ("beta", "beta", ((3, 4), 2.0, 3.0), {}),
]
SEEDS = [0, 42, 2**31 + 5, 123456789]


def _args(args, lib):
    if lib == "plait":
        return [torch.tensor(a) if isinstance(a, np.ndarray) and a.ndim == 3 else a for a in args]
    return [keras.ops.convert_to_tensor(a) if isinstance(a, np.ndarray) else a for a in args]


def _same(ours, theirs):
    theirs = keras.ops.convert_to_numpy(theirs)
    ours = ours.detach().cpu().numpy()
    assert ours.dtype == theirs.dtype
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case, name, args, kwargs", CASES, ids=[c[0] for c in CASES])
def test_int_seed_gives_kerass_numbers(case, name, args, kwargs, seed):
    theirs = getattr(keras.random, name)(*_args(args, "keras"), **kwargs, seed=seed)
    ours = getattr(prandom, name)(*_args(args, "plait"), **kwargs, seed=seed)
    _same(ours, theirs)
    again = getattr(prandom, name)(*_args(args, "plait"), **kwargs, seed=seed)
    _same(again, theirs)  # stateless: an int seed repeats


@pytest.mark.parametrize("case, name, args, kwargs", CASES, ids=[c[0] for c in CASES])
def test_seed_generator_streams_as_kerass(case, name, args, kwargs):
    theirs_gen, ours_gen = keras.random.SeedGenerator(7), prandom.SeedGenerator(7)
    outs = []
    for _ in range(3):
        theirs = getattr(keras.random, name)(*_args(args, "keras"), **kwargs, seed=theirs_gen)
        ours = getattr(prandom, name)(*_args(args, "plait"), **kwargs, seed=ours_gen)
        _same(ours, theirs)
        outs.append(ours)
    if name not in ("categorical",):
        assert not torch.equal(outs[0], outs[1])  # a generator advances
    np.testing.assert_array_equal(
        ours_gen.state.numpy(), keras.ops.convert_to_numpy(theirs_gen.state.value)
    )


def test_global_generator_after_set_random_seed():
    keras.utils.set_random_seed(11)
    theirs = [keras.random.normal((3,)) for _ in range(3)]
    theirs.append(keras.random.uniform((2,)))
    plait.utils.set_random_seed(11)
    ours = [prandom.normal((3,)) for _ in range(3)]
    ours.append(prandom.uniform((2,)))
    for a, b in zip(ours, theirs):
        _same(a, b)
    plait.utils.set_random_seed(11)
    _same(prandom.normal((3,)), theirs[0])  # reseeding starts the stream again


def test_unseeded_dropout_follows_torchs_generator_as_kerass():
    keras.utils.set_random_seed(3)
    theirs = keras.random.dropout(torch.ones(20), 0.5)
    plait.utils.set_random_seed(3)
    _same(prandom.dropout(torch.ones(20), 0.5), theirs)


def test_large_seed_generator_state_wraps_as_kerass():
    theirs_gen, ours_gen = keras.random.SeedGenerator(2**31 - 1), prandom.SeedGenerator(2**31 - 1)
    for _ in range(3):
        _same(prandom.uniform((2,), seed=ours_gen), keras.random.uniform((2,), seed=theirs_gen))
    state = theirs_gen.state.value
    np.testing.assert_array_equal(ours_gen.state.numpy(), keras.ops.convert_to_numpy(state))


def test_edge_rates_and_config():
    x = torch.ones(4)
    assert torch.equal(prandom.dropout(x, 0.0, seed=1), x)
    assert torch.equal(prandom.dropout(x, 1.0, seed=1), torch.zeros(4))
    gen = prandom.SeedGenerator(5, name="g")
    assert gen.get_config() == {"seed": 5, "name": "g"}
    assert prandom.SeedGenerator.from_config(gen.get_config()).get_config() == gen.get_config()
    assert gen.state.path == "g/seed_generator_state"
    assert gen.state.dtype == torch.int32


def test_gamma_leaves_torchs_global_generator_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    prandom.gamma((2,), 1.5, seed=9)
    prandom.beta((2,), 1.5, 2.0, seed=9)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: prandom.uniform((2,), dtype="int32"), "requires a floating point `dtype`"),
        (lambda: prandom.randint((2,), 0, 3, dtype="float32"), "requires an integer `dtype`"),
        (lambda: prandom.categorical(np.zeros(3), 2), "should be a 2-D tensor"),
        (lambda: prandom.normal((2,), seed="a"), "must be either an integer"),
        (lambda: prandom.SeedGenerator(seed=1.5), "must be an integer"),
        (lambda: prandom.SeedGenerator(seed=1, color="red"), "Unrecognized keyword"),
    ],
)
def test_errors_as_kerass(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_keras_raises_the_same():
    for call in (
        lambda: keras.random.uniform((2,), dtype="int32"),
        lambda: keras.random.randint((2,), 0, 3, dtype="float32"),
        lambda: keras.random.categorical(np.zeros(3), 2),
        lambda: keras.random.normal((2,), seed="a"),
        lambda: keras.random.SeedGenerator(seed=1.5),
    ):
        with pytest.raises(ValueError):
            call()


def test_top_level_and_dir():
    assert plait.random is prandom
    assert "torch" not in dir(prandom)
    assert set(dir(prandom)) >= {n for n in dir(keras.random) if not n.startswith("_")}
