"""Train/eval mode for the span of a call, given back exactly as the user had it."""

import contextlib

__all__ = ["mode"]


@contextlib.contextmanager
def mode(module, training):
    """Switch `module` to train/eval mode, then give every submodule its own mode back.

    Args:
        module: a `torch.nn.Module`.
        training: the mode to run in (True: train).

    Example:
        >>> import torch
        >>> net = torch.nn.Sequential(torch.nn.Dropout()).eval()
        >>> with mode(net, training=True):
        ...     net.training
        True
        >>> net.training
        False
    """
    modes = [(m, m.training) for m in module.modules()]
    # Only what changes is set: `nn.Module.__setattr__` is slow, and predict on a small
    # model would spend a fifth of its time here otherwise.
    if any(previous != training for _, previous in modes):
        module.train(training)
    try:
        yield
    finally:
        for m, previous in modes:
            if m.training != previous:
                m.training = previous
