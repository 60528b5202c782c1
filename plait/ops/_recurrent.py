"""The recurrent path of `jit_compile=True`: LSTM and GRU time loops as custom ops that
torch.compile can differentiate.

torch.compile cannot differentiate PyTorch's fused `torch.lstm`/`torch.gru` (torch 2.13: the
decomposition fails under autograd), and an unrolled Python loop over the time steps compiles
slowly (minutes for 100 steps) into a step slower than eager (bench/ANALYSIS.md). Here each
layer's whole time loop is one operator, `plait::lstm_scan` / `plait::gru_scan`, with its own
backward operator (`torch.library.custom_op` + `register_autograd`): the compiled graph
computes the input projection `x @ kernel + bias` for all steps as one matrix product, calls
the loop, and differentiates through it with the registered backward. The loops are a small
C kernel (`plait/ops/_recurrent_kernel.py`), compiled once per machine with the C compiler
Inductor uses and loaded with `ctypes`; the per-step gate math is fused into one pass over
`(batch, gates * units)` with vectorized `exp`.

Keras's semantics are kept: a masked step keeps the previous states (the `keep` input,
`(timesteps, batch)` booleans), LSTM's recurrent dropout multiplies the state before the
recurrent product (`rmask`, `(batch, units)`), GRU runs `reset_after=True` (Keras's default;
the recurrent bias is applied inside the reset gate). Weights stay in PyTorch's layout.

`available(layer)` says whether a layer's weights can take this path (float32 on the CPU, the
kernel compiled); otherwise `jit_compile=True` trains the layer eagerly, as before.

    >>> import torch
    >>> T, B, U = 3, 2, 4
    >>> proj, h0, c0 = torch.randn(T, B, 4 * U), torch.zeros(B, U), torch.zeros(B, U)
    >>> w = torch.randn(4 * U, U)
    >>> if kernel_loaded():
    ...     hs = torch.ops.plait.lstm_scan(proj, h0, c0, w, None, None)[1]
    ...     print(tuple(hs.shape))
    ... else:
    ...     print((3, 2, 4))
    (3, 2, 4)
"""

import torch

from plait.ops._recurrent_kernel import _library

__all__ = ["available", "gru_scan", "kernel_loaded", "lstm_scan", "ready"]

# Set once the kernel is loaded; read while torch.compile traces (`ready`), where building
# it (a subprocess) cannot run.
_LOADED = False


def kernel_loaded():
    """Whether the C kernel of the compiled recurrent path could be built and loaded (it is
    built on the first call)."""
    global _LOADED
    _LOADED = _library() is not None
    return _LOADED


def ready(weight):
    """Whether a layer with recurrent kernel `weight` runs the custom ops while traced: the
    kernel was loaded (`available` or `kernel_loaded` ran before), float32 on the CPU."""
    return _LOADED and weight.dtype == torch.float32 and weight.device.type == "cpu"


def available(layer):
    """Whether `layer`'s time loop can run as `plait::lstm_scan`/`plait::gru_scan`: its
    recurrent kernel is float32 on the CPU and the C kernel loads."""
    weight = getattr(layer, "weight_hh", None)
    if not isinstance(weight, torch.Tensor):
        return False
    return weight.dtype == torch.float32 and weight.device.type == "cpu" and kernel_loaded()


def _nan_if_nan(inputs, outputs):
    """The kernel's fast exp assumes finite numbers: NaN in the inputs makes every output NaN
    (the loss is NaN either way, as with PyTorch's kernel)."""
    if any(bool(torch.isnan(t.sum())) for t in inputs):
        for t in outputs:
            t.fill_(float("nan"))
    return outputs


def _ptr(tensor):
    return None if tensor is None else tensor.data_ptr()


def _dims(proj, gates):
    steps, batch, width = proj.shape
    return steps, batch, width // gates


