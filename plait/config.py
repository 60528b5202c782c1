"""Process-wide settings: the device layers are built on, the default float dtype."""
import torch

_device = None


def device():
    """The device new layers put their weights on: `set_device`'s, else CUDA when available."""
    if _device is not None:
        return _device
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


def set_device(dev):
    """Build new layers on `dev` ("cpu", "cuda", "cuda:1", a torch.device, or None for auto)."""
    global _device
    _device = None if dev is None else torch.device(dev)


def floatx():
    return "float32"
