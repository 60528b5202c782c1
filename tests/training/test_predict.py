"""predict and predict_on_batch over any nn.Module and every kind of data."""

import numpy as np
import pytest
import torch
from torch import nn

from plait import training
from plait.callbacks import Callback


class TwoInTwoOut(nn.Module):
    """forward(a, b) -> {"sum": ..., "prod": ...}: a plain module with two of each."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 2)
        self.b = nn.Linear(3, 2)

    def forward(self, a, b):
        return {"sum": self.a(a) + self.b(b), "prod": self.a(a) * self.b(b)}


class Structured(nn.Module):
    """Looks like a plait Model: takes a list or dict, declares names and shapes."""

    input_names = ["left", "right"]
    output_names = ["out_1", "out_2"]
    _input_structure = "list"
    _output_structure = "list"
    _input_shapes = [(None, 4), (None, 3)]

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 1)
        self.b = nn.Linear(3, 1)
        self.seen_training = []

    def forward(self, inputs):
        self.seen_training.append(self.training)
        left, right = inputs
        return [self.a(left), self.b(right) + self.a(left)]


def expected_linear(model, x):
    with torch.no_grad():
        return model(torch.as_tensor(x, dtype=torch.float32)).numpy()


def test_numpy_input_gives_numpy_output_batch_by_batch():
    model = nn.Linear(4, 3)
    x = np.random.rand(70, 4)  # float64 is cast to the model's float32
    out = training.predict(model, x, batch_size=16, verbose=0)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (70, 3)
    np.testing.assert_allclose(out, expected_linear(model, x), atol=1e-6)


def test_tensor_input_and_default_batch_size():
    model = nn.Linear(4, 3)
    x = torch.rand(33, 4)
    calls = []
    model.register_forward_hook(lambda m, i, o: calls.append(i[0].shape[0]))
    out = training.predict(model, x, verbose=0)
    assert calls == [32, 1]
    np.testing.assert_allclose(out, expected_linear(model, x), atol=1e-6)


def test_several_inputs_and_dict_outputs_of_a_plain_module():
    model = TwoInTwoOut()
    a, b = np.random.rand(10, 4), np.random.rand(10, 3)
    out = training.predict(model, [a, b], batch_size=4, verbose=0)
    assert set(out) == {"sum", "prod"} and out["sum"].shape == (10, 2)
    by_name = training.predict(model, {"a": a, "b": b}, verbose=0)
    np.testing.assert_allclose(by_name["prod"], out["prod"], atol=1e-6)


def test_structured_module_takes_a_list_or_a_dict_and_returns_a_list():
    model = Structured()
    left, right = np.random.rand(8, 4), np.random.rand(8, 3)
    out = training.predict(model, [left, right], verbose=0)
    assert isinstance(out, list) and [o.shape for o in out] == [(8, 1), (8, 1)]
    swapped = training.predict(model, {"right": right, "left": left}, verbose=0)
    np.testing.assert_allclose(swapped[1], out[1], atol=1e-6)


def test_runs_in_eval_mode_under_inference_mode_and_restores_the_mode():
    model = Structured()
    model.train()
    model.b.eval()  # a submodule with its own mode keeps it
    grads = []
    model.a.register_forward_hook(lambda m, i, o: grads.append(torch.is_inference(o)))
    training.predict(model, [np.ones((2, 4)), np.ones((2, 3))], verbose=0)
    assert model.seen_training == [False] and grads == [True, True]
    assert model.training and model.a.training and not model.b.training


def test_dataset_dataloader_and_generator():
    model = nn.Linear(4, 3)
    x = torch.rand(10, 4)
    want = expected_linear(model, x)
    dataset = torch.utils.data.TensorDataset(x)
    np.testing.assert_allclose(
        training.predict(model, dataset, batch_size=3, verbose=0), want, atol=1e-6
    )
    loader = torch.utils.data.DataLoader(dataset, batch_size=4)
    np.testing.assert_allclose(training.predict(model, loader, verbose=0), want, atol=1e-6)
    # A batch's targets are ignored.
    pairs = torch.utils.data.TensorDataset(x, torch.zeros(10))
    np.testing.assert_allclose(training.predict(model, pairs, verbose=0), want, atol=1e-6)

    def batches():
        for start in range(0, 10, 4):
            yield x[start : start + 4].numpy()

    np.testing.assert_allclose(training.predict(model, batches(), verbose=0), want, atol=1e-6)


def test_steps_limits_the_batches():
    model = nn.Linear(4, 3)
    out = training.predict(model, np.ones((10, 4)), batch_size=3, steps=2, verbose=0)
    assert out.shape == (6, 3)
    out = training.predict(model, np.ones((10, 4)), batch_size=3, steps=9, verbose=0)
    assert out.shape == (10, 3)


def test_shape_mismatch_names_the_input_and_both_shapes():
    model = Structured()
    with pytest.raises(
        ValueError,
        match=r"Input 'right' .* expects data of shape \(None, 3\), "
        r"but `x` gives shape \(5, 7\)",
    ):
        training.predict(model, [np.ones((5, 4)), np.ones((5, 7))], verbose=0)
    loader = torch.utils.data.DataLoader([((torch.ones(4), torch.ones(2)),)] * 3, batch_size=2)
    with pytest.raises(ValueError, match=r"Input 'right' .* \(None, 3\).*\(2, 2\)"):
        training.predict(model, loader, verbose=0)


def test_wrong_number_of_inputs_or_unknown_keys_name_the_inputs():
    model = Structured()
    with pytest.raises(ValueError, match=r"expects 2 input\(s\) \['left', 'right'\].* list of 1"):
        training.predict(model, [np.ones((5, 4))], verbose=0)
    with pytest.raises(ValueError, match=r"\['rigth'\]. Did you mean 'right'\?"):
        training.predict(model, {"left": np.ones((5, 4)), "rigth": np.ones((5, 3))}, verbose=0)
    with pytest.raises(ValueError, match=r"gives no data for the model input\(s\) \['right'\]"):
        training.predict(model, {"left": np.ones((5, 4))}, verbose=0)
    with pytest.raises(
        ValueError,
        match=r"expects 2 inputs \['left', 'right'\], but `x` is a "
        r"single array",
    ):
        training.predict(model, np.ones((5, 4)), verbose=0)


def test_different_sample_counts_between_inputs_raise():
    with pytest.raises(
        ValueError,
        match=r"same number of samples.*x\['left'\]: 5, "
        r"x\['right'\]: 6",
    ):
        training.predict(Structured(), [np.ones((5, 4)), np.ones((6, 3))], verbose=0)


def test_bad_arguments():
    model = nn.Linear(4, 3)
    with pytest.raises(ValueError, match=r"`x` holds no samples.*Received: x with shape \(0, 4\)"):
        training.predict(model, np.ones((0, 4)), verbose=0)
    with pytest.raises(ValueError, match=r"no batches.*Received: x of type list_iterator"):
        training.predict(model, iter([]), verbose=0)
    with pytest.raises(
        ValueError,
        match=r"`batch_size` must be a positive integer. "
        r"Received: batch_size=0",
    ):
        training.predict(model, np.ones((2, 4)), batch_size=0)
    with pytest.raises(TypeError, match=r"`batch_size` must be a positive integer"):
        training.predict(model, np.ones((2, 4)), batch_size=2.5)
    with pytest.raises(
        ValueError,
        match=r"`verbose` must be 'auto', 0, 1 or 2. "
        r"Received: verbose=3",
    ):
        training.predict(model, np.ones((2, 4)), verbose=3)
    with pytest.raises(TypeError, match=r"Unsupported data type for `x`: str"):
        training.predict(model, "data.csv", verbose=0)
    with pytest.raises(ValueError, match=r"`x` is required"):
        training.predict(model, None, verbose=0)
    with pytest.raises(TypeError, match=r"holds Python objects"):
        training.predict(model, np.array([object()] * 4).reshape(1, 4), verbose=0)


def test_predict_callbacks_see_every_batch():
    events = []

    class Recorder(Callback):
        def on_predict_begin(self, logs=None):
            events.append("begin")

        def on_predict_batch_end(self, batch, logs=None):
            events.append((batch, tuple(logs["outputs"].shape)))

        def on_predict_end(self, logs=None):
            events.append("end")

    training.predict(
        nn.Linear(4, 3), np.ones((5, 4)), batch_size=2, verbose=0, callbacks=[Recorder()]
    )
    assert events == ["begin", (0, (2, 3)), (1, (2, 3)), (2, (1, 3)), "end"]


def test_verbose_prints_a_progress_bar(capsys):
    training.predict(nn.Linear(4, 3), np.ones((5, 4)), batch_size=2, verbose=1)
    assert capsys.readouterr().out.startswith("3/3 [==============================] - ")
    training.predict(nn.Linear(4, 3), np.ones((5, 4)), batch_size=2, verbose=0)
    assert capsys.readouterr().out == ""


def test_one_dimensional_data_gets_a_feature_axis_when_the_model_wants_one():
    class Scalar(nn.Module):
        _input_structure = "single"
        input_names = ["x"]
        _input_shapes = [(None, 1)]

        def __init__(self):
            super().__init__()
            self.dense = nn.Linear(1, 1)

        def forward(self, x):
            return self.dense(x)

    assert training.predict(Scalar(), np.arange(5.0), verbose=0).shape == (5, 1)


def test_predict_on_batch():
    model = TwoInTwoOut()
    a, b = np.random.rand(3, 4), np.random.rand(3, 3)
    out = training.predict_on_batch(model, [a, b])
    full = training.predict(model, [a, b], verbose=0)
    np.testing.assert_allclose(out["sum"], full["sum"], atol=1e-6)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_batches_move_to_the_module_device():
    model = nn.Linear(4, 3).cuda()
    out = training.predict(model, np.random.rand(40, 4), verbose=0)
    assert isinstance(out, np.ndarray) and out.shape == (40, 3)


def test_predict_batch_hooks_of_lambda_callbacks_run():
    from plait.callbacks import LambdaCallback

    seen = []
    hook = LambdaCallback(on_predict_batch_begin=lambda batch, logs: seen.append(batch))
    training.predict(nn.Linear(4, 3), np.ones((5, 4)), batch_size=2, verbose=0, callbacks=[hook])
    assert seen == [0, 1, 2]
