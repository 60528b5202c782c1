"""Draws a diagram of labelled boxes and arrows to PNG, PDF, SVG or Graphviz DOT.

Knows nothing of models: `plait.plotting.model_plot` turns a model into a `Diagram`. Positions come
from `plait.plotting.layout`; PNG images are drawn with Pillow (its bundled scalable font, so no
system font or binary is needed); PDF is vector (`plait.plotting.pdf`); SVG and DOT are
written as text by `plait.plotting.vector`.

All sizes below are in points (1/72 inch); a raster image is drawn at `dpi / 72` pixels per
point.
"""

import functools
import math
import os

import numpy as np

from PIL import Image, ImageDraw, ImageFont

from plait.plotting import pdf
from plait.plotting.layout import layered_layout


__all__ = [
    "Box",
    "Cluster",
    "Diagram",
    "check_image_path",
    "place",
    "segment_hits_rect",
    "text_width",
    "to_image",
    "write_raster",
]

FORMATS = ("png", "svg", "pdf", "dot")

TITLE_SIZE = 11.0
DETAIL_SIZE = 9.5
LINE_SPACING = 1.3
PAD_X, PAD_Y = 10.0, 5.0
MIN_BOX_WIDTH = 64.0
NODE_GAP, RANK_GAP, EDGE_GAP, MARGIN = 18.0, 30.0, 8.0, 12.0
CLUSTER_PAD = 10.0
ARROW_LENGTH, ARROW_HALF_WIDTH = 7.0, 3.2
LINE_WIDTH = 1.1
MAX_PIXELS_PER_SIDE = 32000  # beyond this, tall graphs are drawn at a lower resolution
SUPERSAMPLE_BUDGET = 24_000_000  # pixels; lines are drawn at 2x and reduced below this

COLORS = {
    "layer": ("#E4EEF9", "#2F5D8A"),
    "input": ("#E4F3E5", "#3A7A3E"),
    "model": ("#FDF0DC", "#A0650F"),
}
TEXT_COLOR = "#17212B"
DETAIL_COLOR = "#3A4450"
DETAIL_FILL = "#FFFFFF"
EDGE_COLOR = "#4A4F55"
CLUSTER_FILL, CLUSTER_BORDER, CLUSTER_TEXT = "#F6F7F9", "#8C939B", "#4A525B"
BACKGROUND = "#FFFFFF"


class Box:
    """One box: a title line and optional detail lines.

    Args:
        id: a name unique in its diagram (used for DOT).
        title: the first line, e.g. `'dense_1: Dense'`.
        details: further lines; an item may be `(text, color)` to colour that line.
        kind: `'layer'`, `'input'` or `'model'` (picks the colours).
    """

    def __init__(self, id, title, details=(), kind="layer"):
        self.id = id
        self.title = title
        self.details = [d if isinstance(d, tuple) else (d, None) for d in details]
        self.kind = kind


class Cluster:
    """A diagram drawn inside a labelled frame (an expanded nested model).

    Args:
        id: a name unique in the enclosing diagram.
        title: the frame's label.
        diagram: the inner `Diagram`.
        inputs: per input slot, `(item, slot)` inside `diagram` that the slot feeds (`slot` is
            `None` unless that item is itself a `Cluster`).
        outputs: per output slot, `(item, slot)` inside `diagram` that produces it.
    """

    def __init__(self, id, title, diagram, inputs, outputs):
        self.id = id
        self.title = title
        self.diagram = diagram
        self.inputs = list(inputs)
        self.outputs = list(outputs)


class Diagram:
    """Boxes and clusters joined by arrows.

    Args:
        items: `Box` and `Cluster` objects.
        edges: `(tail, head, tail_slot, head_slot)`: item indices, and for a `Cluster` end
            the output (tail) or input (head) slot it connects; `None` for a `Box` end.
    """

    def __init__(self, items=(), edges=()):
        self.items = list(items)
        self.edges = [tuple(e) + (None,) * (4 - len(e)) for e in edges]


# ---------------------------------------------------------------------------- measuring


@functools.lru_cache(maxsize=None)
def _font(pixels):
    return ImageFont.load_default(size=max(int(round(pixels)), 1))


