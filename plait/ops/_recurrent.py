"""The recurrent path of `jit_compile=True`: LSTM and GRU time loops as custom ops that
torch.compile can differentiate.

torch.compile cannot differentiate PyTorch's fused `torch.lstm`/`torch.gru` (torch 2.13: the
decomposition fails under autograd), and an unrolled Python loop over the time steps compiles
slowly (minutes for 100 steps) into a step slower than eager (bench/ANALYSIS.md). Here each
layer's whole time loop is one operator, `plait::lstm_scan` / `plait::gru_scan`, with its own
backward operator (`torch.library.custom_op` + `register_autograd`): the compiled graph
computes the input projection `x @ kernel + bias` for all steps as one matrix product, calls
the loop, and differentiates through it with the registered backward. The loops are a small
C kernel (below), compiled once per machine with the C compiler Inductor uses and loaded with
`ctypes`; the per-step gate math is fused into one pass over `(batch, gates * units)` with
vectorized `exp`.

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

import ctypes
import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

import torch

__all__ = ["available", "gru_scan", "kernel_loaded", "lstm_scan", "ready"]

_SOURCE = r"""
#include <math.h>
#include <stdint.h>
#include <string.h>

/* exp's argument is clipped where float32's sigmoid and tanh are already 0, 1 or -1 (the
   vectorized exp is exact only in range); NaN is checked for outside. */
static inline float clip(float v) { return v > 80.0f ? 80.0f : (v < -80.0f ? -80.0f : v); }
static void sigmoid_(float* x, long n) {
    for (long e = 0; e < n; ++e) x[e] = 1.0f / (1.0f + expf(clip(-x[e])));
}
static void tanh_to(const float* x, float* y, long n) {
    for (long e = 0; e < n; ++e) y[e] = 2.0f / (1.0f + expf(clip(-2.0f * x[e]))) - 1.0f;
}
/* g[b, :] += (h[b, :] * rmask[b, :]) @ wT, wT (U, G) */
static void add_matmul(long B, long U, long G, const float* h, const float* rmask,
                       const float* wT, float* g, float* hm) {
    for (long b = 0; b < B; ++b) {
        const float* hb = h + b * U;
        float* gb = g + b * G;
        for (long k = 0; k < U; ++k) hm[k] = rmask ? hb[k] * rmask[b * U + k] : hb[k];
        for (long k = 0; k < U; ++k) {
            float hk = hm[k];
            const float* w = wT + k * G;
            for (long j = 0; j < G; ++j) gb[j] += hk * w[j];
        }
    }
}
/* dh[b, :] += d[b, :] @ wT^T, wT (U, G): a dot product over the G gates per unit */
static void add_matmul_t(long B, long U, long G, const float* d, const float* wT, float* dh) {
    for (long b = 0; b < B; ++b) {
        const float* db = d + b * G;
        float* dhb = dh + b * U;
        for (long k = 0; k < U; ++k) {
            const float* w = wT + k * G;
            float sum = 0.0f;
            for (long j = 0; j < G; ++j) sum += db[j] * w[j];
            dhb[k] += sum;
        }
    }
}
static void keep_previous(long B, long U, const uint8_t* keep, float* now, const float* before) {
    for (long b = 0; b < B; ++b)
        if (!keep[b]) memcpy(now + b * U, before + b * U, U * sizeof(float));
}

/* LSTM, gates i, f, g, o. proj (T,B,4U) = x W_ih^T + b; whhT (U,4U). Writes the activated
   gates (T,B,4U), h, c and tanh(c) (T,B,U). */
void plait_lstm_forward(long T, long B, long U, const float* proj, const float* h0,
                        const float* c0, const float* whhT, const uint8_t* keep,
                        const float* rmask, float* gates, float* hs, float* cs, float* tcs,
                        float* hm) {
    long G = 4 * U, N = B * U;
    for (long t = 0; t < T; ++t) {
        const float* hp = t ? hs + (t - 1) * N : h0;
        const float* cp = t ? cs + (t - 1) * N : c0;
        float* g = gates + t * B * G;
        float *c = cs + t * N, *tc = tcs + t * N, *h = hs + t * N;
        memcpy(g, proj + t * B * G, B * G * sizeof(float));
        add_matmul(B, U, G, hp, rmask, whhT, g, hm);
        for (long b = 0; b < B; ++b)
            for (long j = 2 * U; j < 3 * U; ++j) g[b * G + j] *= 2.0f;
        sigmoid_(g, B * G); /* tanh(x) = 2 sigmoid(2x) - 1 for the g block */
        for (long b = 0; b < B; ++b) {
            float* gb = g + b * G;
            for (long j = 0; j < U; ++j) {
                float gg = 2.0f * gb[2 * U + j] - 1.0f;
                gb[2 * U + j] = gg;
                c[b * U + j] = gb[U + j] * cp[b * U + j] + gb[j] * gg;
            }
        }
        tanh_to(c, tc, N);
        for (long b = 0; b < B; ++b)
            for (long j = 0; j < U; ++j) h[b * U + j] = g[b * G + 3 * U + j] * tc[b * U + j];
        if (keep) {
            keep_previous(B, U, keep + t * B, h, hp);
            keep_previous(B, U, keep + t * B, c, cp);
        }
    }
}

