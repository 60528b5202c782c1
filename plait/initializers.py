"""Weight initializers with Keras's names and defaults.

An initializer is called with a shape in *Keras layout* (Dense kernel `(in, out)`, Conv2D
kernel `(kh, kw, in, out)`) and returns a tensor of that shape; layers transpose it into
PyTorch's layout. Fans are computed from the Keras layout, as Keras does.
"""

import math

import numpy as np
import torch

from plait.serialization import (
    deserialize_object,
    get_object,
    module_dir,
    register_serializable,
)

__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "IdentityInitializer",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "OrthogonalInitializer",
    "RandomNormal",
    "RandomUniform",
    "STFT",
    "STFTInitializer",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "constant",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "serialize",
    "stft",
    "truncated_normal",
    "variance_scaling",
    "zeros",
    "deserialize",
]


def __dir__():  # dir() lists the public API, not torch, re or helpers
    return module_dir(globals())


def compute_fans(shape):
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class of initializers: `initializer(shape, dtype=None, device=None)` returns a tensor.

    The shape is in Keras's layout (a Dense kernel `(in, out)`, a Conv2D kernel `(kh, kw,
    in, out)`); layers transpose the result into PyTorch's layout. Subclasses define
    `__call__` and `get_config`; a `seed` attribute makes `_generator` reproducible.

    Example:
        >>> import torch
        >>> from plait import initializers
        >>> class Halves(initializers.Initializer):
        ...     def __call__(self, shape, dtype=None, device=None):
        ...         return torch.full(shape, 0.5, dtype=dtype, device=device)
        >>> Halves()((2,))
        tensor([0.5000, 0.5000])
    """

    def __call__(self, shape, dtype=None, device=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _generator(self, device):
        seed = getattr(self, "seed", None)
        if seed is None:
            return None
        gen = torch.Generator(device=device or "cpu")
        gen.manual_seed(seed)
        return gen


@register_serializable(package="plait")
class Zeros(Initializer):
    """Fills the tensor with 0.

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Example:
        >>> from plait import initializers
        >>> initializers.Zeros()((2, 3))
        tensor([[0., 0., 0.],
                [0., 0., 0.]])
    """

    def __call__(self, shape, dtype=None, device=None):
        return torch.zeros(shape, dtype=dtype, device=device)


@register_serializable(package="plait")
class Ones(Initializer):
    """Fills the tensor with 1.

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Example:
        >>> from plait import initializers
        >>> initializers.Ones()((2, 3))
        tensor([[1., 1., 1.],
                [1., 1., 1.]])
    """

    def __call__(self, shape, dtype=None, device=None):
        return torch.ones(shape, dtype=dtype, device=device)


@register_serializable(package="plait")
class Constant(Initializer):
    """Fills the tensor with `value`.

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Args:
        value: the scalar to fill with (default 0.0).

    Example:
        >>> from plait import initializers
        >>> initializers.Constant(2.5)((2, 2))
        tensor([[2.5000, 2.5000],
                [2.5000, 2.5000]])
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None, device=None):
        return torch.full(shape, self.value, dtype=dtype, device=device)

    def get_config(self):
        return {"value": self.value}


@register_serializable(package="plait")
class RandomUniform(Initializer):
    """Samples uniformly from `[minval, maxval)`.

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Args:
        minval: default -0.05. maxval: default 0.05.
        seed: an int for reproducible values (Keras's values for the same seed), or None.

    Example:
        >>> from plait import initializers
        >>> initializers.RandomUniform(seed=1)((2, 2))
        tensor([[ 0.0258, -0.0221],
                [-0.0097,  0.0235]])
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=None, device=None):
        out = torch.empty(shape, dtype=dtype, device=device)
        return out.uniform_(self.minval, self.maxval, generator=self._generator(device))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


@register_serializable(package="plait")
class RandomNormal(Initializer):
    """Samples from a normal distribution N(mean, stddev**2).

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Args:
        mean: default 0.0. stddev: default 0.05.
        seed: an int for reproducible values (Keras's values for the same seed), or None.

    Example:
        >>> from plait import initializers
        >>> initializers.RandomNormal(seed=1)((2, 2))
        tensor([[0.0331, 0.0133],
                [0.0031, 0.0311]])
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None, device=None):
        out = torch.empty(shape, dtype=dtype, device=device)
        return out.normal_(self.mean, self.stddev, generator=self._generator(device))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


@register_serializable(package="plait")
class TruncatedNormal(RandomNormal):
    """Samples from a normal distribution, redrawing values beyond two standard deviations.

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Args:
        mean: default 0.0. stddev: default 0.05.
        seed: an int for reproducible values, or None.

    Example:
        >>> from plait import initializers
        >>> w = initializers.TruncatedNormal(seed=1)((1000,))
        >>> w.shape, bool(w.abs().max() <= 2 * 0.05)
        (torch.Size([1000]), True)
    """

    def __call__(self, shape, dtype=None, device=None):
        out = torch.empty(shape, dtype=dtype, device=device)
        return torch.nn.init.trunc_normal_(
            out,
            self.mean,
            self.stddev,
            self.mean - 2 * self.stddev,
            self.mean + 2 * self.stddev,
            generator=self._generator(device),
        )


@register_serializable(package="plait")
class VarianceScaling(Initializer):
    """Samples with a variance scaled to the weight's fan: `scale / fan`.

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Args:
        scale: a positive float (default 1.0).
        mode: 'fan_in' (default), 'fan_out' or 'fan_avg': which fan divides `scale`;
            fans come from the Keras-layout shape (a Conv kernel's receptive field counts).
        distribution: 'truncated_normal' (default; stddev corrected for the truncation at
            two stddevs), 'untruncated_normal' or 'uniform' (limit `sqrt(3 * scale / fan)`).
        seed: an int for reproducible values, or None.

    Raises:
        ValueError: a non-positive `scale`, an unknown `mode` or `distribution`.

    Example:
        >>> from plait import initializers
        >>> initializers.VarianceScaling(2.0, distribution='uniform', seed=1)((2, 2))
        tensor([[ 0.8925, -0.7645],
                [-0.3358,  0.8130]])
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if scale <= 0.0:
            raise ValueError(f"`scale` must be positive. Received: scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(
                f"`mode` must be 'fan_in', 'fan_out' or 'fan_avg'. Received: mode={mode!r}"
            )
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(
                "`distribution` must be 'truncated_normal', 'untruncated_normal' or 'uniform'. "
                f"Received: distribution={distribution!r}"
            )
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape, dtype=None, device=None):
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        scale = self.scale / max(1.0, fan)
        out = torch.empty(shape, dtype=dtype, device=device)
        gen = self._generator(device)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * scale)
            return out.uniform_(-limit, limit, generator=gen)
        if self.distribution == "untruncated_normal":
            return out.normal_(0.0, math.sqrt(scale), generator=gen)
        # Keras's constant: the stddev of a unit normal truncated at two stddevs.
        stddev = math.sqrt(scale) / 0.87962566103423978
        return torch.nn.init.trunc_normal_(out, 0.0, stddev, -2 * stddev, 2 * stddev, generator=gen)

    def get_config(self):
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "seed": self.seed,
        }


def _variance_scaling(name, scale, mode, distribution, doc):
    """A `VarianceScaling` with fixed `scale`, `mode` and `distribution` (its only argument
    is `seed`), registered under `name`, with docstring `doc`."""

    class Preset(VarianceScaling):
        def __init__(self, seed=None):
            super().__init__(scale, mode, distribution, seed)

        def get_config(self):
            return {"seed": self.seed}

    Preset.__name__ = Preset.__qualname__ = name
    Preset.__doc__ = doc
    return register_serializable(package="plait")(Preset)


GlorotUniform = _variance_scaling(
    "GlorotUniform",
    1.0,
    "fan_avg",
    "uniform",
    """Glorot (Xavier) uniform: U(-limit, limit) with `limit = sqrt(6 / (fan_in + fan_out))`.

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Args:
        seed: an int for reproducible values (Keras's values for the same seed), or None.

    Example:
        >>> from plait import initializers
        >>> initializers.GlorotUniform(seed=1)((2, 2))
        tensor([[ 0.6311, -0.5406],
                [-0.2374,  0.5749]])
    """,
)
GlorotNormal = _variance_scaling(
    "GlorotNormal",
    1.0,
    "fan_avg",
    "truncated_normal",
    """Glorot (Xavier) normal: truncated normal with `stddev = sqrt(2 / (fan_in + fan_out))`.

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Args:
        seed: an int for reproducible values, or None.

    Example:
        >>> from plait import initializers
        >>> w = initializers.GlorotNormal(seed=1)((1000,))
        >>> w.shape, bool(w.abs().max() <= 2 * (1 / 1000) ** 0.5 / 0.8796)
        (torch.Size([1000]), True)
    """,
)
HeUniform = _variance_scaling(
    "HeUniform",
    2.0,
    "fan_in",
    "uniform",
    """He uniform: U(-limit, limit) with `limit = sqrt(6 / fan_in)`.

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Args:
        seed: an int for reproducible values, or None.

    Example:
        >>> from plait import initializers
        >>> initializers.HeUniform(seed=1)((2, 2))
        tensor([[ 0.8925, -0.7645],
                [-0.3358,  0.8130]])
    """,
)
HeNormal = _variance_scaling(
    "HeNormal",
    2.0,
    "fan_in",
    "truncated_normal",
    """He normal: truncated normal with `stddev = sqrt(2 / fan_in)`.

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Args:
        seed: an int for reproducible values, or None.

    Example:
        >>> from plait import initializers
        >>> w = initializers.HeNormal(seed=1)((1000,))
        >>> w.shape, bool(w.abs().max() <= 2 * (2 / 1000) ** 0.5 / 0.8796)
        (torch.Size([1000]), True)
    """,
)
LecunUniform = _variance_scaling(
    "LecunUniform",
    1.0,
    "fan_in",
    "uniform",
    """LeCun uniform: U(-limit, limit) with `limit = sqrt(3 / fan_in)`.

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Args:
        seed: an int for reproducible values, or None.

    Example:
        >>> from plait import initializers
        >>> initializers.LecunUniform(seed=1)((2, 2))
        tensor([[ 0.6311, -0.5406],
                [-0.2374,  0.5749]])
    """,
)
LecunNormal = _variance_scaling(
    "LecunNormal",
    1.0,
    "fan_in",
    "truncated_normal",
    """LeCun normal: truncated normal with `stddev = sqrt(1 / fan_in)`.

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Args:
        seed: an int for reproducible values, or None.

    Example:
        >>> from plait import initializers
        >>> w = initializers.LecunNormal(seed=1)((1000,))
        >>> w.shape, bool(w.abs().max() <= 2 * (1 / 1000) ** 0.5 / 0.8796)
        (torch.Size([1000]), True)
    """,
)


@register_serializable(package="plait")
class Orthogonal(Initializer):
    """An orthogonal matrix (times `gain`), from the QR decomposition of a normal matrix.

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Args:
        gain: a multiplicative factor (default 1.0).
        seed: an int for reproducible values (Keras's matrix for the same seed), or None.

    Raises:
        ValueError: (when called) a shape of rank < 2.

    Example:
        >>> from plait import initializers
        >>> initializers.Orthogonal(seed=1)((2, 2))
        tensor([[ 0.9957, -0.0929],
                [ 0.0929,  0.9957]])
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def __call__(self, shape, dtype=None, device=None):
        if len(shape) < 2:
            raise ValueError(
                f"The Orthogonal initializer needs a shape of rank >= 2. Received: shape={shape}"
            )
        # Keras's construction (so a seed gives Keras's matrix): QR of a normal matrix of
        # shape (max, min), signs fixed by R's diagonal, transposed when wide.
        rows, cols = math.prod(shape[:-1]), shape[-1]
        flat = torch.empty(max(rows, cols), min(rows, cols), dtype=torch.float32, device=device)
        flat.normal_(0.0, 1.0, generator=self._generator(device))
        q, r = torch.linalg.qr(flat)
        q = q * torch.sign(torch.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).to(dtype or torch.float32)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


@register_serializable(package="plait")
class Identity(Initializer):
    """The identity matrix times `gain` (a 2-D shape; a non-square one gets ones on its main diagonal).

    Called with a shape in Keras's layout, returns a tensor of that shape.

    Args:
        gain: a multiplicative factor (default 1.0).

    Raises:
        ValueError: (when called) a shape that is not 2-D.

    Example:
        >>> from plait import initializers
        >>> initializers.Identity(gain=2.0)((2, 3))
        tensor([[2., 0., 0.],
                [0., 2., 0.]])
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None, device=None):
        if len(shape) != 2:
            raise ValueError(f"The Identity initializer needs a 2-D shape. Received: shape={shape}")
        return self.gain * torch.eye(*shape, dtype=dtype, device=device)

    def get_config(self):
        return {"gain": self.gain}


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


_INITIALIZERS = {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "random_uniform": RandomUniform,
    "random_normal": RandomNormal,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform,
    "he_normal": HeNormal,
    "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal,
    "identity": Identity,
    "stft": STFT,
    "uniform": RandomUniform,
    "normal": RandomNormal,
}
# Keras's snake_case spellings of the classes: `initializers.he_normal(seed=1)`.
zeros, ones, constant, identity = Zeros, Ones, Constant, Identity
random_uniform, random_normal, truncated_normal = RandomUniform, RandomNormal, TruncatedNormal
variance_scaling, orthogonal = VarianceScaling, Orthogonal
glorot_uniform, glorot_normal, he_uniform, he_normal = (
    GlorotUniform,
    GlorotNormal,
    HeUniform,
    HeNormal,
)
lecun_uniform, lecun_normal = LecunUniform, LecunNormal
IdentityInitializer = Identity  # Keras 3's other name for it
OrthogonalInitializer = Orthogonal  # Keras 3's other names
STFTInitializer = stft = STFT

# Dict configs resolve here first: the layer registry also holds an `Identity` (the layer).
_CLASSES = {cls.__name__: cls for cls in _INITIALIZERS.values()}


def get(identifier):
    """The initializer for `identifier`.

    Args:
        identifier: a name ('glorot_uniform'), a config dict, an Initializer class or
            instance, or a callable `(shape, dtype=None, device=None)`.

    Returns:
        An initializer (a name or class gives an instance with the defaults).

    Raises:
        ValueError: an unknown name. TypeError: an identifier of another type.

    Example:
        >>> from plait import initializers
        >>> type(initializers.get("he_normal")).__name__
        'HeNormal'
        >>> initializers.get({"class_name": "Constant", "config": {"value": 3.0}}).value
        3.0
    """
    return get_object(identifier, Initializer, _INITIALIZERS, "initializer", _CLASSES)


def serialize(initializer):
    """The config an initializer is saved as.

    Args:
        initializer: an initializer or a function.

    Returns:
        A built-in with its default config: its short name (as Keras 2 configs have it);
        another initializer: a `{"class_name", "config"}` dict; a function: its name.

    Example:
        >>> from plait import initializers
        >>> initializers.serialize(initializers.GlorotUniform())
        'glorot_uniform'
        >>> initializers.serialize(initializers.Constant(2.0))
        {'class_name': 'Constant', 'config': {'value': 2.0}}
    """
    for name, cls in _INITIALIZERS.items():
        # A default-configured built-in serializes as its short name, as in Keras 2 configs.
        if type(initializer) is cls and initializer.get_config() == cls().get_config():
            return name
    if isinstance(initializer, Initializer):
        return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
    return getattr(initializer, "__name__", repr(initializer))


def deserialize(config, custom_objects=None):
    """Rebuilds the initializer `serialize` described.

    Args:
        config: a name, or a `{"class_name", "config"}` dict (Keras's `deserialize`).
        custom_objects: a dict mapping names to your own classes or functions.

    Returns:
        The initializer.

    Raises:
        ValueError: an unknown name or class.

    Example:
        >>> from plait import initializers
        >>> initializers.deserialize("zeros")((2,))
        tensor([0., 0.])
    """
    return deserialize_object(config, custom_objects, get)
