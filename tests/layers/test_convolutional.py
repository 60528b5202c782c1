"""Transposed, separable and depthwise convolutions: contract, Keras layout, TensorFlow's
arithmetic (against independent NumPy / autograd references) and output shapes."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from plait import regularizers
from plait.layers import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3DTranspose,
    DepthwiseConv1D,
    DepthwiseConv2D,
    Input,
    SeparableConv1D,
    SeparableConv2D,
)
from plait.layers.layer import LayerCallError
from tests.layers.harness import run_layer_test

CASES = [
    (Conv2DTranspose, dict(filters=3, kernel_size=3), (5, 5, 2), (None, 7, 7, 3), 2),
    (
        Conv2DTranspose,
        dict(filters=3, kernel_size=3, strides=2, padding="same"),
        (5, 4, 2),
        (None, 10, 8, 3),
        2,
    ),
    (
        Conv2DTranspose,
        dict(filters=2, kernel_size=(2, 3), strides=(2, 1), output_padding=(1, 0), use_bias=False),
        (4, 4, 3),
        (None, 9, 6, 2),
        1,
    ),
    (
        Conv2DTranspose,
        dict(
            filters=2, kernel_size=3, dilation_rate=2, padding="same", data_format="channels_first"
        ),
        (3, 5, 4),
        (None, 2, 5, 4),
        2,
    ),
    (
        Conv1DTranspose,
        dict(filters=4, kernel_size=4, strides=2, padding="same", output_padding=1),
        (6, 2),
        (None, 11, 4),
        2,
    ),
    (Conv1DTranspose, dict(filters=4, kernel_size=2, strides=3), (6, 2), (None, 18, 4), 2),
    (
        Conv3DTranspose,
        dict(filters=2, kernel_size=2, strides=2),
        (2, 3, 2, 1),
        (None, 4, 6, 4, 2),
        2,
    ),
    (SeparableConv2D, dict(filters=4, kernel_size=3), (6, 6, 2), (None, 4, 4, 4), 3),
    (
        SeparableConv2D,
        dict(
            filters=4,
            kernel_size=3,
            depth_multiplier=2,
            strides=2,
            padding="same",
            activation="relu",
        ),
        (7, 6, 3),
        (None, 4, 3, 4),
        3,
    ),
    (
        SeparableConv2D,
        dict(filters=2, kernel_size=2, use_bias=False, data_format="channels_first"),
        (3, 5, 5),
        (None, 2, 4, 4),
        2,
    ),
    (
        SeparableConv1D,
        dict(filters=3, kernel_size=3, dilation_rate=2, padding="causal"),
        (8, 2),
        (None, 8, 3),
        3,
    ),
    (DepthwiseConv2D, dict(kernel_size=3), (5, 5, 3), (None, 3, 3, 3), 2),
    (
        DepthwiseConv2D,
        dict(kernel_size=(3, 2), depth_multiplier=3, strides=2, padding="same"),
        (7, 7, 2),
        (None, 4, 4, 6),
        2,
    ),
    (
        DepthwiseConv1D,
        dict(kernel_size=3, depth_multiplier=2, use_bias=False),
        (6, 2),
        (None, 4, 4),
        1,
    ),
]


@pytest.mark.parametrize(
    "cls,kwargs,shape,expected,num_weights",
    CASES,
    ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)],
)
def test_layer_contract(cls, kwargs, shape, expected, num_weights):
    run_layer_test(cls, kwargs, shape, expected, expected_num_weights=num_weights)


def test_keras_weight_layouts():
    x = Input(shape=(6, 6, 3))
    transpose = Conv2DTranspose(5, (2, 4))
    separable = SeparableConv2D(5, (2, 4), depth_multiplier=2)
    depthwise = DepthwiseConv2D((2, 4), depth_multiplier=2)
    for layer in (transpose, separable, depthwise):
        layer(x)
    assert [w.shape for w in transpose.get_weights()] == [(2, 4, 5, 3), (5,)]
    assert transpose.weight.shape == (3, 5, 2, 4)  # PyTorch's conv_transpose layout
    assert [w.shape for w in separable.get_weights()] == [(2, 4, 3, 2), (1, 1, 6, 5), (5,)]
    assert [w.shape for w in depthwise.get_weights()] == [(2, 4, 3, 2), (6,)]
    np.testing.assert_array_equal(transpose.kernel.detach().numpy(), transpose.get_weights()[0])
    np.testing.assert_array_equal(
        separable.depthwise_kernel.detach().numpy(), separable.get_weights()[0]
    )
    np.testing.assert_array_equal(
        separable.pointwise_kernel.detach().numpy(), separable.get_weights()[1]
    )
    np.testing.assert_array_equal(
        depthwise.depthwise_kernel.detach().numpy(), depthwise.get_weights()[0]
    )


# ----------------------------------------------------------- NumPy references
def _tf_same_pad(length, kernel, stride, dilation=1):
    span = (kernel - 1) * dilation + 1
    total = max((math.ceil(length / stride) - 1) * stride + span - length, 0)
    return total // 2, total - total // 2


def _numpy_depthwise(x, kernel, stride, padding):
    """TensorFlow's depthwise_conv2d: output channel c * multiplier + m."""
    kh, kw, channels, mult = kernel.shape
    if padding == "same":
        pads = [_tf_same_pad(n, k, stride) for n, k in zip(x.shape[1:3], (kh, kw))]
        x = np.pad(x, [(0, 0), pads[0], pads[1], (0, 0)])
    rows = (x.shape[1] - kh) // stride + 1
    cols = (x.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], rows, cols, channels, mult))
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i : i + rows * stride : stride, j : j + cols * stride : stride, :]
            out += patch[..., None] * kernel[i, j]
    return out.reshape(x.shape[0], rows, cols, channels * mult)