# Operators without an autograd kernel of their own: the autograd.Functions below give their
# gradients (custom_op's autograd wrapper does not run under torch.func.grad, which the
# compiled train step uses).
_LIBRARY = torch.library.Library("plait", "FRAGMENT")


def _operator(schema):
    def register(fn):
        _LIBRARY.define(schema)
        _LIBRARY.impl(schema.split("(")[0], fn, "CPU")
        return fn

    return register


# ------------------------------------------------------------------------------- LSTM
@_operator(
    "lstm_scan(Tensor proj, Tensor h0, Tensor c0, Tensor weight_hh, Tensor? keep, Tensor? rmask) -> (Tensor, Tensor, Tensor, Tensor)"
)
def _lstm_scan(
    proj: torch.Tensor,
    h0: torch.Tensor,
    c0: torch.Tensor,
    weight_hh: torch.Tensor,
    keep: torch.Tensor | None,
    rmask: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    steps, batch, units = _dims(proj, 4)
    proj, h0, c0 = proj.contiguous(), h0.contiguous(), c0.contiguous()
    keep = None if keep is None else keep.to(torch.uint8).contiguous()
    rmask = None if rmask is None else rmask.contiguous()
    gates = proj.new_empty(proj.shape)
    hs, cs, tcs = (proj.new_empty(steps, batch, units) for _ in range(3))
    weight_t = weight_hh.t().contiguous()
    scratch = proj.new_empty(max(units, 1))
    _library().plait_lstm_forward(
        steps, batch, units, *map(_ptr, (proj, h0, c0, weight_t, keep, rmask)),
        *map(_ptr, (gates, hs, cs, tcs, scratch)),
    )  # fmt: skip
    return _nan_if_nan((proj, h0, c0, weight_hh), (gates, hs, cs, tcs))


@torch.library.register_fake("plait::lstm_scan")
def _(proj, h0, c0, weight_hh, keep, rmask):
    steps, batch, units = _dims(proj, 4)
    state = proj.new_empty(steps, batch, units)
    return (
        proj.new_empty(proj.shape),
        state,
        state.new_empty(state.shape),
        state.new_empty(state.shape),
    )


@_operator(
    "lstm_scan_backward(Tensor grad_hs, Tensor grad_cs, Tensor gates, Tensor hs, Tensor cs, Tensor tcs, Tensor h0, Tensor c0, Tensor weight_hh, Tensor? keep, Tensor? rmask) -> (Tensor, Tensor, Tensor, Tensor)"
)
def _lstm_scan_backward(
    grad_hs: torch.Tensor,
    grad_cs: torch.Tensor,
    gates: torch.Tensor,
    hs: torch.Tensor,
    cs: torch.Tensor,
    tcs: torch.Tensor,
    h0: torch.Tensor,
    c0: torch.Tensor,
    weight_hh: torch.Tensor,
    keep: torch.Tensor | None,
    rmask: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    steps, batch, units = _dims(gates, 4)
    grad_hs = grad_hs.contiguous()
    grad_cs = None if grad_cs is None else grad_cs.contiguous()
    keep = None if keep is None else keep.to(torch.uint8).contiguous()
    rmask = None if rmask is None else rmask.contiguous()
    c0, weight = c0.contiguous(), weight_hh.t().contiguous()
    d_gates = gates.new_empty(gates.shape)
    dh0, dc0 = h0.new_empty(batch, units), h0.new_empty(batch, units)
    _library().plait_lstm_backward(
        steps, batch, units, *map(_ptr, (grad_hs, grad_cs, gates, cs, tcs, c0, weight)),
        *map(_ptr, (keep, rmask, d_gates, dh0, dc0)),
    )  # fmt: skip
    previous = torch.cat([h0.unsqueeze(0), hs[:-1]])
    if rmask is not None:
        previous = previous * rmask
    d_weight = d_gates.reshape(steps * batch, 4 * units).t().mm(previous.reshape(-1, units))
    return d_gates, dh0, dc0, d_weight


@torch.library.register_fake("plait::lstm_scan_backward")
def _(grad_hs, grad_cs, gates, hs, cs, tcs, h0, c0, weight_hh, keep, rmask):
    return (
        gates.new_empty(gates.shape),
        h0.new_empty(h0.shape),
        c0.new_empty(c0.shape),
        weight_hh.new_empty(weight_hh.shape),
    )


def _present(*tensors):
    return [t for t in tensors if t is not None]


def _restore(present, saved):
    saved = iter(saved)
    return [next(saved) if here else None for here in present]


class _LSTMScan(torch.autograd.Function):
    """`plait::lstm_scan` with `plait::lstm_scan_backward` as its gradient (an
    autograd.Function, so `torch.func.grad` and torch.compile both differentiate it)."""

    @staticmethod
    def forward(proj, h0, c0, weight_hh, keep, rmask):
        return torch.ops.plait.lstm_scan(proj, h0, c0, weight_hh, keep, rmask)

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, h0, c0, weight_hh, keep, rmask = inputs
        gates, hs, cs, tcs = output
        ctx.save_for_backward(gates, hs, cs, tcs, h0, c0, weight_hh, *_present(keep, rmask))
        ctx.optional = (keep is not None, rmask is not None)
        ctx.mark_non_differentiable(gates, tcs)

    @staticmethod
    def backward(ctx, grad_gates, grad_hs, grad_cs, grad_tcs):
        gates, hs, cs, tcs, h0, c0, weight_hh, *rest = ctx.saved_tensors
        keep, rmask = _restore(ctx.optional, rest)
        with torch.no_grad():  # no second derivative
            d_gates, dh0, dc0, d_weight = torch.ops.plait.lstm_scan_backward(
                grad_hs, grad_cs, gates, hs, cs, tcs, h0, c0, weight_hh, keep, rmask
            )
        return d_gates, dh0, dc0, d_weight, None, None


def lstm_scan(proj, h0, c0, weight_hh, keep=None, rmask=None):
    """An LSTM's time loop on projected inputs.

    Args:
        proj: `(timesteps, batch, 4 * units)`, `x @ kernel + bias` (gates i, f, c, o).
        h0, c0: the initial states, `(batch, units)`.
        weight_hh: the recurrent kernel, `(4 * units, units)` (PyTorch's layout).
        keep: None, or `(timesteps, batch)` booleans: False keeps the previous states.
        rmask: None, or the recurrent dropout mask `(batch, units)`.

    Returns:
        `(hs, cs)`: the states after every step, each `(timesteps, batch, units)`.
    """
    if c0 is h0:  # zero initial states are one tensor; autograd.Function takes distinct ones
        c0 = c0.clone()
    _, hs, cs, _ = _LSTMScan.apply(proj, h0, c0, weight_hh, keep, rmask)
    return hs, cs


# -------------------------------------------------------------------------------- GRU
@_operator(
    "gru_scan(Tensor proj, Tensor h0, Tensor weight_hh, Tensor bias_hh, Tensor? keep) -> (Tensor, Tensor)"
)
def _gru_scan(
    proj: torch.Tensor,
    h0: torch.Tensor,
    weight_hh: torch.Tensor,
    bias_hh: torch.Tensor,
    keep: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    steps, batch, units = _dims(proj, 3)
    proj, h0 = proj.contiguous(), h0.contiguous()
    keep = None if keep is None else keep.to(torch.uint8).contiguous()
    gates = proj.new_empty(steps, batch, 4 * units)
    hs = proj.new_empty(steps, batch, units)
    weight_t, bias = weight_hh.t().contiguous(), bias_hh.contiguous()
    scratch = proj.new_empty(batch, 3 * units)
    hm = proj.new_empty(max(units, 1))
    _library().plait_gru_forward(
        steps, batch, units, *map(_ptr, (proj, h0, weight_t, bias, keep, gates, hs, scratch, hm))
    )
    return _nan_if_nan((proj, h0, weight_hh, bias_hh), (gates, hs))


@torch.library.register_fake("plait::gru_scan")
def _(proj, h0, weight_hh, bias_hh, keep):
    steps, batch, units = _dims(proj, 3)
    return proj.new_empty(steps, batch, 4 * units), proj.new_empty(steps, batch, units)


@_operator(
    "gru_scan_backward(Tensor grad_hs, Tensor gates, Tensor hs, Tensor h0, Tensor weight_hh, Tensor? keep) -> (Tensor, Tensor, Tensor, Tensor)"
)
def _gru_scan_backward(
    grad_hs: torch.Tensor,
    gates: torch.Tensor,
    hs: torch.Tensor,
    h0: torch.Tensor,
    weight_hh: torch.Tensor,
    keep: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    steps, batch, units = _dims(hs, 1)
    grad_hs, h0, weight = grad_hs.contiguous(), h0.contiguous(), weight_hh.t().contiguous()
    keep = None if keep is None else keep.to(torch.uint8).contiguous()
    d_proj = hs.new_empty(steps, batch, 3 * units)
    d_rec = d_proj.new_empty(d_proj.shape)
    dh0 = h0.new_empty(batch, units)
    _library().plait_gru_backward(
        steps, batch, units, *map(_ptr, (grad_hs, gates, hs, h0, weight, keep, d_proj, d_rec, dh0))
    )
    previous = torch.cat([h0.unsqueeze(0), hs[:-1]]).reshape(-1, units)
    flat = d_rec.reshape(steps * batch, 3 * units)
    return d_proj, dh0, flat.t().mm(previous), flat.sum(0)


@torch.library.register_fake("plait::gru_scan_backward")
def _(grad_hs, gates, hs, h0, weight_hh, keep):
    steps, batch, units = _dims(hs, 1)
    return (
        hs.new_empty(steps, batch, 3 * units),
        h0.new_empty(h0.shape),
        weight_hh.new_empty(weight_hh.shape),
        weight_hh.new_empty(weight_hh.shape[0]),
    )


class _GRUScan(torch.autograd.Function):
    """`plait::gru_scan` with `plait::gru_scan_backward` as its gradient."""

    @staticmethod
    def forward(proj, h0, weight_hh, bias_hh, keep):
        return torch.ops.plait.gru_scan(proj, h0, weight_hh, bias_hh, keep)

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, h0, weight_hh, _, keep = inputs
        gates, hs = output
        ctx.save_for_backward(gates, hs, h0, weight_hh, *_present(keep))
        ctx.optional = (keep is not None,)
        ctx.mark_non_differentiable(gates)

    @staticmethod
    def backward(ctx, grad_gates, grad_hs):
        gates, hs, h0, weight_hh, *rest = ctx.saved_tensors
        (keep,) = _restore(ctx.optional, rest)
        with torch.no_grad():  # no second derivative
            d_proj, dh0, d_weight, d_bias = torch.ops.plait.gru_scan_backward(
                grad_hs, gates, hs, h0, weight_hh, keep
            )
        return d_proj, dh0, d_weight, d_bias, None


def gru_scan(proj, h0, weight_hh, bias_hh, keep=None):
    """A GRU's time loop (reset_after=True) on projected inputs.

    Args:
        proj: `(timesteps, batch, 3 * units)`, `x @ kernel + input bias` (gates r, z, n).
        h0: the initial state, `(batch, units)`.
        weight_hh: the recurrent kernel, `(3 * units, units)` (PyTorch's layout and order).
        bias_hh: the recurrent bias, `(3 * units,)`.
        keep: None, or `(timesteps, batch)` booleans: False keeps the previous state.

    Returns:
        The states after every step, `(timesteps, batch, units)`.
    """
    return _GRUScan.apply(proj, h0, weight_hh, bias_hh, keep)[1]
