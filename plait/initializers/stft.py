"""`STFT`: the initializer of the `STFTSpectrogram` layer's convolution kernels."""

import numpy as np
import torch

from plait.initializers.constant_initializers import Initializer
from plait.serialization import register_serializable

__all__ = ["STFT"]


# scipy.signal.get_window's names that torch computes itself (others go to scipy).
_WINDOWS = {
    "hann": torch.signal.windows.hann,
    "hanning": torch.signal.windows.hann,
    "hamming": torch.signal.windows.hamming,
    "blackman": torch.signal.windows.blackman,
    "bartlett": torch.signal.windows.bartlett,
    "cosine": torch.signal.windows.cosine,
    "nuttall": torch.signal.windows.nuttall,
}


_BOXCAR = ("boxcar", "box", "ones", "rect", "rectangular")


def _window(name, length, periodic):
    """`scipy.signal.get_window(name, length, fftbins=periodic)` as a float64 tensor."""
    if name in _BOXCAR:
        return torch.ones(length, dtype=torch.float64)
    if name in _WINDOWS:
        return _WINDOWS[name](length, sym=not periodic, dtype=torch.float64)
    try:
        from scipy import signal  # other windows (kaiser with its beta, ...) need scipy
    except ImportError:
        raise ValueError(
            f"Unknown window {name!r} (windows other than {sorted(_WINDOWS) + ['boxcar']} "
            "come from scipy.signal, which is not installed)."
        ) from None
    return torch.as_tensor(signal.get_window(name, length, fftbins=periodic), dtype=torch.float64)


@register_serializable(package="plait")
class STFT(Initializer):
    """Kernels of a convolution that computes a short-time Fourier transform: the real
    (`cos`) or imaginary (`-sin`) parts of the DFT basis, times a window and divided by
    its scale (Keras's `STFT`, the `STFTSpectrogram` layer's initializer).

    Called with a shape `(frame_length, input_channels, fft_length // 2 + 1)` (Keras
    layout), it returns `cos(-2 pi t f / fft_length) * window[t] / scale` (or `sin`).

    Args:
        side: "real" (default) or "imag".
        window: a window name of `scipy.signal.windows` ("hann" default, "hamming",
            "blackman", "bartlett", "boxcar", ...; the common ones computed by torch,
            others by scipy), an array of `frame_length` values, or None (no window).
        scaling: "density" (default: divide by the window's L2 norm), "spectrum" (its L1
            norm) or None.
        periodic: use the periodic window (scipy's `fftbins=True`). Default False.

    Raises:
        ValueError: an unknown `side`, `scaling` or window name; a window whose length
            is not `frame_length`.

    Example:
        >>> from plait import initializers
        >>> initializers.STFT("real", "hann")((16, 1, 9)).shape
        torch.Size([16, 1, 9])
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        if isinstance(window, str):
            _window(window, 1, False)  # an unknown name raises here, as in Keras
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                "Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                f"Received scaling={scaling}"
            )
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape, dtype=None, device=None):
        dtype = dtype or torch.float32
        frame_length, _, fft_bins = shape
        win, scale = None, 1.0
        if self.window is not None:
            if isinstance(self.window, str):
                win = _window(self.window, frame_length, self.periodic)
            else:
                win = torch.as_tensor(np.asarray(self.window), dtype=torch.float64)
            win = win.to(dtype)
            if win.ndim != 1 or win.shape[-1] != frame_length:
                raise ValueError(
                    "The shape of `window` must be equal to [frame_length]."
                    f"Received: window shape={tuple(win.shape)}"
                )
            win = win.reshape(frame_length, 1, 1)
            if self.scaling == "density":
                scale = win.square().sum().sqrt()
            elif self.scaling == "spectrum":
                scale = win.abs().sum()
        freq = torch.arange(fft_bins, dtype=dtype).reshape(1, 1, fft_bins) / ((fft_bins - 1) * 2)
        time = torch.arange(frame_length, dtype=dtype).reshape(frame_length, 1, 1)
        args = (-2 * time) * freq * torch.arccos(torch.tensor(-1, dtype=dtype))
        kernel = torch.cos(args) if self.side == "real" else torch.sin(args)
        if win is not None:
            kernel = kernel * win / scale
        return kernel.to(device) if device is not None else kernel

    def get_config(self):
        window = self.window
        if window is not None and not isinstance(window, str):
            window = np.asarray(window).tolist()
        return {
            "side": self.side,
            "window": window,
            "periodic": self.periodic,
            "scaling": self.scaling,
        }
