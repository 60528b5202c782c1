"""plait.optimizers: steps follow Keras's formulas (written out here in numpy; Keras itself is
the oracle in tests/keras_oracle/test_optimizers.py), clipping, decoupled weight decay,
schedules, the learning_rate setter, EMA, gradient accumulation, loss scaling,
state_dict, lookup and configs."""

import json
import math

import numpy as np
import pytest
import torch

from plait import optimizers
from plait.optimizers import schedules


def make_params(seed=0):
    g = torch.Generator().manual_seed(seed)
    return [
        torch.nn.Parameter(torch.randn(4, 3, generator=g)),
        torch.nn.Parameter(torch.randn(3, generator=g)),
    ]


def grads_for(step, params):
    g = torch.Generator().manual_seed(100 + step)
    return [torch.randn(p.shape, generator=g).to(p.dtype) for p in params]


def run_plait(opt, params, steps=5):
    opt.build(params)
    for i in range(steps):
        for p, g in zip(params, grads_for(i, params)):
            p.grad = g.clone()
        opt.step()
        opt.zero_grad()
    return params


def run_torch(opt, params, steps=5):
    for i in range(steps):
        for p, g in zip(params, grads_for(i, params)):
            p.grad = g.clone()
        opt.step()
        opt.zero_grad()
    return params


# --- Keras's update formulas in numpy --------------------------------------------------


def keras_adam(p, grads, lr=0.01, b1=0.9, b2=0.999, eps=1e-7):
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        m += (g - m) * (1 - b1)
        v += (g * g - v) * (1 - b2)
        alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        p = p - m * alpha / (np.sqrt(v) + eps)
    return p


def keras_sgd(p, grads, lr=0.1, momentum=0.9, nesterov=False):
    m = np.zeros_like(p)
    for g in grads:
        m = -g * lr + m * momentum
        p = p + (-g * lr + m * momentum if nesterov else m)
    return p


def keras_rmsprop(p, grads, lr=0.01, rho=0.9, eps=1e-7):
    v = np.zeros_like(p)
    for g in grads:
        v = rho * v + (1 - rho) * g * g
        p = p - lr * g / np.sqrt(v + eps)
    return p


def keras_adagrad(p, grads, lr=0.1, init=0.1, eps=1e-7):
    acc = np.full_like(p, init)
    for g in grads:
        acc += g * g
        p = p - lr * g / np.sqrt(acc + eps)
    return p


def keras_adadelta(p, grads, lr=1.0, rho=0.95, eps=1e-7):
    ag, ad = np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        ag = rho * ag + (1 - rho) * g * g
        delta = -np.sqrt(ad + eps) * g / np.sqrt(ag + eps)
        ad = rho * ad + (1 - rho) * delta * delta
        p = p + lr * delta
    return p


def keras_adamax(p, grads, lr=0.01, b1=0.9, b2=0.999, eps=1e-7):
    m, u = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        m += (g - m) * (1 - b1)
        u = np.maximum(b2 * u, np.abs(g))
        p = p - lr * m / ((1 - b1**t) * (u + eps))
    return p


def keras_nadam(p, grads, lr=0.01, b1=0.9, b2=0.999, eps=1e-7):
    m, v, u_product = np.zeros_like(p), np.zeros_like(p), 1.0
    for t, g in enumerate(grads, 1):
        u_t = b1 * (1 - 0.5 * 0.96**t)
        u_next = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_product = u_product * u_t
        m += (g - m) * (1 - b1)
        v += (g * g - v) * (1 - b2)
        m_hat = u_next * m / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
        p = p - m_hat * lr / (np.sqrt(v / (1 - b2**t)) + eps)
    return p


# Float64 weights; the per-step scalars (bias corrections) are rounded to float32 as
# Keras computes them, hence 1e-6 for the Adam family.
KERAS = [
    ("adam", lambda: optimizers.Adam(0.01), keras_adam, 1e-6),
    ("sgd", lambda: optimizers.SGD(0.1, momentum=0.9), keras_sgd, 1e-12),
    (
        "sgd_nesterov",
        lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
        lambda p, g: keras_sgd(p, g, nesterov=True),
        1e-12,
    ),
    ("rmsprop", lambda: optimizers.RMSprop(0.01), keras_rmsprop, 1e-12),
    ("adagrad", lambda: optimizers.Adagrad(0.1), keras_adagrad, 1e-12),
    ("adadelta", lambda: optimizers.Adadelta(1.0), keras_adadelta, 1e-12),
    ("adamax", lambda: optimizers.Adamax(0.01), keras_adamax, 1e-6),
    ("nadam", lambda: optimizers.Nadam(0.01), keras_nadam, 1e-6),
]


