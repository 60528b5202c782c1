"""Keras's serialization names in plait.utils, wired to plait.serialization; graph helpers."""

import numpy as np
import pytest

import plait
from plait import layers, utils


class Scale(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def _model():
    inputs = plait.Input((3,))
    return plait.Model(inputs, Scale(3.0)(layers.Dense(2)(inputs)))


def test_custom_object_scope_and_get_custom_objects_load_a_model(tmp_path):
    model = _model()
    path = str(tmp_path / "m.plait")
    model.save(path)
    with pytest.raises(ValueError, match="Scale"):
        plait.saving.load_model(path)
    with utils.custom_object_scope({"Scale": Scale}):
        loaded = plait.saving.load_model(path)
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    with utils.CustomObjectScope({"Scale": Scale}):
        plait.saving.load_model(path)
    utils.get_custom_objects()["Scale"] = Scale
    try:
        plait.saving.load_model(path)
    finally:
        del utils.get_custom_objects()["Scale"]


def test_register_serialize_deserialize_round_trip():
    @utils.register_keras_serializable(package="Tests")
    class Twice(Scale):
        pass

    layer = Twice(5.0)
    config = utils.serialize_keras_object(layer)
    assert config["class_name"] == "Tests>Twice" and config["config"]["factor"] == 5.0
    rebuilt = utils.deserialize_keras_object(config)
    assert type(rebuilt) is Twice and rebuilt.factor == 5.0
    assert utils.get_registered_name(Twice) == "Tests>Twice"
    assert utils.get_registered_object("Tests>Twice") is Twice

    @utils.register_keras_serializable()
    def my_loss(y_true, y_pred):
        return (y_true - y_pred) ** 2

    assert utils.serialize_keras_object(my_loss) == "Custom>my_loss"
    assert utils.deserialize_keras_object("Custom>my_loss") is my_loss
    assert utils.serialize_keras_object([1, "a", None]) == [1, "a", None]
    with pytest.raises(ValueError, match="get_config"):
        utils.register_keras_serializable()(type("NoConfig", (), {}))
    with pytest.raises(ValueError, match="nothing_here"):
        utils.deserialize_keras_object("nothing_here")


def test_get_source_inputs():
    a, b = plait.Input((3,)), plait.Input((3,))
    out = layers.Dense(1)(layers.Add()([layers.Dense(3)(a), b]))
    assert utils.get_source_inputs(out) == [a, b]
    assert utils.get_source_inputs(a) == [a]
    with pytest.raises(TypeError, match="symbolic"):
        utils.get_source_inputs(np.ones(3))


def test_bad_input_errors_name_the_argument():
    with pytest.raises(ValueError, match="a label 3 with num_classes=3"):
        utils.to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError, match="negative"):
        utils.to_categorical([-1, 0])
    with pytest.raises(ValueError, match="padding='middle'"):
        utils.pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="truncating='mid'"):
        utils.pad_sequences([[1]], truncating="mid")
    with pytest.raises(ValueError, match="entry 1"):
        utils.pad_sequences([[1], 5])
    with pytest.raises(ValueError, match="unpack|format"):
        utils.unpack_x_y_sample_weight((1, 2, 3, 4))


def test_progbar_keras_signature(capsys):
    bar = utils.Progbar(
        4, width=10, verbose=1, interval=0.0, stateful_metrics=["acc"], unit_name="sample"
    )
    bar.update(2, values=[("loss", 1.0), ("acc", 0.5)])
    bar.add(2, values=[("loss", 3.0), ("acc", 0.75)])
    out = capsys.readouterr().out
    assert "4/4" in out and "loss: 2.0000" in out and "acc: 0.7500" in out
    assert "/sample" in out


def test_dir_lists_keras_names():
    names = dir(utils)
    for name in ("to_categorical", "PyDataset", "get_file", "plot_model", "Progbar"):
        assert name in names
    assert "np" not in names and "torch" not in names


def test_config_matches_keras():
    keras = pytest.importorskip("keras")
    for cls in (utils.Config, keras.utils.Config):
        config = cls(learning_rate=0.1, momentum=0.9)
        config.nesterov = True
        config["decay"] = 0.0
        assert config.learning_rate == 0.1 and config["nesterov"] is True
        assert list(config) == ["decay", "learning_rate", "momentum", "nesterov"]
        assert len(config) == 4 and "decay" in config
        assert config.as_dict()["momentum"] == 0.9
        config.freeze()
        with pytest.raises(ValueError, match="frozen"):
            config.momentum = 0.5
        with pytest.raises(AttributeError, match="Did you mean 'momentum'"):
            config.momentun
        config.unfreeze()
        del config["decay"]
        assert config.to_json() == '{"learning_rate": 0.1, "momentum": 0.9, "nesterov": true}'
