"""plot_model and model_to_dot: golden DOT for the tutorial's models, valid image files, the
layout's invariants on random models, Keras's options, and every documented error."""

import math
import os
import sys
import types
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from PIL import Image

import plait
from plait import Input, Model, Sequential
from plait.layers import LSTM, Concatenate, Dense, Flatten, TimeDistributed
from plait.layers.convolutional import Conv2D
from plait.layers.pooling import MaxPooling2D
from plait.plotting import model_plot as plot
from plait.plotting import draw
from plait.utils import model_to_dot, plot_model
from plait.plotting.draw import segment_hits_rect
from tests.models import tutorial_models


@pytest.fixture(autouse=True)
def no_ipython(monkeypatch):
    """Without IPython, plot_model returns the path (tests that want IPython fake it)."""
    monkeypatch.setitem(sys.modules, "IPython", None)


# ---------------------------------------------------------------------------- the tutorial


def multilayer_perceptron():
    visible = Input(shape=(10,))
    hidden1 = Dense(10, activation="relu")(visible)
    hidden2 = Dense(20, activation="relu")(hidden1)
    hidden3 = Dense(10, activation="relu")(hidden2)
    output = Dense(1, activation="sigmoid")(hidden3)
    return Model(inputs=visible, outputs=output)


def shared_input_layer():
    visible = Input(shape=(64, 64, 1))
    flat1 = Flatten()(
        MaxPooling2D(pool_size=(2, 2))(Conv2D(32, kernel_size=4, activation="relu")(visible))
    )
    flat2 = Flatten()(
        MaxPooling2D(pool_size=(2, 2))(Conv2D(16, kernel_size=8, activation="relu")(visible))
    )
    merge = plait.layers.concatenate([flat1, flat2])
    hidden1 = Dense(10, activation="relu")(merge)
    output = Dense(1, activation="sigmoid")(hidden1)
    return Model(inputs=visible, outputs=output)


def shared_feature_extractor():
    visible = Input(shape=(100, 1))
    extract1 = LSTM(10)(visible)
    interp1 = Dense(10, activation="relu")(extract1)
    interp11 = Dense(10, activation="relu")(extract1)
    interp12 = Dense(20, activation="relu")(interp11)
    interp13 = Dense(10, activation="relu")(interp12)
    merge = plait.layers.concatenate([interp1, interp13])
    output = Dense(1, activation="sigmoid")(merge)
    return Model(inputs=visible, outputs=output)


def multiple_outputs():
    visible = Input(shape=(100, 1))
    extract = LSTM(10, return_sequences=True)(visible)
    class11 = LSTM(10)(extract)
    class12 = Dense(10, activation="relu")(class11)
    output1 = Dense(1, activation="sigmoid")(class12)
    output2 = TimeDistributed(Dense(1, activation="linear"))(extract)
    return Model(inputs=visible, outputs=[output1, output2])


HEADER = """digraph G {
  graph [rankdir=TB, concentrate=true, dpi=200];
  node [shape=record, fontname="Helvetica"];
"""

GOLDEN_MLP = (
    HEADER
    + """\
  "input_1" [label="input_1: InputLayer"];
  "dense_1" [label="dense_1: Dense"];
  "dense_2" [label="dense_2: Dense"];
  "dense_3" [label="dense_3: Dense"];
  "dense_4" [label="dense_4: Dense"];
  "input_1" -> "dense_1";
  "dense_1" -> "dense_2";
  "dense_2" -> "dense_3";
  "dense_3" -> "dense_4";
}
"""
)