@pytest.mark.parametrize("name,make,formula,atol", KERAS, ids=[c[0] for c in KERAS])
def test_step_matches_keras_formula(name, make, formula, atol):
    params = [p.double() for p in make_params()]
    params = [torch.nn.Parameter(p.detach()) for p in params]
    start = [p.detach().numpy().copy() for p in params]
    run_plait(make(), params, steps=5)
    for i, (p, p0) in enumerate(zip(params, start)):
        expected = formula(p0, [grads_for(s, params)[i].double().numpy() for s in range(5)])
        np.testing.assert_allclose(p.detach().numpy(), expected, atol=atol, rtol=0)


def test_adam_hand_computed_first_step():
    # first Adam step moves each weight by lr * sign(g) (up to epsilon)
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = optimizers.Adam(learning_rate=0.1)
    opt.build([w])
    w.grad = torch.tensor([0.5, -3.0])
    opt.step()
    torch.testing.assert_close(w.detach(), torch.tensor([0.9, -1.9]))


# --- clipping and weight decay ---------------------------------------------------------


def one_step(opt, grads, start=(1.0, 1.0, 1.0)):
    w = torch.nn.Parameter(torch.tensor(start))
    opt.build([w])
    w.grad = torch.tensor(grads)
    opt.step()
    return w.detach()


def test_clipnorm_clips_each_gradient_to_the_norm():
    out = one_step(optimizers.SGD(1.0, clipnorm=1.0), [3.0, 4.0, 0.0])
    torch.testing.assert_close(out, torch.tensor([1 - 0.6, 1 - 0.8, 1.0]))
    unchanged = one_step(optimizers.SGD(1.0, clipnorm=10.0), [3.0, 4.0, 0.0])
    torch.testing.assert_close(unchanged, torch.tensor([-2.0, -3.0, 1.0]))


def test_global_clipnorm_scales_all_gradients_together():
    a, b = torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))
    opt = optimizers.SGD(1.0, global_clipnorm=1.0)
    opt.build([a, b])
    a.grad, b.grad = torch.tensor([3.0]), torch.tensor([4.0])  # global norm 5
    opt.step()
    torch.testing.assert_close(torch.cat([a, b]).detach(), torch.tensor([-0.6, -0.8]))
    per_variable = optimizers.SGD(1.0, clipnorm=1.0)
    c, d = torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))
    per_variable.build([c, d])
    c.grad, d.grad = torch.tensor([3.0]), torch.tensor([4.0])
    per_variable.step()
    torch.testing.assert_close(torch.cat([c, d]).detach(), torch.tensor([-1.0, -1.0]))


def test_clipvalue_clips_each_element():
    out = one_step(optimizers.SGD(1.0, clipvalue=0.5), [3.0, -4.0, 0.25])
    torch.testing.assert_close(out, torch.tensor([0.5, 1.5, 0.75]))


def test_decoupled_weight_decay_as_keras():
    # Keras: p -= p * wd * lr, then the update (not torch's L2 term in the gradient)
    out = one_step(optimizers.SGD(0.1, weight_decay=0.5), [1.0, 0.0, 0.0], (2.0, 2.0, 2.0))
    torch.testing.assert_close(out, torch.tensor([2.0 - 0.1 - 0.1, 1.9, 1.9]))


def test_adamw_decay_equals_adam_with_keras_decay():
    a = run_plait(optimizers.AdamW(0.01, weight_decay=0.1), make_params())
    b = run_plait(optimizers.Adam(0.01, weight_decay=0.1), make_params())
    for x, y in zip(a, b):
        torch.testing.assert_close(x, y)


def test_parameters_without_gradients_are_left_alone():
    w, frozen = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    opt = optimizers.Adam(0.1, weight_decay=0.5, clipnorm=1.0)
    opt.build([w, frozen])
    w.grad = torch.ones(2)
    opt.step()
    assert torch.equal(frozen.detach(), torch.ones(2))


# --- learning rate, schedules and iterations -------------------------------------------


