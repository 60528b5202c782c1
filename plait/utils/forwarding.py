"""Module attributes looked up elsewhere when first asked for: Keras 2's old module paths
(`keras.layers.core.Dropout`, `keras.layers.convolutional.MaxPooling2D`, ...) name classes
that plait defines in another family, which a family module may not import."""

import importlib
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["forwarded_names"]


def forwarded_names(module: str, names: Iterable[str], source: str) -> Callable[[str], Any]:
    """A module-level `__getattr__` for `module` that reads each of `names` from the module
    `source` (imported on first use) and refuses any other name as Python does.

    >>> getattr_ = forwarded_names("old.path", ["Dense"], "plait.layers")
    >>> getattr_("Dense").__name__
    'Dense'
    >>> getattr_("Nothing")
    Traceback (most recent call last):
    AttributeError: module 'old.path' has no attribute 'Nothing'
    """
    names = frozenset(names)

    def __getattr__(name: str) -> Any:
        if name in names:
            return getattr(importlib.import_module(source), name)
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__
