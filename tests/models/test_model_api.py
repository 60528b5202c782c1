"""Model and Sequential behaviour beyond the tutorial: structures, nesting, sub-models,
errors, config round trips."""

import json

import numpy as np
import pytest
import torch

import plait
from plait import Input, Model, Sequential
from plait.layers import LSTM, Dense, Flatten, Layer, concatenate


def test_double_call_syntaxes():
    visible = Input(shape=(2,))
    a = Dense(32)(visible)
    layer = Dense(32)
    b = layer(visible)
    c = layer.__call__(visible)
    assert a.shape == b.shape == c.shape == (None, 32)
    assert len(layer._inbound_nodes) == 2


def test_input_shape_must_be_a_tuple():
    with pytest.raises(TypeError, match=r"write shape=\(2,\) with the trailing comma"):
        Input(shape=2)


def test_dict_inputs_and_outputs_use_their_keys():
    a, b = Input(shape=(3,), name="a"), Input(shape=(2,), name="b")
    merged = concatenate([a, b])
    model = Model({"x": a, "y": b}, {"score": Dense(1)(merged), "embed": Dense(4)(merged)})
    assert model.input_names == ["x", "y"]
    assert model.output_names == ["score", "embed"]
    out = model({"x": torch.ones(2, 3), "y": torch.ones(2, 2)})
    assert set(out) == {"score", "embed"} and out["embed"].shape == (2, 4)
    with pytest.raises(ValueError, match=r"unknown keys \['z'\] and missing keys \['y'\]"):
        model({"x": torch.ones(2, 3), "z": torch.ones(2, 2)})


def test_wrong_number_of_inputs():
    a, b = Input(shape=(3,)), Input(shape=(2,))
    model = Model([a, b], Dense(1)(concatenate([a, b])))
    with pytest.raises(
        ValueError,
        match=r"expects 2 inputs \(input_1: \(None, 3\), input_2: \(None, 2\)\); received one Tensor",
    ):
        model(torch.ones(2, 3))
    with pytest.raises(ValueError, match=r"expects 2 input\(s\).*received a list of 3\.\n"):
        model([torch.ones(2, 3)] * 3)


def test_list_where_one_input_was_meant():
    visible = Input(shape=(3,))
    model = Model(visible, Dense(1)(visible))
    with pytest.raises(
        ValueError,
        match=r"received a list of 2\. Pass the one input's data "
        "as a tensor, not a list of its rows",
    ):
        model([torch.ones(3), torch.ones(3)])


def test_nested_model_is_one_layer_sharing_weights():
    inner_in = Input(shape=(4,))
    inner = Model(inner_in, Dense(3)(inner_in), name="encoder")
    visible = Input(shape=(4,))
    outer = Model(visible, Dense(2)(inner(visible)))
    assert [layer.name for layer in outer.layers] == ["input_2", "encoder", "dense_2"]
    assert "model_1.dense_1.weight" in outer.state_dict()  # structural keys
    x = torch.randn(5, 4)
    torch.testing.assert_close(outer(x), outer.get_layer("dense_2")(inner(x)))
    assert outer.count_params() == 4 * 3 + 3 + 3 * 2 + 2


def test_sub_model_from_intermediate_tensors_shares_layers():
    visible = Input(shape=(5,))
    hidden = Dense(4)(visible)
    out = Dense(2)(Dense(3)(hidden))
    full = Model(visible, out)
    head = Model(hidden, out)
    features = Model(visible, hidden)
    x = torch.randn(3, 5)
    torch.testing.assert_close(head(features(x)), full(x))
    assert head.get_layer("dense_2") is full.get_layer("dense_2")


def test_layer_output_on_shared_layer_is_the_first_call_like_keras_3():
    shared = Dense(3)
    visible = Input(shape=(3,))
    first = shared(visible)
    second = shared(first)
    assert shared.output is first and shared.input is visible
    assert shared.get_output_at(1) is second and shared.get_input_at(1) is first
    assert shared.get_output_at(0).shape == (None, 3)


def test_layer_properties_before_and_after_call():
    layer = Dense(4)
    with pytest.raises(ValueError, match="has not been called"):
        layer.output
    visible = Input(shape=(3,))
    out = layer(visible)
    assert layer.input is visible and layer.output is out
    assert layer.input_shape == (None, 3) and layer.output_shape == (None, 4)