def test_learning_rate_setter_takes_effect():
    opt = optimizers.SGD(1.0)
    w = torch.nn.Parameter(torch.zeros(1))
    opt.build([w])
    opt.learning_rate = 0.25
    assert opt.learning_rate == 0.25 and isinstance(opt.learning_rate, float)
    w.grad = torch.ones(1)
    opt.step()
    assert w.item() == pytest.approx(-0.25)
    opt.learning_rate.assign(0.5)  # Keras's variable API
    assert opt.learning_rate == 0.5 and opt.learning_rate.numpy() == np.float32(0.5)
    assert opt.lr == 0.5  # Keras 2's name


def test_schedule_is_evaluated_at_iterations():
    sched = schedules.PiecewiseConstantDecay([1], [1.0, 0.1])
    opt = optimizers.SGD(sched)
    w = torch.nn.Parameter(torch.zeros(1))
    opt.build([w])
    moves = []
    for _ in range(4):
        before = w.item()
        w.grad = torch.ones(1)
        opt.step()
        moves.append(before - w.item())
    np.testing.assert_allclose(moves, [1.0, 1.0, 0.1, 0.1], rtol=1e-6)
    assert opt.iterations == 4 and isinstance(opt.iterations, int)
    assert opt.iterations.numpy() == 4
    assert opt.learning_rate == pytest.approx(0.1)
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.5


def test_callable_learning_rate():
    value = {"lr": 0.5}
    opt = optimizers.SGD(lambda: value["lr"])
    w = torch.nn.Parameter(torch.zeros(1))
    opt.build([w])
    w.grad = torch.ones(1)
    opt.step()
    value["lr"] = 0.25
    w.grad = torch.ones(1)
    opt.step()
    assert w.item() == pytest.approx(-0.75)


def np_schedule(name, step):
    if name == "exponential":
        return 0.1 * 0.5 ** (step / 10)
    if name == "exponential_staircase":
        return 0.1 * 0.5 ** math.floor(step / 10)
    if name == "piecewise":
        return 1.0 if step <= 10 else 0.5 if step <= 20 else 0.1
    if name == "polynomial":
        return (0.1 - 0.01) * (1 - min(step, 20) / 20) ** 2 + 0.01
    if name == "polynomial_cycle":
        decay = 20 * max(1, math.ceil(step / 20))
        return (0.1 - 0.01) * (1 - step / decay) + 0.01
    if name == "inverse_time":
        return 0.1 / (1 + 0.5 * step / 10)
    if name == "cosine":
        s = min(step, 20)
        return 0.1 * (0.9 * 0.5 * (1 + math.cos(math.pi * s / 20)) + 0.1)
    if name == "cosine_warmup":
        if step < 5:
            return 0.0 + (0.1 - 0.0) * step / 5
        s = min(step, 25) - 5
        return 0.1 * 0.5 * (1 + math.cos(math.pi * s / 20))
    if name == "restarts":  # periods of 10 then 20 steps, peaks 1.0 then 0.5
        if step < 10:
            frac, peak = step / 10, 1.0
        else:
            frac, peak = (step - 10) / 20, 0.5
        return 0.1 * peak * 0.5 * (1 + math.cos(math.pi * frac))


SCHEDULES = {
    "exponential": schedules.ExponentialDecay(0.1, 10, 0.5),
    "exponential_staircase": schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True),
    "piecewise": schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]),
    "polynomial": schedules.PolynomialDecay(0.1, 20, end_learning_rate=0.01, power=2.0),
    "polynomial_cycle": schedules.PolynomialDecay(0.1, 20, end_learning_rate=0.01, cycle=True),
    "inverse_time": schedules.InverseTimeDecay(0.1, 10, 0.5),
    "cosine": schedules.CosineDecay(0.1, 20, alpha=0.1),
    "cosine_warmup": schedules.CosineDecay(0.0, 20, warmup_target=0.1, warmup_steps=5),
    "restarts": schedules.CosineDecayRestarts(0.1, 10, t_mul=2.0, m_mul=0.5),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_values(name):
    schedule = SCHEDULES[name]
    for step in (0, 1, 5, 9, 10, 11, 15, 20, 21, 25, 29):
        value = schedule(step)
        assert isinstance(value, float)
        assert value == pytest.approx(np_schedule(name, step), rel=1e-9, abs=1e-12), step
    config = json.loads(json.dumps(schedules.serialize(schedule)))
    again = schedules.deserialize(config)
    assert type(again) is type(schedule) and again.get_config() == schedule.get_config()


