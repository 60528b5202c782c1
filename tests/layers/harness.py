"""`run_layer_test`: the contract every layer keeps, checked the same way for all of them.

- called on a symbolic input, the output shape equals the shape of a concrete call;
- get_config -> from_config -> same config, and the rebuilt layer computes the same;
- get_weights -> set_weights round-trips, in Keras's order and layout;
- `state_dict` keys are the PyTorch parameter names and load back;
- torch.compile gives the same result (when `compile=True`; slow, so opt-in).
"""

import json

import numpy as np
import torch

from plait import serialization
from plait.graph.tensor import SymbolicTensor
from plait.layers import Input
from plait.utils import nest


def _concrete(shape, batch, dtype, generator):
    full = tuple(batch if d is None else d for d in shape)
    if dtype.is_floating_point:
        return torch.randn(full, generator=generator, dtype=dtype)
    return torch.randint(0, 5, full, generator=generator, dtype=dtype)


def run_layer_test(
    layer_cls,
    init_kwargs,
    input_shape,
    expected_output_shape=None,
    input_dtype=torch.float32,
    expected_num_weights=None,
    call_kwargs=None,
    batch=3,
    compile=False,
    atol=1e-5,
):
    """Build `layer_cls(**init_kwargs)` on Input(shape=input_shape) (a tuple, or a list of
    tuples for several inputs), check the contract, and return the layer."""
    call_kwargs = call_kwargs or {}
    many = isinstance(input_shape, list)
    shapes = input_shape if many else [input_shape]
    symbolic = [Input(shape=s, dtype=input_dtype) for s in shapes]
    layer = layer_cls(**init_kwargs)
    out = layer(symbolic if many else symbolic[0], **call_kwargs)
    sym_shapes = [t.shape for t in nest.flatten(out)]
    assert all(isinstance(t, SymbolicTensor) for t in nest.flatten(out))
    if expected_output_shape is not None:
        expected = (
            expected_output_shape
            if isinstance(expected_output_shape, list)
            else [expected_output_shape]
        )
        assert sym_shapes == [tuple(e) for e in expected], (sym_shapes, expected)

    gen = torch.Generator().manual_seed(1)
    data = [_concrete(s.shape, batch, input_dtype, gen) for s in symbolic]
    concrete_in = data if many else data[0]
    with torch.no_grad():
        result = layer(concrete_in, **call_kwargs)
    flat = nest.flatten(result)
    for sym, real in zip(sym_shapes, flat):
        assert len(sym) == real.dim(), (sym, real.shape)
        for s, r in zip(sym, real.shape):
            assert s is None or s == r, (sym, tuple(real.shape))
        assert sym[0] is None

    weights = layer.get_weights()
    if expected_num_weights is not None:
        assert len(weights) == expected_num_weights, len(weights)
    assert len(weights) == len(layer.weights)
    perturbed = [w + 0.5 for w in weights]
    layer.set_weights(perturbed)
    for a, b in zip(layer.get_weights(), perturbed):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)

    config = layer.get_config()
    json.loads(json.dumps(config))  # configs are JSON
    rebuilt = serialization.deserialize(json.loads(json.dumps(serialization.serialize(layer))))
    assert type(rebuilt) is type(layer)
    config_without_name = {k: v for k, v in config.items() if k != "name"}
    rebuilt_config = {k: v for k, v in rebuilt.get_config().items() if k != "name"}
    assert rebuilt_config == config_without_name
    rebuilt(Input(shape=shapes[0]) if not many else [Input(shape=s) for s in shapes], **call_kwargs)
    rebuilt.load_state_dict(layer.state_dict())
    with torch.no_grad():
        again = rebuilt(concrete_in, **call_kwargs)
        first = layer(concrete_in, **call_kwargs)
    for a, b in zip(nest.flatten(first), nest.flatten(again)):
        torch.testing.assert_close(a, b, atol=atol, rtol=1e-5)

    if compile:
        compiled = torch.compile(layer)
        with torch.no_grad():
            for a, b in zip(
                nest.flatten(compiled(concrete_in, **call_kwargs)), nest.flatten(first)
            ):
                torch.testing.assert_close(a, b, atol=atol, rtol=1e-4)
    return layer
