"""model.save / load_model, save_weights / load_weights, to_json / model_from_json."""

import base64
import json
import marshal
import sys
import warnings
import zipfile

import numpy as np
import pytest
import torch

import plait
from plait import layers
from plait.layers import Dense, Input
from plait.models import Model, Sequential, load_model, model_from_json
from plait.saving import safetensors_io
from tests.saving import models as M


def assert_round_trip(model, tmp_path, **load_kwargs):
    """Save, load, and check predictions, summary, config and state_dict keys; returns the
    loaded model."""
    M.perturb(model)
    inputs = M.sample_inputs(model)
    expected = M.outputs_of(model, inputs)
    path = tmp_path / "m.plait"
    model.save(path)
    loaded = load_model(path, **load_kwargs)
    for a, b in zip(expected, M.outputs_of(loaded, inputs)):
        np.testing.assert_array_equal(a, b)
    assert M.summary_lines(loaded) == M.summary_lines(model)
    assert loaded.get_config() == model.get_config()
    assert list(loaded.state_dict()) == list(model.state_dict())
    return loaded


@pytest.mark.parametrize("build", M.TUTORIAL, ids=[f.__name__ for f in M.TUTORIAL])
def test_tutorial_models_round_trip(build, tmp_path):
    assert_round_trip(build(), tmp_path)


@pytest.mark.parametrize("row", M.layer_cases(), ids=[M.case_id(r) for r in M.layer_cases()])
def test_every_layer_kind_round_trips(row, tmp_path):
    assert_round_trip(M.model_for_case(row), tmp_path)


def test_every_exported_layer_kind_has_a_round_trip_case():
    missing = M.uncovered_layer_classes()
    assert not missing, (
        f"Layer classes with no saving test: {missing}. Add a row for each "
        "to LAYER_CASES in tests/saving/models.py."
    )


@pytest.mark.parametrize("build", M.STRUCTURES, ids=[f.__name__ for f in M.STRUCTURES])
def test_nested_shared_dict_and_sequential_models_round_trip(build, tmp_path):
    loaded = assert_round_trip(build(), tmp_path)
    assert type(loaded) is type(build())


def test_shared_layer_is_one_layer_after_loading(tmp_path):
    loaded = assert_round_trip(M.nested_and_shared(), tmp_path)
    shared = loaded.get_layer("shared")
    assert len(shared._inbound_nodes) == 2
    encoder = loaded.get_layer("encoder")
    assert isinstance(encoder, Model) and encoder.get_layer("inner_dense").units == 3


def test_file_holds_json_and_safetensors_only(tmp_path):
    model = M.TUTORIAL[0]()
    model.save(tmp_path / "m.plait")
    with zipfile.ZipFile(tmp_path / "m.plait") as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.safetensors"]
        meta = json.loads(archive.read("metadata.json"))
        config = json.loads(archive.read("config.json"))
        data = archive.read("model.safetensors")
    assert meta["format"] == "plait" and meta["format_version"] == 1
    assert meta["plait_version"] == plait.__version__
    assert meta["torch_version"] == torch.__version__ and meta["date_saved"]
    assert config["class_name"] == "Model" and config["compile_config"] is None
    assert config["config"] == model.get_config()
    # readable, stable names, readable by the reference safetensors implementation
    from safetensors.torch import load as reference_load

    tensors = reference_load(data)
    assert set(tensors) == set(model.state_dict())
    assert "dense_1.weight" in tensors and tensors["dense_1.weight"].shape == (10, 10)
    for key, value in model.state_dict().items():
        torch.testing.assert_close(tensors[key], value.cpu(), rtol=0, atol=0)


def test_save_is_deterministic_but_for_the_date(tmp_path):
    model = M.TUTORIAL[0]()
    model.save(tmp_path / "a.plait")
    model.save(tmp_path / "b.plait")
    with zipfile.ZipFile(tmp_path / "a.plait") as a, zipfile.ZipFile(tmp_path / "b.plait") as b:
        for name in ("config.json", "model.safetensors"):
            assert a.read(name) == b.read(name)


def test_loading_does_not_disturb_the_random_state(tmp_path):
    model = M.TUTORIAL[2]()  # an LSTM: orthogonal initializers draw many numbers
    model.save(tmp_path / "m.plait")
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    load_model(tmp_path / "m.plait")
    torch.testing.assert_close(torch.rand(3), expected)


# ---------------------------------------------------------------------------- arguments


