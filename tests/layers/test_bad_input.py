"""Issue 6, "Bad input": wrong ranks, merges that do not broadcast, impossible reshapes,
pools and kernels larger than their input: each a clear error when the graph is built,
naming the layer and both shapes (what it got, what it needs)."""

import pytest

from plait.layers import (
    LSTM,
    Add,
    AveragePooling1D,
    Concatenate,
    Conv1D,
    Conv2D,
    Dense,
    GlobalMaxPooling2D,
    Input,
    MaxPooling2D,
    Multiply,
    Reshape,
    Subtract,
)
from plait.layers.layer import LayerCallError

CASES = [
    (
        "conv2d-on-3d",
        lambda: Conv2D(4, 3)(Input(shape=(8, 8))),
        r"Conv2D layer 'conv2d_1' expects a 4-D input \(batch, \*spatial, channels\); received an "
        r"input of shape \(None, 8, 8\)\. For one channel, give the input shape \(None, 8, 8, 1\)",
    ),
    (
        "conv1d-on-4d",
        lambda: Conv1D(4, 3)(Input(shape=(8, 8, 1))),
        r"Conv1D layer 'conv1d_1' expects a 3-D input .*shape \(None, 8, 8, 1\)\. \(layer called "
        r"at test_bad_input\.py:\d+\)$",
    ),
    (
        "lstm-on-2d",
        lambda: LSTM(4)(Input(shape=(8,))),
        r"LSTM layer 'lstm_1' expects a 3-D input \(batch, timesteps, features\); received an "
        r"input of shape \(None, 8\)",
    ),
    (
        "global-pool-on-3d",
        lambda: GlobalMaxPooling2D()(Input(shape=(8, 8))),
        r"'global_max_pooling2d_1' expects a 4-D input .*\(None, 8, 8\)",
    ),
    (
        "add-no-broadcast",
        lambda: Add()([Input(shape=(3,)), Input(shape=(4,))]),
        r"'add_1' \(Add\) cannot be called on inputs 'input_1' of shape \(None, 3\).*'input_2' of "
        r"shape \(None, 4\).*do not broadcast.*axis 1: 3 vs 4",
    ),
    (
        "multiply-no-broadcast",
        lambda: Multiply()([Input(shape=(2, 3)), Input(shape=(5, 3))]),
        r"'multiply_1' \(Multiply\).*\(None, 2, 3\).*\(None, 5, 3\).*axis 1: 2 vs 5",
    ),
    (
        "subtract-no-broadcast",
        lambda: Subtract()([Input(shape=(2,)), Input(shape=(7,))]),
        r"'subtract_1' \(Subtract\).*\(None, 2\).*\(None, 7\)",
    ),
    (
        "concatenate-mismatch",
        lambda: Concatenate()([Input(shape=(2, 3)), Input(shape=(5, 3))]),
        r"'concatenate_1' \(Concatenate\).*matching shapes except for the concatenation axis; "
        r"received shapes \(None, 2, 3\), \(None, 5, 3\)",
    ),
    (
        "reshape-size",
        lambda: Reshape((4, 4))(Input(shape=(3, 5))),
        r"'reshape_1' \(Reshape\).*shape \(None, 3, 5\).*samples of shape \(3, 5\) \(15 values\) "
        r"into target_shape=\(4, 4\) \(16 values\)",
    ),
    (
        "reshape-size-with-minus-one",
        lambda: Reshape((-1, 4))(Input(shape=(3, 5))),
        r"'reshape_1' \(Reshape\).*\(3, 5\) \(15 values\) into target_shape=\(-1, 4\)",
    ),
    (
        "pool-larger-than-input",
        lambda: MaxPooling2D(pool_size=(4, 4))(Input(shape=(3, 3, 2))),
        r"'max_pooling2d_1' \(MaxPooling2D\).*\(None, 3, 3, 2\).*pool_size \(4, 4\) is larger "
        r"than the input's spatial size \(3, 3\)",
    ),
    (
        "pool1d-larger-than-input",
        lambda: AveragePooling1D(pool_size=5)(Input(shape=(3, 2))),
        r"'average_pooling1d_1'.*\(None, 3, 2\).*pool_size \(5,\) is larger than the input's "
        r"spatial size \(3,\)",
    ),
    (
        "kernel-larger-than-input",
        lambda: Conv2D(2, 5)(Input(shape=(3, 3, 1))),
        r"'conv2d_1' \(Conv2D\).*\(None, 3, 3, 1\).*kernel \(5, 5\).*larger than the input's "
        r"spatial size \(3, 3\)",
    ),
    (
        "dense-unknown-features",
        lambda: Dense(2)(Input(shape=(None,))),
        r"Dense layer 'dense_1' must be known.*input_shape=\(None, None\)",
    ),
]


@pytest.mark.parametrize("build,match", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_when_the_graph_is_built(build, match):
    with pytest.raises(LayerCallError, match=match):
        build()


@pytest.mark.parametrize("build", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_errors_point_at_the_user_line(build):
    # raised from build() (ranks) or from shape inference (merges): both say where
    with pytest.raises(LayerCallError, match=r"at test_bad_input\.py:\d+"):
        build()


def test_bad_input_is_a_value_error():
    # LayerCallError is a ValueError, as Keras raises for bad shapes.
    with pytest.raises(ValueError):
        Conv2D(4, 3)(Input(shape=(8, 8)))


@pytest.mark.parametrize(
    "shape, error, match",
    [
        (3.5, TypeError, r"must be a tuple of ints or None.*Received: shape=3\.5 of type float"),
        ("ab", TypeError, r"Received: shape='ab' of type str"),
        (10, TypeError, r"write shape=\(10,\) with the trailing comma"),
        ((None, 2.5), ValueError, r"non-negative int or None\. Received: shape=\(None, 2\.5\)"),
        ((3, -2), ValueError, r"Received: shape=\(3, -2\)"),
    ],
)
def test_a_bad_input_shape_says_what_a_shape_is(shape, error, match):
    with pytest.raises(error, match=match):
        Input(shape=shape)


@pytest.mark.parametrize("shape", [3.5, "ab", 10])
def test_a_shape_that_is_no_tuple_is_a_value_error_as_in_keras(shape):
    keras = pytest.importorskip("keras")
    with pytest.raises(ValueError):
        keras.Input(shape=shape)
    with pytest.raises(ValueError):
        Input(shape=shape)
