"""String layers against Keras's outputs. Keras's StringLookup, IntegerLookup,
TextVectorization and Hashing run on TensorFlow, which the test oracle here lacks: the
expected values below are the TensorFlow-computed ones Keras 3.15 documents and asserts in
its own tests (keras/src/layers/preprocessing/*_test.py and the layers' docstrings)."""

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import plait.layers as L

VOCAB = ["a", "b", "c", "d"]
IVOCAB = [12, 36, 1138, 42]
IDATA = np.array([[12, 1138, 42], [42, 1000, 36]])
IDATA4 = np.array([[12, 1138, 42, 42], [42, 7, 36, 7]])
DATA4 = [["a", "c", "d", "d"], ["d", "z", "b", "z"]]
WORDS = [["omar"], ["stringer"], ["marlo"], ["wire"], ["skywalker"]]
LETTERS = [["A"], ["B"], ["C"], ["D"], ["E"]]
SENTENCES = [["foo qux bar"], ["qux baz"]]

# (layer, config, input, expected output)
TABLE = [
    (
        "StringLookup",
        {"vocabulary": VOCAB},
        [["a", "c", "d"], ["d", "z", "b"]],
        [[1, 3, 4], [4, 0, 2]],
    ),
    ("StringLookup", {"vocabulary": ["a", "b", "c"]}, ["b", "c", "d"], [2, 3, 0]),
    (
        "StringLookup",
        {"vocabulary": VOCAB, "num_oov_indices": 2},
        [["a", "c", "d"], ["m", "z", "b"]],
        [[2, 4, 5], [0, 1, 3]],
    ),
    (
        "StringLookup",
        {"vocabulary": VOCAB, "output_mode": "one_hot"},
        ["a", "b", "c", "d", "z"],
        np.eye(5)[[1, 2, 3, 4, 0]],
    ),
    (
        "StringLookup",
        {"vocabulary": VOCAB, "output_mode": "multi_hot"},
        DATA4,
        [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]],
    ),
    (
        "StringLookup",
        {"vocabulary": VOCAB, "output_mode": "count"},
        DATA4,
        [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]],
    ),
    (
        "StringLookup",
        {"vocabulary": VOCAB, "output_mode": "tf_idf", "idf_weights": [0.25, 0.75, 0.6, 0.4]},
        DATA4,
        [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]],
    ),
    (
        "StringLookup",
        {
            "vocabulary": ["[UNK]"] + VOCAB,
            "output_mode": "tf_idf",
            "idf_weights": [0.9, 0.25, 0.75, 0.6, 0.4],
        },
        DATA4,
        [[0, 0.25, 0, 0.6, 0.8], [1.8, 0, 0.75, 0, 0.4]],
    ),
    (
        "StringLookup",
        {"vocabulary": ["a", "b", "c"], "oov_token": "[OOV]", "mask_token": "[MASK]"},
        ["[MASK]", "b", "q"],
        [0, 3, 1],
    ),
    ("IntegerLookup", {"vocabulary": IVOCAB}, IDATA, [[1, 3, 4], [4, 0, 2]]),
    (
        "IntegerLookup",
        {"vocabulary": IVOCAB, "num_oov_indices": 2},
        np.array([[12, 1138, 42], [37, 1000, 36]]),
        [[2, 4, 5], [1, 0, 3]],
    ),
    (
        "IntegerLookup",
        {"vocabulary": [10, 20, 30], "num_oov_indices": 4},
        np.array([100, 300, 700, 1100, 1700, 2000]),
        [0, 0, 0, 0, 0, 0],
    ),
    (
        "IntegerLookup",
        {"vocabulary": [10, 20, 30], "num_oov_indices": 4, "oov_method": "farmhash"},
        np.array([100, 300, 700, 1100, 1700, 2000]),
        [3, 3, 2, 2, 0, 1],
    ),
    (
        "IntegerLookup",
        {"vocabulary": IVOCAB, "output_mode": "one_hot"},
        np.array([12, 36, 1138, 42, 7]),
        np.eye(5)[[1, 2, 3, 4, 0]],
    ),
    (
        "IntegerLookup",
        {"vocabulary": IVOCAB, "output_mode": "multi_hot"},
        IDATA4,
        [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]],
    ),
    (
        "IntegerLookup",
        {"vocabulary": IVOCAB, "output_mode": "count"},
        IDATA4,
        [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]],
    ),
    (
        "IntegerLookup",
        {"vocabulary": IVOCAB, "invert": True},
        np.array([[1, 3, 4], [4, 0, 2]]),
        [[12, 1138, 42], [42, -1, 36]],
    ),
    ("Hashing", {"num_bins": 3}, LETTERS, [[1], [0], [1], [1], [2]]),
    (
        "Hashing",
        {"num_bins": 3, "mask_value": ""},
        [["A"], ["B"], [""], ["C"], ["D"]],
        [[1], [1], [0], [2], [2]],
    ),
    ("Hashing", {"num_bins": 3, "salt": [133, 137]}, LETTERS, [[1], [2], [1], [0], [2]]),
    ("Hashing", {"num_bins": 3, "salt": 133}, LETTERS, [[0], [0], [2], [1], [0]]),
    ("Hashing", {"num_bins": 2}, np.asarray(WORDS), [[0], [0], [1], [0], [0]]),
    ("Hashing", {"num_bins": 2}, [w[0] for w in WORDS], [0, 0, 1, 0, 0]),
    ("Hashing", {"num_bins": 3, "mask_value": ""}, np.asarray(WORDS), [[1], [1], [2], [1], [1]]),
    (
        "Hashing",
        {"num_bins": 3, "mask_value": "omar"},
        np.asarray(WORDS),
        [[0], [1], [2], [1], [1]],
    ),
    ("Hashing", {"num_bins": 3}, np.asarray([[0], [1], [2], [3], [4]]), [[1], [0], [1], [0], [2]]),
    ("Hashing", {"num_bins": 2, "salt": [133, 137]}, np.asarray(WORDS), [[0], [1], [0], [1], [0]]),
    ("Hashing", {"num_bins": 2, "salt": [211, 137]}, np.asarray(WORDS), [[1], [0], [1], [0], [1]]),
    (
        "Hashing",
        {"num_bins": 3, "salt": [133, 137]},
        np.asarray([[0], [1], [2], [3], [4]]),
        [[1], [1], [2], [0], [1]],
    ),
    ("Hashing", {"num_bins": 3, "output_mode": "one_hot"}, [["A"], ["B"]], [[0, 1, 0], [1, 0, 0]]),
    (
        "TextVectorization",
        {"output_sequence_length": 4, "vocabulary": ["baz", "bar", "foo"]},
        SENTENCES,
        [[4, 1, 3, 0], [1, 2, 0, 0]],
    ),
    ("TextVectorization", {"vocabulary": ["baz", "bar", "foo"]}, SENTENCES, [[4, 1, 3], [1, 2, 0]]),
]