GOLDEN_SHARED_INPUT_SHAPES = (
    HEADER
    + """\
  "input_1" [label="{input_1: InputLayer|output: (None, 64, 64, 1)}"];
  "conv2d_1" [label="{conv2d_1: Conv2D|input: (None, 64, 64, 1)|output: (None, 61, 61, 32)}"];
  "max_pooling2d_1" [label="{max_pooling2d_1: MaxPooling2D|input: (None, 61, 61, 32)|output: (None, 30, 30, 32)}"];
  "flatten_1" [label="{flatten_1: Flatten|input: (None, 30, 30, 32)|output: (None, 28800)}"];
  "conv2d_2" [label="{conv2d_2: Conv2D|input: (None, 64, 64, 1)|output: (None, 57, 57, 16)}"];
  "max_pooling2d_2" [label="{max_pooling2d_2: MaxPooling2D|input: (None, 57, 57, 16)|output: (None, 28, 28, 16)}"];
  "flatten_2" [label="{flatten_2: Flatten|input: (None, 28, 28, 16)|output: (None, 12544)}"];
  "concatenate_1" [label="{concatenate_1: Concatenate|input: [(None, 28800), (None, 12544)]|output: (None, 41344)}"];
  "dense_1" [label="{dense_1: Dense|input: (None, 41344)|output: (None, 10)}"];
  "dense_2" [label="{dense_2: Dense|input: (None, 10)|output: (None, 1)}"];
  "input_1" -> "conv2d_1";
  "conv2d_1" -> "max_pooling2d_1";
  "max_pooling2d_1" -> "flatten_1";
  "input_1" -> "conv2d_2";
  "conv2d_2" -> "max_pooling2d_2";
  "max_pooling2d_2" -> "flatten_2";
  "flatten_1" -> "concatenate_1";
  "flatten_2" -> "concatenate_1";
  "concatenate_1" -> "dense_1";
  "dense_1" -> "dense_2";
}
"""
)

GOLDEN_SHARED_FEATURES = (
    HEADER
    + """\
  "input_1" [label="input_1: InputLayer"];
  "lstm_1" [label="lstm_1: LSTM"];
  "dense_1" [label="dense_1: Dense"];
  "dense_2" [label="dense_2: Dense"];
  "dense_3" [label="dense_3: Dense"];
  "dense_4" [label="dense_4: Dense"];
  "concatenate_1" [label="concatenate_1: Concatenate"];
  "dense_5" [label="dense_5: Dense"];
  "input_1" -> "lstm_1";
  "lstm_1" -> "dense_1";
  "lstm_1" -> "dense_2";
  "dense_2" -> "dense_3";
  "dense_3" -> "dense_4";
  "dense_1" -> "concatenate_1";
  "dense_4" -> "concatenate_1";
  "concatenate_1" -> "dense_5";
}
"""
)

GOLDEN_MULTIPLE_OUTPUTS_LR = """digraph G {
  graph [rankdir=LR, concentrate=true, dpi=96];
  node [shape=record, fontname="Helvetica"];
  "input_1" [label="input_1: InputLayer|output: (None, 100, 1)"];
  "lstm_1" [label="lstm_1: LSTM|input: (None, 100, 1)|output: (None, 100, 10)"];
  "lstm_2" [label="lstm_2: LSTM|input: (None, 100, 10)|output: (None, 10)"];
  "dense_1" [label="dense_1: Dense|input: (None, 10)|output: (None, 10)"];
  "dense_2" [label="dense_2: Dense|input: (None, 10)|output: (None, 1)"];
  "time_distributed_1" [label="time_distributed_1(dense_3): TimeDistributed(Dense)|input: (None, 100, 10)|output: (None, 100, 1)"];
  "input_1" -> "lstm_1";
  "lstm_1" -> "lstm_2";
  "lstm_2" -> "dense_1";
  "dense_1" -> "dense_2";
  "lstm_1" -> "time_distributed_1";
}
"""


GOLDEN_CNN = (
    HEADER
    + """\
  "input_1" [label="input_1: InputLayer"];
  "conv2d_1" [label="conv2d_1: Conv2D"];
  "max_pooling2d_1" [label="max_pooling2d_1: MaxPooling2D"];
  "conv2d_2" [label="conv2d_2: Conv2D"];
  "max_pooling2d_2" [label="max_pooling2d_2: MaxPooling2D"];
  "flatten_1" [label="flatten_1: Flatten"];
  "dense_1" [label="dense_1: Dense"];
  "dense_2" [label="dense_2: Dense"];
  "input_1" -> "conv2d_1";
  "conv2d_1" -> "max_pooling2d_1";
  "max_pooling2d_1" -> "conv2d_2";
  "conv2d_2" -> "max_pooling2d_2";
  "max_pooling2d_2" -> "flatten_1";
  "flatten_1" -> "dense_1";
  "dense_1" -> "dense_2";
}
"""
)

