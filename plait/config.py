"""Process-wide settings: Keras 3's `keras.config` functions, plus the device new layers are
built on. `plait.backend` exposes the same settings under Keras's backend names; both read
and write one shared state (`plait.utils.settings`).

    from plait import config
    config.set_floatx("float64")      # new layers build float64 weights
    config.disable_interactive_logging()   # fit's progress goes to `logging`, not stdout

Where a setting has no effect in plait, its docstring says so and why.
"""

import torch

from plait import mixed_precision
from plait.utils import settings

__all__ = [
    "backend",
    "device",
    "disable_flash_attention",
    "disable_interactive_logging",
    "disable_traceback_filtering",
    "dtype_policy",
    "enable_flash_attention",
    "enable_interactive_logging",
    "enable_traceback_filtering",
    "enable_unsafe_deserialization",
    "epsilon",
    "floatx",
    "image_data_format",
    "is_flash_attention_enabled",
    "is_interactive_logging_enabled",
    "is_traceback_filtering_enabled",
    "max_epochs",
    "max_steps_per_epoch",
    "set_backend",
    "set_device",
    "set_dtype_policy",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "set_max_epochs",
    "set_max_steps_per_epoch",
]

_device = None
_FLOATS = ("float16", "bfloat16", "float32", "float64")


def device() -> torch.device:
    """The device new layers put their weights on.

    Returns:
        `set_device`'s device, else CUDA when available, else the CPU (a `torch.device`).

    Example:
        >>> import torch
        >>> from plait import config
        >>> config.set_device("cpu")
        >>> config.device()
        device(type='cpu')
        >>> config.set_device(None)  # back to automatic
    """
    if _device is not None:
        return _device
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


def set_device(dev) -> None:
    """Builds new layers on `dev`.

    Args:
        dev: "cpu", "cuda", "cuda:1", a `torch.device`, or None for automatic (CUDA when
            available).

    Example:
        >>> from plait import config
        >>> config.set_device("cpu")
        >>> config.device().type
        'cpu'
        >>> config.set_device(None)
    """
    global _device
    _device = None if dev is None else torch.device(dev)


def floatx() -> str:
    """The default float dtype name.

    Returns:
        'float32' unless `set_floatx` changed it: the dtype of new layers' weights, of `Input`
        tensors and of floats that `plait.ops` converts.

    Example:
        >>> from plait import config
        >>> config.floatx()
        'float32'
    """
    return settings.get("floatx")


def set_floatx(value: str) -> None:
    """Sets the default float dtype.

    Args:
        value: 'float16', 'bfloat16', 'float32' or 'float64'.

    Raises:
        ValueError: for any other value.

    Example:
        >>> from plait import config
        >>> from plait.layers import Dense
        >>> config.set_floatx("float64")
        >>> layer = Dense(2)
        >>> layer.build((None, 3))
        >>> layer.kernel.dtype
        torch.float64
        >>> config.set_floatx("float32")
    """
    value = str(value)
    if value not in _FLOATS:
        raise ValueError(
            f"Unknown floatx type: {value!r}. Expected one of {list(_FLOATS)}. "
            f"Received: value={value!r}"
        )
    settings.set("floatx", value)


def epsilon() -> float:
    """The fuzz factor numeric expressions use.

    `plait.ops` and `plait.backend` read it (normalize, crossentropies, `K.epsilon()`);
    plait's built-in losses keep Keras's default 1e-7 as a constant.

    Returns:
        A float, 1e-7 unless `set_epsilon` changed it.

    Example:
        >>> from plait import config
        >>> config.epsilon()
        1e-07
    """
    return settings.get("epsilon")


