"""clone_model (functional, Sequential, shared layers, nested, clone_function, call_function,
input_tensors) and Keras 3's model API: variables, reset_metrics, compile config."""

import numpy as np
import pytest
import torch

import plait
from plait import layers

X = torch.randn(5, 4)


def _functional():
    inp = plait.Input((4,))
    shared = layers.Dense(3, name="shared")
    h = shared(inp)
    h2 = shared(layers.Dense(4, activation="relu")(h))
    return plait.Model(inp, [layers.Concatenate()([h, h2]), h])


def test_clone_functional_keeps_graph_and_sharing():
    model = _functional()
    clone = plait.models.clone_model(model)
    assert [type(a) for a in clone.layers] == [type(b) for b in model.layers]
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    assert len(clone.get_layer("shared")._inbound_nodes) == 2
    clone.set_weights(model.get_weights())
    for a, b in zip(model(X), clone(X)):
        torch.testing.assert_close(a, b)


def test_clone_sequential_and_input_tensors():
    model = plait.Sequential([plait.Input((4,)), layers.Dense(3), layers.Dense(1)])
    clone = plait.models.clone_model(model)
    assert isinstance(clone, plait.Sequential)
    clone.set_weights(model.get_weights())
    torch.testing.assert_close(model(X), clone(X))
    on_tensor = plait.models.clone_model(model, input_tensors=plait.Input((4,), name="x"))
    assert on_tensor.inputs[0].shape == (None, 4)


def test_clone_function_and_call_function():
    model = _functional()
    renamed = plait.models.clone_model(
        model,
        clone_function=lambda layer: layer.__class__.from_config(
            {**layer.get_config(), "name": "new_" + layer.name}
        ),
    )
    assert "new_shared" in [layer.name for layer in renamed.layers]
    wrapped = plait.models.clone_model(
        model,
        call_function=lambda layer, *args, **kwargs: (
            layers.Activation("relu")(layer(*args, **kwargs))
            if isinstance(layer, layers.Dense)
            else layer(*args, **kwargs)
        ),
    )
    assert sum(isinstance(layer, layers.Activation) for layer in wrapped.layers) == 3


def test_clone_nested_recursive():
    inner = _functional()
    inp = plait.Input((4,))
    outer = plait.Model(inp, layers.Dense(2)(inner(inp)[1]))
    clone = plait.models.clone_model(outer, recursive=True)
    assert isinstance(clone.layers[1], plait.Model) and clone.layers[1] is not inner
    clone.set_weights(outer.get_weights())
    torch.testing.assert_close(outer(X), clone(X))


def test_clone_model_bad_input():
    with pytest.raises(TypeError, match="must be a plait Model"):
        plait.models.clone_model(layers.Dense(2))
    with pytest.raises(ValueError, match="input_tensors"):
        plait.models.clone_model(
            _functional(), input_tensors=[plait.Input((4,)), plait.Input((4,))]
        )
    with pytest.raises(ValueError, match="must return a layer"):
        plait.models.clone_model(_functional(), clone_function=lambda layer: None)


def test_variables_reset_metrics_and_compile_config():
    model = plait.Sequential(
        [plait.Input((4,)), layers.Dense(3), layers.BatchNormalization(), layers.Dense(1)]
    )
    assert len(model.variables) == len(model.weights) == 8
    assert len(model.trainable_variables) == 6
    assert len(model.non_trainable_variables) == 2
    assert model.compile(plait.optimizers.Adam(0.01), "mse", metrics=["mae"]) is None  # as Keras
    model.fit(np.ones((8, 4), "float32"), np.ones((8, 1), "float32"), verbose=0)
    assert float(model.metrics[0].result()) > 0
    model.reset_metrics()
    assert float(model.metrics[0].result()) == 0
    config = model.get_compile_config()
    assert config["loss"] == "mse" and config["metrics"] == ["mae"]
    clone = plait.models.clone_model(model)
    assert clone.get_compile_config() is None
    clone.compile_from_config(config)
    assert isinstance(clone.optimizer, plait.optimizers.Adam)
    assert float(clone.optimizer.learning_rate) == pytest.approx(0.01)
    with pytest.raises(TypeError, match="compile_from_config"):
        clone.compile_from_config("adam")