def test_save_needs_plait_extension(tmp_path):
    with pytest.raises(ValueError, match=r"'\.plait' files.*Received: filepath="):
        M.TUTORIAL[0]().save(tmp_path / "m.pkl")


def test_save_refuses_to_overwrite_when_asked(tmp_path):
    model = M.TUTORIAL[0]()
    model.save(tmp_path / "m.plait")
    with pytest.raises(ValueError, match="already exists and overwrite=False"):
        model.save(tmp_path / "m.plait", overwrite=False)


def test_save_into_missing_folder_is_clear(tmp_path):
    with pytest.raises(ValueError, match="does not exist. Create it first"):
        M.TUTORIAL[0]().save(tmp_path / "nope" / "m.plait")


def test_save_unbuilt_model_is_clear(tmp_path):
    model = Sequential([Dense(2)])
    with pytest.raises(ValueError, match="is not built yet"):
        model.save(tmp_path / "m.plait")
    with pytest.raises(ValueError, match="is not built yet"):
        model.save_weights(tmp_path / "w.safetensors")


def test_load_missing_file_is_clear(tmp_path):
    with pytest.raises(ValueError, match="File not found"):
        load_model(tmp_path / "none.plait")


def test_load_folder_is_clear(tmp_path):
    with pytest.raises(ValueError, match="is a folder"):
        load_model(tmp_path)


# ---------------------------------------------------------------------------- weights


def test_save_weights_load_weights_by_name(tmp_path):
    model = M.TUTORIAL[1]()
    M.perturb(model)
    model.save_weights(tmp_path / "w.safetensors")
    M.reset()
    other = M.TUTORIAL[1]()
    other.load_weights(tmp_path / "w.safetensors")
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_load_weights_into_a_fresh_sequential_with_an_input_shape(tmp_path):
    # Keras builds such a model at once; nothing has to touch it before load_weights
    model = Sequential([Dense(3, input_shape=(4,)), Dense(1)])
    M.perturb(model)
    model.save_weights(tmp_path / "w.safetensors")
    M.reset()  # the same layer names again
    other = Sequential([Dense(3, input_shape=(4,)), Dense(1)])
    other.load_weights(tmp_path / "w.safetensors")
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_weights_file_is_a_plain_state_dict(tmp_path):
    model = M.TUTORIAL[2]()
    model.save_weights(tmp_path / "w.safetensors")
    from safetensors.torch import load_file

    tensors = load_file(tmp_path / "w.safetensors")
    M.reset()
    plain = M.TUTORIAL[2]()
    plain.load_state_dict(tensors)  # plain PyTorch loads it
    assert set(tensors) == set(model.state_dict())


def test_load_weights_reads_files_of_the_reference_implementation(tmp_path):
    from safetensors.torch import save_file

    model = M.TUTORIAL[0]()
    state = {k: v.cpu() + 1 for k, v in model.state_dict().items()}
    save_file(state, tmp_path / "w.safetensors")
    model.load_weights(tmp_path / "w.safetensors")
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value.cpu(), state[key])


def test_load_weights_from_a_plait_file(tmp_path):
    model = M.TUTORIAL[0]()
    M.perturb(model)
    model.save(tmp_path / "m.plait")
    M.reset()
    other = M.TUTORIAL[0]()
    other.load_weights(tmp_path / "m.plait")
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


def _two_models():
    a = Input(shape=(4,))
    first = Model(a, Dense(2, name="out")(Dense(3, name="hidden")(a)))
    b = Input(shape=(4,))
    second = Model(b, Dense(2, name="out")(Dense(5, name="hidden")(b)))
    return first, second