/* gH, gC (T,B,U) gradients of h and c at every step (gC may be NULL); whhT (U,4U).
   Writes dG (T,B,4U), the gradient of the pre-activation gates, and dh, dc (B,U). */
void plait_lstm_backward(long T, long B, long U, const float* gH, const float* gC,
                         const float* gates, const float* cs, const float* tcs,
                         const float* c0, const float* whhT, const uint8_t* keep,
                         const float* rmask, float* dG, float* dh, float* dc) {
    long G = 4 * U, N = B * U;
    memset(dh, 0, N * sizeof(float));
    memset(dc, 0, N * sizeof(float));
    for (long t = T - 1; t >= 0; --t) {
        const float* cp = t ? cs + (t - 1) * N : c0;
        const float *g = gates + t * B * G, *tc = tcs + t * N;
        float* d = dG + t * B * G;
        for (long e = 0; e < N; ++e) dh[e] += gH[t * N + e];
        if (gC)
            for (long e = 0; e < N; ++e) dc[e] += gC[t * N + e];
        for (long b = 0; b < B; ++b) {
            float *db = d + b * G, *dhb = dh + b * U, *dcb = dc + b * U;
            const float* gb = g + b * G;
            if (keep && !keep[t * B + b]) { /* the states passed through unchanged */
                memset(db, 0, G * sizeof(float));
                continue;
            }
            for (long j = 0; j < U; ++j) {
                float i = gb[j], f = gb[U + j], gg = gb[2 * U + j], o = gb[3 * U + j];
                float dhj = dhb[j], tcj = tc[b * U + j];
                float dcj = dcb[j] + dhj * o * (1.0f - tcj * tcj);
                db[j] = dcj * gg * i * (1.0f - i);
                db[U + j] = dcj * cp[b * U + j] * f * (1.0f - f);
                db[2 * U + j] = dcj * i * (1.0f - gg * gg);
                db[3 * U + j] = dhj * tcj * o * (1.0f - o);
                dcb[j] = dcj * f;
                dhb[j] = 0.0f;
            }
        }
        if (keep) {
            /* masked rows keep dh; the others get d @ whh (their d rows are set) */
            for (long b = 0; b < B; ++b) {
                if (!keep[t * B + b]) continue;
                add_matmul_t(1, U, G, d + b * G, whhT, dh + b * U);
                if (rmask)
                    for (long k = 0; k < U; ++k) dh[b * U + k] *= rmask[b * U + k];
            }
        } else {
            add_matmul_t(B, U, G, d, whhT, dh);
            if (rmask)
                for (long e = 0; e < N; ++e) dh[e] *= rmask[e];
        }
    }
}

/* GRU with reset_after, gates r, z, n (PyTorch's order). proj (T,B,3U) = x W_ih^T + b_ih;
   whhT (U,3U); bhh (3U). Writes gates (T,B,4U): r, z, n and the recurrent part of n
   (h W_hn^T + b_hn), and h (T,B,U). */
void plait_gru_forward(long T, long B, long U, const float* proj, const float* h0,
                       const float* whhT, const float* bhh, const uint8_t* keep,
                       float* gates, float* hs, float* gh, float* hm) {
    long G = 3 * U, N = B * U;
    for (long t = 0; t < T; ++t) {
        const float* hp = t ? hs + (t - 1) * N : h0;
        const float* p = proj + t * B * G;
        float *g = gates + t * B * 4 * U, *h = hs + t * N;
        for (long b = 0; b < B; ++b) memcpy(gh + b * G, bhh, G * sizeof(float));
        add_matmul(B, U, G, hp, 0, whhT, gh, hm);
        for (long b = 0; b < B; ++b)
            for (long j = 0; j < 2 * U; ++j) g[b * 4 * U + j] = p[b * G + j] + gh[b * G + j];
        for (long b = 0; b < B; ++b) sigmoid_(g + b * 4 * U, 2 * U);
        for (long b = 0; b < B; ++b) {
            float* gb = g + b * 4 * U;
            for (long j = 0; j < U; ++j) {
                float ghn = gh[b * G + 2 * U + j];
                gb[3 * U + j] = ghn;
                gb[2 * U + j] = p[b * G + 2 * U + j] + gb[j] * ghn;
            }
            tanh_to(gb + 2 * U, gb + 2 * U, U);
            for (long j = 0; j < U; ++j) {
                float z = gb[U + j], n = gb[2 * U + j];
                h[b * U + j] = n + z * (hp[b * U + j] - n);
            }
        }
        if (keep) keep_previous(B, U, keep + t * B, h, hp);
    }
}