def set_epsilon(value: float) -> None:
    """Sets the fuzz factor `epsilon()` returns.

    Args:
        value: a number.

    Raises:
        TypeError: if `value` is not a number.

    Example:
        >>> from plait import config
        >>> config.set_epsilon(1e-5)
        >>> config.epsilon()
        1e-05
        >>> config.set_epsilon(1e-7)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"set_epsilon takes a number. Received: value={value!r}")
    settings.set("epsilon", float(value))


def image_data_format() -> str:
    """The default image data format.

    Returns:
        'channels_last' (the default) or 'channels_first': the `data_format` that
        convolution, pooling and image layers and ops use when given None.

    Example:
        >>> from plait import config
        >>> config.image_data_format()
        'channels_last'
    """
    return settings.get("image_data_format")


def set_image_data_format(data_format: str) -> None:
    """Sets the default image data format for layers built afterwards.

    Args:
        data_format: 'channels_last' or 'channels_first'.

    Raises:
        ValueError: unless `data_format` is 'channels_last' or 'channels_first'.

    Example:
        >>> from plait import config
        >>> config.set_image_data_format("channels_first")
        >>> config.image_data_format()
        'channels_first'
        >>> config.set_image_data_format("channels_last")
    """
    value = str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', "
            f"'channels_last'}}. Received: data_format={data_format!r}"
        )
    settings.set("image_data_format", value)


def backend() -> str:
    """The backend's name: always 'torch'.

    Example:
        >>> from plait import config
        >>> config.backend()
        'torch'
    """
    return "torch"


def set_backend(backend: str) -> None:
    """plait runs only on PyTorch: 'torch' is accepted (a no-op), anything else raises.

    Args:
        backend: the backend's name.

    Raises:
        ValueError: for a backend other than 'torch'.

    Example:
        >>> from plait import config
        >>> config.set_backend("torch")
        >>> config.set_backend("jax")
        Traceback (most recent call last):
        ...
        ValueError: plait runs on PyTorch only; it has no other backend. Received: backend='jax'
    """
    if backend != "torch":
        raise ValueError(
            f"plait runs on PyTorch only; it has no other backend. Received: backend={backend!r}"
        )


def enable_unsafe_deserialization() -> None:
    """Lets loading rebuild layers whose config holds code (Lambda).

    As if every `load_model` were called with `safe_mode=False`. Only for files you trust.

    Example:
        >>> from plait import config, serialization
        >>> from plait.utils import settings
        >>> config.enable_unsafe_deserialization()
        >>> serialization.in_safe_mode()
        False
        >>> settings.set("unsafe_deserialization", False)  # undo (tests only)
    """
    settings.set("unsafe_deserialization", True)


def enable_interactive_logging() -> None:
    """Sends the progress bar and messages of fit/evaluate/predict to stdout (the default).

    Example:
        >>> from plait import config
        >>> config.enable_interactive_logging()
        >>> config.is_interactive_logging_enabled()
        True
    """
    settings.set("interactive_logging", True)


def disable_interactive_logging() -> None:
    """Sends the progress lines of fit/evaluate/predict to Python's `logging`.

    Logger 'plait', level INFO, one line per update, as Keras does; stdout stays quiet.

    Example:
        >>> from plait import config
        >>> config.disable_interactive_logging()
        >>> config.is_interactive_logging_enabled()
        False
        >>> config.enable_interactive_logging()
    """
    settings.set("interactive_logging", False)


def is_interactive_logging_enabled() -> bool:
    """Whether progress goes to stdout (see `disable_interactive_logging`).

    Returns:
        True by default.

    Example:
        >>> from plait import config
        >>> config.is_interactive_logging_enabled()
        True
    """
    return settings.get("interactive_logging")


def enable_traceback_filtering() -> None:
    """Recorded for Keras compatibility; no effect.

    plait never filters tracebacks: its errors are raised at the user's call with plain
    Python frames, so there is nothing to hide.

    Example:
        >>> from plait import config
        >>> config.enable_traceback_filtering()
        >>> config.is_traceback_filtering_enabled()
        True
    """
    settings.set("traceback_filtering", True)


def disable_traceback_filtering() -> None:
    """Recorded for Keras compatibility; no effect (plait never filters tracebacks).

    Example:
        >>> from plait import config
        >>> config.disable_traceback_filtering(); config.is_traceback_filtering_enabled()
        False
        >>> config.enable_traceback_filtering()
    """
    settings.set("traceback_filtering", False)


def is_traceback_filtering_enabled() -> bool:
    """The value last set by enable/disable_traceback_filtering: True by default.

    Example:
        >>> from plait import config
        >>> config.is_traceback_filtering_enabled()
        True
    """
    return settings.get("traceback_filtering")


def enable_flash_attention() -> None:
    """Asks attention for flash kernels.

    No effect beyond the flag: PyTorch's `scaled_dot_product_attention` already picks a
    flash kernel where it can.

    Example:
        >>> from plait import config
        >>> from plait.utils import settings
        >>> config.enable_flash_attention()
        >>> config.is_flash_attention_enabled()
        True
        >>> settings.set("flash_attention", None)  # back to automatic
    """
    settings.set("flash_attention", True)


def disable_flash_attention() -> None:
    """Clears the flash-attention flag (see `enable_flash_attention`).

    Example:
        >>> from plait import config
        >>> from plait.utils import settings
        >>> config.disable_flash_attention()
        >>> config.is_flash_attention_enabled()
        False
        >>> settings.set("flash_attention", None)  # back to automatic
    """
    settings.set("flash_attention", False)


def is_flash_attention_enabled():
    """The flash-attention flag.

    Returns:
        None (automatic, the default), True or False.

    Example:
        >>> from plait import config
        >>> print(config.is_flash_attention_enabled())
        None
    """
    return settings.get("flash_attention")


def max_epochs():
    """The cap on the epochs of any `fit` (None: no cap). See `set_max_epochs`.

    Example:
        >>> from plait import config
        >>> print(config.max_epochs())
        None
    """
    return settings.get("max_epochs")


def set_max_epochs(max_epochs) -> None:
    """Caps every `fit`'s epochs (Keras's debugging aid).

    Recorded; plait's `fit` does not read it yet, so it has no effect on training.

    Args:
        max_epochs: an int, or None for no cap.

    Example:
        >>> from plait import config
        >>> config.set_max_epochs(2)
        >>> config.max_epochs()
        2
        >>> config.set_max_epochs(None)
    """
    settings.set("max_epochs", max_epochs)


def max_steps_per_epoch():
    """The cap on steps per epoch (None: no cap). See `set_max_steps_per_epoch`.

    Example:
        >>> from plait import config
        >>> print(config.max_steps_per_epoch())
        None
    """
    return settings.get("max_steps_per_epoch")


def set_max_steps_per_epoch(max_steps_per_epoch) -> None:
    """Caps every epoch's steps to `max_steps_per_epoch` (an int, or None for no cap):
    Keras's debugging aid, recorded like `set_max_epochs` (plait's `fit` does not read
    it yet, so it has no effect on training).

    Example:
        >>> from plait import config
        >>> config.set_max_steps_per_epoch(10); config.max_steps_per_epoch()
        10
        >>> config.set_max_steps_per_epoch(None)
    """
    settings.set("max_steps_per_epoch", max_steps_per_epoch)


def dtype_policy():
    """The global dtype policy (`plait.mixed_precision.global_policy()`).

    Example:
        >>> from plait import config
        >>> config.dtype_policy()
        <DTypePolicy "float32">
    """
    return mixed_precision.global_policy()


def set_dtype_policy(policy) -> None:
    """Sets the global dtype policy (`plait.mixed_precision.set_global_policy`).

    A mixed policy makes fit/evaluate/predict compute under autocast.

    Args:
        policy: a policy name ("mixed_bfloat16", "float32", ...), a `DTypePolicy`, or None.

    Example:
        >>> from plait import config
        >>> config.set_dtype_policy("mixed_bfloat16")
        >>> config.dtype_policy().compute_dtype
        'bfloat16'
        >>> config.set_dtype_policy("float32")
    """
    mixed_precision.set_global_policy(policy)