def test_set_weights_errors_name_the_weight():
    layer = Dense(2)
    layer(Input(shape=(3,)))
    with pytest.raises(
        ValueError,
        match=r"expects 2 weight arrays \(\['dense_1/kernel', 'dense_1/bias'\]\); received 1",
    ):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(
        ValueError,
        match=r"'dense_1/kernel'.*has shape \(3, 2\); received an array of shape \(2, 3\)",
    ):
        layer.set_weights([np.zeros((2, 3)), np.zeros(2)])


def test_count_params_before_build():
    with pytest.raises(ValueError, match="not built yet"):
        Dense(2).count_params()


def test_trainable_false_moves_weights_to_non_trainable():
    visible = Input(shape=(3,))
    frozen = Dense(2)
    model = Model(visible, Dense(1)(frozen(visible)))
    frozen.trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    assert not frozen.weight.requires_grad
    lines = []
    model.summary(print_fn=lines.append)
    assert "Trainable params: 3" in lines and "Non-trainable params: 8" in lines


def test_get_layer_errors():
    visible = Input(shape=(3,))
    model = Model(visible, Dense(1)(visible))
    assert model.get_layer(index=1).name == "dense_1"
    with pytest.raises(ValueError, match=r"No layer named 'dense_9'.*\['input_1', 'dense_1'\]"):
        model.get_layer("dense_9")
    with pytest.raises(ValueError, match="exactly one of"):
        model.get_layer()
    assert model.get_layer(index=-1).name == "dense_1"
    with pytest.raises(ValueError, match=r"has 2 layers; index 2 is out of range"):
        model.get_layer(index=2)
    with pytest.raises(TypeError, match=r"index must be an int.*Received: index='1'"):
        model.get_layer(index="1")


def test_nested_model_called_on_a_tensor_of_the_wrong_shape():
    inner_in = Input(shape=(4,))
    inner = Model(inner_in, Dense(2)(inner_in), name="encoder")
    with pytest.raises(
        ValueError,
        match=r"Model 'encoder' input 'input_1' expects tensors of "
        r"shape \(None, 4\); it was called at "
        r"test_model_api\.py:\d+ on 'input_2' of shape "
        r"\(None, 5\) \(made at test_model_api\.py:\d+\)",
    ):
        inner(Input(shape=(5,)))
    with pytest.raises(ValueError, match=r"expects tensors of shape \(None, 4\).*\(None, 3, 4\)"):
        inner(Input(shape=(3, 4)))
    assert inner(Input(batch_shape=(8, 4))).shape == (8, 2)  # None matches any size


def test_layer_given_a_list_where_it_takes_one_tensor():
    visible = Input(shape=(4,))
    with pytest.raises(
        ValueError,
        match=r"Layer 'dense_1' \(Dense\) cannot be built for inputs "
        r"'input_1' of shape \(None, 4\).*at test_model_api"
        r"\.py:\d+: .*given a list of 2 tensors.*concatenate",
    ):
        Dense(2)([visible, visible])


def test_layer_called_on_numpy_or_on_a_model_says_what_to_do():
    visible = Input(shape=(4,))
    model = Model(visible, Dense(2)(visible))
    with pytest.raises(
        TypeError,
        match=r"'dense_2' \(Dense\) was called on a NumPy array of "
        r"shape \(2, 4\).*torch\.as_tensor\(x\)",
    ):
        Dense(3)(np.zeros((2, 4)))
    with pytest.raises(
        TypeError,
        match=r"'dense_3' \(Dense\) was called on a Model object.*"
        r"dense_3\(model\.output\)",
    ):
        Dense(3)(model)


def test_symbolic_tensor_explains_itself_when_misused():
    visible = Input(shape=(3,))
    for misuse in (bool, len, np.asarray, float):
        with pytest.raises(TypeError, match="holds no data"):
            misuse(visible)


def test_generated_code_is_straight_line():
    visible = Input(shape=(3,))
    hidden = Dense(2)(visible)
    model = Model(visible, Dense(1)(hidden))
    assert model.code.splitlines() == [
        "def forward(self, input_1, training = None):",
        "    dense_1 = self.dense_1(input_1);  input_1 = None",
        "    dense_2 = self.dense_2(dense_1);  dense_1 = None",
        "    return dense_2",
    ]


