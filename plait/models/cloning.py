"""`clone_model`, and Keras 3's variable and compile-config API of models.

clone = plait.models.clone_model(model)                  # new weights, same graph
clone = plait.models.clone_model(
    model, clone_function=lambda layer: layer.__class__.from_config(layer.get_config()))
"""

from plait.graph.tensor import SymbolicTensor
from plait.layers.core import Input, InputLayer
from plait.layers.layer import Layer
from plait.utils import nest

__all__ = ["clone_model"]


def _default_clone(layer):
    return layer.__class__.from_config(layer.get_config())


def _topological_nodes(outputs):
    """The nodes between the graph's inputs and `outputs`, each after its parents."""
    order, state = [], {}
    stack = [(t.node, False) for t in reversed(outputs) if t.node is not None]
    while stack:  # iterative: graphs may be deep
        node, expanded = stack.pop()
        if expanded:
            if state.get(id(node)) != "done":
                state[id(node)] = "done"
                order.append(node)
            continue
        if id(node) in state:
            continue
        state[id(node)] = "open"
        stack.append((node, True))
        for parent in reversed(node.parent_tensors):
            if parent.node is not None and id(parent.node) not in state:
                stack.append((parent.node, False))
    return order


def _new_inputs(model, input_tensors):
    if input_tensors is None:
        return [
            Input(
                batch_shape=t.shape,
                dtype=t.dtype,
                name=t.node.layer.name if t.node is not None else None,
            )
            for t in model.inputs
        ]
    tensors = (
        list(input_tensors)
        if isinstance(input_tensors, (list, tuple))
        else (list(input_tensors.values()) if isinstance(input_tensors, dict) else [input_tensors])
    )
    if len(tensors) != len(model.inputs):
        raise ValueError(
            f"clone_model: model '{model.name}' has {len(model.inputs)} input(s), so "
            f"`input_tensors` must hold as many. Received: input_tensors={input_tensors!r:.200}"
        )
    for tensor in tensors:
        if not isinstance(tensor, SymbolicTensor):
            raise TypeError(
                "clone_model: every entry of `input_tensors` must be a symbolic tensor "
                f"(plait.Input(...)). Received: {tensor!r:.200}"
            )
    return tensors


def _clone_layer(layer, clone_function, cache):
    new = cache.get(id(layer))
    if new is None:
        new = clone_function(layer)
        if not isinstance(new, Layer):
            raise ValueError(
                "clone_model: `clone_function` must return a layer. Received "
                f"{new!r:.200} for layer '{layer.name}'."
            )
        cache[id(layer)] = new
    return new


def _clone_functional(model, input_tensors, clone_function, call_function, recursive):
    from plait.models.model import Model  # a lazy import: model.py imports this module

    new_inputs = _new_inputs(model, input_tensors)
    mapped = {id(old): new for old, new in zip(model.inputs, new_inputs)}
    cache = {}
    for node in _topological_nodes(model.outputs):
        layer = node.layer
        if isinstance(layer, InputLayer) or all(id(t) in mapped for t in node.outputs):
            continue
        if recursive and isinstance(layer, Model) and not isinstance(layer, InputLayer):
            new_layer = cache.get(id(layer)) or clone_model(
                layer, clone_function=clone_function, call_function=call_function, recursive=True
            )
            cache[id(layer)] = new_layer
        else:
            new_layer = _clone_layer(layer, clone_function, cache)

        def swap(value):
            return mapped[id(value)] if isinstance(value, SymbolicTensor) else value

        args = nest.map_structure(swap, list(node.call_args))
        kwargs = nest.map_structure(swap, dict(node.call_kwargs))
        if call_function is not None:
            outputs = call_function(new_layer, *args, **kwargs)
        else:
            outputs = new_layer(*args, **kwargs)
        for old, new in zip(node.outputs, nest.flatten(outputs)):
            mapped[id(old)] = new
    outputs = nest.map_structure(lambda t: mapped[id(t)], model.output)
    inputs = (
        input_tensors
        if input_tensors is not None
        else (
            dict(zip(model.input, new_inputs))
            if isinstance(model.input, dict)
            else new_inputs
            if isinstance(model.input, list)
            else new_inputs[0]
        )
    )
    return Model(inputs, outputs, name=model.name)


def clone_model(
    model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs
):
    """A new model with the same graph (or, for a subclassed model, config) and new layers.

    The new layers have new weights (initialized afresh); copy them with
    `clone.set_weights(model.get_weights())`. Layers shared within `model` stay shared.

    Args:
        model: a functional, Sequential or subclassed (with `get_config`) model.
        input_tensors: symbolic tensors to build the clone on (one per model input);
            default new `Input`s like the model's.
        clone_function: `layer -> new layer`, called once per layer; default
            `layer.__class__.from_config(layer.get_config())`.
        call_function: `(layer, *args, **kwargs) -> outputs`, how each cloned layer is
            called (to insert layers around it); default the layer's own call.
        recursive: clone nested functional models the same way (with `clone_function`)
            instead of passing them to `clone_function` whole. Default False.

    Returns:
        A new model of the same class (functional models: `Model`).

    Raises:
        ValueError: for a model that is not a plait model, bad `input_tensors`, a
            `clone_function` that returns no layer, or unknown arguments.

    Example:
        >>> from plait import Model
        >>> from plait.layers import Dense, Input
        >>> from plait.models import clone_model
        >>> x = Input(shape=(2,))
        >>> model = Model(x, Dense(1, name="out")(x))
        >>> clone = clone_model(model)  # the same layers, fresh weights
        >>> clone.get_layer("out").units, clone.get_layer("out") is model.get_layer("out")
        (1, False)
        >>> clone.set_weights(model.get_weights())
    """
    from plait.models.model import Model
    from plait.models.sequential import Sequential

    if kwargs:
        raise ValueError(
            f"clone_model got unexpected arguments {sorted(kwargs)}. Received: {kwargs}"
        )
    if not isinstance(model, Model):
        raise TypeError(
            f"Argument `model` of clone_model must be a plait Model. Received: model={model!r:.200}"
        )
    clone_function = clone_function or _default_clone
    if isinstance(model, Sequential):
        layers = [_clone_layer(layer, clone_function, {}) for layer in model.layers]
        if input_tensors is not None:
            inputs = nest.flatten(input_tensors)
            if len(inputs) != 1 or not isinstance(inputs[0], SymbolicTensor):
                raise ValueError(
                    "clone_model: a Sequential model takes one symbolic tensor as "
                    f"`input_tensors`. Received: input_tensors={input_tensors!r:.200}"
                )
            return Model(inputs[0], _call_chain(layers, inputs[0], call_function), name=model.name)
        clone = Sequential(name=model.name)
        source = getattr(model, "_input_tensor", None)
        if source is not None:
            clone.add(Input(batch_shape=source.shape, dtype=source.dtype))
        for layer in layers:
            clone.add(layer)
        return clone
    mro = type(model).__mro__
    own = mro[: mro.index(Model)]  # the user's subclasses of Model, if any
    if model._graph is not None and not any(
        "forward" in k.__dict__ or "call" in k.__dict__ for k in own
    ):
        return _clone_functional(model, input_tensors, clone_function, call_function, recursive)
    try:
        config = model.get_config()
    except NotImplementedError as err:
        raise ValueError(
            f"clone_model cannot clone subclassed model '{model.name}': it has no "
            "get_config(). Define get_config() (and from_config) to clone it."
        ) from err
    return type(model).from_config(config)


def _call_chain(layers, tensor, call_function):
    for layer in layers:
        tensor = call_function(layer, tensor) if call_function is not None else layer(tensor)
    return tensor