GOLDEN_RNN = (
    HEADER
    + """\
  "input_1" [label="input_1: InputLayer"];
  "lstm_1" [label="lstm_1: LSTM"];
  "dense_1" [label="dense_1: Dense"];
  "dense_2" [label="dense_2: Dense"];
  "input_1" -> "lstm_1";
  "lstm_1" -> "dense_1";
  "dense_1" -> "dense_2";
}
"""
)

GOLDEN_MULTIPLE_INPUTS_SHAPES = (
    HEADER
    + """\
  "input_1" [label="{input_1: InputLayer|output: (None, 64, 64, 1)}"];
  "conv2d_1" [label="{conv2d_1: Conv2D|input: (None, 64, 64, 1)|output: (None, 61, 61, 32)}"];
  "max_pooling2d_1" [label="{max_pooling2d_1: MaxPooling2D|input: (None, 61, 61, 32)|output: (None, 30, 30, 32)}"];
  "conv2d_2" [label="{conv2d_2: Conv2D|input: (None, 30, 30, 32)|output: (None, 27, 27, 16)}"];
  "max_pooling2d_2" [label="{max_pooling2d_2: MaxPooling2D|input: (None, 27, 27, 16)|output: (None, 13, 13, 16)}"];
  "flatten_1" [label="{flatten_1: Flatten|input: (None, 13, 13, 16)|output: (None, 2704)}"];
  "input_2" [label="{input_2: InputLayer|output: (None, 32, 32, 3)}"];
  "conv2d_3" [label="{conv2d_3: Conv2D|input: (None, 32, 32, 3)|output: (None, 29, 29, 32)}"];
  "max_pooling2d_3" [label="{max_pooling2d_3: MaxPooling2D|input: (None, 29, 29, 32)|output: (None, 14, 14, 32)}"];
  "conv2d_4" [label="{conv2d_4: Conv2D|input: (None, 14, 14, 32)|output: (None, 11, 11, 16)}"];
  "max_pooling2d_4" [label="{max_pooling2d_4: MaxPooling2D|input: (None, 11, 11, 16)|output: (None, 5, 5, 16)}"];
  "flatten_2" [label="{flatten_2: Flatten|input: (None, 5, 5, 16)|output: (None, 400)}"];
  "concatenate_1" [label="{concatenate_1: Concatenate|input: [(None, 2704), (None, 400)]|output: (None, 3104)}"];
  "dense_1" [label="{dense_1: Dense|input: (None, 3104)|output: (None, 10)}"];
  "dense_2" [label="{dense_2: Dense|input: (None, 10)|output: (None, 10)}"];
  "dense_3" [label="{dense_3: Dense|input: (None, 10)|output: (None, 1)}"];
  "input_1" -> "conv2d_1";
  "conv2d_1" -> "max_pooling2d_1";
  "max_pooling2d_1" -> "conv2d_2";
  "conv2d_2" -> "max_pooling2d_2";
  "max_pooling2d_2" -> "flatten_1";
  "input_2" -> "conv2d_3";
  "conv2d_3" -> "max_pooling2d_3";
  "max_pooling2d_3" -> "conv2d_4";
  "conv2d_4" -> "max_pooling2d_4";
  "max_pooling2d_4" -> "flatten_2";
  "flatten_1" -> "concatenate_1";
  "flatten_2" -> "concatenate_1";
  "concatenate_1" -> "dense_1";
  "dense_1" -> "dense_2";
  "dense_2" -> "dense_3";
}
"""
)


def test_golden_dot_convolutional_neural_network():
    assert model_to_dot(tutorial_models.cnn()) == GOLDEN_CNN


def test_golden_dot_recurrent_neural_network():
    assert model_to_dot(tutorial_models.rnn()) == GOLDEN_RNN


def test_golden_dot_multiple_inputs_with_shapes():
    assert (
        model_to_dot(tutorial_models.multiple_inputs(), show_shapes=True)
        == GOLDEN_MULTIPLE_INPUTS_SHAPES
    )


def test_golden_dot_multilayer_perceptron():
    assert model_to_dot(multilayer_perceptron()) == GOLDEN_MLP


