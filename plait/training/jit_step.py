"""The train step of `jit_compile=True` as one graph: forward, loss, backward and the
optimizer update in one `torch.compile(fullgraph=True)` call.

Two compiled calls per step (the gradients, then `optimizer.step()`, which graph-breaks
inside torch.optim) cost more in dynamo's guards and wrappers than a small model's math
(bench/). Here the update is written out for the optimizers plait names most (SGD, Adam,
AdamW) and applied inside the graph, in place, to the parameters and to the torch
optimizer's own state tensors (`exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`, `step`,
`momentum_buffer`): eager steps, `state_dict()`, saving and loading see the same state as
if `optimizer.step()` had run. The learning rate enters as a 0-d tensor, refilled each step,
so a schedule never recompiles. Anything else (other optimizers, clipping, a raw
`torch.optim` optimizer, data-parallel) keeps the two-graph step (`one_graph_step` gives
None).
"""
import torch
from torch.optim.optimizer import (_get_scalar_dtype, _global_optimizer_post_hooks,
                                   _global_optimizer_pre_hooks)

from plait import optimizers

__all__ = ["one_graph_step"]


def one_graph_step(optimizer, params, forward_backward, backend):
    """The one-graph step for `optimizer`, or None when its update cannot run in the graph.

    Args:
        optimizer: the plait optimizer of the compiled state.
        params: `(name, parameter)` pairs, the names being the keys of the gradients.
        forward_backward: `(xs, ys, sws) -> (grads, result)`, traceable with
            `fullgraph=True`; `grads` maps the names of `params` to their gradients.
        backend: the torch.compile backend.

    Returns:
        A callable `(xs, ys, sws) -> result` that also updates the parameters, the
        optimizer's state and `optimizer.iterations`; or None.
    """
    if not _supported(optimizer):
        return None
    groups = {id(p): group for group in optimizer.torch_optimizer.param_groups
              for p in group["params"]}
    # Parameters the optimizer does not hold are not updated in eager steps either.
    entries = [(name, p, groups[id(p)]) for name, p in params if id(p) in groups]
    if not entries or any(not p.is_floating_point() or p.is_complex() or p.is_sparse
                          for _, p, _ in entries):
        return None
    return _OneGraphStep(optimizer, entries, forward_backward, backend)


def _supported(optimizer):
    if type(optimizer) not in _RULES:
        return False
    if (optimizer.clipnorm is not None or optimizer.clipvalue is not None
            or optimizer.global_clipnorm is not None):
        return False
    torch_optimizer = optimizer.torch_optimizer
    if type(torch_optimizer) is not _RULES[type(optimizer)][0]:
        return False
    if (torch_optimizer._optimizer_step_pre_hooks or torch_optimizer._optimizer_step_post_hooks
            or _global_optimizer_pre_hooks or _global_optimizer_post_hooks):
        return False
    check = _RULES[type(optimizer)][1]
    return all(not group.get("maximize") and not group.get("differentiable") and check(group)
               for group in torch_optimizer.param_groups)


class _OneGraphStep:
    def __init__(self, optimizer, entries, forward_backward, backend):
        self.optimizer = optimizer
        self.entries = entries
        rule = _RULES[type(optimizer)]
        self.init_state, update = rule[2], rule[3]
        # Keras's decoupled decay of plait's Adam and SGD (`Optimizer._decay_weights`);
        # AdamW's own decay is torch's, in its param group.
        keras_decay = 0.0 if type(optimizer) is optimizers.AdamW else optimizer.weight_decay
        device = entries[0][1].device
        dtype = torch.float32 if device.type == "mps" else torch.float64
        self.lr = torch.zeros((), dtype=dtype, device=device)
        self.lr_value = None
        self.states = None
        self.seen_state = None
        settings = [_settings(group) for _, _, group in entries]

        def step(xs, ys, sws, lr, states):
            # Called under no_grad (the update mutates parameters); layers see grad mode on
            # while the gradients are computed, as in eager steps.
            with torch.enable_grad():
                grads, result = forward_backward(xs, ys, sws)
            for (name, p, _), setting, state in zip(entries, settings, states):
                if keras_decay:
                    p.mul_(1.0 - lr * keras_decay)
                update(setting, p, grads[name], state, lr)
            return result

        self.compiled = torch.compile(step, fullgraph=True, backend=backend,
                                      options=_fast_call_options(backend))

    def __call__(self, xs, ys, sws):
        optimizer = self.optimizer
        if optimizer.torch_optimizer.state is not self.seen_state:
            self._collect_states()
        lr = optimizer._current_lr()
        optimizer._set_group_lr(lr)
        if lr != self.lr_value:
            self.lr.fill_(lr)
            self.lr_value = lr
        with torch.no_grad():
            result = self.compiled(xs, ys, sws, self.lr, self.states)
        optimizer._iterations += 1
        return result

    def _collect_states(self):
        """The state tensors of every parameter, created as torch creates them where
        missing; again whenever the torch optimizer's state was replaced (load_state_dict)."""
        torch_optimizer = self.optimizer.torch_optimizer
        states = []
        for _, p, group in self.entries:
            keys = _state_keys(group)
            if not keys:  # torch keeps no entry at all (plain SGD)
                states.append(())
                continue
            state = torch_optimizer.state[p]
            self.init_state(state, p, group)
            states.append(tuple(state[key] for key in keys))
        self.states = states
        self.seen_state = torch_optimizer.state


