"""Keras masks through the graph: the layers Keras marks `supports_masking` pass the mask
of an `Embedding(mask_zero=True)` on to the recurrent layer after them; merges combine
their inputs' masks; layers that change the time axis end it."""

import numpy as np
import pytest
import torch

import plait
from plait.layers import (
    GRU,
    LSTM,
    Activation,
    Add,
    BatchNormalization,
    Concatenate,
    Conv1D,
    Dense,
    Dropout,
    Embedding,
    GaussianNoise,
    Input,
    LayerNormalization,
    Masking,
    Multiply,
    ReLU,
    Softmax,
    SpatialDropout1D,
    TimeDistributed,
)
from plait.layers.masking import implicit_mask

PASS_THROUGH = [
    lambda: Dense(3),
    lambda: Dense(3, activation="tanh"),
    lambda: Activation("relu"),
    lambda: Dropout(0.3),
    lambda: SpatialDropout1D(0.3),
    lambda: GaussianNoise(0.1),
    lambda: BatchNormalization(),
    lambda: LayerNormalization(),
    lambda: ReLU(),
    lambda: TimeDistributed(Dense(3)),
]


def _masked_model(make_middle):
    tokens = Input(shape=(None,), dtype="int64")
    x = Embedding(20, 4, mask_zero=True)(tokens)
    x = make_middle()(x)
    return plait.Model(tokens, LSTM(3)(x))


@pytest.mark.parametrize("make_middle", PASS_THROUGH)
def test_mask_passes_through_per_step_layers_into_lstm(make_middle):
    model = _masked_model(make_middle)
    padded = torch.tensor([[3, 7, 2, 0, 0, 0], [5, 0, 0, 0, 0, 0]])
    with torch.no_grad():
        out = model(padded)
        torch.testing.assert_close(out[:1], model(padded[:1, :3]))
        torch.testing.assert_close(out[1:], model(padded[1:, :1]))


def test_mask_passes_through_a_chain_and_reaches_the_layer_as_its_mask():
    tokens = Input(shape=(5,), dtype="int64")
    x = Embedding(10, 4, mask_zero=True)(tokens)
    mask = implicit_mask(x)
    for layer in (Dropout(0.1), Dense(4), Softmax()):
        x = layer(x)
        assert implicit_mask(x) is mask
    y = GRU(2)(x)
    assert y.node.call_kwargs["mask"] is mask


def test_layers_that_change_the_steps_end_the_mask():
    tokens = Input(shape=(6,), dtype="int64")
    x = Embedding(10, 4, mask_zero=True)(tokens)
    assert implicit_mask(x) is not None
    assert implicit_mask(Conv1D(2, 3)(x)) is None


def test_elementwise_merges_and_the_masks():
    a, b = Input(shape=(5,), dtype="int64"), Input(shape=(5,), dtype="int64")
    ea, eb = Embedding(10, 4, mask_zero=True)(a), Embedding(10, 4, mask_zero=True)(b)
    plain = Embedding(10, 4)(b)  # no mask
    summed, product = Add()([ea, eb]), Multiply()([ea, plain])
    model = plait.Model([a, b], [implicit_mask(summed), implicit_mask(product)])
    left, right = torch.tensor([[1, 2, 0, 3, 0]]), torch.tensor([[1, 0, 4, 5, 0]])
    both, only_left = model([left, right])
    assert both.tolist() == [[True, False, False, True, False]]
    assert only_left.tolist() == [[True, True, False, True, False]]
    assert implicit_mask(Add()([plain, Dense(4)(plain)])) is None


def test_concatenate_ors_feature_masks_and_joins_time_masks():
    a, b = Input(shape=(4,), dtype="int64"), Input(shape=(4,), dtype="int64")
    ea, eb = Embedding(10, 3, mask_zero=True)(a), Embedding(10, 3, mask_zero=True)(b)
    features, steps = Concatenate()([ea, eb]), Concatenate(axis=1)([ea, eb])
    assert steps.shape == (None, 8, 3)
    model = plait.Model([a, b], [implicit_mask(features), implicit_mask(steps)])
    left, right = torch.tensor([[1, 0, 2, 0]]), torch.tensor([[0, 0, 3, 4]])
    either, joined = model([left, right])
    assert either.tolist() == [[True, False, True, True]]
    assert joined.tolist() == [[True, False, True, False, False, False, True, True]]
    # an input without a mask: all its steps hold data (Keras: ones in its place)
    plain = Embedding(10, 3)(b)
    assert implicit_mask(Concatenate()([ea, plain])) is None
    model = plait.Model([a, b], implicit_mask(Concatenate(axis=1)([ea, plain])))
    assert model([left, right]).tolist() == [[True, False, True, False] + [True] * 4]


def test_concatenated_masks_reach_the_recurrent_layer():
    a, b = Input(shape=(None,), dtype="int64"), Input(shape=(None,), dtype="int64")
    ea, eb = Embedding(10, 3, mask_zero=True)(a), Embedding(10, 3, mask_zero=True)(b)
    model = plait.Model([a, b], GRU(2)(Concatenate(axis=1)([ea, eb])))
    left, right = torch.tensor([[1, 2, 0, 0]]), torch.tensor([[3, 0, 0, 0]])
    with torch.no_grad():
        torch.testing.assert_close(model([left, right]), model([left[:, :2], right[:, :1]]))


def test_time_distributed_folds_a_deeper_mask_into_the_wrapped_layer():
    # documents of sentences of words: an LSTM reads each sentence, a GRU the sentences
    words = Input(shape=(3, 4), dtype="int64")
    embedded = Embedding(10, 5, mask_zero=True)(words)
    sentences = TimeDistributed(LSTM(2))(embedded)
    assert implicit_mask(sentences).shape == (None, 3)
    model = plait.Model(words, [sentences, GRU(2)(sentences)])
    data = torch.tensor([[[1, 2, 0, 0], [3, 0, 0, 0], [0, 0, 0, 0]]])
    with torch.no_grad():
        per_sentence, document = model(data)
        inner = model.get_layer(sentences.node.layer.name).layer
        lookup = model.get_layer(embedded.node.layer.name)
        torch.testing.assert_close(per_sentence[0, 0], inner(lookup(data[0, :1, :2]))[0])
        torch.testing.assert_close(per_sentence[0, 1], inner(lookup(data[0, 1:2, :1]))[0])
        # the empty third sentence is skipped
        torch.testing.assert_close(document, model(data[:, :2])[1])


def test_masking_skips_the_steps_whose_features_all_equal_mask_value():
    x = Input(shape=(None, 3))
    model = plait.Model(x, LSTM(2)(Masking(mask_value=-1.0)(x)))
    data = torch.randn(2, 5, 3)
    data[0, 3:] = -1.0
    data[1, 1:] = -1.0
    with torch.no_grad():
        out = model(data)
        torch.testing.assert_close(out[:1], model(data[:1, :3]))
        torch.testing.assert_close(out[1:], model(data[1:, :1]))
        masked = model.get_layer(index=1)(data)
    assert masked[0, 3:].abs().sum() == 0 and torch.equal(masked[0, :3], data[0, :3])


def test_masking_config_round_trips_and_refuses_bad_input():
    layer = Masking.from_config(Masking(mask_value=2, name="pad").get_config())
    assert (layer.name, layer.mask_value) == ("pad", 2.0)
    assert Masking(mask_value=np.float32(0.5)).mask_value == 0.5
    with pytest.raises(TypeError, match="mask_value"):
        Masking(mask_value="zero")
    # as in Keras, a 2-D input is fine (one mask value per sample)
    assert Masking()(Input(shape=(4,))).shape == (None, 4)