def test_schedule_hand_values():
    assert schedules.ExponentialDecay(1.0, 1, 0.5)(3) == 0.125
    assert schedules.PiecewiseConstantDecay([2], [1.0, 2.0])(2) == 1.0
    assert schedules.CosineDecay(1.0, 10)(5) == pytest.approx(0.5)
    assert schedules.CosineDecayRestarts(1.0, 10, t_mul=1.0)(10) == pytest.approx(1.0)


def test_schedule_errors():
    with pytest.raises(ValueError, match="`decay_steps` must be > 0. Received: decay_steps=0"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="`first_decay_steps` must be > 0"):
        schedules.CosineDecayRestarts(0.1, -1)
    with pytest.raises(ValueError, match="boundaries should be 1 less than the length"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0, 2.0])
    with pytest.raises(ValueError, match="strictly increasing"):
        schedules.PiecewiseConstantDecay([2, 1], [1.0, 2.0, 3.0])
    with pytest.raises(NotImplementedError, match="must override `__call__"):
        schedules.LearningRateSchedule()(0)


# --- state_dict ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: optimizers.Adam(0.01),
        lambda: optimizers.SGD(0.1, momentum=0.9),
        lambda: optimizers.Nadam(0.01),
    ],
    ids=["adam", "sgd", "nadam"],
)
def test_state_dict_round_trip_resumes_exactly(make):
    # 6 steps straight must equal 3 steps, save, a fresh optimizer loaded, 3 more steps
    straight = make_params()
    run_plait(make(), straight, steps=6)

    params = make_params()
    first = make()
    first.build(params)
    for i in range(3):
        for p, g in zip(params, grads_for(i, params)):
            p.grad = g.clone()
        first.step()
    state = first.state_dict()
    assert state["iterations"] == 3
    second = make()
    second.load_state_dict(state)  # before build: kept until build
    second.build(params)
    assert second.iterations == 3
    for i in range(3, 6):
        for p, g in zip(params, grads_for(i, params)):
            p.grad = g.clone()
        second.step()
    for a, b in zip(params, straight):
        assert torch.equal(a, b)


def test_state_dict_keeps_a_changed_learning_rate():
    opt = optimizers.SGD(0.1)
    opt.build(make_params())
    opt.learning_rate = 0.02
    fresh = optimizers.SGD(0.1)
    fresh.build(make_params())
    fresh.load_state_dict(opt.state_dict())
    assert fresh.learning_rate == 0.02


# --- build -----------------------------------------------------------------------------


def test_build_is_idempotent_and_adds_new_parameters():
    params = make_params()
    opt = optimizers.Adam()
    opt.build(params)
    opt.build(params)
    assert len(opt.variables) == 2 + 2 * len(params)
    extra = torch.nn.Parameter(torch.zeros(2))
    opt.build(params + [extra])
    assert len(opt.variables) == 2 + 2 * (len(params) + 1)
    assert opt.variables[-1].shape == (2,)


def test_step_before_build():
    with pytest.raises(ValueError, match=r"call optimizer.build\(model.parameters\(\)\)"):
        optimizers.Adam().step()


def test_build_refuses_non_tensors():
    with pytest.raises(TypeError, match="expects torch Parameters"):
        optimizers.Adam().build([1.0])


def test_apply_gradients():
    w = torch.nn.Parameter(torch.zeros(2))
    opt = optimizers.SGD(0.5)
    opt.apply_gradients([(torch.ones(2), w)])
    torch.testing.assert_close(w.detach(), torch.tensor([-0.5, -0.5]))


def test_custom_optimizer_with_update_step():
    class SignDescent(optimizers.Optimizer):
        def __init__(self, learning_rate=0.1, **kwargs):
            super().__init__(learning_rate, **kwargs)

        def update_step(self, gradient, variable, learning_rate):
            variable.sub_(learning_rate * torch.sign(gradient))

    out = one_step(SignDescent(), [3.0, -0.1, 0.0])
    torch.testing.assert_close(out, torch.tensor([0.9, 1.1, 1.0]))


# --- torch optimizers ------------------------------------------------------------------


