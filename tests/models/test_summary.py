"""summary(): Keras 2's choice of table, its line_length, positions and print_fn arguments,
and clear errors for a layout that does not fit the table."""

import pytest

from plait import Input, Model
from plait.layers import Dense, concatenate


def summary_lines(model, **kwargs):
    lines = []
    assert model.summary(print_fn=lines.append, **kwargs) is None
    return lines


def mlp():
    visible = Input(shape=(3,))
    return Model(visible, Dense(1)(Dense(4)(visible)))


def test_shared_layer_gets_the_connected_to_table_like_keras():
    # Keras 2 treats a model whose layer is called twice as not sequential-like, even when
    # the calls follow each other, and lists each call's input.
    shared = Dense(3)
    visible = Input(shape=(3,))
    lines = summary_lines(Model(visible, shared(shared(visible))))
    assert lines[1].rstrip().endswith("Connected to")
    assert len(lines[0]) == 100
    assert lines[5].startswith("dense_1 (Dense)")
    assert lines[5].rstrip().endswith("input_1[0][0]")
    assert lines[6].strip() == "dense_1[0][0]"


def test_line_length_and_fractional_positions():
    lines = summary_lines(mlp(), line_length=40, positions=[0.5, 0.8, 1.0])
    assert lines[0] == "_" * 40
    # Keras cuts each field one character before the next column starts.
    assert lines[1] == "Layer (type)        Output Shap Param # "
    assert lines[3] == "input_1 (InputLayer (None, 3)   0       "
    assert lines[5] == "dense_2 (Dense)     (None, 4)   16      "


def test_positions_in_characters():
    lines = summary_lines(mlp(), line_length=50, positions=[25, 40, 50])
    assert lines[1] == "Layer (type)             Output Shape   Param #   "
    assert all(len(line) == 50 for line in lines if not line.startswith(("Total", "Train", "Non")))


def test_print_fn_gets_every_line_and_nothing_is_printed(capsys):
    lines = summary_lines(mlp())
    assert capsys.readouterr().out == ""
    assert lines[-4:] == [
        "Total params: 21",
        "Trainable params: 21",
        "Non-trainable params: 0",
        "_" * 65,
    ]


def test_positions_of_the_wrong_length_are_an_error():
    with pytest.raises(
        ValueError,
        match=r"positions must give the right end of each of this "
        r"table's 3 columns.*Received: positions=\[0\.5\]",
    ):
        mlp().summary(positions=[0.5])


def test_line_length_must_be_a_positive_int():
    with pytest.raises(TypeError, match=r"line_length must be an int.*Received: line_length='80'"):
        mlp().summary(line_length="80")
    with pytest.raises(ValueError, match=r"Received: line_length=-5"):
        mlp().summary(line_length=-5)


def test_unknown_keyword_is_an_error():
    with pytest.raises(TypeError, match="unexpected keyword argument 'expand'"):
        mlp().summary(expand=True)


def test_nested_model_calls_are_numbered_from_one_like_keras():
    # Keras 2: a model's node 0 is its own graph, so its first call is `encoder[1][0]`.
    inner_in = Input(shape=(4,))
    encoder = Model(inner_in, Dense(2)(inner_in), name="encoder")
    a, b = Input(shape=(4,)), Input(shape=(4,))
    merged = concatenate([encoder(a), encoder(b)])
    lines = summary_lines(Model([a, b], merged))
    row = next(k for k, line in enumerate(lines) if line.startswith("concatenate_1"))
    assert lines[row].rstrip().endswith("encoder[1][0]")
    assert lines[row + 1].strip() == "encoder[2][0]"
    assert encoder.get_output_at(0) is encoder.output
    assert encoder.get_input_at(1) is a and encoder.get_input_at(2) is b
    assert encoder.get_output_shape_at(2) == (None, 2)
    with pytest.raises(
        ValueError,
        match=r"has 3 node\(s\): node 0 is its own graph.*"
        r"Received: node_index=3",
    ):
        encoder.get_output_at(3)


def masked_text_model():
    from plait.layers import LSTM, Embedding

    tokens = Input(shape=(None,), dtype="int64")
    return Model(tokens, Dense(1)(LSTM(2)(Embedding(10, 4, mask_zero=True)(tokens))))


def test_the_mask_of_an_embedding_is_not_a_row_of_the_summary():
    # Keras shows no masks: the `tokens != 0` op behind mask_zero=True is no layer of its
    # summary, and the model is still a chain (the 65-column table).
    lines = summary_lines(masked_text_model())
    assert len(lines[0]) == 65
    assert [line.split()[0] for line in lines[3:-4:2]] == [
        "input_1",
        "embedding_1",
        "lstm_1",
        "dense_1",
    ]
    assert lines[-4] == "Total params: 99"


def test_the_mask_of_an_embedding_is_not_drawn():
    from plait.utils import model_to_dot

    dot = model_to_dot(masked_text_model(), show_shapes=True)
    assert "TorchOp" not in dot and "ne_1" not in dot
    assert '"lstm_1" [label="{lstm_1: LSTM|input: (None, None, 4)|output: (None, 2)}"]' in dot
    assert '"embedding_1" -> "lstm_1"' in dot


def test_a_users_own_mask_layer_stays_a_layer():
    # Only the ops plait records for a mask are left out; a Lambda the user wrote is a layer.
    from plait.layers import LSTM, Embedding, Lambda

    tokens = Input(shape=(None,), dtype="int64")
    mask = Lambda(lambda t: t != 0, name="padmask")(tokens)
    model = Model(tokens, LSTM(2)(Embedding(10, 4)(tokens), mask=mask))
    assert model.get_layer("padmask") in model.layers
    assert any(line.startswith("padmask (Lambda)") for line in summary_lines(model))


def test_attention_masks_are_left_out_too():
    from plait.layers import Embedding, GlobalAveragePooling1D, MultiHeadAttention

    tokens = Input(shape=(None,), dtype="int64")
    embedded = Embedding(10, 8, mask_zero=True)(tokens)
    model = Model(tokens, GlobalAveragePooling1D()(MultiHeadAttention(2, 4)(embedded, embedded)))
    names = [layer.name for layer in model.layers]
    assert not any(name.startswith("ne_") for name in names), names
    assert len(summary_lines(model)[0]) == 100  # MHA reads embedding_1 twice: a branch
