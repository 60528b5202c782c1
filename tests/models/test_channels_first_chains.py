"""A model's direct forward runs chains of channels-last convolutions and poolings on one
channels-first view (plait/models/codegen.py). It must compute exactly what the layers'
own `forward`s compute (the readable forward, which runs while a hook is registered),
forward and backward, and permute only where the layout changes."""

import linecache

import pytest
import torch

import plait
from plait import Input, Model, layers


def _direct_source(model):
    return "".join(linecache.getlines(model._direct_forward.__code__.co_filename))


def _conv_chain():
    x = Input((12, 12, 3))
    y = layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    y = layers.MaxPooling2D(padding="same")(y)
    y = layers.Conv2D(5, 2, strides=2)(y)
    y = layers.AveragePooling2D(pool_size=1)(y)
    return Model(x, layers.Dense(2)(layers.Flatten()(y))), (2, 12, 12, 3), 2


def _shared_and_branching():
    # one conv feeds a pooling and the model's output; a shared conv takes two tensors
    x = Input((10, 10, 2))
    first = layers.Conv2D(3, 3, padding="same")(x)
    shared = layers.Conv2D(3, 1)
    pooled = layers.MaxPooling2D()(shared(first))
    again = shared(layers.AveragePooling2D()(first))
    return Model(x, [first, layers.add([pooled, again])]), (2, 10, 10, 2), 4


def _rank_1_and_3():
    a, b = Input((16, 3)), Input((6, 6, 6, 2))
    s = layers.MaxPooling1D(padding="same")(layers.Conv1D(4, 3, padding="causal")(a))
    s = layers.SeparableConv1D(3, 2, padding="same")(s)
    v = layers.AveragePooling3D()(layers.Conv3D(2, 3, padding="same")(b))
    out = layers.concatenate([layers.Flatten()(s), layers.Flatten()(v)])
    return Model([a, b], out), [(2, 16, 3), (2, 6, 6, 6, 2)], 4


def _other_convolutions():
    x = Input((9, 9, 4))
    y = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")(x)
    y = layers.Conv2DTranspose(3, 3, strides=2, padding="same")(y)
    y = layers.SeparableConv2D(2, 3)(y)
    y = layers.Conv2D(2, 1, data_format="channels_first")(y)  # already channels first
    return Model(x, y), (2, 9, 9, 4), 2


CASES = {
    "conv_chain": _conv_chain,
    "shared_and_branching": _shared_and_branching,
    "rank_1_and_3": _rank_1_and_3,
    "other_convolutions": _other_convolutions,
}


def _inputs(shape):
    torch.manual_seed(1)
    if isinstance(shape, list):
        return [torch.randn(s, requires_grad=True) for s in shape]
    return torch.randn(shape, requires_grad=True)


def _run(model, x, hooked):
    handle = None
    if hooked:  # a hook anywhere makes the model run its readable forward
        handle = model.layers[-1].register_forward_hook(lambda module, args, out: None)
    try:
        out = model(x)
    finally:
        if handle is not None:
            handle.remove()
    outs = out if isinstance(out, list) else [out]
    grads = torch.autograd.grad(
        sum((o * torch.arange(o.numel()).reshape(o.shape)).sum() for o in outs),
        [*(x if isinstance(x, list) else [x]), *model.parameters()],
    )
    return [o.detach() for o in outs], grads


@pytest.mark.parametrize("name", CASES)
def test_direct_forward_equals_the_layers_own_forwards(name):
    model, shape, _ = CASES[name]()
    model.train()
    x = _inputs(shape)
    direct, direct_grads = _run(model, x, hooked=False)
    readable, readable_grads = _run(model, x, hooked=True)
    for a, b in zip(direct, readable):
        assert a.shape == b.shape
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    for a, b in zip(direct_grads, readable_grads):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", CASES)
def test_direct_forward_permutes_only_where_the_layout_changes(name):
    model, _, permutes = CASES[name]()
    source = _direct_source(model)
    assert source.count(".permute(") == permutes, source
    assert ".forward_channels_first(" in source
    assert "permute" not in model.code  # the readable forward calls the layers as written


def test_a_subclass_that_overrides_call_runs_its_call_in_a_chain():
    class Negated(layers.Conv2D):
        def call(self, inputs):
            return -super().call(inputs)

    x = Input((6, 6, 1))
    conv = Negated(2, 3, kernel_initializer="ones", bias_initializer="zeros")
    model = Model(x, layers.MaxPooling2D()(conv(x)))
    assert conv.channels_first_rank() is None
    assert "self.negated_1.forward(" in _direct_source(model)
    assert model(torch.ones(1, 6, 6, 1)).flatten().tolist() == [-9.0] * 8


def test_a_failing_layer_in_a_chain_is_named():
    x = Input((8, 8, 3))
    model = Model(x, layers.Conv2D(2, 3, name="second")(layers.Conv2D(4, 3, name="first")(x)))
    with torch.no_grad():
        model.get_layer("second").weight.data = torch.ones(2, 5, 3, 3)  # a wrong kernel
    with pytest.raises(RuntimeError) as info:
        model(torch.ones(1, 8, 8, 3))
    assert "in layer 'second' (Conv2D)" in "\n".join(info.value.__notes__)


def test_fit_through_a_chain_ends_where_the_layers_own_forwards_end():
    def build():
        plait.utils.set_random_seed(3)
        model, _, _ = _conv_chain()
        model.compile(optimizer="sgd", loss="mse")
        return model

    x = torch.randn(16, 12, 12, 3).numpy()
    y = torch.randn(16, 2).numpy()
    eager = build()
    eager.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    hooked = build()
    hooked.layers[-1].register_forward_hook(lambda module, args, out: None)
    hooked.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(eager.get_weights(), hooked.get_weights()):
        torch.testing.assert_close(torch.as_tensor(a), torch.as_tensor(b), rtol=1e-5, atol=1e-6)