def test_layers_compute_in_inference_mode_by_default():
    visible = Input(shape=(3,))
    model = Model(visible, Dense(1)(visible))
    assert not model.training and not model.get_layer("dense_1").training


@pytest.mark.parametrize(
    "make",
    [
        lambda: Sequential([Dense(2, input_dim=1), Dense(1)]),
        lambda: _added(),
    ],
)
def test_tutorial_sequential_snippets(make):
    model = make()
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dense"]
    assert model(torch.ones(4, 1)).shape == (4, 1)
    lines = []
    model.summary(print_fn=lines.append)
    assert (
        lines[3].startswith("dense_")
        and "(None, 2)" in lines[3]
        and lines[3].rstrip().endswith("4")
    )


def _added():
    model = Sequential()
    model.add(Dense(2, input_dim=1))
    model.add(Dense(1))
    return model


def test_sequential_builds_from_first_batch_and_summarizes_before():
    model = Sequential([Dense(4), Dense(1)])
    lines = []
    model.summary(print_fn=lines.append)  # Keras 3: '?' shapes, '0 (unbuilt)' params
    assert any(
        line.startswith("dense_") and "?" in line and line.endswith("0 (unbuilt)") for line in lines
    )
    assert "Total params: 0" in lines
    assert model(torch.ones(3, 7)).shape == (3, 1)
    assert model.count_params() == 7 * 4 + 4 + 5


def test_sequential_rejects_bad_additions():
    model = Sequential([Dense(2, input_dim=3, name="a")])
    with pytest.raises(ValueError, match="unique names.*'a'"):
        model.add(Dense(2, name="a"))
    with pytest.raises(TypeError, match=r"takes a plait layer.*Linear"):
        model.add(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="single output tensor"):
        Sequential([LSTM(2, return_state=True, input_shape=(4, 2))])


def test_sequential_pop():
    model = Sequential([Dense(3, input_dim=2), Dense(4), Dense(1)])
    model.pop()
    assert model(torch.ones(1, 2)).shape == (1, 4)


def _roundtrip(model):
    config = json.loads(json.dumps(plait.serialization.serialize(model)))
    return plait.serialization.deserialize(config)


def test_functional_config_round_trip_rebuilds_equal_model():
    from tests.models import tutorial_models as tm

    for build in tm.ALL:
        plait.backend.clear_session()
        model = build()
        rebuilt = _roundtrip(model)
        rebuilt.set_weights(model.get_weights())
        assert rebuilt.get_config() == model.get_config()
        a, b = [], []
        model.summary(print_fn=a.append)
        rebuilt.summary(print_fn=b.append)
        assert a == b, build.__name__


def test_config_round_trip_with_nested_and_shared_layers():
    inner_in = Input(shape=(4,))
    inner = Model(inner_in, Dense(4)(inner_in), name="block")
    visible = Input(shape=(4,))
    shared = Dense(4, name="shared")
    out = shared(inner(shared(visible)))
    model = Model(visible, Flatten()(out))
    rebuilt = _roundtrip(model)
    rebuilt.set_weights(model.get_weights())
    x = torch.randn(2, 4)
    torch.testing.assert_close(rebuilt(x), model(x))
    assert len(rebuilt.get_layer("shared")._inbound_nodes) == 2


def test_sequential_config_round_trip():
    model = Sequential([Dense(3, input_dim=2, activation="relu"), Dense(1)])
    rebuilt = _roundtrip(model)
    rebuilt.set_weights(model.get_weights())
    x = torch.randn(4, 2)
    torch.testing.assert_close(rebuilt(x), model(x))


def test_clear_session_restarts_names():
    Dense(1)
    plait.backend.clear_session()
    assert Dense(1).name == "dense_1"


def test_deepcopy_and_pickle_regenerate_forward():
    import copy
    import pickle

    visible = Input(shape=(3,))
    model = Model(visible, Dense(2)(visible))
    x = torch.randn(2, 3)
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        torch.testing.assert_close(clone(x), model(x))


