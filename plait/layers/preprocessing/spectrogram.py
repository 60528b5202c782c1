"""Audio preprocessing: `MelSpectrogram` (raw audio to mel-scale power, in decibels) and
`STFTSpectrogram` (a short-time Fourier transform as two convolutions whose kernels are
trainable weights). Both compute with torch on the input's device.

    mel = plait.layers.MelSpectrogram(num_mel_bins=64)(audio)        # (batch, 64, frames)
"""

import math

import torch
import torch.nn.functional as F

from plait.layers.preprocessing.base import PreprocessingLayer
from plait.serialization import register_serializable

__all__ = ["MelSpectrogram", "STFTSpectrogram"]

_MEL_BREAK_HZ = 700.0
_MEL_HIGH_Q = 1127.0
_EPSILON = 1e-7  # Keras's backend.epsilon()
_TORCH_WINDOWS = {
    "hann": torch.hann_window,
    "hamming": torch.hamming_window,
    "blackman": torch.blackman_window,
    "bartlett": torch.bartlett_window,
}


def _hz_to_mel(hz):
    return _MEL_HIGH_Q * torch.log(1.0 + hz / _MEL_BREAK_HZ)


def mel_weight_matrix(num_mel_bins, num_spectrogram_bins, sampling_rate, lower_hz, upper_hz):
    """The `(num_spectrogram_bins, num_mel_bins)` matrix of triangular HTK mel filters
    (peak 1) that Keras's MelSpectrogram multiplies the spectrogram by; the DC bin maps to
    no band."""
    dtype = torch.float32
    linear = torch.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins, dtype=dtype)[1:]
    bins_mel = _hz_to_mel(linear).unsqueeze(1)
    edges = torch.linspace(
        float(_hz_to_mel(torch.tensor(float(lower_hz)))),
        float(_hz_to_mel(torch.tensor(float(upper_hz)))),
        num_mel_bins + 2,
        dtype=dtype,
    )
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bins_mel - lower) / (center - lower)
    falling = (upper - bins_mel) / (upper - center)
    weights = torch.clamp(torch.minimum(rising, falling), min=0.0)
    return F.pad(weights, (0, 0, 1, 0))


