"""Graph construction: Keras's layer order, validation errors that point at the user's code,
iterative walks on deep graphs."""

import pytest
import torch

from plait import Input, Model, Sequential
from plait.graph.graph import GraphError
from plait.layers import Dense, concatenate


def test_layers_ordered_by_depth_then_first_visit_like_keras():
    visible = Input(shape=(4,))
    shallow = Dense(2)(visible)  # dense_1
    deep = Dense(2)(Dense(2)(visible))  # dense_2 applied to dense_3's output
    model = Model(visible, Dense(1)(concatenate([shallow, deep])))
    # depth first (deepest first), then the order a walk from the output met each layer
    assert [layer.name for layer in model.layers] == [
        "input_1",
        "dense_3",
        "dense_1",
        "dense_2",
        "concatenate_1",
        "dense_4",
    ]


def test_disconnected_graph_names_missing_input_where_made_and_fix():
    first, second = Input(shape=(3,)), Input(shape=(3,))
    merged = concatenate([first, second])
    with pytest.raises(
        GraphError,
        match=(
            r"Graph disconnected: the outputs depend on Input 'input_2' of shape \(None, 3\) "
            r"\(made at test_graph.py:\d+\).*needed by layer 'concatenate_1' \(called at "
            r"test_graph.py:\d+\).*Model\(inputs=\[input_1, input_2\], \.\.\.\)"
        ),
    ):
        Model(first, merged)


def test_output_that_is_not_symbolic():
    visible = Input(shape=(3,))
    with pytest.raises(TypeError, match=r"outputs\[1\] is a torch.Tensor"):
        Model(visible, [Dense(1)(visible), torch.zeros(1)])


def test_two_layers_with_one_name():
    visible = Input(shape=(3,))
    out = Dense(1, name="head")(Dense(2, name="head")(visible))
    with pytest.raises(GraphError, match=r'The name "head" is used 2 times in the model.*name='):
        Model(visible, out)


def test_input_passed_twice():
    visible = Input(shape=(3,))
    with pytest.raises(GraphError, match="passed to the model twice"):
        Model([visible, visible], Dense(1)(visible))


def test_unused_input_is_kept():
    used, unused = Input(shape=(3,)), Input(shape=(2,))
    model = Model([used, unused], Dense(1)(used))
    assert {layer.name for layer in model.layers} == {"input_1", "input_2", "dense_1"}
    assert model([torch.ones(2, 3), torch.ones(2, 2)]).shape == (2, 1)


def test_deep_sequential_builds_and_runs_without_recursion():
    model = Sequential([Dense(2, input_dim=2)] + [Dense(2) for _ in range(3000)])
    assert len(model.layers) == 3001
    assert model(torch.ones(1, 2)).shape == (1, 2)


def test_shared_layer_connected_to_lists_every_call():
    shared = Dense(3)
    visible = Input(shape=(3,))
    model = Model(visible, shared(shared(visible)))
    lines = []
    model.summary(print_fn=lines.append)
    # one layer object, two nodes: Keras's name[node][tensor] notation
    assert model.layers == [model.get_layer("input_1"), shared]
    assert shared.get_output_at(1).shape == (None, 3)