def test_golden_dot_shared_input_layer_with_shapes():
    assert model_to_dot(shared_input_layer(), show_shapes=True) == GOLDEN_SHARED_INPUT_SHAPES


def test_golden_dot_shared_feature_extractor():
    assert model_to_dot(shared_feature_extractor()) == GOLDEN_SHARED_FEATURES


def test_golden_dot_multiple_outputs_sideways():
    dot = model_to_dot(multiple_outputs(), show_shapes=True, rankdir="LR", dpi=96)
    assert dot == GOLDEN_MULTIPLE_OUTPUTS_LR


def test_tutorial_call_writes_a_real_png(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = plot_model(multilayer_perceptron(), to_file="multilayer_perceptron_graph.png")
    assert result == "multilayer_perceptron_graph.png"
    data = (tmp_path / result).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    with Image.open(tmp_path / result) as image:
        image.verify()
    with Image.open(tmp_path / result) as image:
        width, height = image.size
        assert height > width > 300  # drawn at 200 dpi, top to bottom
        assert image.info["dpi"] == pytest.approx((200, 200), abs=0.1)
    assert [p.name for p in tmp_path.iterdir()] == [result]  # no temporary file left


def test_summary_and_plot_agree_on_names_and_shapes():
    model = shared_feature_extractor()
    lines = []
    model.summary(print_fn=lines.append)
    diagram = plot.model_diagram(model, show_shapes=True)
    boxes = {item.id: item for item in diagram.items}
    assert set(boxes) == {layer.name for layer in model.layers}
    for layer in model.layers:
        row = next(line for line in lines if line.startswith(f"{layer.name} ("))
        output = next(text for text, _ in boxes[layer.name].details if text.startswith("output: "))
        assert output[len("output: ") :] in row


# ---------------------------------------------------------------------------- formats


@pytest.mark.parametrize("rankdir", ["TB", "LR"])
def test_png_svg_pdf_dot_files_are_valid(tmp_path, rankdir):
    model = shared_input_layer()
    options = dict(
        show_shapes=True,
        show_dtype=True,
        show_layer_activations=True,
        show_trainable=True,
        rankdir=rankdir,
        dpi=72,
    )
    png = plot_model(model, to_file=str(tmp_path / "m.png"), **options)
    with Image.open(png) as image:
        assert image.format == "PNG" and image.mode == "RGB"
        wide = image.width > image.height
    assert wide is (rankdir == "LR")
    pdf = plot_model(model, to_file=tmp_path / "m.pdf", **options)
    data = open(pdf, "rb").read()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    svg = plot_model(model, to_file=tmp_path / "m.svg", **options)
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "concatenate_1: Concatenate" in texts and "output: (None, 41344)" in texts
    assert len(list(root.iter("{http://www.w3.org/2000/svg}g"))) == len(model.layers)
    dot = plot_model(model, to_file=tmp_path / "m.dot", **options)
    assert open(dot).read() == model_to_dot(model, **options)


def test_no_extension_writes_png_like_keras(tmp_path):
    path = plot_model(multilayer_perceptron(), to_file=tmp_path / "graph")
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_returns_an_ipython_image_when_ipython_is_there(tmp_path, monkeypatch):
    display = types.SimpleNamespace(
        Image=lambda filename: ("Image", filename), SVG=lambda filename: ("SVG", filename)
    )
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(display=display))
    model = multilayer_perceptron()
    png, svg, pdf = (str(tmp_path / f"m.{ext}") for ext in ("png", "svg", "pdf"))
    assert plot_model(model, to_file=png) == ("Image", png)
    assert plot_model(model, to_file=svg) == ("SVG", svg)
    assert plot_model(model, to_file=pdf) == pdf


def test_huge_graph_is_drawn_at_a_capped_size(monkeypatch):
    monkeypatch.setattr(draw, "MAX_PIXELS_PER_SIDE", 1000)
    x = inputs = Input(shape=(2,))
    for _ in range(40):
        x = Dense(2)(x)
    image = draw.to_image(plot.model_diagram(Model(inputs, x)), dpi=200)
    assert max(image.size) <= 1000


# ---------------------------------------------------------------------------- options


