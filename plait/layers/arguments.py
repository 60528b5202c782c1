"""Constructor helpers every layer family shares: passing a subclass's arguments on to its
base by name, and reading a weight's initializer, regularizer and constraint.

A layer keeps Keras's own signature (so `help()` and IDEs show it), and its base class
handles the arguments it shares with its siblings; `base_arguments` spares each subclass
from listing them a second time in its `super().__init__(...)` call.
"""

import functools
import inspect

from plait import constraints, initializers, regularizers

__all__ = ["add_kernel_and_bias", "base_arguments", "set_weight_arguments"]


@functools.cache
def _parameter_names(function):
    skip = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    params = inspect.signature(function).parameters.values()
    return tuple(p.name for p in params if p.kind not in skip and p.name != "self")


def base_arguments(base, arguments):
    """The arguments of `base.__init__` found in `arguments` (a subclass constructor's
    `locals()`), by name.

    Args:
        base: the base class whose constructor takes them.
        arguments: a mapping of names to values, usually `locals()`.

    Returns:
        A dict to pass as `super().__init__(**base_arguments(Base, locals()), **kwargs)`.

        >>> class Base:
        ...     def __init__(self, units, use_bias=True, **kwargs):
        ...         self.units, self.use_bias = units, use_bias
        >>> base_arguments(Base, {"self": None, "units": 3, "use_bias": False, "rate": 0.5})
        {'units': 3, 'use_bias': False}
    """
    return {name: arguments[name] for name in _parameter_names(base.__init__) if name in arguments}


def set_weight_arguments(layer, prefix, initializer, regularizer, constraint):
    """Sets `layer.<prefix>_initializer`, `<prefix>_regularizer` and `<prefix>_constraint`
    from the user's arguments (names, configs or objects), as Keras's constructors do.

    Args:
        layer: the layer being made.
        prefix: the weight's name in Keras's arguments, e.g. 'kernel' or 'gamma'.
        initializer, regularizer, constraint: anything `initializers.get`,
            `regularizers.get` and `constraints.get` take.

    Raises:
        ValueError: for an unknown initializer, regularizer or constraint.

        >>> from types import SimpleNamespace
        >>> layer = SimpleNamespace()
        >>> set_weight_arguments(layer, "kernel", "zeros", None, None)
        >>> type(layer.kernel_initializer).__name__, layer.kernel_regularizer
        ('Zeros', None)
    """
    setattr(layer, f"{prefix}_initializer", initializers.get(initializer))
    setattr(layer, f"{prefix}_regularizer", regularizers.get(regularizer))
    setattr(layer, f"{prefix}_constraint", constraints.get(constraint))


def add_kernel_and_bias(layer, name, shapes, initializer, attrs, layout=None):
    """Adds a projection's `<name>/kernel` and, when `layer.use_bias`, its `<name>/bias`,
    with the layer's kernel and bias regularizers and constraints (Keras's attention
    projections).

    Args:
        layer: the layer being built, with Keras's `use_bias`, `bias_initializer` and
            kernel/bias regularizers and constraints.
        name: the projection's name, e.g. 'query'.
        shapes: `(kernel_shape, bias_shape)` in Keras's layout.
        initializer: the kernel's initializer.
        attrs: `(kernel_attr, bias_attr)`, the attributes the weights are stored as.
        layout: the kernel's layout (see `Layer.add_weight`), None for Keras's own.

        >>> from plait.layers import Layer
        >>> layer = Layer()
        >>> set_weight_arguments(layer, "kernel", "ones", None, None)
        >>> set_weight_arguments(layer, "bias", "zeros", None, None)
        >>> layer.use_bias = True
        >>> add_kernel_and_bias(layer, "query", ((4, 2), (2,)), "ones", ("q_kernel", "q_bias"))
        >>> tuple(layer.q_kernel.shape), tuple(layer.q_bias.shape)
        ((4, 2), (2,))
    """
    kernel_shape, bias_shape = shapes
    kernel_attr, bias_attr = attrs
    layer.add_weight(
        f"{name}/kernel",
        kernel_shape,
        initializer,
        attr=kernel_attr,
        layout=layout,
        regularizer=layer.kernel_regularizer,
        constraint=layer.kernel_constraint,
    )
    if layer.use_bias:
        layer.add_weight(
            f"{name}/bias",
            bias_shape,
            layer.bias_initializer,
            attr=bias_attr,
            regularizer=layer.bias_regularizer,
            constraint=layer.bias_constraint,
        )
    else:
        layer.register_parameter(bias_attr, None)
