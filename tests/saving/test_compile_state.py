"""A saved compiled model keeps its compile settings and optimizer state: fit continues
exactly where it stopped."""

import json
import zipfile

import numpy as np
import pytest
import torch

from plait import losses, metrics, optimizers
from plait.models import load_model
from plait.optimizers import schedules
from plait.saving import register_serializable
from tests.saving import models as M


def data(model, n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = [rng.standard_normal((n,) + tuple(s[1:])).astype("float32") for s in model._input_shapes]
    y = [(rng.random((n,) + tuple(t.shape[1:])) > 0.5).astype("float32") for t in model.outputs]
    return (x if len(x) > 1 else x[0]), (y if len(y) > 1 else y[0])


def fit_and_weights(model, x, y, epochs):
    model.fit(x, y, epochs=epochs, batch_size=16, verbose=0, shuffle=True)
    return model.get_weights()


# compile() arguments, made anew for each model (an optimizer object belongs to one model).
COMPILE_ARGS = {
    "mlp-adam": (
        M.TUTORIAL[0],
        lambda: dict(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"]),
    ),
    "mlp-sgd-momentum": (
        M.TUTORIAL[0],
        lambda: dict(
            optimizer=optimizers.SGD(learning_rate=0.05, momentum=0.9),
            loss="binary_crossentropy",
            metrics=["accuracy"],
        ),
    ),
    "siamese-rmsprop": (
        M.nested_and_shared,
        lambda: dict(
            optimizer=optimizers.RMSprop(learning_rate=0.01, clipnorm=1.0),
            loss=["binary_crossentropy", "mse"],
            loss_weights=[1.0, 0.5],
            metrics=[["accuracy"], [metrics.MeanAbsoluteError()]],
        ),
    ),
    "dict-sgd-schedule": (
        M.dict_io,
        lambda: dict(
            optimizer=optimizers.SGD(
                learning_rate=schedules.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5),
                momentum=0.9,
                nesterov=True,
            ),
            loss={"score": losses.MeanSquaredError(), "code": "mae"},
        ),
    ),
}


@pytest.mark.parametrize("case", list(COMPILE_ARGS))
def test_fit_continued_after_load_equals_fit_never_stopped(case, tmp_path):
    build, compile_args = COMPILE_ARGS[case]
    M.reset()
    torch.manual_seed(1)
    straight = build()
    straight.compile(**compile_args())
    x, y = data(straight)
    torch.manual_seed(2)
    expected = fit_and_weights(straight, x, y, epochs=4)

    M.reset()
    torch.manual_seed(1)
    first = build()
    first.compile(**compile_args())
    torch.manual_seed(2)
    fit_and_weights(first, x, y, epochs=2)
    first.save(tmp_path / "m.plait")
    resumed = load_model(tmp_path / "m.plait")
    got = fit_and_weights(resumed, x, y, epochs=2)

    for a, b in zip(expected, got):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert (
        resumed._compile_state.optimizer.iterations == straight._compile_state.optimizer.iterations
    )


@pytest.mark.parametrize("optimizer", ["adam", "sgd-momentum"])
def test_a_fresh_optimizer_would_not_continue_the_fit(optimizer, tmp_path):
    """The test above can fail: resuming with the optimizer's state lost (compile=False,
    then compile() anew) ends elsewhere than the unbroken fit."""
    build, compile_args = COMPILE_ARGS[f"mlp-{optimizer}"]
    M.reset()
    torch.manual_seed(1)
    model = build()
    model.compile(**compile_args())
    x, y = data(model)
    torch.manual_seed(2)
    fit_and_weights(model, x, y, epochs=2)
    model.save(tmp_path / "m.plait")
    state = torch.get_rng_state()
    expected = fit_and_weights(model, x, y, epochs=2)
    torch.set_rng_state(state)
    fresh = load_model(tmp_path / "m.plait", compile=False)
    fresh.compile(**compile_args())
    got = fit_and_weights(fresh, x, y, epochs=2)
    assert not all(np.allclose(a, b, rtol=1e-6, atol=1e-7) for a, b in zip(expected, got))


def test_compile_settings_are_in_the_config(tmp_path):
    model = M.TUTORIAL[0]()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.save(tmp_path / "m.plait")
    with zipfile.ZipFile(tmp_path / "m.plait") as archive:
        config = json.loads(archive.read("config.json"))["compile_config"]
        assert "optimizer.safetensors" in archive.namelist()
    assert config["optimizer"]["class_name"] == "Adam"
    assert config["loss"] == "binary_crossentropy" and config["metrics"] == ["accuracy"]
    loaded = load_model(tmp_path / "m.plait")
    assert (
        loaded._compile_state.optimizer.get_config() == model._compile_state.optimizer.get_config()
    )


def test_compile_false_and_include_optimizer_false(tmp_path):
    model = M.TUTORIAL[0]()
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / "m.plait")
    assert getattr(load_model(tmp_path / "m.plait", compile=False), "_compile_state", None) is None
    model.save(tmp_path / "n.plait", include_optimizer=False)
    with zipfile.ZipFile(tmp_path / "n.plait") as archive:
        assert "optimizer.safetensors" not in archive.namelist()
        assert json.loads(archive.read("config.json"))["compile_config"] is None