def test_torch_optimizer_adapter():
    params = make_params()
    torch_opt = torch.optim.Adam(params, lr=0.01)
    opt = optimizers.get(torch_opt)
    assert isinstance(opt, optimizers.TorchOptimizer) and opt.name == "adam"
    opt.build(params + [torch.nn.Parameter(torch.zeros(1))])
    run_plait(opt, params)
    reference = make_params()
    run_torch(torch.optim.Adam(reference, lr=0.01), reference)
    for a, b in zip(params, reference):
        assert torch.equal(a, b)
    assert opt.iterations == 5
    opt.learning_rate = 0.001
    assert torch_opt.param_groups[0]["lr"] == 0.001 and opt.learning_rate == 0.001
    assert opt.get_config()["torch_class"] == "Adam"


def test_torch_optimizer_of_other_parameters():
    opt = optimizers.get(torch.optim.SGD(make_params(), lr=0.1))
    with pytest.raises(ValueError, match="not the model's"):
        opt.build(make_params())


def test_torch_optimizer_cannot_come_from_config():
    config = optimizers.serialize(optimizers.get(torch.optim.SGD(make_params(), lr=0.1)))
    with pytest.raises(ValueError, match="cannot be rebuilt from a config"):
        optimizers.deserialize(config)


# --- lookup and config -----------------------------------------------------------------


@pytest.mark.parametrize(
    "identifier,cls,defaults",
    [
        (
            "sgd",
            optimizers.SGD,
            {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False, "name": "SGD"},
        ),
        ("SGD", optimizers.SGD, {}),
        (
            "adam",
            optimizers.Adam,
            {
                "learning_rate": 0.001,
                "beta_1": 0.9,
                "beta_2": 0.999,
                "epsilon": 1e-7,
                "amsgrad": False,
                "name": "adam",
            },
        ),
        ("Adam", optimizers.Adam, {}),
        ("adamw", optimizers.AdamW, {"weight_decay": 0.004, "name": "adamw"}),
        (
            "rmsprop",
            optimizers.RMSprop,
            {
                "learning_rate": 0.001,
                "rho": 0.9,
                "momentum": 0.0,
                "epsilon": 1e-7,
                "centered": False,
            },
        ),
        ("adagrad", optimizers.Adagrad, {"initial_accumulator_value": 0.1, "epsilon": 1e-7}),
        ("adadelta", optimizers.Adadelta, {"learning_rate": 0.001, "rho": 0.95}),
        ("adamax", optimizers.Adamax, {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}),
        ("nadam", optimizers.Nadam, {"learning_rate": 0.001, "epsilon": 1e-7}),
    ],
)
def test_get_by_name_with_keras_defaults(identifier, cls, defaults):
    opt = optimizers.get(identifier)
    assert type(opt) is cls
    config = opt.get_config()
    for key, value in defaults.items():
        assert config[key] == value


def test_get_objects_and_configs():
    opt = optimizers.Adam(0.5)
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None
    assert type(optimizers.get(optimizers.RMSprop)) is optimizers.RMSprop
    rebuilt = optimizers.get({"class_name": "sgd", "config": {"learning_rate": 0.3}})
    assert type(rebuilt) is optimizers.SGD and rebuilt.learning_rate == 0.3


@pytest.mark.parametrize(
    "opt",
    [
        optimizers.SGD(0.05, momentum=0.5, nesterov=True, clipnorm=1.0),
        optimizers.Adam(
            schedules.CosineDecay(0.1, 100, warmup_target=0.2, warmup_steps=10),
            amsgrad=True,
            global_clipnorm=2.0,
        ),
        optimizers.AdamW(weight_decay=0.01, clipvalue=0.5),
        optimizers.RMSprop(centered=True, weight_decay=0.1),
        optimizers.Adagrad(0.2),
        optimizers.Adadelta(name="ada"),
        optimizers.Adamax(),
        optimizers.Nadam(schedules.ExponentialDecay(0.1, 10, 0.9)),
    ],
    ids=lambda o: type(o).__name__,
)
def test_config_round_trip(opt):
    config = json.loads(json.dumps(optimizers.serialize(opt)))
    again = optimizers.deserialize(config)
    assert type(again) is type(opt) and again.get_config() == opt.get_config()


def test_get_errors():
    with pytest.raises(ValueError, match="Unknown optimizer: 'adamm'. Did you mean 'adam'?"):
        optimizers.get("adamm")
    with pytest.raises(TypeError, match=r"Pass an instance, e.g. torch.optim.Adam\("):
        optimizers.get(torch.optim.Adam)
    with pytest.raises(TypeError, match="Could not interpret optimizer identifier: 3"):
        optimizers.get(3)


