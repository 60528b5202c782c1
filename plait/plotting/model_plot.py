"""`plot_model` and `model_to_dot`: draw a model's graph, with nothing to install.

A model becomes an abstract `plait.plotting.draw.Diagram` (one box per layer, an arrow per
connection; a nested model is one box, or a labelled cluster with `expand_nested=True`),
which `plait.plotting.draw` lays out and writes as PNG, SVG, PDF or Graphviz DOT.
"""

from plait import activations
from plait.graph.graph import mask_arguments
from plait.graph.tensor import format_shape
from plait.layers.core import InputLayer
from plait.plotting import draw, vector
from plait.utils.atomic import atomic_write
from plait.utils.dtypes import dtype_name

__all__ = ["model_diagram", "model_to_dot", "plot_model"]

_RANKDIRS = ("TB", "LR", "BT", "RL")


def model_to_dot(
    model,
    show_shapes=False,
    show_dtype=False,
    show_layer_names=True,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    subgraph=False,
    show_layer_activations=False,
    show_trainable=False,
):
    """Graphviz DOT text of a model's graph, for those who want to render it with Graphviz.

    Args:
        model: a built plait `Model`.
        show_shapes: add each layer's input and output shapes.
        show_dtype: add each layer's output dtype.
        show_layer_names: start each box with the layer's name (`dense_1: Dense`).
        rankdir: `'TB'` (top to bottom, default), `'LR'` (left to right), `'BT'` or `'RL'`.
        expand_nested: draw nested models as clusters of their layers.
        dpi: resolution recorded in the graph's attributes (default 200).
        subgraph: return a `subgraph cluster_<model name> {...}` block instead of a digraph.
        show_layer_activations: add the activation of layers that have one.
        show_trainable: mark layers with weights as Trainable or Non-trainable.

    Returns:
        The DOT text (a `str`). Nodes are named after their layers; a layer in a nested model
        is `outer/inner`.

    Raises:
        TypeError: `model` is not a plait Model.
        ValueError: an unknown `rankdir`, a `dpi` that is not a positive number, or a
            model not built yet.

    Example:
        >>> from plait import Model
        >>> from plait.layers import Dense, Input
        >>> from plait.utils import model_to_dot
        >>> x = Input(shape=(2,), name="features")
        >>> model = Model(x, Dense(1, name="out")(x))
        >>> print(model_to_dot(model))
        digraph G {
          graph [rankdir=TB, concentrate=true, dpi=200];
          node [shape=record, fontname="Helvetica"];
          "features" [label="features: InputLayer"];
          "out" [label="out: Dense"];
          "features" -> "out";
        }
        <BLANKLINE>
    """
    _check_options(rankdir, dpi)
    diagram = model_diagram(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        expand_nested=expand_nested,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
    )
    return vector.to_dot(diagram, rankdir=rankdir, dpi=dpi, subgraph=subgraph, name=model.name)


def plot_model(
    model,
    to_file="model.png",
    show_shapes=False,
    show_dtype=False,
    show_layer_names=True,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    show_layer_activations=False,
    show_trainable=False,
):
    """Draws a model's graph to an image file. Needs no Graphviz, pydot or system font.

    The format follows `to_file`'s extension: `.png` (default, also used when there is no
    extension), `.svg`, `.pdf` or `.dot` (Graphviz text). The file is written atomically: a
    failure leaves any previous file untouched and no partial file behind.

    Args:
        model: a built plait `Model`.
        to_file: where to write the image (str or path).
        show_shapes: add each layer's input and output shapes, as Keras prints them.
        show_dtype: add each layer's output dtype.
        show_layer_names: start each box with the layer's name (`dense_1: Dense`).
        rankdir: `'TB'` draws top to bottom (default), `'LR'` left to right; `'BT'`, `'RL'`.
        expand_nested: draw each nested model as a labelled cluster of its layers instead of
            one box.
        dpi: resolution of PNG and PDF images (default 200). A very large graph is drawn at a
            lower resolution so that no side of the image exceeds 32,000 pixels.
        show_layer_activations: add the activation of layers that have one.
        show_trainable: mark layers with weights as Trainable or Non-trainable.

    Returns:
        For PNG and SVG, an `IPython.display.Image` / `IPython.display.SVG` (shown inline in
        Jupyter) when IPython is installed; otherwise, and for PDF and DOT, the path written.

    Example:
        >>> import os, tempfile
        >>> from plait import Model
        >>> from plait.layers import Dense, Input
        >>> from plait.utils import plot_model
        >>> x = Input(shape=(2,))
        >>> model = Model(x, Dense(1)(x))
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     _ = plot_model(model, to_file=os.path.join(folder, "model.svg"), show_shapes=True)
        ...     sorted(os.listdir(folder))
        ['model.svg']
    """
    path, fmt = draw.check_image_path(to_file, draw.FORMATS, "plot_model", "model.png")
    _check_options(rankdir, dpi)
    diagram = model_diagram(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        expand_nested=expand_nested,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
    )
    with atomic_write(path) as f:
        if fmt == "dot":
            f.write(vector.to_dot(diagram, rankdir=rankdir, dpi=dpi, name=model.name).encode())
        elif fmt == "svg":
            f.write(vector.to_svg(diagram, rankdir=rankdir).encode("utf-8"))
        elif fmt == "pdf":
            draw.write_pdf(diagram, f, rankdir=rankdir)
        else:
            draw.write_raster(diagram, f, fmt, rankdir=rankdir, dpi=dpi)
    return _display(path, fmt)