_REFERENCE = 100  # measure once at a large size and scale linearly


def text_width(text, size):
    """Width in points of `text` set at `size` points in the bundled font."""
    return _font(_REFERENCE).getlength(text) * size / _REFERENCE


def _ascent(size):
    ascent, _ = _font(_REFERENCE).getmetrics()
    return ascent * size / _REFERENCE


def _box_size(box):
    widths = [text_width(box.title, TITLE_SIZE)] + [
        text_width(t, DETAIL_SIZE) for t, _ in box.details
    ]
    width = max(max(widths) + 2 * PAD_X, MIN_BOX_WIDTH)
    return width, _title_height() + _details_height(box)


def _title_height():
    return TITLE_SIZE * LINE_SPACING + 2 * PAD_Y


def _details_height(box):
    if not box.details:
        return 0.0
    return len(box.details) * DETAIL_SIZE * LINE_SPACING + 2 * PAD_Y * 0.8


# ---------------------------------------------------------------------------- placing


class _Placed:
    """A laid-out diagram: what to draw, in points, origin top left."""

    def __init__(self, width, height):
        self.width = width
        self.height = height
        self.boxes = []  # (x0, y0, x1, y1, Box)
        self.frames = []  # (x0, y0, x1, y1, title, (label_x, label_y))
        self.edges = []  # ([(x, y), ...], arrow)
        self.in_ports = []  # per input slot: offset along the rank from the centre
        self.out_ports = {}  # per output slot that an edge reads

    def add(self, other, dx, dy):
        self.boxes += [(a + dx, b + dy, c + dx, d + dy, box) for a, b, c, d, box in other.boxes]
        self.frames += [
            (a + dx, b + dy, c + dx, d + dy, t, (lx + dx, ly + dy))
            for a, b, c, d, t, (lx, ly) in other.frames
        ]
        self.edges += [([(x + dx, y + dy) for x, y in pts], arrow) for pts, arrow in other.edges]


def place(diagram, rankdir="TB"):
    """Lays out `diagram` (clusters first, from the inside out); returns a `_Placed`."""
    return _place(diagram, rankdir, [], [])


def _place(diagram, rankdir, in_slots, out_slots):
    """`in_slots`/`out_slots`: `(item, slot)` targets of a cluster's ports, or empty."""
    used = {}  # per item, the output slots that an edge or this cluster's outputs read
    for tail, _, tail_slot, _ in diagram.edges:
        used.setdefault(tail, set()).add(tail_slot)
    for item, slot in out_slots:
        used.setdefault(item, set()).add(slot)
    inner = [
        _place_cluster(it, rankdir, used.get(k, set())) if isinstance(it, Cluster) else None
        for k, it in enumerate(diagram.items)
    ]
    sizes = [(p.width, p.height) if p else _box_size(it) for p, it in zip(inner, diagram.items)]
    edges, ports, arrows, first, last = _edges_and_ports(diagram, inner, sizes, in_slots, out_slots)
    lay = layered_layout(
        sizes,
        edges,
        rankdir=rankdir,
        node_gap=NODE_GAP,
        rank_gap=RANK_GAP,
        edge_gap=EDGE_GAP,
        margin=MARGIN,
        ports=ports,
        pin_first=first,
        pin_last=last,
    )
    out = _Placed(lay.width, lay.height)
    for k, item in enumerate(diagram.items):
        x0, y0, x1, y1 = lay.boxes[k]
        if inner[k] is None:
            out.boxes.append((x0, y0, x1, y1, item))
        else:
            out.add(inner[k], x0, y0)
    for pts, arrow in zip(lay.edges, arrows):
        if pts:
            out.edges.append((pts, arrow))
    horizontal = rankdir in ("LR", "RL")
    centre = [(b[0] + b[2]) / 2 if not horizontal else (b[1] + b[3]) / 2 for b in lay.boxes]
    out.in_ports = [centre[i] for i in first]
    out.out_ports = [centre[i] for i in last]
    return out


