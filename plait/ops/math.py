"""Keras's `ops.math`: segment reductions, top-k, Fourier transforms, framing, and a few
special functions. FFTs take and return `(real, imag)` pairs, as Keras's do. Every op's
docstring (what `help()` shows, with its example) is in `_docs_math.py`."""

import torch

from plait.ops._base import keras_op, tensor, to_float
from plait.ops import _docs, _docs_math, _elementwise

# Defined at import time from _elementwise's tables (`_define`), so invisible to a type checker.
erf, erfinv, logsumexp, rsqrt = (
    getattr(_elementwise, _name) for _name in ("erf", "erfinv", "logsumexp", "rsqrt")
)

__all__ = [
    "cdist",
    "erf",
    "erfinv",
    "extract_sequences",
    "fft",
    "fft2",
    "ifft2",
    "in_top_k",
    "irfft",
    "istft",
    "logdet",
    "logsumexp",
    "rfft",
    "rsqrt",
    "segment_max",
    "segment_min",
    "segment_prod",
    "segment_sum",
    "stft",
    "top_k",
    "view_as_complex",
    "view_as_real",
]


def _segment(reduce):
    def op(data, segment_ids, num_segments=None, sorted=False):
        data = tensor(data)
        ids = tensor(segment_ids, like=data).long()
        n = int(ids.max().item()) + 1 if num_segments is None else int(num_segments)
        out = torch.zeros((n,) + data.shape[1:], dtype=data.dtype, device=data.device)
        index = ids.reshape((-1,) + (1,) * (data.ndim - 1)).expand(data.shape)
        if reduce == "sum":
            return out.index_add_(0, ids, data)
        fill = {
            "amax": float("-inf") if data.is_floating_point() else torch.iinfo(data.dtype).min,
            "amin": float("inf") if data.is_floating_point() else torch.iinfo(data.dtype).max,
            "prod": 1,
        }[reduce]
        out = out.fill_(fill).scatter_reduce(0, index, data, reduce=reduce, include_self=True)
        return out

    return op


segment_sum = keras_op(_segment("sum"), name="segment_sum")
segment_prod = keras_op(_segment("prod"), name="segment_prod")
segment_max = keras_op(_segment("amax"), name="segment_max")
segment_min = keras_op(_segment("amin"), name="segment_min")


@keras_op
def top_k(x, k, sorted=True):
    """The `k` largest values along the last axis and their (int64) indices."""
    values, indices = torch.topk(tensor(x), k, dim=-1, sorted=sorted)
    return values, indices


@keras_op
def in_top_k(targets, predictions, k):
    """Whether each target's prediction is among the `k` largest of its row."""
    predictions = to_float(predictions)
    targets = tensor(targets, like=predictions).long()
    target_score = predictions.gather(1, targets.unsqueeze(1))
    return (predictions > target_score).sum(1) < k


@keras_op
def logdet(x):
    """The log of the determinant of a positive-definite matrix."""
    return torch.logdet(to_float(x))


def _pair(x):
    real, imag = (to_float(v) for v in x)
    return torch.complex(real, imag)


def _split(z):
    return torch.real(z).contiguous(), torch.imag(z).contiguous()


@keras_op
def fft(x):
    """The FFT over the last axis of `(real, imag)`; returns `(real, imag)`."""
    return _split(torch.fft.fft(_pair(x)))


@keras_op
def fft2(x):
    """The 2-D FFT over the last two axes of `(real, imag)`."""
    return _split(torch.fft.fft2(_pair(x)))


@keras_op
def ifft2(x):
    """The inverse 2-D FFT over the last two axes of `(real, imag)`."""
    return _split(torch.fft.ifft2(_pair(x)))


@keras_op
def rfft(x, fft_length=None):
    """The FFT of a real signal over the last axis, as `(real, imag)`."""
    return _split(torch.fft.rfft(to_float(x), n=fft_length))


@keras_op
def irfft(x, fft_length=None):
    """The real inverse of `rfft`."""
    return torch.fft.irfft(_pair(x), n=fft_length)


def _window(window, length, dtype, device):
    if window is None:
        return None
    if isinstance(window, str):
        makers = {"hann": torch.hann_window, "hamming": torch.hamming_window}
        if window not in makers:
            raise ValueError(
                "stft: window must be 'hann', 'hamming', a tensor or None. "
                f"Received: window={window!r}"
            )
        return makers[window](length, periodic=True, dtype=dtype, device=device)
    return tensor(window, dtype)


@keras_op
def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """The short-time Fourier transform over the last axis, as `(real, imag)` of shape
    (..., frames, fft_length // 2 + 1)."""
    x = to_float(x)
    win = _window(window, sequence_length, x.dtype, x.device)
    if win is not None and sequence_length < fft_length:
        left = (fft_length - sequence_length) // 2
        win = torch.nn.functional.pad(win, (left, fft_length - sequence_length - left))
    elif win is None:
        win = torch.ones(fft_length, dtype=x.dtype, device=x.device)
        if sequence_length < fft_length:
            left = (fft_length - sequence_length) // 2
            win = torch.zeros(fft_length, dtype=x.dtype)
            win[left : left + sequence_length] = 1
    batch = x.shape[:-1]
    z = torch.stft(
        x.reshape(-1, x.shape[-1]),
        fft_length,
        sequence_stride,
        fft_length,
        win,
        center=center,
        return_complex=True,
        pad_mode="reflect",
    )
    z = z.transpose(-1, -2)
    return _split(z.reshape(batch + z.shape[1:]))


@keras_op
def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    """The inverse of `stft`."""
    z = _pair(x)
    win = _window(window, sequence_length, z.real.dtype, z.device)
    if win is None:
        win = torch.ones(sequence_length, dtype=z.real.dtype)
    if sequence_length < fft_length:
        left = (fft_length - sequence_length) // 2
        win = torch.nn.functional.pad(win, (left, fft_length - sequence_length - left))
    batch = z.shape[:-2]
    frames = z.reshape((-1,) + z.shape[-2:]).transpose(-1, -2)
    out = torch.istft(
        frames, fft_length, sequence_stride, fft_length, win, center=center, length=length
    )
    return out.reshape(batch + out.shape[-1:])


@keras_op
def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of `sequence_length` every `sequence_stride` along the last axis."""
    return tensor(x).unfold(-1, sequence_length, sequence_stride)


@keras_op
def view_as_complex(x):
    """A (..., 2) real tensor as a complex one."""
    return torch.view_as_complex(to_float(x).contiguous())


@keras_op
def view_as_real(x):
    """A complex tensor as (..., 2) real values."""
    return torch.view_as_real(tensor(x))


@keras_op
def cdist(x, y, p=2.0):
    """The `p`-norm distances between each row of `x` and each row of `y`."""
    return torch.cdist(to_float(x), to_float(y), p=p)


_docs.attach(globals(), _docs_math.DOCS)