# ---------------------------------------------------------------------------- checks


def _check_options(rankdir, dpi):
    if rankdir not in _RANKDIRS:
        raise ValueError(
            f"rankdir must be 'TB' (top to bottom), 'LR' (left to right), 'BT' or 'RL'. "
            f"Received: rankdir={rankdir!r}"
        )
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not dpi > 0:
        raise ValueError(f"dpi must be a positive number, e.g. 96 or 200. Received: dpi={dpi!r}")


def _check_built(model):
    if not hasattr(model, "_inbound_nodes") or not hasattr(model, "name"):
        raise TypeError(
            f"plot_model and model_to_dot draw a plait Model. "
            f"Received: model={model!r:.200} of type {type(model).__name__}"
        )
    if _graph_of(model) is None and not getattr(model, "built", False):
        raise ValueError(
            f"The model '{model.name}' has not been built yet, so it has no graph to draw. "
            "Build it first: give its first layer an input shape (e.g. "
            "Input(shape=...) or input_shape=...), or call it on data. "
            f"Received: model={model.name!r}"
        )


# ---------------------------------------------------------------------------- model -> diagram


def model_diagram(
    model,
    show_shapes=False,
    show_dtype=False,
    show_layer_names=True,
    expand_nested=False,
    show_layer_activations=False,
    show_trainable=False,
):
    """The `draw.Diagram` of a model: a box per layer (one for a shared layer), an edge per
    connection between two boxes (repeated connections drawn once, as Keras does)."""
    _check_built(model)
    label = dict(
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
    )
    graph = _graph_of(model)
    if graph is None:  # a built model without a graph: one box
        return draw.Diagram([_box(model, [], label)])
    return _graph_diagram(graph, label, expand_nested)


def _graph_of(layer):
    """A model's `Graph` (a Sequential makes it on demand), or None for a plain layer."""
    ensure = getattr(layer, "_ensure_graph", None)
    if ensure is not None:
        try:
            ensure()
        except ValueError:  # no input shape yet: nothing to draw
            return None
    return getattr(layer, "_graph", None)


def _graph_diagram(graph, label, expand_nested):
    order, nodes_of = [], {}
    # Nodes that only compute masks are not drawn, as Keras draws no masks.
    for node in graph.nodes:
        if node in getattr(graph, "mask_nodes", ()):
            continue
        key = id(node.layer)
        if key not in nodes_of:
            order.append(node.layer)
            nodes_of[key] = []
        nodes_of[key].append(node)
    index = {id(layer): k for k, layer in enumerate(order)}
    items = []
    for layer in order:
        inner = _graph_of(layer) if expand_nested else None
        if inner is not None:
            items.append(_cluster(layer, inner, label))
        else:
            items.append(_box(layer, nodes_of[id(layer)], label))
    edges, seen = [], set()
    for node in graph.nodes:
        head = index.get(id(node.layer))
        if head is None:
            continue
        parents = (
            graph.parents(node)
            if hasattr(graph, "parents")
            else [t.node for t in node.parent_tensors]
        )
        for slot, (tensor, parent) in enumerate(zip(node.parent_tensors, parents)):
            tail = index.get(id(parent.layer))
            if tail is None:
                continue
            tail_slot = _slot(items[tail], tensor.tensor_index if parent is tensor.node else 0)
            head_slot = _slot(items[head], slot)
            edge = (tail, head, tail_slot, head_slot)
            if edge not in seen:
                seen.add(edge)
                edges.append(edge)
    return draw.Diagram(items, edges)


