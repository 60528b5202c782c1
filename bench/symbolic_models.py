"""The benchmark's models in pytorch-symbolic (the closest peer: a functional API over
PyTorch modules), for a third column. Channels-first, like the hand-written modules, and
trained by the same plain loop.

pytorch-symbolic is optional: `available()` says whether it imports. bench/run.py sets
PYTORCH_SYMBOLIC_API_2_ENABLED_BY_DEFAULT=False before importing it, because its default
"API 2" replaces `nn.Module.__call__` for the whole process; the models are therefore built
with its explicit form `tensor(layer, *other_tensors)`.
"""

from torch import nn


def available():
    try:
        import pytorch_symbolic  # noqa: F401
    except ImportError:
        return False
    return True


def build(name):
    """The pytorch-symbolic model for the case `name`, or None if it has none."""
    builder = _BUILDERS.get(name)
    return None if builder is None else builder()


def _ps():
    import pytorch_symbolic

    return pytorch_symbolic


def _dense(x, units, activation=None):
    x = x(nn.Linear(x.shape[-1], units))
    return x if activation is None else x(activation())


def _last_hidden(lstm_out):
    """h[-1] of an LSTM's `(output, (h, c))`."""
    return _item(_item(_item(lstm_out, 1), 0), -1)


def _item(x, index):
    # `x[index]` goes through API 2, which is off: apply the slicing layer explicitly.
    return x(_ps().useful_layers.SliceLayer(index))


def _concat(a, b):
    return a(_ps().useful_layers.ConcatLayer(dim=1), b)


def mlp():
    visible = _ps().Input(shape=(10,))
    x = _dense(visible, 10, nn.ReLU)
    x = _dense(x, 20, nn.ReLU)
    x = _dense(x, 10, nn.ReLU)
    return _ps().SymbolicModel(visible, _dense(x, 1, nn.Sigmoid))


def _tower(x, filters=(32, 16), kernels=(4, 4)):
    for f, k in zip(filters, kernels):
        x = x(nn.Conv2d(x.shape[1], f, k))(nn.ReLU())(nn.MaxPool2d(2))
    return x(nn.Flatten())


def cnn():
    visible = _ps().Input(shape=(1, 64, 64))
    x = _dense(_tower(visible), 10, nn.ReLU)
    return _ps().SymbolicModel(visible, _dense(x, 1, nn.Sigmoid))


def rnn():
    visible = _ps().Input(shape=(100, 1))
    h = _last_hidden(visible(nn.LSTM(1, 10, batch_first=True)))
    return _ps().SymbolicModel(visible, _dense(_dense(h, 10, nn.ReLU), 1, nn.Sigmoid))


def shared_input():
    visible = _ps().Input(shape=(1, 64, 64))
    a = _tower(visible, (32,), (4,))
    b = _tower(visible, (16,), (8,))
    x = _dense(_concat(a, b), 10, nn.ReLU)
    return _ps().SymbolicModel(visible, _dense(x, 1, nn.Sigmoid))


def shared_feature():
    visible = _ps().Input(shape=(100, 1))
    h = _last_hidden(visible(nn.LSTM(1, 10, batch_first=True)))
    shallow = _dense(h, 10, nn.ReLU)
    deep = _dense(_dense(_dense(h, 10, nn.ReLU), 20, nn.ReLU), 10, nn.ReLU)
    return _ps().SymbolicModel(visible, _dense(_concat(shallow, deep), 1, nn.Sigmoid))


def multiple_inputs():
    visible1, visible2 = _ps().Input(shape=(1, 64, 64)), _ps().Input(shape=(3, 32, 32))
    x = _concat(_tower(visible1), _tower(visible2))
    x = _dense(_dense(x, 10, nn.ReLU), 10, nn.ReLU)
    return _ps().SymbolicModel((visible1, visible2), _dense(x, 1, nn.Sigmoid))


def multiple_outputs():
    visible = _ps().Input(shape=(100, 1))
    extract = _item(visible(nn.LSTM(1, 10, batch_first=True)), 0)
    h = _last_hidden(extract(nn.LSTM(10, 10, batch_first=True)))
    output1 = _dense(_dense(h, 10, nn.ReLU), 1, nn.Sigmoid)
    output2 = extract(nn.Linear(10, 1))
    return _ps().SymbolicModel(visible, (output1, output2))


def digits_cnn():
    visible = _ps().Input(shape=(1, 28, 28))
    x = _tower(visible, (32, 64), (3, 3))(nn.Dropout(0.5))
    return _ps().SymbolicModel(visible, _dense(x, 10, lambda: nn.Softmax(dim=-1)))


_BUILDERS = {
    f.__name__: f
    for f in (
        mlp,
        cnn,
        rnn,
        shared_input,
        shared_feature,
        multiple_inputs,
        multiple_outputs,
        digits_cnn,
    )
}