@pytest.mark.parametrize("stride,padding", [(1, "valid"), (2, "same"), (1, "same")])
def test_depthwise_and_separable_match_tensorflow_arithmetic(stride, padding):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 7, 6, 3)).astype("float32")
    depth = rng.standard_normal((3, 2, 3, 2)).astype("float32")
    point = rng.standard_normal((1, 1, 6, 4)).astype("float32")
    bias = rng.standard_normal(4).astype("float32")
    expected_depthwise = _numpy_depthwise(x, depth, stride, padding)

    layer = DepthwiseConv2D((3, 2), strides=stride, padding=padding, depth_multiplier=2)
    layer(Input(shape=(7, 6, 3)))
    layer.set_weights([depth, bias[:3].repeat(2)])
    np.testing.assert_allclose(
        layer(torch.from_numpy(x)).detach().numpy(),
        expected_depthwise + bias[:3].repeat(2),
        rtol=1e-4,
        atol=1e-4,
    )

    layer = SeparableConv2D(4, (3, 2), strides=stride, padding=padding, depth_multiplier=2)
    layer(Input(shape=(7, 6, 3)))
    layer.set_weights([depth, point, bias])
    expected = expected_depthwise @ point[0, 0] + bias
    np.testing.assert_allclose(
        layer(torch.from_numpy(x)).detach().numpy(), expected, rtol=1e-4, atol=1e-4
    )


def test_separable_conv1d_matches_two_convolutions():
    layer = SeparableConv1D(3, 3, depth_multiplier=2, activation="tanh")
    layer(Input(shape=(9, 2)))
    depth, point, bias = layer.get_weights()
    x = torch.randn(2, 9, 2)
    # An independent route: depthwise as a Conv1D with a block-diagonal kernel.
    block = np.zeros((3, 2, 4), "float32")
    for c in range(2):
        block[:, c, 2 * c : 2 * c + 2] = depth[:, c, :]
    dense_conv = Conv1D(4, 3, use_bias=False)
    dense_conv(Input(shape=(9, 2)))
    dense_conv.set_weights([block])
    expected = torch.tanh(dense_conv(x) @ torch.from_numpy(point[0]) + torch.from_numpy(bias))
    torch.testing.assert_close(layer(x), expected, rtol=1e-4, atol=1e-5)


