"""What `steps.JitTrainStep` compiles: the forward, loss and backward of one batch as a
function of the weights (`torch.func.functional_call`), differentiated with `torch.func` or,
where recurrent custom ops run, with `torch.autograd.grad` traced by dynamo."""

import contextlib

import torch

__all__ = [
    "WithPenalties",
    "loss_function",
    "forward_backward_function",
    "unfuse",
    "runs_recurrent_ops",
    "tracing_autograd",
    "autograd_grad_and_value",
]


class WithPenalties(torch.nn.Module):
    """Runs a module and returns its outputs with its penalties, so `functional_call`
    sees the regularizers read the traced weights."""

    def __init__(self, module):
        super().__init__()
        self.inner = module

    def forward(self, args, kwargs):
        out = self.inner(*args, **kwargs)
        penalties = self.inner.regularization_losses()
        # plait layers keep their last activity penalty; a traced value must not outlive
        # the trace, so it is dropped once read.
        self.inner.clear_activity_penalties()
        return out, penalties


def loss_function(state, spec, target, penalized):
    """`loss_of(params, buffers, xs, ys, sws)`: the forward (under the precision policy's
    autocast) and the total loss of one batch, with the loss parts and the outputs as aux;
    the weights are read from `params`/`buffers` (`functional_call`), so it can be
    differentiated with `torch.func`. `target` is the module, or `WithPenalties(module)`
    when `penalized` (then the regularizers' penalties join the total)."""
    precision = state.precision

    def loss_of(params, buffers, xs, ys, sws):
        args, kwargs = spec.call_args(xs)
        with precision.autocast():
            if penalized:
                out, penalties = torch.func.functional_call(
                    target, (params, buffers), (args, kwargs)
                )
            else:
                out, penalties = (
                    torch.func.functional_call(target, (params, buffers), args, kwargs),
                    [],
                )
        outputs = precision.to_float32(spec.flatten_outputs(out))
        total, parts = state.compute_loss(ys, outputs, sws)
        for penalty in penalties:
            total = total + penalty.reshape(())
        parts = [None if p is None else p.detach() for p in parts]
        return total, (parts, [o.detach() for o in outputs])

    return loss_of


def forward_backward_function(loss_of, params, buffers, recurrent):
    """`forward_backward(xs, ys, sws)`: the gradients of `loss_of` with respect to the
    `(name, parameter)` pairs `params`, and its value; the graph `JitTrainStep` compiles."""
    grad_and_value = (
        autograd_grad_and_value(loss_of)
        if recurrent
        else torch.func.grad_and_value(loss_of, has_aux=True)
    )

    def forward_backward(xs, ys, sws):
        values = {n: p.detach() for n, p in params}
        grads, result = grad_and_value(values, buffers, xs, ys, sws)
        # Gradients in the parameters' own memory layout, as autograd gives them (a
        # channels-last gradient for a contiguous kernel trips the compiled update).
        grads = {
            n: g if g.stride() == values[n].stride() else torch.empty_like(values[n]).copy_(g)
            for n, g in grads.items()
        }
        return grads, result

    return forward_backward


def unfuse(optimizer):
    """Compiled, the per-parameter update becomes one generated kernel; the fused kernel
    eager steps use is opaque to torch.compile and runs slower here (bench/)."""
    torch_optimizer = getattr(optimizer, "torch_optimizer", None)
    for group in getattr(torch_optimizer, "param_groups", ()):
        group["fused"] = False


def runs_recurrent_ops(module):
    """Whether a layer of `module` runs a recurrent custom op under a compiled train step
    (`_scan_kind`, plait/layers/recurrent.py); torch.func.grad, traced by dynamo, does not
    call such an op's own backward, so the step differentiates with torch.autograd.grad."""
    return any(getattr(m, "_scan_kind", None) for m in module.modules())


def tracing_autograd(on):
    """The dynamo setting that traces torch.autograd.grad, while `on`."""
    return torch._dynamo.config.patch(trace_autograd_ops=True) if on else contextlib.nullcontext()


def autograd_grad_and_value(loss_of):
    """`torch.func.grad_and_value(loss_of, has_aux=True)` with torch.autograd.grad."""

    def grad_and_value(params, buffers, xs, ys, sws):
        with torch.enable_grad():
            leaves = {n: p.detach().requires_grad_() for n, p in params.items()}
            total, aux = loss_of(leaves, buffers, xs, ys, sws)
            grads = torch.autograd.grad(total, list(leaves.values()), allow_unused=True)
        grads = {
            n: torch.zeros_like(p) if g is None else g for (n, p), g in zip(leaves.items(), grads)
        }
        return grads, (total.detach(), aux)

    return grad_and_value
