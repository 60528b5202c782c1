"""Property test: for random stacks of the tutorial's layers, the shapes inferred when the
graph is built equal the shapes of the tensors the model computes."""

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import plait
from plait import Input, Model
from plait.layers import LSTM, Conv2D, Dense, Flatten, MaxPooling2D, TimeDistributed, concatenate


@st.composite
def image_stacks(draw):
    size = draw(st.integers(6, 16))
    channels = draw(st.integers(1, 3))
    layers = []
    h = size
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["conv", "pool"]))
        if kind == "conv":
            k = draw(st.integers(1, 3))
            s = draw(st.integers(1, 2))
            padding = draw(st.sampled_from(["valid", "same"]))
            if padding == "valid" and k > h:
                continue
            layers.append(Conv2D(draw(st.integers(1, 4)), k, strides=s, padding=padding))
            h = -(-h // s) if padding == "same" else (h - k) // s + 1
        else:
            p = draw(st.integers(1, 2))
            padding = draw(st.sampled_from(["valid", "same"]))
            if padding == "valid" and p > h:
                continue
            layers.append(MaxPooling2D(p, padding=padding))
            h = -(-h // p) if padding == "same" else (h - p) // p + 1
    return (size, size, channels), layers


@settings(max_examples=25, deadline=None)
@given(image_stacks(), st.booleans(), st.integers(1, 3))
def test_image_stack_shapes(spec, branch, batch):
    plait.backend.clear_session()
    shape, layers = spec
    visible = Input(shape=shape)
    x = visible
    for layer in layers:
        x = layer(x)
    flat = Flatten()(x)
    if branch:
        flat = concatenate([flat, Flatten()(visible)])
    out = Dense(3)(flat)
    model = Model(visible, [out, x])
    with torch.no_grad():
        got = model(torch.randn((batch,) + shape))
    for symbolic, real in zip([out, x], got):
        assert symbolic.shape == (None,) + tuple(real.shape[1:])


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 6), st.integers(1, 3), st.integers(1, 5), st.booleans(), st.booleans())
def test_sequence_stack_shapes(steps, features, units, sequences, distributed):
    plait.backend.clear_session()
    visible = Input(shape=(steps, features))
    x = LSTM(units, return_sequences=sequences or distributed)(visible)
    if distributed:
        x = TimeDistributed(Dense(2))(x)
    model = Model(visible, x)
    with torch.no_grad():
        real = model(torch.randn(2, steps, features))
    assert x.shape == (None,) + tuple(real.shape[1:])
