"""Core layers added by the layer library: Embedding, Masking, Lambda, Identity, Rescaling."""

import numpy as np
import pytest
import torch

from plait import initializers
from plait.layers import Dense, Embedding, Identity, Input, Lambda, Masking, Rescaling
from plait.models import Model
from tests.layers.harness import run_layer_test

CASES = [
    (Embedding, dict(input_dim=10, output_dim=4), (5,), torch.int64, (None, 5, 4), 1),
    (
        Embedding,
        dict(input_dim=10, output_dim=3, mask_zero=True),
        (2, 5),
        torch.int32,
        (None, 2, 5, 3),
        1,
    ),
    (
        Embedding,
        dict(
            input_dim=6, output_dim=2, embeddings_regularizer="l2", embeddings_constraint="non_neg"
        ),
        (4,),
        torch.int64,
        (None, 4, 2),
        1,
    ),
    (Identity, {}, (3, 2), torch.float32, (None, 3, 2), 0),
    (Masking, dict(mask_value=0.5), (4, 3), torch.float32, (None, 4, 3), 0),
    (Rescaling, dict(scale=1 / 255), (4, 3), torch.float32, (None, 4, 3), 0),
    (Rescaling, dict(scale=1 / 127.5, offset=-1), (4, 3), torch.int64, (None, 4, 3), 0),
    (
        Rescaling,
        dict(scale=[1.0, 2.0, 3.0], offset=[0.0, 0.5, 1.0]),
        (2, 3),
        torch.float32,
        (None, 2, 3),
        0,
    ),
]


@pytest.mark.parametrize(
    "cls,kwargs,shape,dtype,expected,num_weights",
    CASES,
    ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)],
)
def test_layer_contract(cls, kwargs, shape, dtype, expected, num_weights):
    run_layer_test(
        cls, kwargs, shape, expected, input_dtype=dtype, expected_num_weights=num_weights
    )


# ------------------------------------------------------------------ Embedding
def test_embedding_looks_up_rows_in_keras_layout():
    layer = Embedding(7, 3)
    out = layer(Input(shape=(4,), dtype="int64"))
    assert out.dtype == torch.float32
    table = np.random.rand(7, 3).astype("float32")
    layer.set_weights([table])
    assert [w.shape for w in layer.get_weights()] == [(7, 3)]
    idx = torch.tensor([[0, 6, 2, 2], [1, 3, 5, 4]])
    np.testing.assert_allclose(layer(idx).detach().numpy(), table[idx.numpy()])
    # Float indices are truncated, as Keras's cast to int does.
    np.testing.assert_allclose(layer(idx.float() + 0.4).detach().numpy(), table[idx.numpy()])


def test_embedding_default_initializer_is_keras_uniform():
    layer = Embedding(500, 40)
    layer(Input(shape=(2,), dtype="int64"))
    weights = layer.get_weights()[0]
    assert weights.min() >= -0.05 and weights.max() <= 0.05
    assert weights.std() > 0.02  # spread over the range, not constant
    assert layer.get_config()["embeddings_initializer"] == "random_uniform"
    assert isinstance(initializers.get("uniform"), initializers.RandomUniform)


def test_embedding_weights_argument_and_mask():
    table = np.arange(12, dtype="float32").reshape(4, 3)
    layer = Embedding(4, 3, weights=[table], mask_zero=True)
    np.testing.assert_array_equal(layer.get_weights()[0], table)
    idx = torch.tensor([[2, 1, 0, 0]])
    assert layer.compute_mask(idx).tolist() == [[True, True, False, False]]
    assert Embedding(4, 3).compute_mask(idx) is None
    assert layer.get_config()["mask_zero"] is True


def test_embedding_input_length_fixes_the_sequence_length_like_keras_2():
    from plait.models import Sequential

    model = Sequential([Embedding(4, 3, input_length=10)])
    assert model.output_shape == (None, 10, 3)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(input_dim=0, output_dim=3), "input_dim"),
        (dict(input_dim=3, output_dim=2.5), "output_dim"),
    ],
)
def test_embedding_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Embedding(**kwargs)


# --------------------------------------------------------------------- Lambda
def test_lambda_infers_shape_and_runs_in_a_model():
    x = Input(shape=(3, 4))
    y = Lambda(lambda t: t.sum(dim=1) ** 2)(x)
    assert y.shape == (None, 4)
    model = Model(x, y)
    data = torch.randn(2, 3, 4)
    torch.testing.assert_close(model(data), data.sum(dim=1) ** 2)