def _edges_and_ports(diagram, inner, sizes, in_slots, out_slots):
    """The layout's edges, with the ports of placed clusters they end at and whether each
    gets an arrowhead; a cluster's own ports become zero-size nodes appended to `sizes`
    (`first`: the input ports, pinned to the first rank; `last`: the outputs, to the last).
    Returns `(edges, ports, arrows, first, last)`."""
    edges, ports, arrows = [], {}, []

    def port(item, slot, side):
        p = inner[item]
        if p is None or slot is None:
            return None
        return (p.out_ports if side == "out" else p.in_ports)[slot]

    for tail, head, tail_slot, head_slot in diagram.edges:
        ports[len(edges)] = (port(tail, tail_slot, "out"), port(head, head_slot, "in"))
        arrows.append(inner[head] is None)
        edges.append((tail, head))
    first, last = [], []
    for item, slot in in_slots:
        first.append(len(sizes))
        ports[len(edges)] = (None, port(item, slot, "in"))
        arrows.append(inner[item] is None)
        edges.append((len(sizes), item))
        sizes.append((0.0, 0.0))
    for item, slot in out_slots:
        last.append(len(sizes))
        ports[len(edges)] = (port(item, slot, "out"), None)
        arrows.append(False)
        edges.append((item, len(sizes)))
        sizes.append((0.0, 0.0))
    return edges, ports, arrows, first, last


def _place_cluster(cluster, rankdir, used_outputs):
    """A cluster's frame and contents; an output slot no edge reads gets no stub line."""
    used = sorted(slot for slot in used_outputs if slot is not None)
    p = _place(cluster.diagram, rankdir, cluster.inputs, [cluster.outputs[k] for k in used])
    horizontal = rankdir in ("LR", "RL")
    label_w = text_width(cluster.title, TITLE_SIZE)
    label_h = TITLE_SIZE * LINE_SPACING
    # The frame runs through the port ranks: trim the layout's margin on the rank axis.
    trim_start = MARGIN if cluster.inputs else 0.0
    trim_end = MARGIN if used else 0.0
    if rankdir in ("BT", "RL"):
        trim_start, trim_end = trim_end, trim_start
    if horizontal:
        x0, x1 = trim_start, p.width - trim_end
        y0, y1 = -(label_h + 4.0), p.height  # room for the label above the content
        label = (x0 + CLUSTER_PAD * 0.6, y0 + 3.0)
    else:
        x0, x1 = 0.0, max(p.width, label_w + 2 * CLUSTER_PAD)
        y0, y1 = trim_start, p.height - trim_end
        label = _label_spot(p, x0, x1, y0, label_w, label_h)
    out = _Placed(x1 - x0, y1 - y0)
    out.frames.append((0.0, 0.0, x1 - x0, y1 - y0, cluster.title, (label[0] - x0, label[1] - y0)))
    out.add(p, -x0, -y0)
    shift = -y0 if horizontal else -x0
    out.in_ports = [c + shift - (out.height if horizontal else out.width) / 2 for c in p.in_ports]
    out.out_ports = {
        slot: c + shift - (out.height if horizontal else out.width) / 2
        for slot, c in zip(used, p.out_ports)
    }
    return out


def _label_spot(placed, x0, x1, top, label_w, label_h):
    """Top-left corner for a frame's label where no edge runs under it (left, else right)."""
    y = top + 3.0
    for x in (x0 + CLUSTER_PAD * 0.6, x1 - CLUSTER_PAD * 0.6 - label_w):
        rect = (x - 2.0, y - 1.0, x + label_w + 2.0, y + label_h + 1.0)
        if not any(_polyline_hits(pts, rect) for pts, _ in placed.edges):
            return (x, y)
    return (x0 + CLUSTER_PAD * 0.6, y)


def _polyline_hits(pts, rect):
    return any(segment_hits_rect(pts[k], pts[k + 1], rect) for k in range(len(pts) - 1))


def segment_hits_rect(p, q, rect, eps=1e-6):
    """True when the segment p-q passes through the inside of `rect` (touching its edge is
    not a hit). Liang-Barsky clipping."""
    x0, y0, x1, y1 = rect[0] + eps, rect[1] + eps, rect[2] - eps, rect[3] - eps
    if x0 >= x1 or y0 >= y1:
        return False
    dx, dy = q[0] - p[0], q[1] - p[1]
    lo, hi = 0.0, 1.0
    for step, room in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if step == 0:
            if room <= 0:
                return False
            continue
        t = room / step
        if step < 0:
            lo = max(lo, t)
        else:
            hi = min(hi, t)
        if lo >= hi:
            return False
    return True


