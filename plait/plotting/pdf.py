"""A small vector PDF writer: filled and stroked paths, dashed lines, and text in the font
the PNG and SVG outputs use (Pillow's bundled TrueType font, embedded), on one page.

Coordinates are in points with the origin at the top left, as everywhere in
`plait.plotting`; the writer flips them to PDF's bottom-left origin. Text is encoded as
WinAnsi (Windows-1252), which covers Latin scripts; any other character is written as `?`
(the PNG and SVG outputs draw every character the font has).

    page = Page(200, 100)
    page.rect(10, 10, 190, 90, fill="#E4EEF9", stroke="#2F5D8A", width=1.1)
    page.text(100, 55, "dense_1: Dense", 11.0, "#17212B", anchor="m")
    with open("box.pdf", "wb") as f:
        page.write(f)
"""

import functools
import zlib

from PIL import ImageFont

__all__ = ["Page"]

_KAPPA = 0.5523  # control-point distance of a cubic Bezier quarter circle, per radius
_UNITS = 1000  # PDF glyph space: widths per 1000 units of the font size


@functools.lru_cache(maxsize=1)
def _font():
    return ImageFont.load_default(size=_UNITS)


@functools.lru_cache(maxsize=1)
def _widths():
    """The advance width of each WinAnsi code 32..255, in 1/1000 of the font size."""
    font = _font()
    out = []
    for code in range(32, 256):
        try:
            char = bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            char = "?"
        out.append(round(font.getlength(char)))
    return out


def text_width(text, size):
    """Width in points of `text` at `size` points, as the PDF sets it."""
    widths = _widths()
    data = _encode(text)
    return sum(widths[b - 32] if b >= 32 else 0 for b in data) * size / _UNITS


def _encode(text):
    return text.encode("cp1252", errors="replace")


def _color(value):
    value = value.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return f"{r:.3f} {g:.3f} {b:.3f}"


def _string(data):
    """A PDF literal string of the bytes `data`."""
    escaped = data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + escaped.replace(b"\r", b"\\r").replace(b"\n", b"\\n") + b")"


class Page:
    """One page of `width` x `height` points; draw on it, then `write` it.

    Args:
        width, height: the page size in points.
        background: the page's fill colour (`"#RRGGBB"`), or None for none.
    """

    def __init__(self, width, height, background="#FFFFFF"):
        self.width = max(float(width), 1.0)
        self.height = max(float(height), 1.0)
        self._ops = []
        if background:
            self._ops.append(f"{_color(background)} rg 0 0 {self.width:.2f} {self.height:.2f} re f")

    def _xy(self, x, y):
        return f"{x:.2f} {self.height - y:.2f}"

    def _paint(self, fill, stroke, width, dash=None, cap=0):
        ops = []
        if fill:
            ops.append(f"{_color(fill)} rg")
        if stroke:
            ops.append(f"{_color(stroke)} RG {width:.2f} w {cap} J 1 j")
            ops.append(f"[{dash:.2f} {dash:.2f}] 0 d" if dash else "[] 0 d")
        paint = "B" if fill and stroke else ("f" if fill else "S")
        return ops, paint

    def path(self, segments, fill=None, stroke=None, width=1.0, close=False, dash=None, cap=0):
        """Paints a path. `segments`: `("M", x, y)`, `("L", x, y)` or
        `("C", x1, y1, x2, y2, x, y)` in top-left points."""
        ops, paint = self._paint(fill, stroke, width, dash, cap)
        parts = []
        for seg in segments:
            points = [self._xy(seg[k], seg[k + 1]) for k in range(1, len(seg), 2)]
            op = {"M": "m", "L": "l", "C": "c"}[seg[0]]
            parts.append(" ".join(points) + " " + op)
        if close:
            parts.append("h")
        self._ops.append("q " + " ".join(ops) + " " + " ".join(parts) + f" {paint} Q")

    def polyline(self, points, stroke, width, cap=0):
        """A stroked open line through `points`."""
        segments = [("M",) + tuple(points[0])] + [("L",) + tuple(p) for p in points[1:]]
        self.path(segments, stroke=stroke, width=width, cap=cap)

    def polygon(self, points, fill):
        """A filled closed polygon."""
        segments = [("M",) + tuple(points[0])] + [("L",) + tuple(p) for p in points[1:]]
        self.path(segments, fill=fill, close=True)

    def rect(self, x0, y0, x1, y1, fill=None, stroke=None, width=1.0, radius=0.0, dash=None):
        """A rectangle, with rounded corners of `radius` points when given."""
        self.path(
            rounded_rect(x0, y0, x1, y1, radius),
            fill=fill,
            stroke=stroke,
            width=width,
            close=True,
            dash=dash,
        )

    def circle(self, x, y, radius, fill):
        """A filled circle."""
        self.rect(x - radius, y - radius, x + radius, y + radius, fill=fill, radius=radius)

    def text(self, x, y, text, size, color, anchor="l"):
        """`text` at baseline `y`; `x` is its left end, middle or right end for `anchor`
        `"l"`, `"m"` or `"r"`."""
        shift = {"l": 0.0, "m": 0.5, "r": 1.0}[anchor] * text_width(text, size)
        string = _string(_encode(text)).decode("latin-1")
        self._ops.append(
            f"BT /F1 {size:.2f} Tf {_color(color)} rg {self._xy(x - shift, y)} Td {string} Tj ET"
        )

    def write(self, file):
        """Writes the page as a complete PDF file to the binary file object `file`."""
        file.write(_document(self.width, self.height, "\n".join(self._ops).encode("latin-1")))


