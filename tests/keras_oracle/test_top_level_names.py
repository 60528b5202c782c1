"""Keras 3's top-level names on plait (`keras.Layer`, `keras.Variable`, `keras.name_scope`,
`keras.device`, `keras.remat`, `keras.version`, ...), behaving as Keras's where Keras
defines the behaviour."""

import numpy as np
import pytest
import torch

import plait
from plait import mixed_precision
from tests.keras_oracle.conftest import keras


def test_base_classes_are_the_modules_own():
    assert plait.Layer is plait.layers.Layer
    assert plait.Loss is plait.losses.Loss
    assert plait.Metric is plait.metrics.Metric
    assert plait.Optimizer is plait.optimizers.Optimizer
    assert plait.Initializer is plait.initializers.Initializer
    assert plait.Regularizer is plait.regularizers.Regularizer
    assert plait.DTypePolicy is mixed_precision.DTypePolicy
    assert plait.mixed_precision.LossScaleOptimizer is plait.optimizers.LossScaleOptimizer
    x = plait.Input((3,))
    assert isinstance(x, plait.KerasTensor) and plait.backend.is_keras_tensor(x)


def test_subclassing_the_top_level_layer_trains():
    class Scale(plait.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.w

    model = plait.Sequential([plait.Input((2,)), Scale()])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 2), "float32"), np.full((4, 2), 2.0, "float32"), verbose=0)
    assert isinstance(model.layers[0].w, plait.Variable)


@pytest.mark.parametrize(
    "args, kwargs",
    [
        (([1.0, 2.0],), {}),
        (([1, 2],), {"trainable": False}),
        ((np.zeros((2, 2)),), {}),
        ((np.ones(3, "float32"),), {"dtype": "float64"}),
        (("ones",), {"shape": (2, 3)}),
        (("zeros",), {"shape": (2,), "dtype": "int32", "trainable": False}),
    ],
)
def test_variable_as_kerass(args, kwargs):
    theirs = keras.Variable(*args, **kwargs, name="v")
    ours = plait.Variable(*args, **kwargs, name="v")
    np.testing.assert_array_equal(ours.numpy(), keras.ops.convert_to_numpy(theirs))
    assert str(ours.dtype).replace("torch.", "") == theirs.dtype
    assert ours.trainable == theirs.trainable
    assert ours.name == theirs.name == "v"
    assert isinstance(ours, plait.Variable)


def test_name_scope_paths_as_kerass():
    with keras.name_scope("outer"):
        with keras.name_scope("inner"):
            theirs = keras.Variable(1.0, name="w")
    with plait.name_scope("outer"):
        with plait.name_scope("inner"):
            ours = plait.Variable(1.0, name="w")
        after = plait.Variable(1.0, name="u")
    assert ours.path == theirs.path == "outer/inner/w"
    assert after.path == "outer/u"
    assert plait.Variable(1.0, name="free").path == "free"


def test_variable_errors_as_kerass():
    for lib in (keras, plait):
        with pytest.raises(ValueError, match="`shape` argument should be specified"):
            lib.Variable("zeros")
        with pytest.raises(ValueError, match="cannot contain character `/`"):
            lib.Variable(1.0, name="a/b")
        with pytest.raises(ValueError, match="aggregation"):
            lib.Variable(1.0, aggregation="max")


def test_device_scope():
    with plait.device("cpu"):
        assert plait.Variable([1.0]).device.type == "cpu"
        assert plait.random.normal((2,), seed=1).device.type == "cpu"
        layer = plait.layers.Dense(2)
        layer.build((None, 3))
        assert layer.kernel.device.type == "cpu"
    with pytest.raises(ValueError, match="device_name"):
        with plait.device(0):
            pass


def test_remat_gives_the_same_values_and_gradients():
    model = plait.Sequential([plait.Input((3,)), plait.layers.Dense(4, activation="tanh")])
    x = torch.randn(5, 3)
    plain = model(x).sum()
    plain.backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    again = plait.remat(model)(x).sum()
    again.backward()
    assert torch.allclose(plain, again)
    for a, p in zip(grads, model.parameters()):
        assert torch.allclose(a, p.grad)


def test_version_and_float_policy():
    assert plait.version() == plait.__version__
    policy = plait.FloatDTypePolicy("mixed_float16")
    theirs = keras.FloatDTypePolicy("mixed_float16")
    assert isinstance(policy, plait.DTypePolicy)
    assert (policy.compute_dtype, policy.variable_dtype) == (
        theirs.compute_dtype,
        theirs.variable_dtype,
    )


@pytest.mark.parametrize("identifier", ["mixed_float16", "mixed_bfloat16", "float32", None])
def test_dtype_policies_get_as_kerass(identifier):
    ours, theirs = plait.dtype_policies.get(identifier), keras.dtype_policies.get(identifier)
    assert (ours.name, ours.compute_dtype, ours.variable_dtype) == (
        theirs.name,
        theirs.compute_dtype,
        theirs.variable_dtype,
    )
    config = keras.dtype_policies.serialize(theirs)
    assert plait.dtype_policies.deserialize(config).name == theirs.name
    again = plait.dtype_policies.get(plait.dtype_policies.serialize(ours))
    assert again == ours


def test_dtype_policies_errors():
    for lib in (keras, plait):
        with pytest.raises(ValueError):
            lib.dtype_policies.get("nope")
    with pytest.raises(ValueError, match="Cannot interpret `dtype` argument"):
        plait.dtype_policies.get(3.5)
    with pytest.raises(ValueError, match="class_name"):
        plait.dtype_policies.deserialize({"class_name": "Dense"})