def _fast_call_options(backend):
    """What a small model's compiled step spends per call beyond its kernels is mostly
    dynamo's guards on the modules it reaches and Inductor's re-check of every input's
    size and stride (bench/ANALYSIS.md). Both guard against changes a compiled step never
    sees: the step is made for one compile() and its parameters, as Keras's compiled
    train function is (change `trainable` or a layer, then compile() again, as in Keras);
    tensor guards (shapes, dtypes, devices of the data and the state) stay."""
    options = {}
    skip_module_guards = getattr(torch.compiler, "skip_guard_on_all_nn_modules_unsafe", None)
    if skip_module_guards is not None:  # torch >= 2.8
        options["guard_filter_fn"] = skip_module_guards
    if backend == "inductor":
        options["size_asserts"] = False
    return options or None


def _settings(group):
    """A group's hyper-parameters but the learning rate: constants of the graph."""
    return {k: v for k, v in group.items() if k not in ("params", "lr")}


def _state_keys(group):
    if "betas" in group:
        keys = ("step", "exp_avg", "exp_avg_sq")
        return keys + ("max_exp_avg_sq",) if group["amsgrad"] else keys
    return ("momentum_buffer",) if group["momentum"] != 0 else ()


# ---------------------------------------------------------------------------- Adam(W)

def _adam_supported(group):
    betas = group["betas"]
    return (all(isinstance(b, float) for b in betas) and not isinstance(group["eps"], torch.Tensor)
            and not isinstance(group["weight_decay"], torch.Tensor))


def _adam_init(state, p, group):
    if len(state) == 0:  # as torch.optim.Adam._init_group
        if group["capturable"] or group["fused"]:
            state["step"] = torch.zeros((), dtype=_get_scalar_dtype(is_fused=group["fused"]),
                                        device=p.device)
        else:
            state["step"] = torch.tensor(0.0, dtype=_get_scalar_dtype(), device="cpu")
        state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
    elif group["amsgrad"] and "max_exp_avg_sq" not in state:
        state["max_exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)


def _adam_update(group, p, grad, state, lr):
    """torch.optim.Adam's single-tensor update (AdamW: `decoupled_weight_decay`)."""
    step, exp_avg, exp_avg_sq = state[:3]
    beta1, beta2 = group["betas"]
    step.add_(1)
    weight_decay = group["weight_decay"]
    if weight_decay != 0:
        if group.get("decoupled_weight_decay"):
            p.mul_(1.0 - lr * weight_decay)
        else:
            grad = grad + weight_decay * p
    exp_avg.lerp_(grad, 1 - beta1)
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    t = step.to(device=lr.device, dtype=lr.dtype)
    step_size = lr / (1 - beta1 ** t)
    bias_correction2_sqrt = (1 - beta2 ** t).sqrt()
    if group["amsgrad"]:
        max_exp_avg_sq = state[3]
        max_exp_avg_sq.copy_(torch.maximum(max_exp_avg_sq, exp_avg_sq))
        exp_avg_sq = max_exp_avg_sq
    denom = exp_avg_sq.sqrt() / bias_correction2_sqrt + group["eps"]
    p.sub_(step_size * (exp_avg / denom))


# -------------------------------------------------------------------------------- SGD

def _sgd_supported(group):
    # A missing momentum buffer starts at zero here: `0 * m + g` is torch's first `g`
    # exactly only without dampening (plait never sets it).
    return (group["dampening"] == 0 and not isinstance(group["momentum"], torch.Tensor)
            and not isinstance(group["weight_decay"], torch.Tensor))


def _sgd_init(state, p, group):
    if group["momentum"] != 0 and state.get("momentum_buffer") is None:
        state["momentum_buffer"] = torch.zeros_like(p, memory_format=torch.preserve_format)


def _sgd_update(group, p, grad, state, lr):
    """torch.optim.SGD's single-tensor update."""
    if group["weight_decay"] != 0:
        grad = grad + group["weight_decay"] * p
    momentum = group["momentum"]
    if momentum != 0:
        buf = state[0]
        buf.mul_(momentum).add_(grad)
        grad = grad + momentum * buf if group["nesterov"] else buf
    p.sub_(lr * grad)


# plait class: (its torch class, group check, state init, update)
_RULES = {
    optimizers.Adam: (torch.optim.Adam, _adam_supported, _adam_init, _adam_update),
    optimizers.AdamW: (torch.optim.AdamW, _adam_supported, _adam_init, _adam_update),
    optimizers.SGD: (torch.optim.SGD, _sgd_supported, _sgd_init, _sgd_update),
}