def test_load_weights_shape_mismatch_is_clear_and_changes_nothing(tmp_path):
    first, second = _two_models()
    first.save_weights(tmp_path / "w.safetensors")
    before = second.get_weights()
    with pytest.raises(
        ValueError,
        match=r"(?s)'dense_1\.weight' has shape \(3, 4\) in the file "
        r"but \(5, 4\) in the model.*skip_mismatch=True",
    ):
        second.load_weights(tmp_path / "w.safetensors")
    for a, b in zip(before, second.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_load_weights_skip_mismatch_loads_the_rest(tmp_path):
    first, second = _two_models()
    M.perturb(first)
    first.save_weights(tmp_path / "w.safetensors")
    with pytest.warns(UserWarning, match="dense_1.weight"):
        second.load_weights(tmp_path / "w.safetensors", skip_mismatch=True)
    torch.testing.assert_close(second.get_layer("out").bias, first.get_layer("out").bias)


def test_load_weights_missing_and_extra_names_are_clear(tmp_path):
    first, _ = _two_models()
    first.save_weights(tmp_path / "w.safetensors")
    c = Input(shape=(4,))
    third = Model(c, Dense(2, name="other")(c))
    with pytest.raises(
        ValueError,
        match="(?s)'dense_1.weight' has shape.*"
        "'dense_2.weight' is in the file but not in the model",
    ):
        third.load_weights(tmp_path / "w.safetensors")


def _weights_with_dtype(model, path, dtype):
    tensors = {k: v.detach().to(dtype) for k, v in model.state_dict().items()}
    with open(path, "wb") as f:
        safetensors_io.write(f, tensors, {"format": "pt"})


def test_load_weights_refuses_a_lossy_dtype_and_names_the_tensor(tmp_path):
    first, _ = _two_models()
    path = tmp_path / "w.safetensors"
    _weights_with_dtype(first, path, torch.int64)  # a float32 kernel stored as I64
    before = first.get_weights()
    with pytest.raises(
        ValueError,
        match=r"'dense_1\.weight' has dtype int64 in the file but "
        r"the model expects float32",
    ):
        first.load_weights(path)
    for a, b in zip(before, first.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_plait_file_with_a_lossy_dtype_is_refused(tmp_path):
    model = M.TUTORIAL[0]()
    path = tmp_path / "m.plait"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    with open(tmp_path / "w.safetensors", "wb") as f:
        safetensors_io.write(
            f,
            {k: v.detach().to(torch.int64) for k, v in model.state_dict().items()},
            {"format": "pt"},
        )
    members["model.safetensors"] = (tmp_path / "w.safetensors").read_bytes()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(
        ValueError, match="has dtype int64 in the file but the model expects float32"
    ):
        load_model(path)


def test_load_weights_widens_float16_losslessly(tmp_path):
    first, _ = _two_models()
    M.perturb(first)
    path = tmp_path / "w.safetensors"
    _weights_with_dtype(first, path, torch.float16)
    expected = [w.astype(np.float16).astype(np.float32) for w in first.get_weights()]
    first.load_weights(path)
    for a, b in zip(expected, first.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_save_weights_needs_safetensors_extension(tmp_path):
    with pytest.raises(ValueError, match=r"must end in '\.safetensors'"):
        M.TUTORIAL[0]().save_weights(tmp_path / "w.pt")


def test_load_weights_missing_file_is_clear(tmp_path):
    with pytest.raises(ValueError, match="No weights file"):
        M.TUTORIAL[0]().load_weights(tmp_path / "none.safetensors")


def test_shared_tensor_is_stored_once(tmp_path):
    model = M.nested_and_shared()
    names, aliases = plait.saving.weights.named_weights(model)
    assert len(names) == len({id(t) for t in names.values()})
    model.save_weights(tmp_path / "w.safetensors")
    model.load_weights(tmp_path / "w.safetensors")


def test_safetensors_dtypes_round_trip(tmp_path):
    tensors = {
        "f64": torch.randn(2, 3, dtype=torch.float64),
        "bf16": torch.randn(4).bfloat16(),
        "f16": torch.randn(1).half(),
        "i64": torch.arange(5),
        "u8": torch.arange(3, dtype=torch.uint8),
        "b": torch.tensor([True, False]),
        "empty": torch.empty(0, 3),
        "scalar": torch.tensor(2.5),
    }
    path = tmp_path / "t.safetensors"
    with open(path, "wb") as f:
        safetensors_io.write(f, tensors, {"note": "x"})
    with open(path, "rb") as f:
        loaded, meta = safetensors_io.load(f, path.stat().st_size)
    assert meta == {"note": "x"}
    for key, value in tensors.items():
        assert loaded[key].dtype == value.dtype and torch.equal(loaded[key], value)
    from safetensors.torch import load_file

    reference = load_file(path)
    for key, value in tensors.items():
        assert torch.equal(reference[key], value)


# ---------------------------------------------------------------------------- json


@pytest.mark.parametrize(
    "build", M.TUTORIAL + M.STRUCTURES, ids=[f.__name__ for f in M.TUTORIAL + M.STRUCTURES]
)
def test_to_json_model_from_json(build):
    model = build()
    text = model.to_json()
    rebuilt = model_from_json(text)
    assert rebuilt.get_config() == model.get_config()
    assert M.summary_lines(rebuilt) == M.summary_lines(model)
    assert json.loads(text)["plait_version"] == plait.__version__


def test_model_from_json_bad_text_is_clear():
    with pytest.raises(ValueError, match="could not be parsed"):
        model_from_json("{not json")
    with pytest.raises(ValueError, match="Cannot build the model of the JSON config"):
        model_from_json('{"class_name": "Model", "config": {"layers": 3}}')


# ---------------------------------------------------------------------------- custom layers


class Scale(layers.Layer):
    """A custom layer: multiplies by a learned per-feature factor."""

    def __init__(self, init=2.0, **kwargs):
        super().__init__(**kwargs)
        self.init = init

    def build(self, input_shape):
        self.add_weight("factor", (input_shape[-1],), initializer="ones")

    def forward(self, inputs):
        return inputs * self.factor * self.init

    def get_config(self):
        return {**super().get_config(), "init": self.init}


def _custom_model(cls):
    x = Input(shape=(3,))
    return Model(x, Dense(2)(cls(init=3.0)(x)))


def test_unregistered_custom_layer_loads_with_custom_objects(tmp_path):
    model = _custom_model(Scale)
    M.perturb(model)
    model.save(tmp_path / "m.plait")
    with pytest.raises(
        ValueError,
        match=r"Unknown layer class 'Scale'.*"
        r"register_serializable.*custom_objects=\{'Scale': Scale\}",
    ):
        load_model(tmp_path / "m.plait")
    loaded = load_model(tmp_path / "m.plait", custom_objects={"Scale": Scale})
    x = M.sample_inputs(model)
    np.testing.assert_array_equal(M.outputs_of(model, x)[0], M.outputs_of(loaded, x)[0])


def test_registered_custom_layer_loads_without_custom_objects(tmp_path):
    @plait.saving.register_serializable(package="SavingTests")
    class Shift(Scale):
        pass

    model = _custom_model(Shift)
    model.save(tmp_path / "m.plait")
    loaded = load_model(tmp_path / "m.plait")
    assert type(loaded.layers[1]) is Shift
    with zipfile.ZipFile(tmp_path / "m.plait") as archive:
        assert "SavingTests>Shift" in archive.read("config.json").decode()


def test_unknown_registered_name_error_names_it(tmp_path):
    model = _custom_model(Scale)
    model.save(tmp_path / "m.plait")
    _rewrite_config(tmp_path / "m.plait", lambda text: text.replace('"Scale"', '"Mine>Gone"'))
    with pytest.raises(
        ValueError,
        match=r"Unknown layer class 'Mine>Gone'.*"
        r"custom_objects=\{'Mine>Gone': Gone\}",
    ):
        load_model(tmp_path / "m.plait")


def _rewrite_config(path, edit, member="config.json"):
    with zipfile.ZipFile(path) as archive:
        contents = {info.filename: archive.read(info) for info in archive.infolist()}
    contents[member] = edit(contents[member].decode()).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)


# ---------------------------------------------------------------------------- safe mode


def _lambda_model():
    factor = 2.0

    def shift(t, by=0.5, *, power=1):
        return (t + by) ** power

    x = Input(shape=(3,))
    h = layers.Lambda(lambda t: torch.tanh(t) * factor, output_shape=(3,))(x)
    h = layers.Lambda(shift, arguments={"power": 2}, output_shape=lambda s: s)(h)
    return Model(x, Dense(2)(h))


def _code_as_objects(config):
    """A config with each saved function's bytecode unmarshalled: marshal's bytes for equal
    code objects may differ (its reference flags depend on reference counts)."""
    text = json.dumps(config)
    return json.loads(
        text,
        object_hook=lambda d: (
            {**d, "code": marshal.loads(base64.b64decode(d["code"]))} if "code" in d else d
        ),
    )


def test_lambda_layers_need_safe_mode_false(tmp_path):
    model = _lambda_model()
    M.perturb(model)
    model.save(tmp_path / "m.plait")
    with pytest.raises(
        ValueError,
        match=r"holds a Lambda layer \('lambda_[12]'\), whose config "
        r"is Python code.*refused by default.*safe_mode=False",
    ):
        load_model(tmp_path / "m.plait")
    loaded = load_model(tmp_path / "m.plait", safe_mode=False)
    data = M.sample_inputs(model)
    np.testing.assert_array_equal(M.outputs_of(model, data)[0], M.outputs_of(loaded, data)[0])
    assert _code_as_objects(loaded.get_config()) == _code_as_objects(model.get_config())
    assert loaded.get_layer("lambda_2").arguments == {"power": 2}


def test_lambda_layers_load_inside_safe_mode_scope(tmp_path):
    model = _lambda_model()
    model.save(tmp_path / "m.plait")
    config = model.to_json()
    with plait.saving.safe_mode_scope(False):
        loaded = load_model(tmp_path / "m.plait")
        rebuilt = model_from_json(config)
    assert plait.serialization.in_safe_mode()
    data = M.sample_inputs(model)
    np.testing.assert_array_equal(M.outputs_of(model, data)[0], M.outputs_of(loaded, data)[0])
    assert _code_as_objects(rebuilt.get_config()) == _code_as_objects(model.get_config())
    with pytest.raises(ValueError, match="Lambda layer.*safe_mode=False"):
        model_from_json(config)


def test_lambda_from_config_refuses_code_in_safe_mode():
    layer = layers.Lambda(lambda t: t * 3)
    config = json.loads(json.dumps(layer.get_config()))
    assert config["function"]["class_name"] == "__lambda__"
    with pytest.raises(
        ValueError,
        match="Lambda layer 'lambda_1' holds its function as Python "
        "bytecode.*refused by default.*safe_mode=False",
    ):
        layers.Lambda.from_config(config)
    with plait.serialization.safe_mode_scope(False):
        rebuilt = layers.Lambda.from_config(config)
    assert rebuilt.function(torch.tensor(2.0)) == 6.0


def test_lambda_globals_come_from_custom_objects_not_imports():
    layer = layers.Lambda(lambda t: helper(t))  # noqa: F821 (defined only when loading)
    config = json.loads(json.dumps(layer.get_config()))
    with plait.serialization.safe_mode_scope(False):
        with pytest.raises(
            ValueError,
            match=r"uses the names \['helper'\].*custom_objects="
            r"\{'helper': helper\}",
        ):
            layers.Lambda.from_config(config)
        rebuilt = layers.Lambda.from_config(config, custom_objects={"helper": torch.neg})
    assert rebuilt.function(torch.tensor(2.0)) == -2.0


def test_lambda_that_cannot_be_saved_is_named(tmp_path):
    x = Input(shape=(3,))
    model = Model(x, layers.Lambda(torch.exp)(x))
    with pytest.raises(
        ValueError,
        match="Lambda layer 'lambda_1' cannot be saved: its function "
        "is a builtin_function_or_method.*lambda x: f",
    ):
        model.save(tmp_path / "m.plait")
    scale = torch.ones(3)
    with pytest.raises(
        ValueError,
        match="Lambda layer 'lambda_2' cannot be saved: the values "
        "its function closes over hold a value JSON cannot",
    ):
        layers.Lambda(lambda t: t * scale).get_config()
    assert not (tmp_path / "m.plait").exists()


def test_lambda_bytecode_of_another_python_is_refused():
    config = json.loads(json.dumps(layers.Lambda(lambda t: t).get_config()))
    config["function"]["config"]["python_version"] = "2.7"
    with plait.serialization.safe_mode_scope(False):
        with pytest.raises(ValueError, match=r"bytecode of Python 2\.7, which this Python"):
            layers.Lambda.from_config(config)
        config["function"]["config"].update(
            python_version="%d.%d" % sys.version_info[:2], code="bm90IGNvZGU="
        )
        with pytest.raises(ValueError, match="its saved function is damaged"):
            layers.Lambda.from_config(config)


def test_torch_module_models_save_weights_but_refuse_a_config(tmp_path):
    def build():
        x = Input(shape=(3,))
        return Model(x, Dense(1)(layers.TorchModule(torch.nn.Linear(3, 2))(x)))

    model = build()
    with pytest.raises(
        ValueError,
        match="TorchModule layer 'torch_module_1' cannot be saved in a config: it holds a Linear",
    ):
        model.save(tmp_path / "m.plait")
    assert not (tmp_path / "m.plait").exists()
    M.perturb(model)
    model.save_weights(tmp_path / "w.safetensors")
    M.reset()  # the rebuilt model gets the same layer names, as in a new process
    rebuilt = build()
    rebuilt.load_weights(tmp_path / "w.safetensors")
    data = M.sample_inputs(model)
    np.testing.assert_array_equal(M.outputs_of(model, data)[0], M.outputs_of(rebuilt, data)[0])


def test_code_in_a_config_is_refused_in_safe_mode(tmp_path):
    model = M.TUTORIAL[0]()
    model.save(tmp_path / "m.plait")
    _rewrite_config(
        tmp_path / "m.plait",
        lambda text: text.replace('"class_name": "Activation"', '"class_name": "Lambda"').replace(
            '"class_name": "Dense"', '"class_name": "Lambda"', 1
        ),
    )
    with pytest.raises(ValueError, match="Lambda layer.*refused by default"):
        load_model(tmp_path / "m.plait")
    assert plait.serialization.in_safe_mode()


def test_call_argument_names_cannot_smuggle_code(tmp_path):
    M.TUTORIAL[2]().save(tmp_path / "m.plait")  # lstm_1 is called with kwargs {}
    _rewrite_config(
        tmp_path / "m.plait",
        lambda text: text.replace('"kwargs": {}', '"kwargs": {"a=print(\'pwned\'), b": null}', 1),
    )
    for safe_mode in (True, False):
        with pytest.raises(
            ValueError, match="called with an argument named.*not a Python identifier"
        ):
            load_model(tmp_path / "m.plait", safe_mode=safe_mode)


@pytest.mark.parametrize("name", ['x\\")\\nprint(\\"pwned\\")\\n#', "a\\\\b", "tab\\tname"])
def test_layer_names_cannot_smuggle_code(tmp_path, name):
    """Layer names never reach the generated forward (layers are called by model-local
    keys): a name made to look like code loads as a plain name and runs nothing."""
    M.TUTORIAL[0]().save(tmp_path / "m.plait")
    _rewrite_config(tmp_path / "m.plait", lambda text: text.replace('"dense_1"', f'"{name}"'))
    for safe_mode in (True, False):
        model = load_model(tmp_path / "m.plait", safe_mode=safe_mode)
        assert "pwned" not in model.code
        assert any(
            "\\" in layer.name or "\t" in layer.name or "pwned" in layer.name
            for layer in model.layers
        )
    _rewrite_config(tmp_path / "m.plait", lambda text: text.replace(f'"{name}"', '"a/b"'))
    with pytest.raises(ValueError, match="damaged or hostile: it names a layer"):
        load_model(tmp_path / "m.plait")


def test_safe_mode_scope_is_set_while_loading(tmp_path, monkeypatch):
    seen = []
    original = Dense.from_config.__func__

    def spy(cls, config):
        seen.append(plait.serialization.in_safe_mode())
        return original(cls, config)

    monkeypatch.setattr(Dense, "from_config", classmethod(spy))
    model = M.TUTORIAL[0]()
    model.save(tmp_path / "m.plait")
    load_model(tmp_path / "m.plait")
    assert seen and all(seen)
    seen.clear()
    load_model(tmp_path / "m.plait", safe_mode=False)
    assert seen and not any(seen)
    assert plait.serialization.in_safe_mode()


# ---------------------------------------------------------------------------- damaged files


def test_truncated_file_is_a_clear_error(tmp_path):
    model = M.TUTORIAL[0]()
    model.save(tmp_path / "m.plait")
    data = (tmp_path / "m.plait").read_bytes()
    for cut in (0, 10, len(data) // 2, len(data) - 30):
        (tmp_path / "t.plait").write_bytes(data[:cut])
        with pytest.raises(ValueError, match="'.*t.plait'"):
            load_model(tmp_path / "t.plait")


def test_not_a_zip_is_a_clear_error(tmp_path):
    (tmp_path / "m.plait").write_text("hello, I am not a model")
    with pytest.raises(ValueError, match="is not a valid .plait file.*not a zip archive"):
        load_model(tmp_path / "m.plait")


def test_corrupted_weights_are_a_clear_error(tmp_path):
    model = M.TUTORIAL[0]()
    model.save(tmp_path / "m.plait")
    data = bytearray((tmp_path / "m.plait").read_bytes())
    with zipfile.ZipFile(tmp_path / "m.plait") as archive:
        info = archive.getinfo("model.safetensors")
    middle = info.header_offset + 30 + len(info.filename) + info.file_size // 2
    data[middle] ^= 0xFF
    (tmp_path / "m.plait").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="is damaged: reading 'model.safetensors' failed.*CRC"):
        load_model(tmp_path / "m.plait")


def test_zip_without_plait_metadata_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "m.plait", "w") as archive:
        archive.writestr("something.txt", "hi")
    with pytest.raises(ValueError, match="not a complete .plait file: it has no 'metadata.json'"):
        load_model(tmp_path / "m.plait")
    with zipfile.ZipFile(tmp_path / "k.plait", "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.0"}))
    with pytest.raises(ValueError, match="is not a plait model file"):
        load_model(tmp_path / "k.plait")