def test_concrete_errors_name_the_layer_and_shapes():
    visible = Input(shape=(10,))
    model = Model(visible, Dense(1)(visible))
    with pytest.raises(RuntimeError) as info:
        model(torch.ones(2, 9))
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "in layer 'dense_1' (Dense), called on input of shape (2, 9)" in notes
    assert (
        "in layer 'model_1' (Model), called on input of shape (2, 9) (it expects (None, 10))"
        in notes
    )


def test_model_takes_numpy_arrays_as_its_input_dtype():
    visible = Input(shape=(3,))
    model = Model(visible, Dense(1)(visible))
    out = model(np.ones((2, 3)))  # float64 data, float32 model
    assert out.dtype == torch.float32 and out.shape == (2, 1)


def _mlp():
    visible = Input(shape=(4,))
    hidden = Dense(3, activation="relu")(visible)
    return Model(visible, Dense(2)(hidden))


def test_forward_calls_layers_directly_when_no_hook_is_registered(monkeypatch):
    model = _mlp()
    x = torch.randn(2, 4)
    expected = model(x)
    calls = []
    original = Layer.__call__

    def counting(self, *args, **kwargs):
        calls.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Layer, "__call__", counting)
    torch.testing.assert_close(model(x), expected)
    assert calls == ["model_1"]  # the model itself; its layers ran through direct forward


def test_layer_hooks_and_global_hooks_still_run():
    model = _mlp()
    x = torch.randn(2, 4)
    seen = []
    handle = model.get_layer("dense_1").register_forward_hook(
        lambda module, args, out: seen.append(("layer", tuple(out.shape)))
    )
    model(x)
    assert seen == [("layer", (2, 3))]
    handle.remove()
    handle = torch.nn.modules.module.register_module_forward_pre_hook(
        lambda module, args: (
            seen.append(module.name) if module is model.get_layer("dense_2") else None
        )
    )
    try:
        model(x)
    finally:
        handle.remove()
    assert seen[-1] == "dense_2"
    plain = model(x)
    doubled = model.get_layer("dense_2").register_forward_hook(lambda m, a, out: out * 2)
    torch.testing.assert_close(model(x), 2 * plain)
    doubled.remove()
    torch.testing.assert_close(model(x), plain)


def test_direct_forward_errors_name_the_layer_of_a_merge():
    a, b = Input(shape=(3,), name="a"), Input(shape=(2,), name="b")
    merged = concatenate([a, b], name="merge")
    model = Model([a, b], Dense(1, name="head")(merged))
    with pytest.raises(RuntimeError) as info:
        model([torch.ones(2, 3), torch.ones(3, 2)])
    notes = "\n".join(info.value.__notes__)
    assert "in layer 'merge' (Concatenate), called on input of shape [(2, 3), (3, 2)]" in notes


def test_unusual_but_safe_names_run():
    visible = Input(shape=(3,))
    model = Model(visible, Dense(2, name="my dense")(Dense(2, name="é")(visible)))
    assert "self.dense_1(" in model.code and "self.dense_2(" in model.code
    assert model(torch.ones(1, 3)).shape == (1, 2)
    assert [layer.name for layer in model.layers][1:] == ["é", "my dense"]


def test_sequential_input_is_named_after_its_first_layer_like_keras():
    # Keras 2 names a Sequential's own input `<first layer>_input`, so it takes no
    # `input_N` name from the functional models built after it.
    model = Sequential([Dense(2, input_dim=3), Dense(1)])
    assert model.input_names == ["dense_1_input"]
    lazy = Sequential([Dense(2)])
    lazy.build((None, 4))
    assert lazy.input_names == ["dense_3_input"]
    assert Input(shape=(3,)).name == "input_1"


def test_sequential_is_built_once_its_input_shape_is_known():
    assert Sequential([Dense(2, input_shape=(4,))]).built
    lazy = Sequential([Dense(2)])
    assert not lazy.built
    lazy.build((None, 4))
    assert lazy.built


def test_metrics_lists_the_compiled_metric_objects():
    model = Sequential([Dense(1, input_shape=(4,))])
    assert model.metrics == []
    model.compile("adam", "mse", metrics=["mae", "accuracy"])
    # Keras 3: the loss tracker first, then the compiled metrics
    assert [type(m).__name__ for m in model.metrics[1:]] == ["MeanAbsoluteError", "BinaryAccuracy"]
    assert [m.name for m in model.metrics] == model.metrics_names