def test_argument_errors():
    with pytest.raises(
        ValueError, match="Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set"
    ):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="`clipnorm` must be > 0. Received: clipnorm=-1"):
        optimizers.SGD(clipnorm=-1)
    with pytest.raises(TypeError, match="Argument `learning_rate` should be a float"):
        optimizers.Adam(learning_rate="fast")
    with pytest.raises(ValueError, match="`learning_rate` must be >= 0"):
        optimizers.Adam(learning_rate=-0.1)
    with pytest.raises(ValueError, match=r"`momentum` must be a float in \[0, 1\]"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match=r"`beta_1` must be a float in \[0, 1\)"):
        optimizers.Adam(beta_1=1.0)
    with pytest.raises(TypeError, match="`weight_decay` must be a float"):
        optimizers.SGD(weight_decay="0.1")
    with pytest.raises(
        ValueError, match="`weight_decay` must be a float. Received: weight_decay=None"
    ):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(TypeError, match="wraps a torch.optim.Optimizer instance"):
        optimizers.TorchOptimizer("adam")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_fused_on_cuda_matches_cpu():
    cpu = make_params()
    run_plait(optimizers.Adam(0.01), cpu)
    gpu = [torch.nn.Parameter(p.detach().cuda()) for p in make_params()]
    opt = optimizers.Adam(0.01)
    opt.build(gpu)
    for i in range(5):
        for p, g in zip(gpu, grads_for(i, cpu)):
            p.grad = g.cuda()
        opt.step()
    for a, b in zip(gpu, cpu):
        torch.testing.assert_close(a.detach().cpu(), b.detach(), rtol=1e-5, atol=1e-6)


# --- Keras 3 options: EMA, accumulation, loss scaling, exclusions ----------------------


def test_fused_adam_equals_the_foreach_rule():
    """Eager Adam on CPU runs torch's fused kernel with Keras's scalars; the foreach rule
    (used inside compiled graphs and on other devices) gives the same weights."""
    fused, loop = make_params(), make_params()
    for amsgrad in (False, True):
        a, b = optimizers.Adam(0.05, amsgrad=amsgrad), optimizers.Adam(0.05, amsgrad=amsgrad)
        a.build(fused)
        b.build(loop)
        for i in range(6):
            grads = grads_for(i, fused)
            a.apply(grads, fused)
            with torch.no_grad():
                b._update_step(
                    loop, grads, b._graph_slots(loop), torch.tensor(0.05), torch.tensor(float(i))
                )
        for x, y in zip(fused, loop):
            torch.testing.assert_close(x, y, rtol=1e-6, atol=1e-7)


def test_ema_follows_the_weights_and_finalize_swaps_them_in():
    w = torch.nn.Parameter(torch.zeros(1))
    opt = optimizers.SGD(1.0, use_ema=True, ema_momentum=0.5)
    for _ in range(3):
        opt.apply([torch.ones(1)], [w])
    # weights -1, -2, -3; average: -1 (first step copies), then -1.5, then -2.25
    assert w.item() == -3.0
    opt.finalize_variable_values([w])
    assert w.item() == pytest.approx(-2.25)


def test_ema_overwrite_frequency():
    w = torch.nn.Parameter(torch.zeros(1))
    opt = optimizers.SGD(1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
    opt.apply([torch.ones(1)], [w])
    assert w.item() == -1.0
    opt.apply([torch.ones(1)], [w])  # w -2, average -1.5, then w = average
    assert w.item() == pytest.approx(-1.5)


def test_gradient_accumulation_updates_every_n_calls_with_the_mean():
    w = torch.nn.Parameter(torch.zeros(1))
    opt = optimizers.SGD(1.0, gradient_accumulation_steps=2)
    opt.apply([torch.tensor([1.0])], [w])
    assert w.item() == 0.0 and opt.iterations == 0
    opt.apply([torch.tensor([3.0])], [w])
    assert w.item() == -2.0 and opt.iterations == 1
    with pytest.raises(ValueError, match="`gradient_accumulation_steps` must be an integer"):
        optimizers.SGD(gradient_accumulation_steps=1)


def test_loss_scale_factor_scales_the_loss_and_unscales_apply():
    w = torch.nn.Parameter(torch.zeros(1))
    opt = optimizers.SGD(1.0, loss_scale_factor=4.0)
    loss = opt.scale_loss((w - 1.0).square().sum())
    (grad,) = torch.autograd.grad(loss, [w])
    opt.apply([grad], [w])
    assert w.item() == pytest.approx(2.0)  # gradient -8 / 4 = -2


def test_loss_scale_optimizer_skips_non_finite_steps():
    w = torch.nn.Parameter(torch.zeros(2))
    opt = optimizers.LossScaleOptimizer(
        optimizers.SGD(1.0), initial_scale=8.0, dynamic_growth_steps=2
    )
    assert float(opt.scale_loss(torch.tensor(1.0))) == 8.0
    opt.apply([torch.tensor([8.0, 8.0])], [w])
    assert w.tolist() == [-1.0, -1.0]
    opt.apply([torch.tensor([float("inf"), 0.0])], [w])
    assert w.tolist() == [-1.0, -1.0] and float(opt.dynamic_scale) == 4.0
    opt.apply([torch.tensor([4.0, 4.0])], [w])
    opt.apply([torch.tensor([4.0, 4.0])], [w])
    assert float(opt.dynamic_scale) == 8.0 and opt.iterations == 3
    again = optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(opt))))
    assert type(again.inner_optimizer) is optimizers.SGD and again.initial_scale == 8.0
    with pytest.raises(ValueError, match="does not support `clipnorm`"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0)