def _slot(item, k):
    return k if isinstance(item, draw.Cluster) else None


def _cluster(model, graph, label):
    diagram = _graph_diagram(graph, label, True)
    where = {}
    for k, item in enumerate(diagram.items):
        where[item.id] = k

    def end(tensor, side):
        node = graph.producer(tensor) if hasattr(graph, "producer") else tensor.node
        k = where[node.layer.name]
        item = diagram.items[k]
        if not isinstance(item, draw.Cluster):
            return (k, None)
        return (k, tensor.tensor_index if side == "out" else 0)

    inputs = [end(t, "in") for t in graph.inputs]
    outputs = [end(t, "out") for t in graph.outputs]
    return draw.Cluster(model.name, model.name, diagram, inputs, outputs)


def _box(layer, nodes, label):
    class_name = type(layer).__name__
    name = layer.name
    wrapped = getattr(layer, "layer", None)
    if wrapped is not None and hasattr(wrapped, "_inbound_nodes"):  # a wrapper, as Keras shows it
        name = f"{name}({wrapped.name})"
        class_name = f"{class_name}({type(wrapped).__name__})"
    title = f"{name}: {class_name}" if label["show_layer_names"] else class_name
    kind = (
        "input"
        if isinstance(layer, InputLayer)
        else ("model" if hasattr(layer, "_graph") else "layer")
    )
    details = []
    if label["show_layer_activations"]:
        activation = _activation_name(layer)
        if activation is not None:
            details.append(f"activation: {activation}")
    if label["show_shapes"]:
        if class_name != "InputLayer":
            details.append("input: " + _shapes(nodes, _data_inputs))
        details.append("output: " + _shapes(nodes, lambda n: n.outputs))
    if label["show_dtype"]:
        details.append("dtype: " + _dtypes(nodes))
    if label["show_trainable"] and _has_weights(layer):
        details.append(
            ("Trainable", "#1E7B34") if layer.trainable else ("Non-trainable", "#B3261E")
        )
    return draw.Box(layer.name, title, details, kind)


def _data_inputs(node):
    """The tensors a call reads, but its masks: Keras shows masks nowhere."""
    masks = {id(t) for t in mask_arguments(node)}
    return [t for t in node.parent_tensors if id(t) not in masks]


def _shapes(nodes, tensors_of):
    """Shapes as Keras prints them: `(None, 10)`, a list for several tensors, `multiple` when
    the layer's calls in this model disagree, `?` when unknown."""
    texts = set()
    for node in nodes:
        shapes = [format_shape(t.shape) for t in tensors_of(node)]
        texts.add(shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]")
    if not texts:
        return "?"
    return texts.pop() if len(texts) == 1 else "multiple"


def _dtypes(nodes):
    names = []
    for node in nodes:
        for t in node.outputs:
            name = dtype_name(t.dtype)
            if name not in names:
                names.append(name)
    if not names:
        return "?"
    return names[0] if len(names) == 1 else "[" + ", ".join(names) + "]"


def _activation_name(layer):
    fn = getattr(layer, "activation", None)
    if fn is None:
        return None
    if isinstance(fn, str):
        return fn
    try:
        name = activations.serialize(fn)
    except Exception:  # a custom callable the registry does not know: fall back to its name
        name = None
    if not isinstance(name, str):
        name = getattr(fn, "__name__", None) or type(fn).__name__
    return name


def _has_weights(layer):
    try:
        return bool(layer.weights)
    except Exception:  # an unbuilt or foreign layer: nothing to mark
        return False


# ---------------------------------------------------------------------------- display


def _display(path, fmt):
    if fmt not in ("png", "svg"):
        return path
    try:
        from IPython import display
    except ImportError:
        return path
    return display.Image(filename=path) if fmt == "png" else display.SVG(filename=path)
