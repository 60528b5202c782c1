"""model.to_source: a standalone PyTorch file that predicts what the plait model predicts."""

import ast
import importlib.util
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from plait import activations, layers
from plait.layers import Dense, Input
from plait.models import Model
from plait.saving import safetensors_io, source
from plait.saving.source import SourceError
from plait.utils import nest
from tests.saving import models as M
from tests.saving.test_save_load import Scale

ROOT = pathlib.Path(__file__).resolve().parents[2]


def eject(model, folder, name="ejected"):
    """to_source into `folder`, then import the file as a fresh module."""
    path = folder / f"{name}.py"
    model.to_source(path)
    spec = importlib.util.spec_from_file_location(f"{name}_{id(folder)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return path, module


def ejected_outputs(module, model, inputs):
    ejected = module.load_model()  # on the CPU
    with torch.no_grad():
        out = ejected(*[t.cpu() for t in M.flat_inputs(model, inputs)])
    if isinstance(out, dict):
        out = [out[name] for name in model.output_names]
    return [t.numpy() for t in nest.flatten(out)]


def assert_ejects(model, folder):
    M.perturb(model)
    inputs = M.sample_inputs(model)
    path, module = eject(model, folder)
    for a, b in zip(M.outputs_of(model, inputs), ejected_outputs(module, model, inputs)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    return path


def imported_modules(path):
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    return names


@pytest.mark.parametrize("build", M.TUTORIAL, ids=[f.__name__ for f in M.TUTORIAL])
def test_tutorial_models_eject_and_predict_the_same(build, tmp_path):
    path = assert_ejects(build(), tmp_path)
    assert imported_modules(path) == {"json", "os", "struct", "torch"}
    assert (tmp_path / "ejected.safetensors").exists()


@pytest.mark.parametrize("build", M.STRUCTURES, ids=[f.__name__ for f in M.STRUCTURES])
def test_nested_shared_dict_and_sequential_models_eject(build, tmp_path):
    assert_ejects(build(), tmp_path)


@pytest.mark.parametrize("row", M.layer_cases(), ids=[M.case_id(r) for r in M.layer_cases()])
def test_every_layer_kind_ejects_or_says_why_not(row, tmp_path):
    """A layer class with an emitter ejects (and predicts the same); one without, or an LSTM
    with activations nn.LSTM does not compute, raises a ValueError naming the layer."""
    model = M.model_for_case(row)
    layer = model.layers[-1]
    unsupported = source.writer_for(type(layer)) is None or (
        row[0] in ("LSTM", "GRU", "SimpleRNN") and not layer._fused
    )
    if not unsupported:
        assert_ejects(model, tmp_path)
        return
    with pytest.raises(SourceError, match=f"layer '{layer.name}'"):
        model.to_source(tmp_path / "m.py")
    assert not list(tmp_path.iterdir())  # nothing half-written


def recurrent_variants():
    """GRU and SimpleRNN beyond the table's defaults: states in and out, backwards, relu,
    no bias, a PReLU with shared axes and a UnitNormalization over two axes."""
    x, h0 = Input(shape=(6, 3), name="x"), Input(shape=(4,), name="h0")
    seq, state = layers.GRU(4, return_sequences=True, return_state=True, go_backwards=True)(
        x, initial_state=[h0]
    )
    relu = layers.SimpleRNN(4, activation="relu", use_bias=False, return_sequences=True)(seq)
    last = layers.SimpleRNN(4, return_state=True)(relu, initial_state=state)
    h = layers.PReLU(shared_axes=[1])(layers.UnitNormalization(axis=[1, 2])(relu))
    return Model([x, h0], [h, last[0], last[1], layers.GRU(2, use_bias=False)(seq)])


def test_recurrent_variants_eject(tmp_path):
    assert_ejects(recurrent_variants(), tmp_path)


def test_recurrent_cells_plain_pytorch_cannot_run_are_named(tmp_path):
    x = Input(shape=(5, 3))
    model = Model(x, layers.GRU(3, reset_after=False)(x))
    with pytest.raises(
        SourceError,
        match=r"writes GRU layers as nn.GRU.*reset_after=True; "
        r"layer 'gru_1' uses others",
    ):
        model.to_source(tmp_path / "m.py")
    model = Model(x, layers.SimpleRNN(3, activation="sigmoid")(x))
    with pytest.raises(SourceError, match=r"nn.RNN.*'tanh' or 'relu'; layer 'simple_rnn_1'"):
        model.to_source(tmp_path / "m.py")


def test_ejected_files_run_without_plait(tmp_path):
    """Ejected files run in a fresh interpreter where `import plait` fails (two models, to
    keep it quick: the test above checks all seven in this process)."""
    cases = []
    for build in (M.TUTORIAL[0], M.TUTORIAL[6]):
        M.reset()
        model = build()
        M.perturb(model)
        inputs = M.flat_inputs(model, M.sample_inputs(model))
        name = build.__name__
        model.to_source(tmp_path / f"{name}.py")
        tensors = {f"in{i}": t for i, t in enumerate(inputs)}
        with torch.no_grad():
            outs = nest.flatten(model(inputs if len(inputs) > 1 else inputs[0]))
        tensors.update({f"out{i}": t for i, t in enumerate(outs)})
        with open(tmp_path / f"{name}.data.safetensors", "wb") as f:
            safetensors_io.write(f, tensors)
        cases.append(name)
    script = textwrap.dedent("""
        import importlib, sys
        sys.modules["plait"] = None  # any import of plait now fails
        import torch
        for name in sys.argv[1:]:
            module = importlib.import_module(name)
            data = module.load_safetensors(name + ".data.safetensors")
            inputs = [data[k] for k in sorted(data) if k.startswith("in")]
            with torch.no_grad():
                out = module.load_model()(*inputs)
            out = out if isinstance(out, list) else [out]
            for i, value in enumerate(out):
                torch.testing.assert_close(value, data[f"out{i}"], rtol=1e-6, atol=1e-6)
            print(name, "ok")
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", script, *cases],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [w for name in cases for w in (name, "ok")]


def test_source_is_readable_straight_line_code(tmp_path):
    path, _ = eject(M.TUTORIAL[1](), tmp_path)
    text = path.read_text()
    assert "class Model1(nn.Module):" in text
    assert "self.conv2d_1 = nn.Conv2d(1, 32, kernel_size=4)" in text
    assert "self.dense_1 = nn.Linear(" in text
    forward = text[text.index("def forward") : text.index("def load_model")]
    assert "for " not in forward and "if " not in forward
    assert forward.count("\n        ") == 8  # one line per layer call, and the return
    assert "dense_2 = torch.sigmoid(self.dense_2(dense_1))" in forward


def test_state_dict_of_the_ejected_module_matches_its_file(tmp_path):
    model = M.TUTORIAL[6]()
    _, module = eject(model, tmp_path)
    ejected = module.Model1()
    state = module.load_safetensors(tmp_path / "ejected.safetensors")
    assert set(state) == set(ejected.state_dict())
    assert "lstm_1.weight_ih_l0" in state and "time_distributed_1.weight" in state


def test_unsupported_layer_is_named(tmp_path):
    x = Input(shape=(3,))
    model = Model(x, Dense(2)(Scale()(x)))
    with pytest.raises(
        ValueError,
        match=r"cannot write layer 'scale_1' \(Scale\) as plain "
        r"PyTorch.*model.save\(\)",
    ):
        model.to_source(tmp_path / "m.py")
    assert not list(tmp_path.iterdir())


def test_to_source_path_must_be_an_importable_python_file(tmp_path):
    model = M.TUTORIAL[0]()
    with pytest.raises(ValueError, match=r"must end in '\.py'"):
        model.to_source(tmp_path / "m.txt")
    with pytest.raises(ValueError, match="valid Python module name"):
        model.to_source(tmp_path / "my-model.py")


# threshold takes required arguments (unusable by name, as in Keras); sparsemax has no
# one-expression PyTorch form yet, and says so (test below)
NO_SOURCE_FORM = {"threshold", "sparsemax"}


def test_every_builtin_activation_ejects_exactly(tmp_path):
    for i, name in enumerate(sorted(set(activations._ACTIVATIONS) - NO_SOURCE_FORM)):
        M.reset()
        x = Input(shape=(4,))
        model = Model(x, Dense(4, activation=name)(x))  # glu halves an even size
        inputs = M.sample_inputs(model)
        _, module = eject(model, tmp_path, name=f"act_{i}")
        np.testing.assert_allclose(
            M.outputs_of(model, inputs)[0],
            ejected_outputs(module, model, inputs)[0],
            rtol=1e-6,
            atol=1e-6,
            err_msg=name,
        )


def test_an_activation_without_a_source_form_is_named(tmp_path):
    x = Input(shape=(4,))
    model = Model(x, Dense(4, activation="sparsemax")(x))
    with pytest.raises(ValueError, match="cannot write the activation 'sparsemax'"):
        model.to_source(tmp_path / "m.py")


def test_custom_activation_is_named(tmp_path):
    x = Input(shape=(4,))
    model = Model(x, Dense(3, activation=lambda t: t * 3)(x))
    with pytest.raises(
        ValueError, match="cannot write the activation '<lambda>' of layer 'dense_1'"
    ):
        model.to_source(tmp_path / "m.py")
