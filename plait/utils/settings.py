"""Process-wide Keras settings, shared by `plait.config` and `plait.backend` (their public
faces) and read by low-level code that may import only `plait.utils` (data formats, the
progress bar, safe deserialization). Plain state; validation lives in `plait.config`."""

__all__ = ["get", "set"]

_state = {
    "floatx": "float32",
    "epsilon": 1e-7,
    "image_data_format": "channels_last",
    "interactive_logging": True,
    "traceback_filtering": True,
    "unsafe_deserialization": False,
    "flash_attention": None,
    "max_epochs": None,
    "max_steps_per_epoch": None,
}


def get(name):
    """The current value of setting `name`."""
    return _state[name]


def set(name, value):
    """Sets setting `name` to `value`."""
    _state[name] = value
