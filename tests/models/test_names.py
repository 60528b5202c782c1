"""Layer names: any name Keras 3 accepts is legal; submodule keys are model-local and stable."""

import os

import numpy as np
import pytest
import torch

from plait import Input, Model, Sequential
from plait.layers import Dense, Dropout
from plait.models import load_model

os.environ.setdefault("KERAS_BACKEND", "torch")

AWKWARD = [
    "output",
    "input",
    "layers",
    "weights",
    "fit",
    "forward",
    "train",
    "eval",
    "to",
    "cuda",
    "parameters",
    "state_dict",
    "a.b",
    "with-dash",
    "two words",
    "é_couche",
    "层",
    'q"x',
    "it's",
    "back\\slash",
    "lambda",
    "class",
    "0start",
    "training",
]


def _model(name):
    x = Input(shape=(3,), name="in put")
    h = Dense(4, name=name)(x)
    out = Dense(2, name=name + "_2")(Dropout(0.1, name=name + ".drop")(h))
    return Model(x, out, name="model " + name)


@pytest.mark.parametrize("name", AWKWARD)
def test_keras_accepts_the_same_names(name):
    keras = pytest.importorskip("keras")
    assert keras.layers.Dense(1, name=name).name == name
    assert Dense(1, name=name).name == name


@pytest.mark.parametrize("name", AWKWARD)
def test_awkward_names_round_trip(name, tmp_path):
    model = _model(name)
    assert [layer.name for layer in model.layers][1:] == [name, name + ".drop", name + "_2"]
    assert model.get_layer(name).name == name
    x = torch.randn(5, 3)
    expected = model(x)
    assert expected.shape == (5, 2)
    # Keras meanings stay: output/layers are the model's, not the layer's
    assert model.output.shape == (None, 2) and isinstance(model.layers, list)
    assert sorted(model.state_dict()) == [
        "dense_1.bias",
        "dense_1.weight",
        "dense_2.bias",
        "dense_2.weight",
    ]
    assert "self.dense_1(" in model.code
    model.save(tmp_path / "m.plait")
    loaded = load_model(tmp_path / "m.plait")
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    torch.testing.assert_close(loaded(x), expected)
    model.save_weights(tmp_path / "w.safetensors")
    again = _model(name)
    again.load_weights(tmp_path / "w.safetensors")
    torch.testing.assert_close(again(x), expected)
    clone = Model.from_config(model.get_config())
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    model.to_source(tmp_path / "ejected.py")
    lines = []
    model.summary(print_fn=lines.append)
    assert any(name in line for line in lines)


def test_name_rules_follow_keras():
    keras = pytest.importorskip("keras")
    for bad in ["a/b", 3]:
        with pytest.raises(ValueError, match="cannot contain character `/`"):
            keras.layers.Dense(1, name=bad)
        with pytest.raises(ValueError, match="cannot contain character `/`"):
            Dense(1, name=bad)
    with pytest.raises(ValueError, match="non-empty string"):
        Dense(1, name="")
    x = Input(shape=(2,))
    with pytest.raises(ValueError, match='The name "d" is used 2 times in the model'):
        Model(x, Dense(1, name="d")(Dense(2, name="d")(x)))
    with pytest.raises(ValueError, match="should have unique names"):
        Sequential([Dense(1, name="d"), Dense(1, name="d")])


def _tutorial_like():
    x = Input(shape=(4,))
    a = Dense(8, activation="relu")(x)
    b = Dense(8, activation="relu")(x)
    from plait.layers import concatenate

    return Model(x, Dense(1)(concatenate([a, b])))


def test_rebuilding_gives_the_same_keys_and_loads(tmp_path):
    first, second = _tutorial_like(), _tutorial_like()
    assert [l.name for l in first.layers] != [l.name for l in second.layers]
    assert list(first.state_dict()) == list(second.state_dict())
    first.save_weights(tmp_path / "w.safetensors")
    second.load_weights(tmp_path / "w.safetensors")
    x = torch.randn(3, 4)
    torch.testing.assert_close(first(x), second(x))
    second.load_state_dict(first.state_dict())  # plain torch, strict
    seq1 = Sequential([Dense(3), Dense(1)])
    seq2 = Sequential([Dense(3), Dense(1)])
    seq1.build((None, 2))
    seq2.build((None, 2))
    assert (
        list(seq1.state_dict())
        == list(seq2.state_dict())
        == ["dense_1.weight", "dense_1.bias", "dense_2.weight", "dense_2.bias"]
    )


def test_load_weights_into_another_architecture_names_the_mismatch(tmp_path):
    _tutorial_like().save_weights(tmp_path / "w.safetensors")
    x = Input(shape=(4,))
    other = Model(x, Dense(1)(Dense(5)(x)))
    with pytest.raises(ValueError, match=r"'dense_1.weight' has shape \(8, 4\) in the file"):
        other.load_weights(tmp_path / "w.safetensors")


def test_keys_never_clash_with_attributes():
    from plait.layers import Layer

    class Output(Layer):  # snake_case "output", an attribute of Model
        def call(self, x):
            return x * 2

    x = Input(shape=(2,))
    model = Model(x, Output()(Output()(x)))
    keys = [model.layer_key(layer) for layer in model.layers[1:]]
    assert keys == ["output_1", "output_2"]
    assert model.output.shape == (None, 2)
    np.testing.assert_allclose(model.predict(np.ones((1, 2)), verbose=0), [[4.0, 4.0]])