/* gH (T,B,U); whhT (U,3U). Writes dP (T,B,3U) (input projection), dGh (T,B,3U) (recurrent
   product incl. its bias) and dh (B,U). */
void plait_gru_backward(long T, long B, long U, const float* gH, const float* gates,
                        const float* hs, const float* h0, const float* whhT,
                        const uint8_t* keep, float* dP, float* dGh, float* dh) {
    long G = 3 * U, N = B * U;
    memset(dh, 0, N * sizeof(float));
    for (long t = T - 1; t >= 0; --t) {
        const float* hp = t ? hs + (t - 1) * N : h0;
        const float* g = gates + t * B * 4 * U;
        float *dp = dP + t * B * G, *dg = dGh + t * B * G;
        for (long e = 0; e < N; ++e) dh[e] += gH[t * N + e];
        for (long b = 0; b < B; ++b) {
            const float* gb = g + b * 4 * U;
            float *dpb = dp + b * G, *dgb = dg + b * G, *dhb = dh + b * U;
            if (keep && !keep[t * B + b]) {
                memset(dpb, 0, G * sizeof(float));
                memset(dgb, 0, G * sizeof(float));
                continue;
            }
            for (long j = 0; j < U; ++j) {
                float r = gb[j], z = gb[U + j], n = gb[2 * U + j], ghn = gb[3 * U + j];
                float d = dhb[j];
                float dn = d * (1.0f - z) * (1.0f - n * n);
                float dz = d * (hp[b * U + j] - n) * z * (1.0f - z);
                float dr = dn * ghn * r * (1.0f - r);
                dpb[j] = dr;
                dpb[U + j] = dz;
                dpb[2 * U + j] = dn;
                dgb[j] = dr;
                dgb[U + j] = dz;
                dgb[2 * U + j] = dn * r;
                dhb[j] = d * z;
            }
            add_matmul_t(1, U, G, dgb, whhT, dhb);
        }
    }
}
"""

# (compile flags, link flags). -ffast-math is for compiling only: linked with it, GCC adds
# crtfastmath.o, whose constructor sets flush-to-zero for the whole process when the library
# loads, and every float computation in the program (numpy's, torch's) would lose its
# subnormal numbers.
_FLAGS = (
    (["-O3", "-march=native", "-ffast-math", "-fPIC"], ["-shared", "-lmvec", "-lm"]),
    (["-O3", "-ffast-math", "-fPIC"], ["-shared", "-lm"]),
    (["-O2", "-fPIC"], ["-shared", "-lm"]),
)


def _cache_dir():
    base = os.environ.get("PLAIT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "plait"
    )
    try:
        os.makedirs(base, exist_ok=True)
        return base
    except OSError:
        return tempfile.gettempdir()


def _compiler():
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


@functools.lru_cache(maxsize=None)
def _library():
    """The compiled kernel (a ctypes library), or None when no C compiler builds it."""
    if sys.platform == "win32":
        return None
    compiler = _compiler()
    if compiler is None:
        return None
    machine = f"{torch.backends.cpu.get_cpu_capability()}-{os.uname().machine}"
    for flags in _FLAGS:
        parts = [_SOURCE, compiler, machine, *flags[0], "|link|", *flags[1]]
        key = hashlib.sha256("\0".join(parts).encode())
        path = os.path.join(_cache_dir(), f"plait_rnn_{key.hexdigest()[:16]}.so")
        if not os.path.exists(path) and not _build(compiler, flags, path):
            continue
        try:
            return _declare(ctypes.CDLL(path))
        except OSError:
            continue
    return None


def _build(compiler, flags, path):
    folder = os.path.dirname(path)
    try:
        with tempfile.TemporaryDirectory(dir=folder) as work:
            source = os.path.join(work, "rnn.c")
            with open(source, "w") as f:
                f.write(_SOURCE)
            target = os.path.join(work, "rnn.so")
            compile_flags, link_flags = flags
            for command in (
                [compiler, "-c", source, "-o", source + ".o", *compile_flags],
                [compiler, source + ".o", "-o", target, *link_flags],
            ):
                done = subprocess.run(command, capture_output=True, timeout=120, check=False)
                if done.returncode != 0:
                    return False
            os.replace(target, path)  # atomic: another process may build it too
        return True
    except (OSError, subprocess.SubprocessError):
        return False


def _declare(lib):
    long, ptr = ctypes.c_long, ctypes.c_void_p
    lib.plait_lstm_forward.argtypes = [long] * 3 + [ptr] * 11
    lib.plait_lstm_backward.argtypes = [long] * 3 + [ptr] * 12
    lib.plait_gru_forward.argtypes = [long] * 3 + [ptr] * 9
    lib.plait_gru_backward.argtypes = [long] * 3 + [ptr] * 9
    for fn in (
        lib.plait_lstm_forward,
        lib.plait_lstm_backward,
        lib.plait_gru_forward,
        lib.plait_gru_backward,
    ):
        fn.restype = None
    return lib


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
