"""model.export: ONNX through torch.onnx, checked with onnxruntime (both optional)."""
import numpy as np
import pytest

from tests.saving import models as M

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def run_onnx(path, model, inputs, batch):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == model.input_names
    assert [o.name for o in session.get_outputs()] == model.output_names
    feed = {name: t.cpu().numpy()
            for name, t in zip(model.input_names, M.flat_inputs(model, inputs))}
    outs = session.run(None, feed)
    assert all(o.shape[0] == batch for o in outs)
    return outs


@pytest.mark.parametrize("build", M.TUTORIAL + M.STRUCTURES,
                         ids=[f.__name__ for f in M.TUTORIAL + M.STRUCTURES])
def test_onnx_outputs_equal_plait(build, tmp_path):
    model = build()
    M.perturb(model)
    model.export(tmp_path / "m.onnx")
    onnx.checker.check_model(str(tmp_path / "m.onnx"))
    inputs = M.sample_inputs(model, batch=5)  # not the batch size traced with: dynamic
    for a, b in zip(M.outputs_of(model, inputs), run_onnx(tmp_path / "m.onnx", model, inputs, 5)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_dynamo_exporter(tmp_path):
    pytest.importorskip("onnxscript")
    model = M.TUTORIAL[0]()
    model.export(tmp_path / "m.onnx", dynamo=True)
    inputs = M.sample_inputs(model, batch=4)
    for a, b in zip(M.outputs_of(model, inputs), run_onnx(tmp_path / "m.onnx", model, inputs, 4)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_export_keeps_training_mode(tmp_path):
    model = M.TUTORIAL[0]()
    model.train()
    model.export(tmp_path / "m.onnx")
    assert model.training


def test_unknown_format_is_clear(tmp_path):
    with pytest.raises(ValueError, match=r"Unknown export format.*Received: format='tf_saved"):
        M.TUTORIAL[0]().export(tmp_path / "m", format="tf_saved_model")
