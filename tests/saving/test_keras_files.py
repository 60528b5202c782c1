"""Keras files without Keras: plait's own round trips through `.keras`, `.weights.h5` and
`.h5`; h5py stays optional; Keras 2 (tf.keras) style configs; errors that need no oracle."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import plait
from tests.keras_oracle import keras_twins as T

h5py = pytest.importorskip("h5py")


def _predict(model, name):
    return T.predict(model, T.inputs(name))


@pytest.mark.parametrize(
    "name", ["mlp", "nested", "bidirectional_lstm", "attention", "sequential", "shared_layers"]
)
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_plait_round_trip(name, suffix, tmp_path):
    model = T.MODELS[name][0](plait)
    model.save(tmp_path / f"m{suffix}")
    loaded = plait.models.load_model(tmp_path / f"m{suffix}")
    for a, b in zip(_predict(model, name), _predict(loaded, name)):
        np.testing.assert_array_equal(a, b)
    assert [w.shape for w in loaded.get_weights()] == [w.shape for w in model.get_weights()]


@pytest.mark.parametrize("suffix", [".weights.h5", ".h5"])
def test_plait_weights_round_trip(suffix, tmp_path):
    model, other = T.MODELS["batchnorm"][0](plait), T.MODELS["batchnorm"][0](plait)
    model.save_weights(tmp_path / f"w{suffix}")
    other.load_weights(tmp_path / f"w{suffix}")
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_h5py_missing_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    model = T.MODELS["mlp"][0](plait)
    with pytest.raises(ImportError, match=r"pip install plait\[keras\]"):
        model.save(tmp_path / "m.keras")
    with pytest.raises(ImportError, match=r"pip install plait\[keras\]"):
        model.save_weights(tmp_path / "m.weights.h5")
    model.save(tmp_path / "m.plait")  # plait's own files never need it
    plait.models.load_model(tmp_path / "m.plait")


def test_plait_files_do_not_import_h5py(tmp_path):
    code = (
        "import sys, plait\n"
        "i = plait.Input((3,)); m = plait.Model(i, plait.layers.Dense(2)(i))\n"
        f"m.save({str(tmp_path / 'm.plait')!r}); plait.models.load_model("
        f"{str(tmp_path / 'm.plait')!r})\n"
        f"m.save_weights({str(tmp_path / 'w.safetensors')!r})\n"
        "assert 'h5py' not in sys.modules, 'h5py imported'\n"
    )
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)


def test_weights_file_given_to_load_model(tmp_path):
    with pytest.raises(ValueError, match=r"'\.weights\.h5' file holds weights only"):
        plait.models.load_model(tmp_path / "w.weights.h5")


def test_save_weights_h5_name_to_save(tmp_path):
    with pytest.raises(ValueError, match=r"'\.weights\.h5' holds weights only"):
        T.MODELS["mlp"][0](plait).save(tmp_path / "m.weights.h5")


def test_by_name_needs_a_legacy_file(tmp_path):
    model = T.MODELS["mlp"][0](plait)
    model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match="by_name=True works with legacy"):
        model.load_weights(tmp_path / "w.weights.h5", by_name=True)


def test_not_hdf5(tmp_path):
    (tmp_path / "x.h5").write_bytes(b"this is not hdf5" * 10)
    with pytest.raises(ValueError, match=r"x\.h5' is not a readable HDF5 file"):
        T.MODELS["mlp"][0](plait).load_weights(tmp_path / "x.h5")


def test_missing_file(tmp_path):
    with pytest.raises(ValueError, match=r"No file at '.*nope\.keras'"):
        plait.models.load_model(tmp_path / "nope.keras")


def test_keras_file_without_weights_member(tmp_path):
    import zipfile

    T.MODELS["mlp"][0](plait).save(tmp_path / "m.keras")
    with (
        zipfile.ZipFile(tmp_path / "m.keras") as src,
        zipfile.ZipFile(tmp_path / "cut.keras", "w") as dst,
    ):
        for n in src.namelist():
            if n != "model.weights.h5":
                dst.writestr(n, src.read(n))
    with pytest.raises(
        ValueError,
        match=r"cut\.keras' is not a complete \.keras file: it "
        r"has no 'model\.weights\.h5'",
    ):
        plait.models.load_model(tmp_path / "cut.keras")


# ------------------------------------------------------- Keras 2 (tf.keras) configs


def _to_keras2(entry):
    """A Keras 3 layer entry rewritten as tf.keras 2 wrote it: no module fields, dtype
    strings, `batch_input_shape`, inbound nodes as lists of refs."""
    if isinstance(entry, list):
        return [_to_keras2(e) for e in entry]
    if not isinstance(entry, dict):
        return entry
    out = {
        k: _to_keras2(v)
        for k, v in entry.items()
        if k not in ("module", "registered_name", "build_config")
    }
    config = out.get("config")
    if isinstance(config, dict):
        if isinstance(entry.get("config", {}).get("dtype"), dict):
            config["dtype"] = "float32"
        if "batch_shape" in config:
            config["batch_input_shape"] = config.pop("batch_shape")
    if "inbound_nodes" in out:
        out["inbound_nodes"] = [_node_to_keras2(n) for n in entry["inbound_nodes"]]
    return out


def _node_to_keras2(node):
    refs = []
    for arg in node["args"]:
        for t in arg if isinstance(arg, list) else [arg]:
            refs.append(list(t["config"]["keras_history"]) + [{}])
    return refs


@pytest.mark.parametrize(
    "name",
    ["mlp", "shared_layers", "multiple_inputs", "nested", "bidirectional_lstm", "sequential"],
)
def test_keras2_style_legacy_config_loads(name, tmp_path):
    model = T.MODELS[name][0](plait)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "a") as f:
        config = json.loads(f.attrs["model_config"])
        f.attrs["model_config"] = json.dumps(_to_keras2(config))
        f.attrs["keras_version"] = "2.15.0"
    loaded = plait.models.load_model(tmp_path / "m.h5")
    for a, b in zip(_predict(model, name), _predict(loaded, name)):
        np.testing.assert_array_equal(a, b)


def test_unsupported_keras_argument_is_named(tmp_path):
    model = T.MODELS["mlp"][0](plait)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "a") as f:
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][1]["config"]["lora_rank"] = 4
        f.attrs["model_config"] = json.dumps(config)
    with pytest.raises(
        ValueError,
        match=r"layer 'dense_1' \(Dense\) sets lora_rank=4, which "
        r"plait's Dense does not support",
    ):
        plait.models.load_model(tmp_path / "m.h5")
