"""Constructor helpers every layer family shares: passing a subclass's arguments on to its
base by name, and reading a weight's initializer, regularizer and constraint.

A layer keeps Keras's own signature (so `help()` and IDEs show it), and its base class
handles the arguments it shares with its siblings; `base_arguments` spares each subclass
from listing them a second time in its `super().__init__(...)` call.
"""

import functools
import inspect

from plait import constraints, initializers, regularizers
from plait.layers.penalties import weight_penalty_config

__all__ = [
    "add_embeddings",
    "add_kernel_and_bias",
    "base_arguments",
    "embedding_config",
    "set_weight_arguments",
]


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


def add_embeddings(layer):
    """Adds an embedding table's `embeddings` weight `(input_dim, output_dim)`, stored as
    PyTorch's `weight` (the layout of `nn.Embedding`), with the layer's embeddings
    initializer, regularizer and constraint.

    Args:
        layer: the layer being built, with `input_dim`, `output_dim` and Keras's
            `embeddings_initializer`, `embeddings_regularizer`, `embeddings_constraint`.

        >>> from plait.layers import Layer
        >>> layer = Layer()
        >>> layer.input_dim, layer.output_dim = 5, 3
        >>> set_weight_arguments(layer, "embeddings", "zeros", None, None)
        >>> add_embeddings(layer)
        >>> tuple(layer.weight.shape)
        (5, 3)
    """
    layer.add_weight(
        "embeddings",
        (layer.input_dim, layer.output_dim),
        layer.embeddings_initializer,
        attr="weight",
        regularizer=layer.embeddings_regularizer,
        constraint=layer.embeddings_constraint,
    )


def embedding_config(layer):
    """The config entries every embedding table has, with Keras's keys: `input_dim`,
    `output_dim`, `embeddings_initializer`, `mask_zero`, and the embeddings' and activity's
    regularizers and constraint.

    Args:
        layer: an `Embedding` or `ReversibleEmbedding`.

    Returns:
        A dict of JSON-ready values.

        >>> from plait.layers import Embedding
        >>> sorted(embedding_config(Embedding(10, 4)))[:3]
        ['activity_regularizer', 'embeddings_constraint', 'embeddings_initializer']
    """
    return {
        "input_dim": layer.input_dim,
        "output_dim": layer.output_dim,
        "embeddings_initializer": initializers.serialize(layer.embeddings_initializer),
        "mask_zero": layer.mask_zero,
        **weight_penalty_config(layer, ("embeddings",)),
    }
