"""`import plait` is lazy (PEP 562): subpackages load on first use, every public name is
still there, and nothing imports torch._dynamo until something compiles."""

import subprocess
import sys
from pathlib import Path

import torch

import plait
from plait.optimizers import Adam
from plait.utils import compiler

ROOT = Path(__file__).resolve().parents[1]


def _run(code):
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_import_plait_loads_no_subpackage():
    loaded = _run(
        "import sys, plait; print(sorted(m for m in sys.modules if m.startswith('plait')))"
    )
    assert loaded == "['plait']"


def test_every_public_name_resolves_and_is_listed():
    names = dir(plait)
    for name in plait.__all__:
        assert name in names
        assert getattr(plait, name) is not None
    assert plait.Model is plait.models.Model
    assert plait.Sequential is plait.models.Sequential
    assert plait.Input is plait.layers.Input
    assert plait.layers.Dense.__name__ == "Dense"
    for name in ("training", "graph", "plotting", "serialization"):
        assert getattr(plait, name).__name__ == f"plait.{name}"


def test_from_imports_work_in_a_fresh_process():
    out = _run(
        "from plait import Input, Model, Sequential, layers, callbacks, ops\n"
        "import plait\n"
        "i = Input(shape=(3,)); m = Model(i, plait.layers.Dense(2)(i)); print(m.count_params())"
    )
    assert out == "8"


def test_unknown_attribute_raises_attribute_error():
    try:
        plait.no_such_name  # noqa: B018
    except AttributeError as error:
        assert "no_such_name" in str(error)
    else:
        raise AssertionError("plait.no_such_name did not raise")


def test_building_and_training_does_not_import_dynamo():
    loaded = _run(
        "import sys, numpy as np\n"
        "from plait import Input, Model, layers\n"
        "i = Input(shape=(3,)); m = Model(i, layers.Dense(1)(i))\n"
        "m.compile(optimizer='adam', loss='mse')\n"
        "m.fit(np.zeros((4, 3), 'float32'), np.zeros((4, 1), 'float32'), verbose=0)\n"
        "print('torch._dynamo' in sys.modules)"
    )
    assert loaded == "False"


def test_lazy_disable_is_honoured_by_torch_compile():
    assert getattr(Adam.step, "_torchdynamo_disable", False)

    def make():
        torch.manual_seed(0)
        module = torch.nn.Linear(4, 1)
        optimizer = Adam(learning_rate=0.1)
        optimizer.build(list(module.parameters()))
        return module, optimizer

    x = torch.randn(8, 4)

    def step(module, optimizer):
        module(x).square().mean().backward()
        optimizer.step()
        optimizer.zero_grad()

    eager, compiled = make(), make()
    compiled_step = torch.compile(step, backend="eager")
    for _ in range(3):
        step(*eager)
        compiled_step(*compiled)
    torch.testing.assert_close(eager[0].weight, compiled[0].weight)
    assert int(compiled[1].iterations) == 3


def test_disable_calls_through():
    calls = []

    @compiler.disable
    def record(value):
        calls.append(value)
        return value * 2

    assert record(3) == 6 and calls == [3]


def test_lookups_by_class_name_load_the_registered_classes():
    out = _run(
        "import plait\n"
        "print(plait.utils.get_registered_object('Dense').__name__, "
        "type(plait.utils.deserialize_keras_object({'class_name': 'Dense', "
        "'config': {'units': 2}})).__name__)"
    )
    assert out == "Dense Dense"