def test_exclude_from_weight_decay():
    kept, decayed = torch.nn.Parameter(torch.ones(1)), torch.nn.Parameter(torch.ones(1))
    named = torch.nn.Parameter(torch.ones(1))
    named.path = "dense/bias"
    opt = optimizers.SGD(0.5, weight_decay=0.2)
    opt.exclude_from_weight_decay(var_list=[kept], var_names=["bias"])
    opt.apply([torch.zeros(1)] * 3, [kept, decayed, named])
    assert (kept.item(), decayed.item(), named.item()) == (1.0, pytest.approx(0.9), 1.0)


def test_apply_errors_and_none_gradients():
    w, v = torch.nn.Parameter(torch.ones(1)), torch.nn.Parameter(torch.ones(1))
    opt = optimizers.SGD(1.0)
    with pytest.raises(ValueError, match="must already be built"):
        opt.apply([torch.ones(1)])
    opt.apply([torch.ones(1), None], [w, v])
    assert (w.item(), v.item()) == (0.0, 1.0)
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply([torch.ones(1)], [torch.nn.Parameter(torch.ones(1))])
    with pytest.raises(ValueError, match="No gradients provided"):
        opt.apply([None], [w])
    assert opt.apply_gradients(zip([torch.ones(1)], [w])) == 2


def test_keras_2_spellings_and_unknown_arguments():
    assert optimizers.Adam(lr=0.5).learning_rate == 0.5
    with pytest.warns(UserWarning, match="`decay` is no longer supported"):
        optimizers.SGD(decay=0.1)
    with pytest.raises(ValueError, match=r"Argument\(s\) not recognized: \{'foo': 1\}"):
        optimizers.RMSprop(foo=1)
    config = optimizers.Adam().get_config()
    config.update(is_legacy_optimizer=False, jit_compile=True)
    assert type(optimizers.Adam.from_config(config)) is optimizers.Adam


def test_set_weights_round_trips_the_variables():
    params = make_params()
    opt = optimizers.Adam(0.01)
    run_plait(opt, params, steps=2)
    values = [v.numpy().copy() for v in opt.variables]
    other = optimizers.Adam(0.01)
    other.build(make_params())
    other.set_weights(values)
    assert other.iterations == 2
    for a, b in zip(other.variables, values):
        np.testing.assert_array_equal(a.numpy(), b)
    with pytest.raises(ValueError, match="has 6 variables"):
        other.set_weights(values[:2])


def test_legacy_optimizers_keep_keras_2_lr_and_time_based_decay():
    from plait.optimizers import legacy

    w = torch.nn.Parameter(torch.zeros(1))
    opt = legacy.SGD(lr=1.0, decay=1.0)  # lr / (1 + decay * t)
    for _ in range(3):
        opt.apply([torch.ones(1)], [w])
    assert w.item() == pytest.approx(-(1 + 1 / 2 + 1 / 3))
    assert isinstance(legacy.Adam(), optimizers.Adam) and legacy.Adam(lr=0.5).learning_rate == 0.5
    config = optimizers.serialize(legacy.RMSprop(0.1, decay=0.01))
    assert type(optimizers.deserialize(config)) is optimizers.RMSprop
