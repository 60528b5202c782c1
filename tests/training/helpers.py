"""Small hand-made modules for the training tests (no plait layers needed)."""

import io

import torch
from torch import nn


class TTY(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self):
        return True


class Clock:
    """A fake clock that moves `tick` seconds each time it is read."""

    def __init__(self, tick=0.002):
        self.t = 1000.0
        self.tick = tick

    def __call__(self):
        self.t += self.tick
        return self.t


class Recorder(nn.Module):
    """A linear layer that records the mode it ran in and the batches it saw.

    It declares its output like a plait Model, so fit never needs to probe it."""

    output_names = ["output"]
    _output_structure = "single"

    def __init__(self, n_in=4, n_out=1):
        super().__init__()
        self._output_shapes = [(None, n_out)]
        self.dense = nn.Linear(n_in, n_out)
        self.modes = []
        self.batches = []

    def forward(self, x):
        self.modes.append(self.training)
        self.batches.append(x.detach().clone())
        return self.dense(x)


class TwoHeads(nn.Module):
    """Declares its outputs like a plait Model: one input, two named outputs."""

    input_names = ["features"]
    output_names = ["score", "label"]
    _input_structure = "single"
    _output_structure = "list"
    _input_shapes = [(None, 4)]
    _output_shapes = [(None, 1), (None, 3)]

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 8)
        self.score = nn.Linear(8, 1)
        self.label = nn.Linear(8, 3)

    def forward(self, x):
        h = torch.relu(self.body(x))
        return [self.score(h), torch.softmax(self.label(h), dim=-1)]


class DictHeads(nn.Module):
    """A plain module returning a dict: its keys become the output names."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 1)
        self.b = nn.Linear(4, 2)

    def forward(self, x):
        return {"price": self.a(x), "kind": torch.softmax(self.b(x), dim=-1)}


def state_copy(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def assert_same_state(a, b, atol=0.0):
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(
            a[key],
            b[key],
            atol=atol,
            rtol=0 if atol == 0 else 1e-5,
            msg=lambda m, key=key: f"{key}: {m}",
        )


class KerasAdam(torch.optim.Optimizer):
    """Keras's Adam written out as a torch.optim optimizer, for hand-written loops: epsilon
    added to the uncorrected `sqrt(v)` (torch.optim.Adam adds it after the correction)."""

    def __init__(self, params, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(params, {"lr": lr, "beta_1": beta_1, "beta_2": beta_2, "epsilon": epsilon})
        self.t = 0

    @torch.no_grad()
    def step(self, closure=None):
        self.t += 1
        for group in self.param_groups:
            b1, b2 = group["beta_1"], group["beta_2"]
            alpha = group["lr"] * (1 - b2**self.t) ** 0.5 / (1 - b1**self.t)
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["m"], state["v"] = torch.zeros_like(p), torch.zeros_like(p)
                state["m"].mul_(b1).add_(p.grad, alpha=1 - b1)
                state["v"].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                p.sub_(alpha * state["m"] / (state["v"].sqrt() + group["epsilon"]))