@pytest.mark.parametrize(
    "name,config,data,expected", TABLE, ids=[f"{r[0]}-{i}" for i, r in enumerate(TABLE)]
)
def test_outputs_match_keras(name, config, data, expected):
    out = getattr(L, name)(**config)(data)
    assert isinstance(out, torch.Tensor)
    np.testing.assert_allclose(
        out.numpy(), np.asarray(expected, dtype=np.float64), rtol=1e-6, atol=1e-6
    )
    int_mode = config.get("output_mode", "int") == "int"
    assert out.dtype == (torch.int64 if int_mode else torch.float32)


def test_string_lookup_adapt_orders_by_count_then_descending_token():
    data = [["a", "c", "d"], ["d", "z", "b"]]
    layer = L.StringLookup()
    layer.adapt(data)
    assert layer.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    np.testing.assert_array_equal(layer(data).numpy(), [[5, 3, 1], [1, 2, 4]])
    flat = L.StringLookup()
    flat.adapt(["a", "a", "a", "b", "b", "c"])
    np.testing.assert_array_equal(flat(["b", "c", "d"]).numpy(), [2, 3, 0])


def test_string_lookup_adapt_with_generator_and_steps():
    def batches():
        while True:
            yield ["cat", "dog", "bird"]

    layer = L.StringLookup()
    layer.adapt(batches(), steps=3)
    assert set(layer.get_vocabulary()) == {"[UNK]", "cat", "dog", "bird"}