# ----------------------------------------------------- transposed convolution
def _keras_transpose_length(n, kernel, stride, padding, output_padding, dilation):
    """The output length formula of Keras's conv transpose layers."""
    kernel = (kernel - 1) * dilation + 1
    if output_padding is None:
        return n * stride + max(kernel - stride, 0) if padding == "valid" else n * stride
    pad = 0 if padding == "valid" else kernel // 2
    return (n - 1) * stride + kernel - 2 * pad + output_padding


def _transpose_by_gradient(x, kernel, rank, stride, padding, dilation, out_spatial):
    """TensorFlow defines conv_transpose as the gradient of conv with respect to its
    input: compute that with plait's (TensorFlow-padded) forward convolution."""
    filters, in_channels = kernel.shape[-2], kernel.shape[-1]
    conv = (Conv1D if rank == 1 else Conv2D)(
        in_channels,
        kernel.shape[:-2],
        strides=stride,
        padding=padding,
        dilation_rate=dilation,
        use_bias=False,
    )
    conv(Input(shape=tuple(out_spatial) + (filters,)))
    conv.set_weights([kernel])
    y = torch.zeros((x.shape[0],) + tuple(out_spatial) + (filters,), requires_grad=True)
    forward = conv(y)
    if tuple(forward.shape) != tuple(x.shape):
        return None  # this output size does not invert the convolution's (TF rejects it)
    (forward * x).sum().backward()
    return y.grad


@settings(max_examples=40, deadline=None)
@given(
    rank=st.sampled_from([1, 2]),
    kernel=st.integers(1, 5),
    stride=st.integers(1, 3),
    dilation=st.integers(1, 2),
    padding=st.sampled_from(["valid", "same"]),
    use_output_padding=st.booleans(),
    length=st.integers(1, 6),
    data=st.data(),
)
def test_transpose_shape_and_values(
    rank, kernel, stride, dilation, padding, use_output_padding, length, data
):
    if stride > 1 and dilation > 1:
        dilation = 1
    output_padding = data.draw(st.integers(0, stride - 1)) if use_output_padding else None
    cls = Conv1DTranspose if rank == 1 else Conv2DTranspose
    layer = cls(
        2,
        kernel,
        strides=stride,
        padding=padding,
        output_padding=output_padding,
        dilation_rate=dilation,
    )
    spatial = (length,) * rank
    symbolic = layer(Input(shape=(None,) * rank + (3,)))
    assert symbolic.shape == (None,) * (rank + 1) + (2,)
    out_len = _keras_transpose_length(length, kernel, stride, padding, output_padding, dilation)
    if out_len < 1:
        with pytest.raises(LayerCallError, match="output would be empty"):
            layer(Input(shape=spatial + (3,)))
        return
    assert layer.compute_output_shape((None,) + spatial + (3,)) == (
        (None,) + (out_len,) * rank + (2,)
    )
    x = torch.randn((2,) + spatial + (3,))
    with torch.no_grad():
        out = layer(x)
    assert tuple(out.shape) == (2,) + (out_len,) * rank + (2,)
    kernel_array, bias = layer.get_weights()
    expected = _transpose_by_gradient(
        x, kernel_array, rank, stride, padding, dilation, (out_len,) * rank
    )
    if expected is not None:
        torch.testing.assert_close(out, expected + torch.from_numpy(bias), rtol=1e-4, atol=1e-4)