def test_label_options():
    visible = Input(shape=(4,), dtype="float64")
    frozen = Dense(3, activation="tanh", name="frozen", trainable=False)
    out = Dense(2, name="head")(frozen(visible))
    dot = model_to_dot(
        Model(visible, out),
        show_shapes=True,
        show_dtype=True,
        show_layer_activations=True,
        show_trainable=True,
    )
    assert (
        '"frozen" [label="{frozen: Dense|activation: tanh|input: (None, 4)|output: (None, 3)'
        '|dtype: float64|Non-trainable}"]'
    ) in dot
    assert (
        '"head" [label="{head: Dense|activation: linear|input: (None, 3)|output: (None, 2)|dtype: float64|Trainable}"]'
        in dot
    )
    # an InputLayer has no weights and no activation: only its output and dtype
    assert '"input_1" [label="{input_1: InputLayer|output: (None, 4)|dtype: float64}"]' in dot
    plain = model_to_dot(Model(visible, out), show_layer_names=False)
    assert '"frozen" [label="Dense"]' in plain


def test_shared_layer_is_one_box_with_an_edge_per_call():
    a, b = Input(shape=(4,), name="a"), Input(shape=(4,), name="b")
    shared = Dense(4, name="shared")
    out = Concatenate()([Dense(2, name="left")(shared(a)), Dense(2, name="right")(shared(b))])
    dot = model_to_dot(Model([a, b], out), show_shapes=True)
    assert dot.count('"shared" [') == 1
    for edge in ('"a" -> "shared"', '"b" -> "shared"', '"shared" -> "left"', '"shared" -> "right"'):
        assert edge in dot
    assert '"shared" [label="{shared: Dense|input: (None, 4)|output: (None, 4)}"]' in dot


def test_shared_layer_with_different_shapes_says_multiple():
    a, b = Input(shape=(4,), name="a"), Input(shape=(3, 4), name="b")
    shared = Dense(2, name="shared")
    model = Model([a, b], [shared(a), shared(b)])
    assert '"shared" [label="{shared: Dense|input: multiple|output: multiple}"]' in model_to_dot(
        model, show_shapes=True
    )


def test_layer_applied_to_its_own_output_draws_a_loop(tmp_path):
    d = Dense(4, name="twice")
    x = Input(shape=(4,))
    model = Model(x, d(d(x)))
    assert '"twice" -> "twice"' in model_to_dot(model)
    placed = draw.place(plot.model_diagram(model))
    (box,) = [b for b in placed.boxes if b[4].id == "twice"]
    loops = [pts for pts, _ in placed.edges if _on_border(pts[0], box) and _on_border(pts[-1], box)]
    assert len(loops) == 1
    assert os.path.getsize(plot_model(model, to_file=tmp_path / "loop.png")) > 2000


def nested_model():
    inner_in = Input(shape=(8,), name="code_in")
    encoder = Model(
        inner_in, Dense(4, name="bottleneck")(Dense(8, name="hidden")(inner_in)), name="encoder"
    )
    x = Input(shape=(8,), name="x")
    y = Dense(8, name="decode")(encoder(x))
    return Model(x, Concatenate(name="join")([y, Dense(8, name="skip")(x)]), name="autoencoder")


def test_nested_model_is_one_box_by_default():
    dot = model_to_dot(nested_model())
    assert (
        '"encoder" [label="encoder: Model"]' in dot
        or '"encoder" [label="encoder: Functional"]' in dot
    )
    assert '"x" -> "encoder"' in dot and '"encoder" -> "decode"' in dot
    assert "subgraph" not in dot


def test_nested_model_expands_into_a_cluster():
    model = nested_model()
    dot = model_to_dot(model, expand_nested=True)
    assert 'subgraph "cluster_encoder" {\n    label="encoder";' in dot
    assert '"encoder/hidden" [label="hidden: Dense"];' in dot
    assert '"x" -> "encoder/code_in"' in dot and '"encoder/bottleneck" -> "decode"' in dot
    placed = draw.place(plot.model_diagram(model, expand_nested=True))
    (frame,) = placed.frames
    inside = {b[4].id for b in placed.boxes if _contains(frame, b)}
    assert inside == {"code_in", "hidden", "bottleneck"}
    _check_placed(placed)


