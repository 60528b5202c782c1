"""`Config`: Keras's dict with attribute access (`config.learning_rate`), which can be
frozen against changes."""

import copy
import difflib
import json

__all__ = ["Config"]

_OWN = frozenset({"_config", "_frozen"})


class Config:
    """A dict of settings read and written as attributes or items.

    Example:
        >>> config = Config(learning_rate=0.1, momentum=0.9)
        >>> config.learning_rate
        0.1
        >>> config.freeze()
        >>> config.momentum = 0.5
        Traceback (most recent call last):
        ValueError: Cannot mutate attribute(s) because the config is frozen.
    """

    def __init__(self, **kwargs):
        object.__setattr__(self, "_config", kwargs)
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self):
        """Whether changes are refused."""
        return self._frozen

    def freeze(self):
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self):
        object.__setattr__(self, "_frozen", False)

    def _raise_if_frozen(self):
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen.")

    def as_dict(self):
        return copy.copy(self._config)

    def to_json(self):
        return json.dumps(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def pop(self, *args):
        self._raise_if_frozen()
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        self._raise_if_frozen()
        return self._config.update(*args, **kwargs)

    def get(self, keyname, value=None):
        return self._config.get(keyname, value)

    def __setattr__(self, name, value):
        if name in _OWN or hasattr(type(self), name):
            return object.__setattr__(self, name, value)
        self._raise_if_frozen()
        self._config[name] = value

    def __getattr__(self, name):
        config = object.__getattribute__(self, "_config")
        if name in config:
            return config[name]
        close = difflib.get_close_matches(name, list(config), n=1, cutoff=0.7)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise AttributeError(f"Unknown attribute: '{name}'.{hint}")

    def __setitem__(self, key, item):
        self._raise_if_frozen()
        self._config[key] = item

    def __getitem__(self, key):
        return self._config[key]

    def __delitem__(self, key):
        self._raise_if_frozen()
        del self._config[key]

    def __contains__(self, item):
        return item in self._config

    def __iter__(self):
        return iter(sorted(self._config))

    def __len__(self):
        return len(self._config)

    def __repr__(self):
        return f"<Config {self._config}>"