def test_transpose_places_kernel_as_tensorflow():
    # x = [1, 2], kernel [a, b, c] = [1, 10, 100], stride 2, 'same': TF gives
    # [1a, 1b, 1c + 2a, 2b] (no crop at the start, one at the end).
    layer = Conv1DTranspose(1, 3, strides=2, padding="same", use_bias=False)
    layer(Input(shape=(2, 1)))
    layer.set_weights([np.array([1.0, 10.0, 100.0], "float32").reshape(3, 1, 1)])
    out = layer(torch.tensor([[[1.0], [2.0]]]))
    assert out[0, :, 0].tolist() == [1.0, 10.0, 102.0, 20.0]


# ------------------------------------------------------------- other shapes
@settings(max_examples=25, deadline=None)
@given(
    cls=st.sampled_from([SeparableConv2D, DepthwiseConv2D]),
    kernel=st.integers(1, 4),
    stride=st.integers(1, 3),
    padding=st.sampled_from(["valid", "same"]),
    rows=st.integers(4, 9),
    cols=st.integers(4, 9),
    multiplier=st.integers(1, 3),
)
def test_depthwise_shapes_symbolic_equal_concrete(
    cls, kernel, stride, padding, rows, cols, multiplier
):
    args = dict(kernel_size=kernel, strides=stride, padding=padding, depth_multiplier=multiplier)
    if cls is SeparableConv2D:
        args["filters"] = 3
    layer = cls(**args)
    symbolic = layer(Input(shape=(rows, cols, 2)))
    with torch.no_grad():
        concrete = layer(torch.randn(2, rows, cols, 2))
    assert symbolic.shape == (None,) + tuple(concrete.shape[1:])


def test_conv_regularizers_and_constraints_reach_the_weights():
    layer = Conv2D(4, 3, kernel_regularizer=regularizers.l2(0.1), kernel_constraint="non_neg")
    layer(Input(shape=(5, 5, 2)))
    (penalty,) = layer.regularization_losses()
    torch.testing.assert_close(penalty, 0.1 * layer.weight.square().sum())
    layer.apply_constraints()
    assert layer.weight.min() >= 0
    separable = SeparableConv2D(
        2, 3, depthwise_regularizer="l1", pointwise_regularizer="l2", bias_regularizer="l2"
    )
    separable(Input(shape=(5, 5, 2)))
    assert len(separable.regularization_losses()) == 3
    config = separable.get_config()
    assert config["pointwise_regularizer"] == {"class_name": "L2", "config": {"l2": 0.01}}


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: Conv2DTranspose(2, 3, strides=2, output_padding=2), "smaller than its stride"),
        (lambda: Conv2DTranspose(2, 3, output_padding=(1, 2, 3)), "output_padding"),
        (lambda: Conv1DTranspose(2, 3, padding="causal"), "padding"),
        (lambda: Conv2DTranspose(0, 3), "filters"),
        (lambda: SeparableConv2D(2.0, 3), "filters"),
        (lambda: DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier"),
        (lambda: SeparableConv2D(2, 3, strides=2, dilation_rate=2), "cannot be combined"),
    ],
)
def test_constructor_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_call_errors_name_layer_and_shape():
    with pytest.raises(
        LayerCallError,
        match=r"DepthwiseConv2D layer 'depthwise_conv2d_1' "
        r"expects a 4-D input.*\(None, 5, 3\)",
    ):
        DepthwiseConv2D(3)(Input(shape=(5, 3)))
    with pytest.raises(LayerCallError, match="channel dimension"):
        Conv2DTranspose(2, 3)(Input(shape=(5, 5, None)))
    layer = SeparableConv2D(2, 3)
    layer(Input(shape=(5, 5, 3)))
    with pytest.raises(LayerCallError, match="takes 3 input channels, but the input has 4"):
        layer(Input(shape=(5, 5, 4)))
    with pytest.raises(LayerCallError, match="larger than"):
        DepthwiseConv2D(4)(Input(shape=(3, 3, 1)))