def test_nested_model_output_that_ends_the_graph_draws_no_dangling_line():
    # The last layer inside an expanded model is the outer model's output: no edge leaves it.
    head = Sequential([Dense(3, input_shape=(4,), name="h1"), Dense(2, name="h2")], name="head")
    x = Input(shape=(4,), name="x")
    placed = draw.place(plot.model_diagram(Model(x, head(x)), expand_nested=True))
    boxes = [b[:4] for b in placed.boxes]
    starts = [pts[0] for pts, _ in placed.edges]
    for pts, _ in placed.edges:
        # every line ends on a box, or where the next piece of the edge starts (a frame port)
        end = pts[-1]
        assert any(_on_border(end, b) for b in boxes) or any(
            abs(end[0] - s[0]) < 1e-6 and abs(end[1] - s[1]) < 1e-6 for s in starts
        ), pts
    (frame,) = placed.frames
    bottom = max(b[3] for b in boxes)
    assert frame[3] - bottom <= draw.MARGIN + 1e-6  # no room left for a stub below h2


def test_edges_have_the_same_weight_at_every_angle():
    # Pillow's wide lines come out up to a pixel thinner on some slopes; edges must not.
    weights = []
    for degrees in range(0, 91, 5):
        canvas = Image.new("RGB", (400, 400), draw.BACKGROUND)
        angle = math.radians(degrees)
        dx, dy = 60 * math.cos(angle), 60 * math.sin(angle)
        draw._draw_edges(canvas, [([(100 - dx, 100 - dy), (100 + dx, 100 + dy)], False)], 2.0)
        ink = 255 - np.asarray(canvas.convert("L"), dtype=np.float64)
        weights.append(ink.sum() / (255 - 0x4F) / 240)  # ink per unit length, in pixels
    assert max(weights) - min(weights) < 0.1 * max(weights), weights


def test_sequential_is_drawn_with_its_input():
    model = Sequential([Dense(4, input_shape=(3,)), Dense(2)])
    dot = model_to_dot(model)
    assert dot.count("InputLayer") == 1 and '"dense_1" -> "dense_2"' in dot


def test_subgraph_dot():
    dot = model_to_dot(multilayer_perceptron(), subgraph=True)
    assert dot.startswith('subgraph "cluster_model_1" {') or dot.startswith('subgraph "cluster_')
    assert "digraph" not in dot and '"input_1" -> "dense_1";' in dot


# ---------------------------------------------------------------------------- invariants


@st.composite
def model_shapes(draw_, max_layers=10):
    """A random DAG of layers: each new layer reads one or two earlier tensors."""
    inputs = draw_(st.integers(1, 2))
    layers = draw_(st.integers(1, max_layers))
    wiring = []
    for k in range(layers):
        available = inputs + k
        parents = draw_(
            st.lists(st.integers(0, available - 1), min_size=1, max_size=2, unique=True)
        )
        wiring.append(parents)
    outputs = draw_(
        st.lists(st.integers(0, inputs + layers - 1), min_size=1, max_size=2, unique=True)
    )
    return inputs, wiring, outputs


def build_model(inputs, wiring, outputs):
    tensors = [Input(shape=(3,)) for _ in range(inputs)]
    for parents in wiring:
        x = (
            tensors[parents[0]]
            if len(parents) == 1
            else Concatenate()([tensors[p] for p in parents])
        )
        tensors.append(Dense(3)(x))
    used = {id(t) for t in tensors[:inputs]}
    outs = [tensors[k] for k in outputs]
    outs.append(tensors[-1])
    outs = list({id(t): t for t in outs if id(t) not in used}.values()) or [Dense(3)(tensors[0])]
    return Model(tensors[:inputs], outs)


@settings(max_examples=25, deadline=None)
@given(model_shapes(), st.sampled_from(["TB", "LR"]), st.booleans())
def test_random_models_keep_layout_invariants(shape, rankdir, show_shapes):
    plait.backend.clear_session()
    model = build_model(*shape)
    diagram = plot.model_diagram(model, show_shapes=show_shapes)
    placed = draw.place(diagram, rankdir)
    # all layers drawn, once each
    assert sorted(b[4].id for b in placed.boxes) == sorted(layer.name for layer in model.layers)
    _check_placed(placed, rankdir, edge_count=len(diagram.edges))