def test_integer_lookup_adapt_and_invert():
    layer = L.IntegerLookup()
    layer.adapt(IDATA)
    assert layer.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    ids = layer(IDATA)
    np.testing.assert_array_equal(ids.numpy(), [[5, 2, 1], [1, 3, 4]])
    inverse = L.IntegerLookup(
        vocabulary=layer.get_vocabulary(include_special_tokens=False), invert=True
    )
    np.testing.assert_array_equal(inverse(ids).numpy(), IDATA)


def test_string_lookup_invert_returns_strings():
    ids = L.StringLookup(vocabulary=VOCAB)([["a", "c", "d"], ["d", "z", "b"]])
    back = L.StringLookup(vocabulary=VOCAB, invert=True)(ids)
    assert back.tolist() == [["a", "c", "d"], ["d", "[UNK]", "b"]]


def test_text_vectorization_adapt_matches_keras():
    layer = L.TextVectorization(max_tokens=5000, output_sequence_length=4)
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    assert layer.get_vocabulary() == ["", "[UNK]", "baz", "bar", "foo", "boom", "bada"]
    np.testing.assert_array_equal(layer(SENTENCES).numpy(), [[4, 1, 3, 0], [1, 2, 0, 0]])
    given = L.TextVectorization(vocabulary=["earth", "wind", "and", "fire"])
    assert given.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]


def test_text_vectorization_options():
    layer = L.TextVectorization(max_tokens=5, output_mode="multi_hot")
    layer.adapt(["The cat, the hat!", "A cat."])
    assert layer.get_vocabulary() == ["[UNK]", "the", "cat", "hat", "a"]
    np.testing.assert_array_equal(layer(["the bat"]).numpy(), [[1, 1, 0, 0, 0]])
    count = L.TextVectorization(output_mode="count", vocabulary=["x", "y"])
    np.testing.assert_array_equal(count(["x x y z"]).numpy(), [[1, 2, 1]])
    grams = L.TextVectorization(ngrams=2, standardize=None)
    grams.adapt(["a b c"])
    assert sorted(grams.get_vocabulary()[1:]) == sorted(["[UNK]", "a", "b", "c", "a b", "b c"])
    chars = L.TextVectorization(split="character", vocabulary=["a", "b"])
    np.testing.assert_array_equal(chars(["abc"]).numpy(), [[2, 3, 1]])
    lower = L.TextVectorization(standardize="lower", split=None, vocabulary=["ab,"])
    np.testing.assert_array_equal(lower(["AB,"]).numpy(), [[2]])
    # punctuation is stripped before the split, as in Keras
    custom = L.TextVectorization(split=lambda s: s.split("0"), vocabulary=["p", "q"])
    np.testing.assert_array_equal(custom(["p0q0r-"]).numpy(), [[2, 3, 1]])
    padded = L.TextVectorization(
        max_tokens=6, output_mode="multi_hot", pad_to_max_tokens=True, vocabulary=["x"]
    )
    assert tuple(padded(["x"]).shape) == (1, 6)