def test_newer_format_version_is_refused(tmp_path):
    M.TUTORIAL[0]().save(tmp_path / "m.plait")
    _rewrite_config(
        tmp_path / "m.plait",
        lambda text: text.replace('"format_version": 1', '"format_version": 7'),
        member="metadata.json",
    )
    with pytest.raises(
        ValueError,
        match=r"saved by a newer plait.*format version 7.*"
        r"reads format versions up to 1.*pip install -U",
    ):
        load_model(tmp_path / "m.plait")


def test_weights_not_matching_config_are_a_clear_error(tmp_path):
    first, second = _two_models()
    first.save(tmp_path / "a.plait")
    second.save(tmp_path / "b.plait")
    with zipfile.ZipFile(tmp_path / "b.plait") as archive:
        other_weights = archive.read("model.safetensors")
    with zipfile.ZipFile(tmp_path / "a.plait") as archive:
        contents = {i.filename: archive.read(i) for i in archive.infolist()}
    contents["model.safetensors"] = other_weights
    with zipfile.ZipFile(tmp_path / "a.plait", "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    with pytest.raises(
        ValueError,
        match=r"(?s)do not match model.*built from its config.*"
        r"'dense_1\.weight' has shape \(5, 4\) in the file but "
        r"\(3, 4\) in the model",
    ):
        load_model(tmp_path / "a.plait")