def _check_placed(placed, rankdir="TB", edge_count=None):
    boxes = [b[:4] for b in placed.boxes]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    if edge_count is not None:
        assert len(placed.edges) == edge_count
    axis = 1 if rankdir in ("TB", "BT") else 0
    for pts, _ in placed.edges:
        for p, q in zip(pts, pts[1:]):
            assert q[axis] >= p[axis] - 1e-6  # every edge runs toward later ranks
            for box in boxes:
                assert not segment_hits_rect(p, q, box)
        if edge_count is not None:  # a flat diagram: edges run from a box to a later box
            tail = [b for b in boxes if _on_border(pts[0], b)]
            head = [b for b in boxes if _on_border(pts[-1], b)]
            assert tail and head and head[0][axis] > tail[0][axis + 2]


def _on_border(p, box, eps=1e-6):
    x0, y0, x1, y1 = box[:4]
    inside = x0 - eps <= p[0] <= x1 + eps and y0 - eps <= p[1] <= y1 + eps
    return inside and min(abs(p[0] - x0), abs(p[0] - x1), abs(p[1] - y0), abs(p[1] - y1)) < eps


def _contains(outer, inner):
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )


# ---------------------------------------------------------------------------- errors


def test_unknown_extension_is_an_error_and_writes_nothing(tmp_path):
    target = tmp_path / "model.jpg"
    with pytest.raises(
        ValueError,
        match=r"Unknown image format '\.jpg' for to_file.*\.png, \.svg, "
        r"\.pdf or \.dot.*Received: to_file='.*model\.jpg'",
    ):
        plot_model(multilayer_perceptron(), to_file=str(target))
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_an_error(tmp_path):
    with pytest.raises(
        ValueError,
        match=r"The folder of to_file does not exist: .*nowhere.*"
        r"Create it first.*Received: to_file=",
    ):
        plot_model(multilayer_perceptron(), to_file=str(tmp_path / "nowhere" / "m.png"))


def test_folder_as_to_file_is_an_error(tmp_path):
    folder = tmp_path / "out.png"
    folder.mkdir()
    with pytest.raises(
        ValueError, match=r"to_file is a folder, not a file name.*Received: to_file="
    ):
        plot_model(multilayer_perceptron(), to_file=folder)


def test_to_file_of_wrong_type_is_an_error():
    with pytest.raises(
        TypeError, match=r"to_file must be a file path.*Received: to_file=3 of type int"
    ):
        plot_model(multilayer_perceptron(), to_file=3)


def test_unbuilt_model_is_an_error(tmp_path):
    model = Sequential([Dense(2), Dense(1)], name="not_yet")
    with pytest.raises(
        ValueError,
        match=r"The model 'not_yet' has not been built yet.*"
        r"Received: model='not_yet'",
    ):
        plot_model(model, to_file=tmp_path / "m.png")
    with pytest.raises(ValueError, match="has not been built yet"):
        model_to_dot(model)
    assert list(tmp_path.iterdir()) == []


def test_not_a_model_is_an_error():
    with pytest.raises(
        TypeError, match=r"draw a plait Model.*Received: model='model\.h5' of type str"
    ):
        model_to_dot("model.h5")


def test_bad_rankdir_and_dpi_are_errors(tmp_path):
    model = multilayer_perceptron()
    with pytest.raises(ValueError, match=r"rankdir must be 'TB'.*Received: rankdir='tb'"):
        plot_model(model, to_file=tmp_path / "m.png", rankdir="tb")
    with pytest.raises(ValueError, match=r"dpi must be a positive number.*Received: dpi=0"):
        plot_model(model, to_file=tmp_path / "m.png", dpi=0)
    with pytest.raises(ValueError, match=r"rankdir must be 'TB'"):
        model_to_dot(model, rankdir="XY")


def test_failed_write_keeps_the_old_file_and_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "m.png"
    target.write_bytes(b"previous")

    def broken(diagram, file, fmt, rankdir="TB", dpi=200):
        file.write(b"\x89PNG half")
        raise OSError("disk full")

    monkeypatch.setattr(draw, "write_raster", broken)
    with pytest.raises(OSError, match="disk full"):
        plot_model(multilayer_perceptron(), to_file=target)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["m.png"]
