"""plait.config: Keras 3's keras.config functions, sharing state with plait.backend, and
taking effect where plait has the mechanism."""

import contextlib
import io
import logging

import numpy as np
import pytest
import torch

from plait import Input, Model, Sequential, backend, config, layers, mixed_precision, ops
from plait.utils import settings

keras = pytest.importorskip("keras")


@pytest.fixture(autouse=True)
def restore_settings():
    saved = dict(settings._state)
    yield
    settings._state.update(saved)
    mixed_precision.set_global_policy(None)


def test_keras_config_names_exist():
    missing = [n for n in dir(keras.config) if not n.startswith("_") and not hasattr(config, n)]
    assert missing == ["is_nnx_enabled"]


def test_defaults_match_keras():
    assert config.floatx() == keras.config.floatx()
    assert config.epsilon() == keras.config.epsilon()
    assert config.image_data_format() == keras.config.image_data_format()
    assert config.backend() == "torch" and config.is_interactive_logging_enabled()
    assert config.is_traceback_filtering_enabled()


def test_set_floatx_changes_new_layers_and_inputs():
    config.set_floatx("float64")
    assert backend.floatx() == "float64"
    inputs = Input(shape=(3,))
    dense = layers.Dense(2)
    out = dense(inputs)
    assert inputs.dtype == torch.float64 and dense.kernel.dtype == torch.float64
    assert ops.convert_to_tensor(1.5).dtype == torch.float64
    assert ops.mean(np.arange(3)).dtype == torch.float64
    model = Model(inputs, out)
    assert model.predict(np.ones((2, 3)), verbose=0).dtype == np.float64


def test_settings_are_shared_with_backend():
    backend.set_epsilon(1e-4)
    assert config.epsilon() == 1e-4
    config.set_image_data_format("channels_first")
    assert backend.image_data_format() == "channels_first"


def test_image_data_format_changes_new_layers_and_ops():
    config.set_image_data_format("channels_first")
    conv = layers.Conv2D(4, 3)
    assert conv.data_format == "channels_first"
    model = Sequential([Input(shape=(2, 8, 8)), conv])
    assert model.output_shape == (None, 4, 6, 6)
    assert tuple(ops.max_pool(np.ones((1, 2, 8, 8), "float32"), 2).shape) == (1, 2, 4, 4)


def test_epsilon_reaches_ops_that_read_it():
    config.set_epsilon(0.5)
    np.testing.assert_allclose(ops.normalize(np.zeros((1, 2), "float32")).numpy(), 0.0)
    clipped = ops.binary_crossentropy(np.ones(1, "float32"), np.zeros(1, "float32"))
    np.testing.assert_allclose(clipped.numpy(), -np.log(0.5), rtol=1e-6)


def test_disable_interactive_logging_sends_progress_to_logging(caplog):
    model = Sequential([Input(shape=(2,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    config.disable_interactive_logging()
    assert not config.is_interactive_logging_enabled()
    out = io.StringIO()
    with caplog.at_level(logging.INFO, logger="plait"), contextlib.redirect_stdout(out):
        model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=1, verbose=1)
    assert "loss" not in out.getvalue()
    assert any("loss" in record.getMessage() for record in caplog.records)
    config.enable_interactive_logging()
    with contextlib.redirect_stdout(out):
        model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=1, verbose=1)
    assert "loss" in out.getvalue()


def test_enable_unsafe_deserialization_loads_lambda(tmp_path):
    inputs = Input(shape=(2,))
    model = Model(inputs, layers.Lambda(lambda t: t * 3)(inputs))
    path = tmp_path / "lambda.plait"
    model.save(path)
    from plait.models import load_model

    with pytest.raises(ValueError, match="safe_mode"):
        load_model(path)
    config.enable_unsafe_deserialization()
    loaded = load_model(path)
    np.testing.assert_allclose(loaded.predict(np.ones((1, 2)), verbose=0), [[3.0, 3.0]])


def test_dtype_policy_is_mixed_precisions():
    config.set_dtype_policy("mixed_bfloat16")
    assert config.dtype_policy().name == "mixed_bfloat16"
    assert mixed_precision.global_policy().name == "mixed_bfloat16"


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda: config.set_floatx("float8"), ValueError, "Unknown floatx type.*'float8'"),
        (lambda: config.set_image_data_format("nhwc"), ValueError, "Received: data_format='nhwc'"),
        (lambda: config.set_epsilon("small"), TypeError, "Received: value='small'"),
        (lambda: config.set_backend("jax"), ValueError, "Received: backend='jax'"),
        (lambda: config.set_dtype_policy("float8"), ValueError, "float8"),
    ],
)
def test_bad_settings_raise(call, error, match):
    with pytest.raises(error, match=match):
        call()
