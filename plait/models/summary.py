"""`model.summary()`: Keras 2's classic table, to the character.

Sequential-like models (one node per depth, each reading one tensor) get the 65-column
table; other graphs the 100-column one with a "Connected to" column (`lstm_1[0][0]`).
"""

from plait.graph.tensor import format_shape

__all__ = ["print_summary"]


def print_summary(model, line_length=None, positions=None, print_fn=None, **kwargs):
    if kwargs:
        key = next(iter(kwargs))
        raise TypeError(f"summary() got an unexpected keyword argument '{key}'.")
    print_fn = print_fn or print
    graph = model._graph
    if graph is None:
        _print_layer_list(model, line_length, positions, print_fn)
        return
    hidden = graph.mask_layers
    sequential_like = _is_sequential_like(model, graph, hidden)
    if sequential_like:
        line_length = line_length or 65
        default_positions = [0.45, 0.85, 1.0]
        headers = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 100
        default_positions = [0.33, 0.55, 0.67, 1.0]
        headers = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    positions = list(positions or default_positions)
    _check_layout(line_length, positions, default_positions)
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]

    print_fn("_" * line_length)
    print_fn(_row(headers, positions))
    print_fn("=" * line_length)
    layers = model.layers  # the mask ops left out
    for i, layer in enumerate(layers):
        fields = [
            f"{layer.name} ({type(layer).__name__})",
            _output_shape(layer),
            _param_count(layer),
        ]
        connections = [] if sequential_like else _connections(graph, layer, hidden)
        if not sequential_like:
            fields.append(connections[0] if connections else "")
        print_fn(_row(fields, positions))
        for extra in connections[1:]:
            print_fn(_row(["", "", "", extra], positions))
        print_fn(("=" if i == len(layers) - 1 else "_") * line_length)

    trainable = sum(w.numel() for w in model.trainable_weights)
    non_trainable = sum(w.numel() for w in model.non_trainable_weights)
    print_fn(f"Total params: {trainable + non_trainable:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {non_trainable:,}")
    print_fn("_" * line_length)


def _print_layer_list(model, line_length, positions, print_fn):
    """A model without a graph (a Sequential that builds on its first batch, a subclassed
    model): its layers in order, `?` for shapes not known, `0 (unbuilt)` for a layer that
    has no weights yet (Keras 3's markers, in the classic table)."""
    line_length = line_length or 65
    default_positions = [0.45, 0.85, 1.0]
    positions = list(positions or default_positions)
    _check_layout(line_length, positions, default_positions)
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    print_fn("_" * line_length)
    print_fn(_row(["Layer (type)", "Output Shape", "Param #"], positions))
    print_fn("=" * line_length)
    layers = model.layers
    for i, layer in enumerate(layers):
        shape = _output_shape(layer) if layer._inbound_nodes else "?"
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        # the last column may run past the table's edge, as Keras 3's "0 (unbuilt)" does
        print_fn(_row([f"{layer.name} ({type(layer).__name__})", shape], positions[:2]) + params)
        print_fn(("=" if i == len(layers) - 1 else "_") * line_length)
    if not layers:
        print_fn("=" * line_length)
    trainable = sum(w.numel() for w in model.trainable_weights)
    non_trainable = sum(w.numel() for w in model.non_trainable_weights)
    print_fn(f"Total params: {trainable + non_trainable:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {non_trainable:,}")
    print_fn("_" * line_length)


def _check_layout(line_length, positions, default_positions):
    if isinstance(line_length, bool) or not isinstance(line_length, int):
        raise TypeError(
            "line_length must be an int (the table's width in characters). "
            f"Received: line_length={line_length!r}"
        )
    if line_length < 1:
        raise ValueError(f"line_length must be positive. Received: line_length={line_length}")
    if len(positions) != len(default_positions):
        raise ValueError(
            f"positions must give the right end of each of this table's "
            f"{len(default_positions)} columns, as fractions of line_length (default "
            f"{default_positions}) or as character positions. Received: positions={positions!r}"
        )


def _row(fields, positions):
    """Each field cut to end one column before the next field's position."""
    line = ""
    for i, field in enumerate(fields):
        if i > 0:
            line = line[:-1] + " "
        line += str(field)
        line = line[: positions[i]]
        line += " " * (positions[i] - len(line))
    return line


def _is_sequential_like(model, graph, hidden):
    if getattr(model, "_always_sequential_summary", False):
        return True
    for nodes in graph.nodes_by_depth.values():
        nodes = [node for node in nodes if node not in graph.mask_nodes]
        if len(nodes) > 1 or (
            len(nodes) == 1 and len(_visible_connections(graph, nodes[0], hidden)) > 1
        ):
            return False
    # A layer called twice (one after the other) is shared: Keras shows its connections.
    return all(len(graph.layer_nodes(layer)) <= 1 for layer in graph.layers)


def _visible_connections(graph, node, hidden):
    return [c for c in graph.connections(node) if c[0] not in hidden]


def _output_shape(layer):
    try:
        shape = layer.output_shape
    except (AttributeError, ValueError):
        return "multiple"
    if isinstance(shape, tuple):
        return format_shape(shape)
    if isinstance(shape, dict):
        return str({k: tuple(v) for k, v in shape.items()})
    return "[" + ", ".join(format_shape(s) for s in shape) + "]"


def _param_count(layer):
    return layer.count_params() if layer.built else 0


def _connections(graph, layer, hidden):
    out = []
    for node in graph.layer_nodes(layer):
        for source, node_index, tensor_index in _visible_connections(graph, node, hidden):
            # Keras 2 numbers a nested model's calls from 1: its node 0 is its own graph.
            if getattr(source, "_graph", None) is not None:
                node_index += 1
            out.append(f"{source.name}[{node_index}][{tensor_index}]")
    return out
