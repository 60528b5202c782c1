"""Each tutorial model computes what the same model written by hand in torch.nn computes,
given the same weights (copied through Keras's get_weights layout)."""

import numpy as np
import pytest
import torch
from torch import nn

from tests.models import tutorial_models as tm


def linear_from(layer):
    kernel, bias = layer.get_weights()
    ref = nn.Linear(*kernel.shape)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(kernel.T))
        ref.bias.copy_(torch.from_numpy(bias))
    return ref


def conv_from(layer):
    kernel, bias = layer.get_weights()
    kh, kw, cin, cout = kernel.shape
    ref = nn.Conv2d(cin, cout, (kh, kw))
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(kernel.transpose(3, 2, 0, 1)))
        ref.bias.copy_(torch.from_numpy(bias))
    return ref


def lstm_from(layer):
    kernel, recurrent, bias = layer.get_weights()
    ref = nn.LSTM(kernel.shape[0], recurrent.shape[0], batch_first=True)
    with torch.no_grad():
        ref.weight_ih_l0.copy_(torch.from_numpy(kernel.T))
        ref.weight_hh_l0.copy_(torch.from_numpy(recurrent.T))
        ref.bias_ih_l0.copy_(torch.from_numpy(bias))
        ref.bias_hh_l0.zero_()
    return ref


class Tower(nn.Module):
    """conv-relu-pool twice on NHWC input, flattened in Keras's (h, w, c) order."""

    def __init__(self, conv1, conv2=None):
        super().__init__()
        self.conv1, self.conv2 = conv1, conv2

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x.permute(0, 3, 1, 2))), 2)
        if self.conv2 is not None:
            x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        return x.permute(0, 2, 3, 1).flatten(1)


def reference(name, model):
    get = model.get_layer
    if name == "mlp":
        d = [linear_from(get(f"dense_{i}")) for i in range(1, 5)]
        return lambda x: torch.sigmoid(
            d[3](torch.relu(d[2](torch.relu(d[1](torch.relu(d[0](x)))))))
        )
    if name == "cnn":
        tower = Tower(conv_from(get("conv2d_1")), conv_from(get("conv2d_2")))
        d1, d2 = linear_from(get("dense_1")), linear_from(get("dense_2"))
        return lambda x: torch.sigmoid(d2(torch.relu(d1(tower(x)))))
    if name == "rnn":
        lstm = lstm_from(get("lstm_1"))
        d1, d2 = linear_from(get("dense_1")), linear_from(get("dense_2"))
        return lambda x: torch.sigmoid(d2(torch.relu(d1(lstm(x)[1][0][0]))))
    if name == "shared_input":
        t1, t2 = Tower(conv_from(get("conv2d_1"))), Tower(conv_from(get("conv2d_2")))
        d1, d2 = linear_from(get("dense_1")), linear_from(get("dense_2"))
        return lambda x: torch.sigmoid(d2(torch.relu(d1(torch.cat([t1(x), t2(x)], 1)))))
    if name == "shared_feature":
        lstm = lstm_from(get("lstm_1"))
        d = {i: linear_from(get(f"dense_{i}")) for i in range(1, 6)}

        def run(x):
            h = lstm(x)[1][0][0]
            deep = torch.relu(d[4](torch.relu(d[3](torch.relu(d[2](h))))))
            return torch.sigmoid(d[5](torch.cat([torch.relu(d[1](h)), deep], 1)))

        return run
    if name == "multiple_inputs":
        t1 = Tower(conv_from(get("conv2d_1")), conv_from(get("conv2d_2")))
        t2 = Tower(conv_from(get("conv2d_3")), conv_from(get("conv2d_4")))
        d = {i: linear_from(get(f"dense_{i}")) for i in range(1, 4)}
        return lambda xs: torch.sigmoid(
            d[3](torch.relu(d[2](torch.relu(d[1](torch.cat([t1(xs[0]), t2(xs[1])], 1))))))
        )
    if name == "multiple_outputs":
        l1, l2 = lstm_from(get("lstm_1")), lstm_from(get("lstm_2"))
        d1, d2 = linear_from(get("dense_1")), linear_from(get("dense_2"))
        td = linear_from(get("time_distributed_1").layer)

        def run(x):
            seq = l1(x)[0]
            return [torch.sigmoid(d2(torch.relu(d1(l2(seq)[1][0][0])))), td(seq)]

        return run
    raise KeyError(name)


def inputs_for(model, batch=4):
    shapes = model._input_shapes
    data = [torch.randn((batch,) + tuple(s[1:])) for s in shapes]
    return data if len(data) > 1 else data[0]


@pytest.mark.parametrize("build", tm.ALL, ids=[f.__name__ for f in tm.ALL])
def test_model_equals_hand_written_torch(build):
    model = build()
    x = inputs_for(model)
    with torch.no_grad():
        got, want = model(x), reference(build.__name__, model)(x)
    for g, w in zip(
        got if isinstance(got, list) else [got], want if isinstance(want, list) else [want]
    ):
        torch.testing.assert_close(g, w, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("build", tm.ALL, ids=[f.__name__ for f in tm.ALL])
def test_weights_round_trip_between_two_instances(build):
    first, second = build(), build()
    second.set_weights(first.get_weights())
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)
    x = inputs_for(first)
    with torch.no_grad():
        a, b = first(x), second(x)
    for u, v in zip(a if isinstance(a, list) else [a], b if isinstance(b, list) else [b]):
        torch.testing.assert_close(u, v)


@pytest.mark.parametrize("build", tm.ALL, ids=[f.__name__ for f in tm.ALL])
def test_torch_compile_runs_the_generated_forward(build):
    model = build()
    x = inputs_for(model, batch=2)
    compiled = torch.compile(model, backend="eager", fullgraph=True)
    with torch.no_grad():
        a, b = model(x), compiled(x)
    for u, v in zip(a if isinstance(a, list) else [a], b if isinstance(b, list) else [b]):
        torch.testing.assert_close(u, v)


@pytest.mark.parametrize("build", tm.ALL, ids=[f.__name__ for f in tm.ALL])
def test_predict_on_numpy_equals_hand_written_torch(build):
    model = build()
    x = inputs_for(model, batch=37)  # not a multiple of the batch size
    numpy_x = [t.numpy() for t in x] if isinstance(x, list) else x.numpy()
    got = model.predict(numpy_x, batch_size=16, verbose=0)
    with torch.no_grad():
        want = reference(build.__name__, model)(x)
    got, want = (got, want) if isinstance(want, list) else ([got], [want])
    for g, w in zip(got, want):
        assert isinstance(g, np.ndarray)
        np.testing.assert_allclose(g, w.numpy(), atol=1e-5, rtol=1e-4)


def test_predict_names_the_input_whose_shape_is_wrong():
    model = tm.multiple_inputs()
    with pytest.raises(ValueError, match=r"Input 'input_2'.*\(None, 32, 32, 3\).*\(5, 32, 32\)"):
        model.predict([np.zeros((5, 64, 64, 1)), np.zeros((5, 32, 32))], verbose=0)
