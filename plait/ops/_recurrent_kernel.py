"""The C kernel of the compiled recurrent path (`plait/ops/_recurrent.py`): its source, and
building, caching and loading it.

The LSTM and GRU time loops, forward and backward, are a small C library compiled once per
machine with the C compiler Inductor uses (`CC`, else cc, gcc or clang) into plait's cache
folder (`PLAIT_CACHE_DIR`, else `$XDG_CACHE_HOME/plait` or `~/.cache/plait`), named by a hash
of the source, compiler, machine and flags, and loaded with `ctypes`. The per-step gate math
is fused into one pass over `(batch, gates * units)` with vectorized `exp`. `_library()` is
None where no compiler builds it; then `jit_compile=True` trains recurrent layers eagerly.

    >>> lib = _library()
    >>> lib is None or callable(lib.plait_lstm_forward)
    True
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
