"""model.export: ONNX through torch.onnx, checked with onnxruntime (both optional: the
`test` extra installs them; without them the tests that need them skip)."""

import importlib.util
import sys

import numpy as np
import pytest

from tests.saving import models as M

needs_onnx = pytest.mark.skipif(
    any(importlib.util.find_spec(name) is None for name in ("onnx", "onnxruntime")),
    reason="onnx and onnxruntime are not installed (pip install -e '.[onnx]')",
)


def run_onnx(path, model, inputs, batch):
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == model.input_names
    assert [o.name for o in session.get_outputs()] == model.output_names
    feed = {
        name: t.cpu().numpy() for name, t in zip(model.input_names, M.flat_inputs(model, inputs))
    }
    outs = session.run(None, feed)
    assert all(o.shape[0] == batch for o in outs)
    return outs


@needs_onnx
@pytest.mark.parametrize(
    "build", M.TUTORIAL + M.STRUCTURES, ids=[f.__name__ for f in M.TUTORIAL + M.STRUCTURES]
)
def test_onnx_outputs_equal_plait(build, tmp_path):
    import onnx

    model = build()
    M.perturb(model)
    model.export(tmp_path / "m.onnx")
    onnx.checker.check_model(str(tmp_path / "m.onnx"))
    inputs = M.sample_inputs(model, batch=5)  # not the batch size traced with: dynamic
    for a, b in zip(M.outputs_of(model, inputs), run_onnx(tmp_path / "m.onnx", model, inputs, 5)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@needs_onnx
def test_dynamo_exporter(tmp_path):
    pytest.importorskip("onnxscript")
    model = M.TUTORIAL[0]()
    model.export(tmp_path / "m.onnx", dynamo=True)
    inputs = M.sample_inputs(model, batch=4)
    for a, b in zip(M.outputs_of(model, inputs), run_onnx(tmp_path / "m.onnx", model, inputs, 4)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@needs_onnx
def test_export_keeps_training_mode(tmp_path):
    model = M.TUTORIAL[0]()
    model.train()
    model.export(tmp_path / "m.onnx")
    assert model.training


def test_unknown_format_is_clear(tmp_path):
    with pytest.raises(ValueError, match=r"Unknown export format.*Received: format='tf_saved"):
        M.TUTORIAL[0]().export(tmp_path / "m", format="tf_saved_model")


def test_missing_onnx_is_clear(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` now fails
    with pytest.raises(ImportError, match="needs the `onnx` package: pip install onnx"):
        M.TUTORIAL[0]().export(tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()