# ---------------------------------------------------------------------------- raster


def to_image(diagram, rankdir="TB", dpi=200):
    """Draws `diagram` as an RGB `PIL.Image` at `dpi` (lowered for very large graphs so no
    side exceeds 32,000 pixels)."""
    placed = place(diagram, rankdir)
    scale = dpi / 72.0
    scale = min(scale, MAX_PIXELS_PER_SIDE / max(placed.width, placed.height, 1.0))
    size = (
        max(int(math.ceil(placed.width * scale)), 1),
        max(int(math.ceil(placed.height * scale)), 1),
    )
    factor = 2 if size[0] * size[1] * 4 <= SUPERSAMPLE_BUDGET else 1
    canvas = Image.new("RGB", (size[0] * factor, size[1] * factor), BACKGROUND)
    pen = ImageDraw.Draw(canvas)
    s = scale * factor
    for x0, y0, x1, y1, _, _ in placed.frames:
        pen.rectangle(_px((x0, y0, x1, y1), s), fill=CLUSTER_FILL)
        _dashed_rect(
            pen, _px((x0, y0, x1, y1), s), CLUSTER_BORDER, max(1, round(LINE_WIDTH * s)), 5 * s
        )
    _draw_edges(canvas, placed.edges, s)
    pen = ImageDraw.Draw(canvas)
    for x0, y0, x1, y1, box in placed.boxes:
        _draw_box_shape(pen, (x0, y0, x1, y1), box, s)
    if factor > 1:
        canvas = canvas.reduce(factor)
    pen = ImageDraw.Draw(canvas)
    for _x0, _y0, _x1, _y1, title, (lx, ly) in placed.frames:
        pen.text(
            (lx * scale, (ly + _ascent(TITLE_SIZE)) * scale),
            title,
            fill=CLUSTER_TEXT,
            font=_font(TITLE_SIZE * scale),
            anchor="ls",
        )
    for x0, y0, x1, y1, box in placed.boxes:
        for x, y, text, size, color in _text_lines((x0, y0, x1, y1), box):
            pen.text(
                (x * scale, y * scale), text, fill=color, font=_font(size * scale), anchor="ms"
            )
    return canvas


def _px(rect, s):
    return [round(rect[0] * s), round(rect[1] * s), round(rect[2] * s), round(rect[3] * s)]