@register_serializable(package="plait")
class MelSpectrogram(PreprocessingLayer):
    """Raw audio to a mel spectrogram: the STFT's magnitude to the power `mag_exp`, mapped
    onto `num_mel_bins` triangular mel bands, in decibels when `power_to_db`.

    Args:
        fft_length: FFT size (default 2048); the spectrum has `fft_length // 2 + 1` bins.
        sequence_stride: hop between frames in samples (default 512).
        sequence_length: window length (default None: `fft_length`).
        window: 'hann' (default), 'hamming' or None (a rectangular window).
        sampling_rate: samples per second (default 16000).
        num_mel_bins: mel bands (default 128).
        min_freq, max_freq: the bands' edges in Hz (default 20.0 and `sampling_rate / 2`).
        power_to_db: convert to decibels (default True), with `top_db` (80.0: values more
            than that below the maximum of the whole batch are raised to it), `min_power`
            (1e-10, the floor before the log) and `ref_power` (1.0, the 0 dB reference).
        mag_exp: the exponent of the magnitude (default 2.0: power).

    Input shape: `(batch, samples)` or `(samples,)`, float. Output shape:
    `(batch, num_mel_bins, frames)` (or without batch), `frames = 1 + samples //
    sequence_stride` (the signal is reflect-padded by `fft_length // 2` at each end).

    Raises:
        ValueError: `fft_length` below `sequence_length`; an unknown window.

    Example:
        >>> import torch
        >>> layer = MelSpectrogram(fft_length=256, sequence_stride=128, num_mel_bins=16)
        >>> layer(torch.randn(2, 1000)).shape
        torch.Size([2, 16, 8])
    """

    def __init__(
        self,
        fft_length=2048,
        sequence_stride=512,
        sequence_length=None,
        window="hann",
        sampling_rate=16000,
        num_mel_bins=128,
        min_freq=20.0,
        max_freq=None,
        power_to_db=True,
        top_db=80.0,
        mag_exp=2.0,
        min_power=1e-10,
        ref_power=1.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError(
                "MelSpectrogram: `fft_length` must be greater than or equal to "
                f"`sequence_length`. Received: sequence_length={self.sequence_length}, "
                f"fft_length={self.fft_length}"
            )
        if window is not None and window not in ("hann", "hamming"):
            raise ValueError(
                "MelSpectrogram: `window` must be 'hann', 'hamming' or None. "
                f"Received: window={window!r}"
            )
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        matrix = mel_weight_matrix(
            num_mel_bins, fft_length // 2 + 1, sampling_rate, min_freq, self.max_freq
        )
        self.register_buffer("_mel_matrix", matrix, persistent=False)

    def forward(self, inputs):
        x = inputs if inputs.dtype in (torch.float32, torch.float64) else inputs.float()
        if self.window is None:
            win = torch.ones(self.sequence_length, dtype=x.dtype, device=x.device)
        else:
            maker = _TORCH_WINDOWS[self.window]
            win = maker(self.sequence_length, periodic=True, dtype=x.dtype, device=x.device)
        flat = x.reshape(-1, x.shape[-1])
        z = torch.stft(
            flat,
            n_fft=self.fft_length,
            hop_length=self.sequence_stride,
            win_length=self.sequence_length,
            window=win,
            center=True,
            return_complex=True,
        )
        spec = z.abs().pow(self.mag_exp).transpose(-1, -2)  # (batch, frames, bins)
        mel = spec @ self._mel_matrix.to(spec.dtype)
        if self.power_to_db:
            mel = self._db(mel)
        out = mel.transpose(-1, -2)
        return out.reshape(x.shape[:-1] + out.shape[-2:])

    def compute_output_shape(self, input_shape):
        samples = input_shape[-1]
        frames = None if samples is None else 1 + samples // self.sequence_stride
        return (*tuple(input_shape[:-1]), self.num_mel_bins, frames)

    def _db(self, power):
        floor = torch.as_tensor(self.min_power, dtype=power.dtype, device=power.device)
        log = 10.0 * torch.log10(torch.maximum(power, floor))
        ref = max(abs(float(self.ref_power)), float(self.min_power))
        log = log - 10.0 * math.log10(ref)
        return torch.maximum(log, log.max() - self.top_db)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "fft_length": self.fft_length,
                "sequence_stride": self.sequence_stride,
                "sequence_length": self.sequence_length,
                "window": self.window,
                "sampling_rate": self.sampling_rate,
                "num_mel_bins": self.num_mel_bins,
                "min_freq": self.min_freq,
                "max_freq": self.max_freq,
                "power_to_db": self.power_to_db,
                "top_db": self.top_db,
                "mag_exp": self.mag_exp,
                "min_power": self.min_power,
                "ref_power": self.ref_power,
            }
        )
        return config


def _window(window, length, periodic):
    """A window as a float64 tensor: torch's for the common names, SciPy's
    `get_window` for any other name SciPy knows, or the given values."""
    if isinstance(window, str):
        if window in _TORCH_WINDOWS:
            return _TORCH_WINDOWS[window](length, periodic=periodic, dtype=torch.float64)
        if window in ("boxcar", "rect", "rectangular", "ones"):
            return torch.ones(length, dtype=torch.float64)
        try:
            import scipy.signal
        except ImportError:
            raise ValueError(
                f"STFTSpectrogram: window {window!r} needs SciPy (pip install scipy); "
                f"without it use one of {sorted(_TORCH_WINDOWS)} or 'boxcar'. "
                f"Received: window={window!r}"
            ) from None
        return torch.as_tensor(scipy.signal.get_window(window, length, periodic))
    win = torch.as_tensor(window, dtype=torch.float64)
    if win.dim() != 1 or win.shape[0] != length:
        raise ValueError(
            "The shape of `window` must be equal to [frame_length]. "
            f"Received: window shape={tuple(win.shape)}"
        )
    return win