def test_lambda_output_shape_forms_and_arguments():
    x = Input(shape=(6,))
    assert Lambda(lambda t: t.reshape(-1, 2, 3), output_shape=(2, 3))(x).shape == (None, 2, 3)
    assert Lambda(lambda t: t[:, :2], output_shape=lambda s: (s[0], 2))(x).shape == (None, 2)
    assert Lambda(lambda t: t[:, :2], output_shape=lambda s: [s[0], 2])(x).shape == (None, 2)
    halves = Lambda(lambda t: [t[:, :3], t[:, 3:]], output_shape=[(3,), (3,)])(x)
    assert [h.shape for h in halves] == [(None, 3), (None, 3)]
    scaled = Lambda(lambda t, factor: t * factor, arguments={"factor": 3.0})
    torch.testing.assert_close(scaled(torch.ones(1, 6)), torch.full((1, 6), 3.0))


def test_lambda_passes_training_when_asked():
    layer = Lambda(lambda t, training=None: t + (1.0 if training else 0.0))
    x = torch.zeros(1, 2)
    assert layer(x).sum() == 0
    assert layer(x, training=True).sum() == 2
    layer.train()
    assert layer(x).sum() == 2


def test_lambda_config_loads_only_outside_safe_mode():
    config = Lambda(lambda t: t * 2).get_config()  # holds the bytecode (tests/saving)
    with pytest.raises(ValueError, match="safe_mode=False"):
        Lambda.from_config(config)


def test_lambda_errors():
    with pytest.raises(TypeError, match="callable `function`"):
        Lambda("x * 2")
    with pytest.raises(TypeError, match="`arguments` must be a dict"):
        Lambda(lambda t: t, arguments=[1])

    def needs_data(t):
        return t * float(t.sum())  # reads a value: impossible on shape-only tensors

    # As Keras 3 on PyTorch does, shape inference falls back to a real run on zeros.
    assert Lambda(needs_data)(Input(shape=(2,))).shape == (None, 2)
    assert Lambda(needs_data, output_shape=(2,))(Input(shape=(2,))).shape == (None, 2)


# ---------------------------------------------------------- Identity, Rescaling
def test_identity_passes_structures_through():
    a, b = Input(shape=(2,)), Input(shape=(3,))
    out = Identity()([a, b])
    assert [t.shape for t in out] == [(None, 2), (None, 3)]
    x = torch.randn(2, 2)
    assert Identity()(x) is x


def test_rescaling_math_and_dtype():
    images = torch.randint(0, 256, (2, 4, 4, 3), dtype=torch.uint8)
    out = Rescaling(1 / 127.5, offset=-1.0)(images)
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), images.numpy() / 127.5 - 1.0, rtol=1e-6, atol=1e-6)
    per_channel = Rescaling([1.0, 10.0, 100.0])(torch.ones(1, 2, 3))
    assert per_channel[0, 0].tolist() == [1.0, 10.0, 100.0]
    assert Rescaling(np.array([2.0, 3.0])).get_config()["scale"] == [2.0, 3.0]
    sym = Rescaling(0.5)(Input(shape=(3,), dtype="uint8"))
    assert sym.dtype == torch.float32


def test_rescaling_errors():
    with pytest.raises(TypeError, match="`scale` must be a float"):
        Rescaling("half")
    with pytest.raises(TypeError, match="`offset` must be a float"):
        Rescaling(1.0, offset=None)


def test_initializer_configs_resolve_to_initializers_not_layers():
    # The layer registry holds an `Identity` layer too; initializer configs must not get it.
    init = initializers.get({"class_name": "Identity", "config": {"gain": 2.0}})
    assert isinstance(init, initializers.Identity)
    assert isinstance(initializers.get("normal"), initializers.RandomNormal)


def test_dense_penalty_arguments_in_config():
    layer = Dense(
        2,
        kernel_regularizer="l2",
        bias_regularizer={"class_name": "L1", "config": {"l1": 0.5}},
        activity_regularizer="l1",
        kernel_constraint="max_norm",
        bias_constraint="non_neg",
    )
    config = layer.get_config()
    assert config["kernel_regularizer"] == {"class_name": "L2", "config": {"l2": 0.01}}
    assert config["bias_regularizer"] == {"class_name": "L1", "config": {"l1": 0.5}}
    assert config["activity_regularizer"] == {"class_name": "L1", "config": {"l1": 0.01}}
    assert config["kernel_constraint"] == {
        "class_name": "MaxNorm",
        "config": {"max_value": 2, "axis": 0},
    }
    assert config["bias_constraint"] == {"class_name": "NonNeg", "config": {}}
    assert Dense.from_config(config).get_config() == config