def _draw_box_shape(pen, rect, box, s):
    fill, border = COLORS.get(box.kind, COLORS["layer"])
    x0, y0, x1, y1 = _px(rect, s)
    width = max(1, round(LINE_WIDTH * s))
    radius = round(4 * s)
    pen.rounded_rectangle((x0, y0, x1, y1), radius=radius, fill=fill, outline=border, width=width)
    if box.details:
        split = round((rect[1] + _title_height()) * s)
        pen.rounded_rectangle(
            (x0 + width, split, x1 - width, y1 - width),
            radius=max(radius - width, 0),
            fill=DETAIL_FILL,
        )
        pen.rectangle((x0 + width, split, x1 - width, split + radius), fill=DETAIL_FILL)
        pen.line((x0, split, x1, split), fill=border, width=max(1, width // 2 + 1))


def _text_lines(rect, box):
    """(x, baseline y, text, size, colour) for each line of a box, centred."""
    x0, y0, x1, _ = rect
    cx = (x0 + x1) / 2
    lines = []
    y = y0 + PAD_Y + (TITLE_SIZE * LINE_SPACING - TITLE_SIZE) / 2 + _ascent(TITLE_SIZE) * 0.92
    lines.append((cx, y, box.title, TITLE_SIZE, TEXT_COLOR))
    y = y0 + _title_height() + PAD_Y * 0.8
    for text, color in box.details:
        base = y + (DETAIL_SIZE * LINE_SPACING - DETAIL_SIZE) / 2 + _ascent(DETAIL_SIZE) * 0.92
        lines.append((cx, base, text, DETAIL_SIZE, color or DETAIL_COLOR))
        y += DETAIL_SIZE * LINE_SPACING
    return lines


def _arrow_head(pts):
    """Returns the polyline shortened to the arrow's base, and the arrow's three corners."""
    (ax, ay), (bx, by) = pts[-2], pts[-1]
    length = math.hypot(bx - ax, by - ay) or 1.0
    ux, uy = (bx - ax) / length, (by - ay) / length
    base = (bx - ux * ARROW_LENGTH, by - uy * ARROW_LENGTH)
    left = (base[0] - uy * ARROW_HALF_WIDTH, base[1] + ux * ARROW_HALF_WIDTH)
    right = (base[0] + uy * ARROW_HALF_WIDTH, base[1] - ux * ARROW_HALF_WIDTH)
    stop = (bx - ux * ARROW_LENGTH * 0.7, by - uy * ARROW_LENGTH * 0.7)
    return pts[:-1] + [stop], [(bx, by), left, right]


def _draw_edges(canvas, edges, s):
    """Draws every edge (lines and arrowheads) in EDGE_COLOR onto `canvas`, anti-aliased."""
    ink = np.zeros((canvas.height, canvas.width), dtype=np.uint8)
    heads = []
    width = LINE_WIDTH * s
    for pts, arrow in edges:
        if arrow:
            pts, head = _arrow_head(pts)
            heads.append([(x * s, y * s) for x, y in head])
        for p, q in zip(pts, pts[1:]):
            _stroke(ink, (p[0] * s, p[1] * s), (q[0] * s, q[1] * s), width)
    mask = Image.fromarray(ink, mode="L")
    pen = ImageDraw.Draw(mask)
    for head in heads:
        pen.polygon(head, fill=255)
    canvas.paste(Image.new("RGB", canvas.size, EDGE_COLOR), (0, 0), mask)


def _stroke(ink, p, q, width):
    """Adds the segment p-q, `width` pixels wide with round ends, to the coverage array `ink`.

    Each pixel's coverage comes from its distance to the segment, so a line has the same
    weight at every angle (Pillow's own wide lines come out up to a pixel thinner on some
    slopes). Only a band `width` wide around the segment is computed."""
    half = width / 2
    (ax, ay), (bx, by) = p, q
    dx, dy = bx - ax, by - ay
    steep = abs(dy) > abs(dx)
    if steep:  # walk along y, the longer axis: swap the axes and swap back at the end
        ax, ay, bx, by, dx, dy = ay, ax, by, bx, dy, dx
    if bx < ax:
        ax, ay, bx, by, dx, dy = bx, by, ax, ay, -dx, -dy
    reach = int(math.ceil(half * math.sqrt(2) + 1.5))
    major = np.arange(math.floor(ax - half - 1), math.ceil(bx + half + 1) + 1)
    t = np.clip((major + 0.5 - ax) / dx, 0.0, 1.0) if dx else np.zeros(len(major))
    centre = np.floor(ay + t * dy).astype(np.int64)
    minor = centre[:, None] + np.arange(-reach, reach + 1)[None, :]
    major = np.broadcast_to(major[:, None], minor.shape)
    # Distance from each pixel centre to the segment.
    px, py = major + 0.5 - ax, minor + 0.5 - ay
    length2 = dx * dx + dy * dy
    u = np.clip((px * dx + py * dy) / length2, 0.0, 1.0) if length2 else np.zeros(px.shape)
    dist = np.hypot(px - u * dx, py - u * dy)
    cover = np.clip(half + 0.5 - dist, 0.0, 1.0)
    xs, ys = (minor, major) if steep else (major, minor)
    keep = (cover > 0) & (xs >= 0) & (ys >= 0) & (xs < ink.shape[1]) & (ys < ink.shape[0])
    xs, ys, value = xs[keep], ys[keep], (cover[keep] * 255).astype(np.uint8)
    ink[ys, xs] = np.maximum(ink[ys, xs], value)


def _dashed_rect(pen, rect, color, width, dash):
    x0, y0, x1, y1 = rect
    for a, b in (
        ((x0, y0), (x1, y0)),
        ((x1, y0), (x1, y1)),
        ((x1, y1), (x0, y1)),
        ((x0, y1), (x0, y0)),
    ):
        length = math.hypot(b[0] - a[0], b[1] - a[1])
        steps = max(int(length // (2 * dash)), 1)
        for k in range(steps):
            t0, t1 = k * 2 * dash / length, min((k * 2 + 1) * dash / length, 1.0)
            pen.line(
                (
                    a[0] + (b[0] - a[0]) * t0,
                    a[1] + (b[1] - a[1]) * t0,
                    a[0] + (b[0] - a[0]) * t1,
                    a[1] + (b[1] - a[1]) * t1,
                ),
                fill=color,
                width=width,
            )


def write_raster(diagram, file, fmt, rankdir="TB", dpi=200):
    """Writes a PNG of `diagram` to the binary file object `file` (`fmt`: "png")."""
    if fmt != "png":
        raise ValueError(f"write_raster writes PNG images only. Received: fmt={fmt!r}")
    to_image(diagram, rankdir, dpi).save(file, format="PNG", dpi=(dpi, dpi))


# ---------------------------------------------------------------------------- PDF


def write_pdf(diagram, file, rankdir="TB"):
    """Writes `diagram` as a vector PDF (paths and text in the bundled font, as the SVG)
    to the binary file object `file`."""
    placed = place(diagram, rankdir)
    page = pdf.Page(placed.width, placed.height, BACKGROUND)
    for x0, y0, x1, y1, title, (lx, ly) in placed.frames:
        page.rect(
            x0, y0, x1, y1, fill=CLUSTER_FILL, stroke=CLUSTER_BORDER, width=LINE_WIDTH, dash=5.0
        )
        page.text(lx, ly + _ascent(TITLE_SIZE), title, TITLE_SIZE, CLUSTER_TEXT)
    for pts, arrow in placed.edges:
        head = None
        if arrow:
            pts, head = _arrow_head(pts)
        page.polyline(pts, EDGE_COLOR, LINE_WIDTH)
        if head:
            page.polygon(head, EDGE_COLOR)
    for x0, y0, x1, y1, box in placed.boxes:
        fill, border = COLORS.get(box.kind, COLORS["layer"])
        page.rect(x0, y0, x1, y1, fill=fill, stroke=border, width=LINE_WIDTH, radius=4.0)
        if box.details:
            split = y0 + _title_height()
            bottom = pdf.rounded_rect(x0, split - 8.0, x1, y1, 4.0)[3:7]  # the lower corners
            page.path(
                [("M", x0, split), ("L", x1, split)] + bottom + [("L", x0, split)],
                fill=DETAIL_FILL,
                stroke=border,
                width=LINE_WIDTH,
                close=True,
            )
        for x, y, text, size, color in _text_lines((x0, y0, x1, y1), box):
            page.text(x, y, text, size, color, anchor="m")
    page.write(file)


def check_image_path(to_file, formats, writer, example):
    """`(path, format)` for an image file `to_file` whose extension names one of `formats`
    (no extension: png); clear errors for anything else. `writer` names the function in
    messages, `example` is a file name to suggest when `to_file` is a folder."""
    if not isinstance(to_file, (str, os.PathLike)):
        raise TypeError(
            "to_file must be a file path (str or os.PathLike). "
            f"Received: to_file={to_file!r} of type {type(to_file).__name__}"
        )
    path = os.fspath(to_file)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    extension = os.path.splitext(path)[1].lower()
    fmt = extension[1:] or "png"
    if fmt not in formats:
        names = ", ".join("." + f for f in formats[:-1]) + " or ." + formats[-1]
        raise ValueError(
            f"Unknown image format {extension!r} for to_file. {writer} writes {names} "
            f"files: change the extension. Received: to_file={path!r}"
        )
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(
            f"The folder of to_file does not exist: {folder!r}. Create it first "
            f"(os.makedirs) or choose another path. Received: to_file={path!r}"
        )
    if os.path.isdir(path):
        raise ValueError(
            "to_file is a folder, not a file name. Give a file path such as "
            f"{os.path.join(path, example)!r}. Received: to_file={path!r}"
        )
    return path, fmt
