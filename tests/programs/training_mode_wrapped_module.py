import numpy as np
import torch
from plait.models import Sequential
from plait.layers import Dense, Dropout, BatchNormalization


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = Sequential([Dense(8, input_shape=(4,)), BatchNormalization(), Dropout(0.5)])
        self.head = torch.nn.Linear(8, 1)

    def forward(self, x):
        return self.head(self.body(x))


net = Net()  # a plait model inside a torch module trains like any submodule
assert net.body.training
x = torch.randn(16, 4)
net(x).sum().backward()
assert not torch.allclose(net.body.layers[1].moving_mean, torch.zeros(8))
net.eval()
assert torch.equal(net(x), net(x))
plain = Sequential([Dense(2, input_shape=(4,)), Dropout(0.5)])
plain.compile("sgd", "mse")
plain.eval()
plain.fit(np.random.rand(8, 4), np.random.rand(8, 2), verbose=0)
assert plain.training is False  # fit gives the user's mode back