def test_text_vectorization_tf_idf():
    layer = L.TextVectorization(output_mode="tf_idf")
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    out = layer(["bar bar foo"]).numpy()[0]
    vocab = layer.get_vocabulary()
    idf_bar = np.log(1 + 3 / (1 + 2))
    idf_foo = np.log(1 + 3 / (1 + 1))
    np.testing.assert_allclose(out[vocab.index("bar")], 2 * idf_bar, rtol=1e-6)
    np.testing.assert_allclose(out[vocab.index("foo")], idf_foo, rtol=1e-6)
    assert out[0] == 0


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: L.StringLookup(vocabulary=["a", "b", "a"]), "repeated term"),
        (lambda: L.IntegerLookup(vocabulary=[1, 2, 2]), "repeated term"),
        (lambda: L.StringLookup(vocabulary=["a", "[M]"], mask_token="[M]"), "reserved mask token"),
        (lambda: L.StringLookup(vocabulary=[]), "empty vocabulary"),
        (
            lambda: L.StringLookup(vocabulary=["a", "b", "c"], max_tokens=3),
            "larger than the maximum",
        ),
        (lambda: L.StringLookup(output_mode="one_hot", invert=True), "must be `'int'`"),
        (lambda: L.StringLookup(output_mode="sideways"), "output_mode"),
        (lambda: L.StringLookup(vocabulary=["a"], output_mode="tf_idf"), "idf_weights"),
        (lambda: L.IntegerLookup(max_tokens=1), "greater than 1"),
        (lambda: L.IntegerLookup(num_oov_indices=-1), "must >= 0"),
        (lambda: L.IntegerLookup(vocabulary_dtype="int32"), "vocabulary_dtype"),
        (lambda: L.Hashing(num_bins=0), "num_bins"),
        (lambda: L.Hashing(num_bins=2, salt="x"), "salt"),
        (
            lambda: L.TextVectorization(output_mode="multi_hot", output_sequence_length=3),
            "output_sequence_length",
        ),
        (lambda: L.TextVectorization(ngrams="2"), "ngrams"),
        (lambda: L.TextVectorization(standardize="upper"), "standardize"),
        (lambda: L.TextVectorization(split="comma"), "split"),
    ],
)
def test_bad_arguments_raise_keras_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_lookup_errors_at_call_and_adapt():
    with pytest.raises(RuntimeError, match="must set the layer's vocabulary"):
        L.StringLookup(output_mode="multi_hot")(["a"])
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        L.StringLookup(vocabulary=["a"], num_oov_indices=0)(["b"])
    with pytest.raises(ValueError, match="Cannot adapt"):
        L.StringLookup(vocabulary=["a"]).adapt(["b"])
    with pytest.raises(ValueError, match="the last shape dimension must be 1"):
        L.TextVectorization(vocabulary=["a"])([["a", "b"]])
    with pytest.raises(TypeError, match="takes strings"):
        L.TextVectorization(vocabulary=["a"])(torch.ones(2, 1))


def test_vocabulary_file_needs_unsafe_mode(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\nc\n", encoding="utf-8")
    from plait.serialization import safe_mode_scope

    layer = L.StringLookup(vocabulary=str(path), oov_token="[OOV]", mask_token="[MASK]")
    assert layer.get_vocabulary() == ["[MASK]", "[OOV]", "a", "b", "c"]
    assert layer.get_config()["vocabulary"] == ["a", "b", "c"]  # the tokens, not the path
    config = {"vocabulary": str(path)}
    with pytest.raises(ValueError, match="outside of the model archive"):
        L.StringLookup.from_config(config)
    with pytest.raises(ValueError, match="outside of the model archive"):
        L.TextVectorization.from_config(config)
    with safe_mode_scope(False):
        assert L.StringLookup.from_config(config).get_vocabulary() == ["[UNK]", "a", "b", "c"]


@pytest.mark.parametrize(
    "make, content, match",
    [
        (
            L.StringLookup,
            b"a\nb\n\xff\xfe\n",
            r"StringLookup '.*': vocabulary file .*v\.txt is not UTF-8 .*line 3",
        ),
        (
            L.IntegerLookup,
            b"1\n2\nx\n",
            r"IntegerLookup '.*': line 3 of vocabulary file .*v\.txt is 'x', not an integer",
        ),
        (L.IntegerLookup, b"1\n3.5\n", r"line 2 .* is '3\.5', not an integer"),
        (
            L.TextVectorization,
            b"\xc3\n",
            r"'text_vectorization.*_lookup': vocabulary file .*v\.txt is not UTF-8",
        ),
    ],
)
def test_a_damaged_vocabulary_file_names_the_file_and_line(tmp_path, make, content, match):
    path = tmp_path / "v.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        make(vocabulary=str(path))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=st.binary(max_size=200), integers=st.booleans())
def test_any_vocabulary_file_loads_or_fails_with_a_value_error(tmp_path_factory, content, integers):
    path = tmp_path_factory.mktemp("vocab") / "v.txt"
    path.write_bytes(content)
    try:
        layer = (L.IntegerLookup if integers else L.StringLookup)(vocabulary=str(path))
    except ValueError:
        return
    assert len(layer.get_vocabulary()) >= 1