def rounded_rect(x0, y0, x1, y1, radius):
    """Path segments of a rectangle with corners rounded by `radius`."""
    r = max(0.0, min(radius, (x1 - x0) / 2, (y1 - y0) / 2))
    if r == 0:
        return [("M", x0, y0), ("L", x1, y0), ("L", x1, y1), ("L", x0, y1)]
    k = r * (1 - _KAPPA)
    return [
        ("M", x0 + r, y0),
        ("L", x1 - r, y0),
        ("C", x1 - k, y0, x1, y0 + k, x1, y0 + r),
        ("L", x1, y1 - r),
        ("C", x1, y1 - k, x1 - k, y1, x1 - r, y1),
        ("L", x0 + r, y1),
        ("C", x0 + k, y1, x0, y1 - k, x0, y1 - r),
        ("L", x0, y0 + r),
        ("C", x0, y0 + k, x0 + k, y0, x0 + r, y0),
    ]


def _document(width, height, content):
    """The bytes of a one-page PDF drawing `content` with the embedded font as /F1."""
    font = _font()
    ascent, descent = font.getmetrics()
    font_data = font.path.getvalue() if hasattr(font.path, "getvalue") else b""
    name = "/" + "".join(ch for ch in (font.getname()[0] or "PlaitSans") if ch.isalnum())
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:.2f} {height:.2f}] "
            "/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
        ).encode(),
        _stream(content),
        (
            f"<< /Type /Font /Subtype /TrueType /BaseFont {name} /FirstChar 32 /LastChar 255 "
            f"/Widths [{' '.join(str(w) for w in _widths())}] /Encoding /WinAnsiEncoding "
            "/FontDescriptor 6 0 R >>"
        ).encode(),
        (
            f"<< /Type /FontDescriptor /FontName {name} /Flags 32 "
            f"/FontBBox [0 {-descent} {_UNITS} {ascent}] /ItalicAngle 0 /Ascent {ascent} "
            f"/Descent {-descent} /CapHeight {ascent} /StemV 80"
            + (" /FontFile2 7 0 R" if font_data else "")
            + " >>"
        ).encode(),
    ]
    if font_data:
        objects.append(_stream(font_data, f"/Length1 {len(font_data)}"))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def _stream(data, extra=""):
    packed = zlib.compress(data, 9)
    head = f"<< /Length {len(packed)} /Filter /FlateDecode {extra}>>\nstream\n".encode()
    return head + packed + b"\nendstream"
