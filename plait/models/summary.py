"""`model.summary()`: Keras 2's classic table, to the character, with Keras 3's options.

Sequential-like models (one node per depth, each reading one tensor) get the 65-column
table; other graphs the 100-column one with a "Connected to" column (`lstm_1[0][0]`).
`show_trainable` adds an 11-character "Trainable" column (Y, N, or - for a layer without
weights), `expand_nested` lists a nested model's layers under its row with Keras 3's
`   └ ` prefix per level, and `layer_range` shows the layers from the first whose name
matches its first pattern to the last matching its second (regular expressions, as Keras).
"""

import re

from plait.graph.tensor import format_shape

__all__ = ["print_summary", "layer_index_bounds"]

_TRAINABLE_WIDTH = 11  # Keras 2's extra width for the Trainable column


def print_summary(
    model,
    line_length=None,
    positions=None,
    print_fn=None,
    expand_nested=False,
    show_trainable=False,
    layer_range=None,
    **kwargs,
):
    if kwargs:
        key = next(iter(kwargs))
        raise TypeError(f"summary() got an unexpected keyword argument '{key}'.")
    print_fn = print_fn or print
    graph = model._graph
    if graph is None:
        _print_layer_list(
            model, line_length, positions, print_fn, expand_nested, show_trainable, layer_range
        )
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
    line_length, positions, headers = _with_trainable(
        show_trainable, line_length, positions, headers
    )
    layers = model.layers  # the mask ops left out
    low, high = layer_index_bounds(layers, layer_range)

    def rows_of(layer, level, top):
        fields = [_name(layer, level), _output_shape(layer), _param_count(layer)]
        connections = [] if sequential_like or not top else _connections(graph, layer, hidden)
        if not sequential_like:
            fields.append(connections[0] if connections else "")
        if show_trainable:
            fields.append(_trainable(layer))
        rows = [fields]
        for extra in connections[1:]:
            rows.append(["", "", "", extra] + ([""] if show_trainable else []))
        if expand_nested:
            for inner in _nested_layers(layer):
                rows.append(rows_of(inner, level + 1, False))
        return rows

    print_fn("_" * line_length)
    print_fn(_row(headers, positions))
    print_fn("=" * line_length)
    shown = layers[low:high]
    for i, layer in enumerate(shown):
        _print_rows(rows_of(layer, 0, True), positions, line_length, print_fn)
        print_fn(("=" if i == len(shown) - 1 else "_") * line_length)
    _print_totals(model, line_length, print_fn)


def _print_rows(rows, positions, line_length, print_fn):
    """A layer's rows (its connections' extra lines, then each nested layer's rows, set
    off by a rule)."""
    for row in rows:
        if isinstance(row[0], list):  # a nested layer's own rows
            print_fn("_" * line_length)
            _print_rows(row, positions, line_length, print_fn)
        else:
            print_fn(_row(row, positions))


def _with_trainable(show_trainable, line_length, positions, headers):
    if not show_trainable:
        return line_length, positions, headers
    line_length += _TRAINABLE_WIDTH
    return line_length, positions + [line_length], headers + ["Trainable"]


def _name(layer, level):
    prefix = "   " * level + "└ " if level else ""
    return f"{prefix}{layer.name} ({type(layer).__name__})"


def _trainable(layer):
    """Keras 3's marker: Y or N for a layer with weights, - for one without."""
    if not getattr(layer, "weights", None):
        return "-"
    return "Y" if layer.trainable else "N"


def _nested_layers(layer):
    inner = getattr(layer, "layers", None)
    return list(inner) if inner and not isinstance(inner, str) else []


def layer_index_bounds(layers, layer_range=None):
    """`[first, last + 1]` indices of `layers` shown for `layer_range` (Keras's rule: from
    the first layer whose name matches `layer_range[0]` to the last matching
    `layer_range[1]`, with `re.match`).

    Raises:
        ValueError: `layer_range` is not two strings, or a pattern matches no layer.
    """
    if layer_range is None:
        return [0, len(layers)]
    if len(layer_range) != 2:
        raise ValueError(
            "layer_range must be a list or tuple of length 2. Received: "
            f"layer_range = {layer_range} of length {len(layer_range)}"
        )
    if not isinstance(layer_range[0], str) or not isinstance(layer_range[1], str):
        raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    lower = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    upper = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not lower or not upper:
        raise ValueError(
            f"Passed layer_names do not match the layer names in the model. Received: {layer_range}"
        )
    if min(lower) > max(upper):
        return [min(upper), max(lower) + 1]
    return [min(lower), max(upper) + 1]


def _print_totals(model, line_length, print_fn):
    trainable = sum(w.numel() for w in model.trainable_weights)
    non_trainable = sum(w.numel() for w in model.non_trainable_weights)
    print_fn(f"Total params: {trainable + non_trainable:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {non_trainable:,}")
    print_fn("_" * line_length)


def _print_layer_list(
    model, line_length, positions, print_fn, expand_nested, show_trainable, layer_range
):
    """A model without a graph (a Sequential that builds on its first batch, a subclassed
    model): its layers in order, `?` for shapes not known, `0 (unbuilt)` for a layer that
    has no weights yet (Keras 3's markers, in the classic table)."""
    line_length = line_length or 65
    default_positions = [0.45, 0.85, 1.0]
    positions = list(positions or default_positions)
    _check_layout(line_length, positions, default_positions)
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    line_length, positions, headers = _with_trainable(
        show_trainable, line_length, positions, ["Layer (type)", "Output Shape", "Param #"]
    )
    print_fn("_" * line_length)
    print_fn(_row(headers, positions))
    print_fn("=" * line_length)
    layers = model.layers
    low, high = layer_index_bounds(layers, layer_range)

    def print_layer(layer, level):
        shape = _output_shape(layer) if layer._inbound_nodes else "?"
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        # the last column may run past the table's edge, as Keras 3's "0 (unbuilt)" does
        line = _row([_name(layer, level), shape], positions[:2]) + params
        if show_trainable:
            line = line.ljust(positions[2] - 1) + " " + _trainable(layer)
        print_fn(line)
        for inner in _nested_layers(layer) if expand_nested else []:
            print_fn("_" * line_length)
            print_layer(inner, level + 1)

    shown = layers[low:high]
    for i, layer in enumerate(shown):
        print_layer(layer, 0)
        print_fn(("=" if i == len(shown) - 1 else "_") * line_length)
    if not shown:
        print_fn("=" * line_length)
    _print_totals(model, line_length, print_fn)


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
