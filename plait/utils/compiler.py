"""`torch.compiler.disable` without importing torch._dynamo at import time.

`torch.compiler.disable(fn)` imports `torch._dynamo` (and with it inductor, sympy and most of
`torch.distributed`): a few hundred milliseconds, paid by every program that imports a module
using it as a decorator, even one that never compiles. `disable` here defers that: the
function it returns carries the marker torch.compile honours (`_torchdynamo_disable`, so
dynamo calls it instead of tracing it), and it runs through `torch.compiler.disable(fn)`
once `torch._dynamo` is loaded, that is, once anything may compile.
"""

import functools
import sys

import torch

__all__ = ["disable"]


def disable(fn):
    """`fn` as `torch.compiler.disable(fn)` makes it, with torch._dynamo imported lazily.

    Args:
        fn: a function or method.

    Returns:
        A function that calls `fn`: directly while `torch._dynamo` is not loaded (nothing
        can be compiling then), through `torch.compiler.disable(fn)` afterwards; under
        torch.compile it is not traced (dynamo breaks the graph and calls it).

    Example:
        >>> @disable
        ... def host_side(x):
        ...     return x + 1
        >>> host_side(1)
        2
    """
    if "torch._dynamo" in sys.modules:
        return torch.compiler.disable(fn)
    disabled = None

    @functools.wraps(fn)
    def call(*args, **kwargs):
        nonlocal disabled
        if disabled is None:
            if "torch._dynamo" not in sys.modules:
                return fn(*args, **kwargs)
            disabled = torch.compiler.disable(fn)
        return disabled(*args, **kwargs)

    call._torchdynamo_disable = True  # type: ignore[attr-defined]
    return call