def test_config_asking_for_more_memory_than_the_file_holds_is_refused(tmp_path):
    M.TUTORIAL[0]().save(tmp_path / "m.plait")
    _rewrite_config(
        tmp_path / "m.plait", lambda text: text.replace('"units": 20', '"units": 4000000000', 1)
    )
    with pytest.raises(
        ValueError,
        match=r"'dense_2\.weight' has shape \(20, 10\) in the "
        r"file but \(4000000000, 10\) in the model",
    ):
        load_model(tmp_path / "m.plait")


def test_config_with_wrong_types_is_a_clear_error(tmp_path):
    M.TUTORIAL[0]().save(tmp_path / "m.plait")
    _rewrite_config(
        tmp_path / "m.plait", lambda text: text.replace('"units": 10', '"units": "ten"', 1)
    )
    with pytest.raises(ValueError, match="Cannot build the model of '.*m.plait'.*units"):
        load_model(tmp_path / "m.plait")


def test_deeply_nested_json_is_a_clear_error(tmp_path):
    M.TUTORIAL[0]().save(tmp_path / "m.plait")
    _rewrite_config(tmp_path / "m.plait", lambda text: "[" * 100000 + "]" * 100000)
    with pytest.raises(ValueError, match="config.json"):
        load_model(tmp_path / "m.plait")


def test_unbounded_sizes_in_headers_are_refused(tmp_path):
    path = tmp_path / "w.safetensors"
    path.write_bytes((10**15).to_bytes(8, "little") + b"{}")
    with pytest.raises(ValueError, match="header claims"):
        M.TUTORIAL[0]().load_weights(path)
    header = json.dumps(
        {"w": {"dtype": "F32", "shape": [10**9, 10**9], "data_offsets": [0, 4]}}
    ).encode()
    path.write_bytes(len(header).to_bytes(8, "little") + header + b"1234")
    with pytest.raises(ValueError, match="needs 4000000000000000000 bytes|data spans"):
        M.TUTORIAL[0]().load_weights(path)


# ---------------------------------------------------------------------------- state_dict


def test_state_dict_keys_are_readable():
    keys = list(M.nested_and_shared().state_dict())
    # model-local structural keys (Keras 3's file layout), not the printed names
    assert "dense_1.weight" in keys and "model_1.dense_1.bias" in keys
    assert not any("_modules" in k or k[0].isdigit() for k in keys)


def test_save_load_keeps_working_with_warnings_as_errors(tmp_path):
    model = M.TUTORIAL[0]()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.save(tmp_path / "m.plait")
        load_model(tmp_path / "m.plait")