def my_loss(y_true, y_pred):
    return ((y_true - y_pred) ** 2).mean(dim=-1)


def test_custom_loss_needs_custom_objects(tmp_path):
    model = M.TUTORIAL[0]()
    model.compile(optimizer="sgd", loss=my_loss)
    model.save(tmp_path / "m.plait")
    with pytest.warns(UserWarning, match="compile\\(\\) settings cannot be restored.*my_loss"):
        loaded = load_model(tmp_path / "m.plait")
    assert getattr(loaded, "_compile_state", None) is None
    loaded = load_model(tmp_path / "m.plait", custom_objects={"my_loss": my_loss})
    assert loaded._compile_state.output_losses[0].fn is my_loss


@register_serializable(package="compile_state_test")
def registered_loss(y_true, y_pred):
    return torch.square(y_true - y_pred).mean(dim=-1)


def test_registered_loss_and_metric_functions_load_without_custom_objects(tmp_path):
    # Keras's way for a custom function: @register_serializable(), saved as "package>name"
    model = M.TUTORIAL[0]()
    model.compile(
        optimizer="sgd",
        loss=registered_loss,
        metrics=[registered_loss, metrics.MeanMetricWrapper(registered_loss)],
    )
    model.save(tmp_path / "m.plait")
    with zipfile.ZipFile(tmp_path / "m.plait") as archive:
        saved = json.loads(archive.read("config.json"))["compile_config"]
    assert saved["loss"] == "compile_state_test>registered_loss"
    loaded = load_model(tmp_path / "m.plait")
    state = loaded._compile_state
    assert state.output_losses[0].fn is registered_loss
    x, y = data(loaded, n=16)
    history = loaded.fit(x, y, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "registered_loss", "mean_metric_wrapper"}
    wrapper = losses.LossFunctionWrapper(registered_loss)
    assert losses.deserialize(losses.serialize(wrapper)).fn is registered_loss


def test_damaged_optimizer_state_is_a_clear_error(tmp_path):
    model = M.TUTORIAL[0]()
    model.compile(optimizer="adam", loss="mse")
    model.fit(*data(model, n=16), epochs=1, verbose=0)
    model.save(tmp_path / "m.plait")
    with zipfile.ZipFile(tmp_path / "m.plait") as archive:
        contents = {i.filename: archive.read(i) for i in archive.infolist()}
    contents["optimizer.safetensors"] = contents["model.safetensors"]
    with zipfile.ZipFile(tmp_path / "m.plait", "w") as archive:
        for name, value in contents.items():
            archive.writestr(name, value)
    with pytest.raises(ValueError, match="optimizer state.*compile=False"):
        load_model(tmp_path / "m.plait")