def stft_kernel(side, window, scaling, periodic, frame_length, bins):
    """Keras's STFT initializer: `(frame_length, 1, bins)` cosines ('real') or sines
    ('imag') of `-2 pi t f / fft_length`, times the window over its scale."""
    fft_length = (bins - 1) * 2
    freq = torch.arange(bins, dtype=torch.float64).view(1, 1, bins) / fft_length
    time = torch.arange(frame_length, dtype=torch.float64).view(frame_length, 1, 1)
    args = -2.0 * time * freq * math.pi
    kernel = torch.cos(args) if side == "real" else torch.sin(args)
    if window is not None:
        win = _window(window, frame_length, periodic).view(frame_length, 1, 1)
        scale = 1.0
        if scaling == "density":
            scale = torch.sqrt((win**2).sum())
        elif scaling == "spectrum":
            scale = win.abs().sum()
        kernel = kernel * win / scale
    return kernel.float()


_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


@register_serializable(package="plait")
class STFTSpectrogram(PreprocessingLayer):
    """The short-time Fourier transform of each channel of a signal, computed as two 1D
    convolutions (cosine and sine kernels times a window) with stride `frame_step`; the
    kernels are trainable weights initialized as Keras's `STFT` initializer does.

    Args:
        mode: 'log' (default: log magnitude), 'magnitude', 'psd' (power spectral
            density), 'real', 'imag', 'angle' or 'stft' (real and imaginary parts
            concatenated along the frequency axis).
        frame_length: window length in samples (default 256).
        frame_step: hop in samples (default None: `frame_length // 2`).
        fft_length: FFT size (default None: the power of two at or above `frame_length`).
        window: 'hann' (default), 'hamming', 'blackman', 'bartlett', 'boxcar', another
            SciPy window name (needs SciPy), a sequence of `frame_length` values, or None.
        periodic: periodic (True) or symmetric (False, default) window.
        scaling: 'density' (default: divide by the window's L2 norm), 'spectrum' (by
            its L1 norm) or None.
        padding: 'valid' (default) or 'same'.
        expand_dims: keep channels and frequencies as separate axes (default False:
            frequencies of each channel concatenated).
        data_format: 'channels_last' (default, `(batch, time, channels)`) or
            'channels_first'.

    Input shape: `(batch, time, channels)` (channels_last), float. Output shape:
    `(batch, frames, channels * bins)`, or `(batch, frames, bins, channels)` with
    expand_dims; `bins = fft_length // 2 + 1` (twice that for 'stft').

    Raises:
        ValueError: a bad `frame_step`, `fft_length`, `mode`, `scaling` or `padding`.
        TypeError: non-float input.

    Example:
        >>> import torch
        >>> layer = STFTSpectrogram(frame_length=64, frame_step=32, mode="magnitude")
        >>> layer(torch.randn(2, 256, 1)).shape
        torch.Size([2, 7, 33])
    """

    def __init__(
        self,
        mode="log",
        frame_length=256,
        frame_step=None,
        fft_length=None,
        window="hann",
        periodic=False,
        scaling="density",
        padding="valid",
        expand_dims=False,
        data_format=None,
        **kwargs,
    ):
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError(
                "`frame_step` should be a positive integer not greater than `frame_length`. "
                f"Received frame_step={frame_step}, frame_length={frame_length}"
            )
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(
                "`fft_length` should be not less than `frame_length`. "
                f"Received fft_length={fft_length}, frame_length={frame_length}"
            )
        if mode not in _MODES:
            raise ValueError(
                f"Output mode is invalid, it must be one of {', '.join(_MODES)}. "
                f"Received: mode={mode}"
            )
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                "Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                f"Received scaling={scaling}"
            )
        if padding not in ("valid", "same"):
            raise ValueError(
                f"Padding is invalid, it should be 'valid', 'same'. Received: padding={padding}"
            )
        data_format = data_format or "channels_last"
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                "`data_format` must be 'channels_last' or 'channels_first'. "
                f"Received: data_format={data_format!r}"
            )
        super().__init__(**kwargs)
        if isinstance(window, str):
            _window(window, 1, periodic)  # an unknown name fails here, as in Keras
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = data_format

    def build(self, input_shape):
        bins = self._fft_length // 2 + 1
        shape = (self.frame_length, 1, bins)
        for side in ("real", "imag"):
            if self.mode == ("imag" if side == "real" else "real"):
                continue

            def init(shape, dtype=None, device=None, side=side):
                kernel = stft_kernel(
                    side, self.window, self.scaling, self.periodic, shape[0], shape[2]
                )
                return kernel.to(dtype=dtype or torch.float32, device=device)

            self.add_weight(f"{side}_kernel", shape, init, layout=(2, 1, 0))

    def _conv(self, x, kernel):
        """`x` `(batch, channels, time)` -> `(batch, channels, bins, frames)`."""
        b, c, t = x.shape
        flat = x.reshape(b * c, 1, t)
        if self.padding == "same":
            frames = -(-t // self._frame_step)
            total = max((frames - 1) * self._frame_step + self.frame_length - t, 0)
            flat = F.pad(flat, (total // 2, total - total // 2))
        out = F.conv1d(flat, kernel.to(x.dtype), stride=self._frame_step)
        return out.reshape(b, c, out.shape[1], out.shape[2])

    def _shape(self, out):
        """`(batch, channels, freq, frames)` to the layer's output layout."""
        b, c, f, t = out.shape
        if self.data_format == "channels_last":
            if self.expand_dims:
                return out.permute(0, 3, 2, 1)
            return out.reshape(b, c * f, t).transpose(1, 2)
        if self.expand_dims:
            return out.transpose(2, 3)
        return out.reshape(b, c * f, t)

    def forward(self, inputs):
        if not inputs.is_floating_point():
            raise TypeError(
                f"STFTSpectrogram layer '{self.name}': invalid input type. Expected float16, "
                f"float32 or float64. Received: input type={inputs.dtype}"
            )
        if inputs.dim() != 3:
            raise ValueError(
                f"STFTSpectrogram layer '{self.name}' expects inputs of rank 3 (batch, time, "
                f"channels). Received: inputs with shape {tuple(inputs.shape)}"
            )
        x = inputs.transpose(1, 2) if self.data_format == "channels_last" else inputs
        real = None if self.mode == "imag" else self._conv(x, self.real_kernel)
        imag = None if self.mode == "real" else self._conv(x, self.imag_kernel)
        if self.mode == "real":
            return self._shape(real)
        if self.mode == "imag":
            return self._shape(imag)
        if self.mode == "angle":
            return self._shape(torch.atan2(imag, real))
        if self.mode == "stft":
            return self._shape(torch.cat([real, imag], dim=2))
        power = real.square() + imag.square()
        if self.mode == "psd":
            return self._shape(power + F.pad(power[:, :, 1:-1, :], (0, 0, 1, 1)))
        magnitude = self._shape(torch.sqrt(torch.clamp(power, min=_EPSILON)))
        if self.mode == "magnitude":
            return magnitude
        return torch.log(torch.clamp(magnitude, min=_EPSILON))

    def compute_output_shape(self, input_shape):
        last = self.data_format == "channels_last"
        steps, channels = (input_shape[1], input_shape[2])[:: 1 if last else -1]
        bins = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        if steps is None:
            frames = None
        elif self.padding == "same":
            frames = -(-steps // self._frame_step)
        else:
            frames = (steps - self.frame_length) // self._frame_step + 1
        if self.expand_dims:
            return (
                (input_shape[0], frames, bins, channels)
                if last
                else (input_shape[0], channels, frames, bins)
            )
        flat = None if channels is None else channels * bins
        return (input_shape[0], frames, flat) if last else (input_shape[0], flat, frames)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "mode": self.mode,
                "frame_length": self.frame_length,
                "frame_step": self.frame_step,
                "fft_length": self.fft_length,
                "window": self.window,
                "periodic": self.periodic,
                "scaling": self.scaling,
                "padding": self.padding,
                "data_format": self.data_format,
                "expand_dims": self.expand_dims,
            }
        )
        return config
