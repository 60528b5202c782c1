"""summary(expand_nested=, show_trainable=, layer_range=) against Keras 3's own summary of
the same model: the same rows (names, nesting prefixes, shapes, parameter counts, Trainable
markers), in plait's classic table. The default table (the tutorial's) is unchanged."""

import os
import re

import pytest

import plait

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")


def nested_model(m):
    inner_in = m.Input((4,), name="inner_in")
    hidden = m.layers.Dense(5, name="inner_hidden")(inner_in)
    inner = m.Model(inner_in, m.layers.Dense(3, name="inner_dense")(hidden), name="encoder")
    x = m.Input((4,), name="x")
    h = m.layers.Dropout(0.1, name="drop")(inner(x))
    model = m.Model(x, m.layers.Dense(2, name="head")(h), name="outer")
    model.get_layer("head").trainable = False
    return model


def branching_model(m):
    a, b = m.Input((4,), name="a"), m.Input((4,), name="b")
    inner_in = m.Input((4,), name="tower_in")
    tower = m.Model(inner_in, m.layers.Dense(3, name="tower_dense")(inner_in), name="tower")
    merged = m.layers.Concatenate(name="merge")([tower(a), m.layers.Dense(3, name="side")(b)])
    return m.Model([a, b], m.layers.Dense(1, name="out")(merged), name="branching")


def keras_rows(model, **kwargs):
    """(name with nesting prefix, shape, params, trainable) of each row of Keras's table
    (a cell that rich wraps over several lines is joined)."""
    text = []
    model.summary(print_fn=lambda line, **_: text.append(line), **kwargs)
    rows, current = [], None
    for line in "\n".join(text).splitlines():
        if line.startswith("│"):
            cells = [c.strip() for c in line.strip("│").split("│")]
            current = (
                cells if current is None else [f"{a} {b}".strip() for a, b in zip(current, cells)]
            )
        elif current is not None:
            rows.append(_fields(current, kwargs))
            current = None
    return rows


def _fields(cells, kwargs):
    name = re.sub(r" \(\w+\)$", "", cells[0])
    trainable = cells[-1] if kwargs.get("show_trainable") else None
    return (name, cells[1], cells[2], trainable)


def plait_rows(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    rows = []
    for line in lines[3:]:
        if not line or line[0] in "_=" or line.startswith(("Total", "Trainable", "Non-")):
            continue
        fields = [f.strip() for f in re.split(r"\s{2,}", line.strip())]
        if not re.search(r"\(\w+\)$", fields[0]):  # a continuation line of connections
            continue
        rows.append(_fields(fields, kwargs))
    return rows


OPTIONS = [
    {"show_trainable": True},
    {"expand_nested": True},
    {"expand_nested": True, "show_trainable": True},
    {"layer_range": ("encoder", "drop")},
    {"layer_range": ("dr.*", "head"), "show_trainable": True},
    {"expand_nested": True, "layer_range": ("encoder", "encoder")},
]


@pytest.mark.parametrize("kwargs", OPTIONS, ids=[str(o) for o in OPTIONS])
def test_rows_match_keras(kwargs):
    assert plait_rows(nested_model(plait), **kwargs) == keras_rows(nested_model(keras), **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"expand_nested": True, "show_trainable": True},
        {"layer_range": ("side", "out")},
        {"layer_range": ("tower", "tower"), "expand_nested": True},
    ],
)
def test_rows_match_keras_with_connections(kwargs):
    got = plait_rows(branching_model(plait), **kwargs)
    expected = keras_rows(branching_model(keras), **kwargs)
    assert sorted(got) == sorted(expected)  # Keras 3 and Keras 2 order a graph's inputs apart


def test_trainable_column_is_added_to_the_classic_table():
    lines = []
    nested_model(plait).summary(print_fn=lines.append, show_trainable=True)
    assert lines[0] == "_" * 76
    assert lines[1] == (
        "Layer (type)                 Output Shape              Param #   Trainable  "
    )
    assert lines[-1] == "_" * 76
    assert lines[-4:-1] == ["Total params: 51", "Trainable params: 43", "Non-trainable params: 8"]


def test_default_table_unchanged_by_the_options():
    plain, explicit = [], []
    model = nested_model(plait)
    model.summary(print_fn=plain.append)
    model.summary(
        print_fn=explicit.append, expand_nested=False, show_trainable=False, layer_range=None
    )
    assert plain == explicit and len(plain[0]) == 65


@pytest.mark.parametrize(
    "layer_range,match",
    [
        (("encoder",), "length 2"),
        ((1, 2), "string type only"),
        (("nope", "head"), "do not match"),
    ],
)
def test_layer_range_errors_like_keras(layer_range, match):
    with pytest.raises(ValueError, match=match):
        nested_model(keras).summary(layer_range=layer_range, print_fn=lambda *a, **k: None)
    with pytest.raises(ValueError, match=match):
        nested_model(plait).summary(layer_range=layer_range, print_fn=lambda line: None)


def test_unbuilt_sequential_takes_the_options():
    model = plait.Sequential([plait.layers.Dense(3, name="d1"), plait.layers.Dense(2, name="d2")])
    lines = []
    model.summary(print_fn=lines.append, show_trainable=True, layer_range=("d2", "d2"))
    rows = [line for line in lines if line.startswith("d")]
    assert len(rows) == 1 and rows[0].startswith("d2 (Dense)") and "0 (unbuilt)" in rows[0]
    assert rows[0].rstrip().endswith("-")
