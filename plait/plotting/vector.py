"""A placed diagram written as text: SVG (vector, with Pillow's bundled font embedded so it
matches the PNG) and Graphviz DOT (record-shaped nodes, ports for each input and output).
"""

import base64
import functools
import io
from xml.sax.saxutils import escape as _xml_escape

from plait.plotting.draw import (
    BACKGROUND,
    CLUSTER_BORDER,
    CLUSTER_FILL,
    CLUSTER_TEXT,
    COLORS,
    Cluster,
    DETAIL_FILL,
    EDGE_COLOR,
    LINE_WIDTH,
    TITLE_SIZE,
    _REFERENCE,
    _arrow_head,
    _ascent,
    _font,
    _text_lines,
    _title_height,
    place,
)

__all__ = ["to_dot", "to_svg"]


# ---------------------------------------------------------------------------- SVG


def to_svg(diagram, rankdir="TB"):
    """Returns `diagram` as SVG text (sizes in points; the bundled font is embedded)."""
    placed = place(diagram, rankdir)
    w, h = placed.width, placed.height
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.1f}pt" height="{h:.1f}pt" '
        f'viewBox="0 0 {w:.2f} {h:.2f}">'
    ]
    face = _font_face()
    out.append("<style>" + face + "text{font-family:PlaitSans,Helvetica,Arial,sans-serif}</style>")
    out.append(f'<rect width="{w:.2f}" height="{h:.2f}" fill="{BACKGROUND}"/>')
    for x0, y0, x1, y1, title, (lx, ly) in placed.frames:
        out.append(
            f'<rect x="{x0:.2f}" y="{y0:.2f}" width="{x1 - x0:.2f}" height="{y1 - y0:.2f}" '
            f'fill="{CLUSTER_FILL}" stroke="{CLUSTER_BORDER}" '
            f'stroke-width="{LINE_WIDTH}" stroke-dasharray="5,5"/>'
        )
        out.append(
            f'<text x="{lx:.2f}" y="{ly + _ascent(TITLE_SIZE):.2f}" font-size="{TITLE_SIZE}" '
            f'fill="{CLUSTER_TEXT}">{_xml_escape(title)}</text>'
        )
    for pts, arrow in placed.edges:
        head = None
        if arrow:
            pts, head = _arrow_head(pts)
        path = " ".join(f"{x:.2f},{y:.2f}" for x, y in pts)
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{EDGE_COLOR}" '
            f'stroke-width="{LINE_WIDTH}" stroke-linejoin="round"/>'
        )
        if head:
            corners = " ".join(f"{x:.2f},{y:.2f}" for x, y in head)
            out.append(f'<polygon points="{corners}" fill="{EDGE_COLOR}"/>')
    for x0, y0, x1, y1, box in placed.boxes:
        fill, border = COLORS.get(box.kind, COLORS["layer"])
        out.append(f"<g><title>{_xml_escape(box.title)}</title>")
        out.append(
            f'<rect x="{x0:.2f}" y="{y0:.2f}" width="{x1 - x0:.2f}" height="{y1 - y0:.2f}" '
            f'rx="4" fill="{fill}" stroke="{border}" stroke-width="{LINE_WIDTH}"/>'
        )
        if box.details:
            split = y0 + _title_height()
            out.append(
                f'<path d="M{x0:.2f},{split:.2f} H{x1:.2f} V{y1 - 4:.2f} Q{x1:.2f},{y1:.2f} '
                f'{x1 - 4:.2f},{y1:.2f} H{x0 + 4:.2f} Q{x0:.2f},{y1:.2f} {x0:.2f},{y1 - 4:.2f} Z" '
                f'fill="{DETAIL_FILL}" stroke="{border}" stroke-width="{LINE_WIDTH}"/>'
            )
        for x, y, text, size, color in _text_lines((x0, y0, x1, y1), box):
            out.append(
                f'<text x="{x:.2f}" y="{y:.2f}" font-size="{size}" text-anchor="middle" '
                f'fill="{color}">{_xml_escape(text)}</text>'
            )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


@functools.lru_cache(maxsize=1)
def _font_face():
    """An @font-face rule embedding Pillow's bundled font, so the SVG matches the PNG."""
    source = getattr(_font(_REFERENCE), "path", None)
    if not isinstance(source, io.BytesIO):
        return ""
    data = base64.b64encode(source.getvalue()).decode("ascii")
    return f"@font-face{{font-family:PlaitSans;src:url(data:font/ttf;base64,{data}) format('truetype')}}"


# ---------------------------------------------------------------------------- DOT


def to_dot(diagram, rankdir="TB", dpi=200, subgraph=False, name="G"):
    """Returns Graphviz DOT text for `diagram`: record-shaped nodes as Keras draws them,
    clusters for `Cluster` items, edges to the boxes inside clusters.

    With `subgraph=True` the text is a `subgraph cluster_<name>` block instead of a graph."""
    lines = []
    if subgraph:
        lines.append(f"subgraph {_dot_id('cluster_' + name)} {{")
        lines.append(f"  label={_dot_id(name)};")
        lines.append("  style=dashed;")
    else:
        lines.append("digraph G {")
        lines.append(f"  graph [rankdir={rankdir}, concentrate=true, dpi={_dot_number(dpi)}];")
        lines.append('  node [shape=record, fontname="Helvetica"];')
    lines += _dot_body(diagram, rankdir, "", "  ")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_body(diagram, rankdir, prefix, indent):
    lines = []
    for item in diagram.items:
        if isinstance(item, Cluster):
            lines.append(f"{indent}subgraph {_dot_id('cluster_' + prefix + item.id)} {{")
            lines.append(f"{indent}  label={_dot_id(item.title)};")
            lines.append(f"{indent}  style=dashed;")
            lines += _dot_body(item.diagram, rankdir, prefix + item.id + "/", indent + "  ")
            lines.append(f"{indent}}}")
        else:
            lines.append(
                f"{indent}{_dot_id(prefix + item.id)} [label={_dot_label(item, rankdir)}];"
            )
    for tail, head, tail_slot, head_slot in diagram.edges:
        a = _dot_end(diagram, tail, tail_slot, "outputs", prefix)
        b = _dot_end(diagram, head, head_slot, "inputs", prefix)
        lines.append(f"{indent}{_dot_id(a)} -> {_dot_id(b)};")
    return lines


def _dot_end(diagram, item, slot, side, prefix):
    """The id of the box an edge really starts or ends at, looking inside clusters."""
    node = diagram.items[item]
    while isinstance(node, Cluster):
        prefix += node.id + "/"
        item, slot = getattr(node, side)[slot]
        diagram = node.diagram
        node = diagram.items[item]
    return prefix + node.id


def _dot_label(box, rankdir):
    fields = [_record_escape(box.title)] + [_record_escape(t) for t, _ in box.details]
    text = "|".join(fields)
    if len(fields) > 1 and rankdir in ("TB", "BT"):
        text = "{" + text + "}"  # stack the fields vertically whatever the rank direction
    return '"' + text.replace('"', '\\"') + '"'


def _record_escape(text):
    text = text.replace("\\", "\\\\")
    for ch in "{}|<>":
        text = text.replace(ch, "\\" + ch)
    return text


def _dot_id(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_number(value):
    return str(int(value)) if float(value).is_integer() else str(value)
