"""The tutorial's layers against the layer contract and against torch.nn."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import plait
from plait.layers import (
    LSTM,
    Activation,
    Concatenate,
    Conv1D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Input,
    MaxPooling2D,
    AveragePooling2D,
    TimeDistributed,
)
from plait.layers.layer import LayerCallError
from tests.layers.harness import run_layer_test

CASES = [
    (Dense, dict(units=4), (3,), (None, 4), 2),
    (Dense, dict(units=4, activation="relu", use_bias=False), (5, 3), (None, 5, 4), 1),
    (Activation, dict(activation="tanh"), (3, 2), (None, 3, 2), 0),
    (Conv2D, dict(filters=4, kernel_size=3), (8, 8, 2), (None, 6, 6, 4), 2),
    (
        Conv2D,
        dict(filters=4, kernel_size=3, strides=2, padding="same"),
        (9, 8, 2),
        (None, 5, 4, 4),
        2,
    ),
    (
        Conv2D,
        dict(filters=4, kernel_size=(2, 3), dilation_rate=2, padding="same"),
        (7, 7, 2),
        (None, 7, 7, 4),
        2,
    ),
    (Conv2D, dict(filters=4, kernel_size=3, groups=2), (6, 6, 2), (None, 4, 4, 4), 2),
    (Conv1D, dict(filters=3, kernel_size=3, padding="causal"), (10, 2), (None, 10, 3), 2),
    (MaxPooling2D, dict(pool_size=(2, 2)), (61, 61, 3), (None, 30, 30, 3), 0),
    (MaxPooling2D, dict(pool_size=3, strides=2, padding="same"), (8, 7, 3), (None, 4, 4, 3), 0),
    (AveragePooling2D, dict(pool_size=3, strides=2, padding="same"), (8, 7, 3), (None, 4, 4, 3), 0),
    (Flatten, {}, (4, 5, 3), (None, 60), 0),
    (LSTM, dict(units=5), (7, 3), (None, 5), 3),
    (LSTM, dict(units=5, return_sequences=True, go_backwards=True), (7, 3), (None, 7, 5), 3),
    (LSTM, dict(units=5, return_state=True), (7, 3), [(None, 5), (None, 5), (None, 5)], 3),
    (
        LSTM,
        dict(units=4, activation="relu", recurrent_activation="hard_sigmoid"),
        (6, 2),
        (None, 4),
        3,
    ),
]


@pytest.mark.parametrize(
    "cls,kwargs,shape,expected,num_weights",
    CASES,
    ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)],
)
def test_layer_contract(cls, kwargs, shape, expected, num_weights):
    run_layer_test(cls, kwargs, shape, expected, expected_num_weights=num_weights)


def test_concatenate_contract():
    run_layer_test(Concatenate, {}, [(3, 4), (3, 2)], (None, 3, 6))
    run_layer_test(Concatenate, dict(axis=1), [(3, 4), (2, 4)], (None, 5, 4))


def test_time_distributed_contract():
    run_layer_test(
        TimeDistributed, dict(layer=Dense(2)), (5, 3), (None, 5, 2), expected_num_weights=2
    )


def test_time_distributed_passes_training_to_the_wrapped_layer():
    x = torch.ones(4, 6, 50)
    layer = TimeDistributed(Dropout(0.5, seed=1))
    assert torch.equal(layer(x), x)
    dropped = layer(x, training=True)
    assert (dropped == 0).any() and set(dropped.unique().tolist()) == {0.0, 2.0}
    inputs = Input(shape=(6, 50))
    model = plait.Model(inputs, TimeDistributed(Dropout(0.5))(inputs, training=True))
    assert (model(x) == 0).any()


def test_time_distributed_dense_is_dense_on_every_step():
    seen = []

    class Recording(Dense):
        def call(self, inputs):
            seen.append(tuple(inputs.shape))
            return super().call(inputs)

    x = torch.randn(3, 4, 5).transpose(0, 1)  # (4, 3, 5), not contiguous
    plain, recording = TimeDistributed(Dense(2)), TimeDistributed(Recording(2))
    plain(x), recording(x)
    recording.set_weights(plain.get_weights())
    expected = torch.stack([plain.layer(x[:, t]) for t in range(3)], dim=1)
    torch.testing.assert_close(plain(x), expected)
    torch.testing.assert_close(recording(x), expected)
    assert seen[-1] == (12, 5)  # a user's layer sees the steps folded into the batch, as in Keras


def test_dense_matches_linear_in_keras_layout():
    layer = Dense(3)
    layer(Input(shape=(4,)))
    kernel, bias = np.random.rand(4, 3).astype("float32"), np.random.rand(3).astype("float32")
    layer.set_weights([kernel, bias])
    x = torch.randn(2, 4)
    np.testing.assert_allclose(
        layer(x).detach().numpy(), x.numpy() @ kernel + bias, rtol=1e-5, atol=1e-6
    )
    assert layer.weight.shape == (3, 4)
    assert layer.kernel.shape == (4, 3)


def test_conv2d_same_padding_is_tensorflow_asymmetric():
    # TensorFlow pads 'same' with the extra row/column at the bottom/right.
    layer = Conv2D(1, kernel_size=2, strides=2, padding="same", use_bias=False)
    layer(Input(shape=(3, 3, 1)))
    layer.set_weights([np.ones((2, 2, 1, 1), "float32")])
    x = torch.arange(9.0).reshape(1, 3, 3, 1)
    out = layer(x)[0, :, :, 0]
    padded = F.pad(x[0, :, :, 0], (0, 1, 0, 1))
    expected = torch.stack(
        [torch.stack([padded[i : i + 2, j : j + 2].sum() for j in (0, 2)]) for i in (0, 2)]
    )
    torch.testing.assert_close(out, expected)


def test_conv2d_matches_torch_conv_in_channels_first():
    layer = Conv2D(4, kernel_size=3, strides=(1, 2))
    layer(Input(shape=(9, 9, 2)))
    x = torch.randn(2, 9, 9, 2)
    expected = F.conv2d(x.permute(0, 3, 1, 2), layer.weight, layer.bias, stride=(1, 2))
    torch.testing.assert_close(layer(x), expected.permute(0, 2, 3, 1))


def test_conv2d_output_is_contiguous_channels_last():
    layer = Conv2D(8, kernel_size=3)
    out = layer(torch.randn(2, 10, 10, 3))
    assert out.is_contiguous()


def test_lstm_matches_torch_lstm_with_keras_single_bias():
    layer = LSTM(6, return_sequences=True)
    layer(Input(shape=(5, 3)))
    reference = torch.nn.LSTM(3, 6, batch_first=True)
    with torch.no_grad():
        reference.weight_ih_l0.copy_(layer.weight_ih)
        reference.weight_hh_l0.copy_(layer.weight_hh)
        reference.bias_ih_l0.copy_(layer.bias)
        reference.bias_hh_l0.zero_()
    x = torch.randn(4, 5, 3)
    torch.testing.assert_close(layer(x), reference(x)[0])
    assert [w.shape for w in layer.get_weights()] == [(3, 24), (6, 24), (24,)]
    bias = layer.get_weights()[2]
    np.testing.assert_array_equal(bias[6:12], np.ones(6))  # unit_forget_bias
    np.testing.assert_array_equal(bias[:6], np.zeros(6))


def test_lstm_python_loop_equals_fused_kernel():
    fused = LSTM(4, return_sequences=True)
    fused(Input(shape=(6, 2)))
    loop = LSTM(4, return_sequences=True)
    loop(Input(shape=(6, 2)))
    loop.load_state_dict(fused.state_dict())
    loop._fused = False
    x = torch.randn(3, 6, 2)
    torch.testing.assert_close(loop(x), fused(x))


def test_lstm_initial_state():
    layer = LSTM(3, return_state=True)
    x = Input(shape=(4, 2))
    h, c = Input(shape=(3,)), Input(shape=(3,))
    out, h_n, c_n = layer(x, initial_state=[h, c])
    assert out.shape == h_n.shape == c_n.shape == (None, 3)


@pytest.mark.parametrize(
    "cls,kwargs,shape,match",
    [
        (Conv2D, dict(filters=2, kernel_size=3), (10,), r"expects a 4-D input .* \(None, 10\)"),
        (LSTM, dict(units=2), (10,), r"expects a 3-D input .*Input\(shape=\(timesteps, 1\)\)"),
        (MaxPooling2D, dict(pool_size=4), (2, 2, 1), r"pool_size \(4, 4\) is larger"),
        (Dense, dict(units=2), (None,), r"last dimension .* must be known"),
    ],
)
def test_wrong_input_errors_name_layer_and_shape(cls, kwargs, shape, match):
    with pytest.raises(LayerCallError, match=match):
        cls(**kwargs)(Input(shape=shape))


def test_concatenate_incompatible_shapes_error():
    a, b = Input(shape=(3, 4)), Input(shape=(5, 6))
    with pytest.raises(ValueError, match=r"concatenate_1.*\(None, 3, 4\), \(None, 5, 6\)"):
        Concatenate()([a, b])


def test_dense_on_4d_input_is_fine():
    assert Dense(7)(Input(shape=(2, 3, 4))).shape == (None, 2, 3, 7)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(units=0), r"`units` must be a positive integer. Received: units=0"),
        (dict(units=3, activation="relus"), r"Unknown activation: 'relus'. Did you mean 'relu'"),
        (dict(units=3, kernel_initializer="glorot"), r"Unknown initializer: 'glorot'"),
        (dict(units=3, name="a/b"), r"cannot contain character `/`"),
        (dict(units=3, bogus=1), r"unexpected keyword argument 'bogus'"),
    ],
)
def test_dense_argument_errors(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        Dense(**kwargs)


def test_conv_argument_errors():
    with pytest.raises(ValueError, match=r"`kernel_size` must be an int or a tuple of 2 ints"):
        Conv2D(2, kernel_size=(1, 2, 3))
    with pytest.raises(ValueError, match=r"`padding` must be one of \['valid', 'same'\]"):
        Conv2D(2, 3, padding="causal")
