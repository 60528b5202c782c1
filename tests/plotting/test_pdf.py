"""plot_model and plot_history write vector PDFs: paths and text in the embedded font, no
embedded image, a cross-reference table that points at every object."""

import re
import zlib

import pytest

from plait.plotting import pdf
from plait.utils import plot_history, plot_model
from tests.plotting.test_model_plot import multilayer_perceptron, shared_input_layer


def _objects(data):
    """{number: body} of every object, checked against the xref table and startxref."""
    start = int(re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", data).group(1))
    assert data[start : start + 4] == b"xref"
    head = re.match(rb"xref\s+0 (\d+)\s+", data[start:])
    count = int(head.group(1))
    rows = data[start + head.end() :].split(b"\n")[:count]
    assert rows[0].startswith(b"0000000000 65535 f")
    objects = {}
    for number, row in enumerate(rows[1:], start=1):
        offset = int(row[:10])
        assert row[11:16] == b"00000" and row[17:18] == b"n"
        match = re.match(rb"(\d+) 0 obj\n(.*?)\nendobj", data[offset:], re.S)
        assert match and int(match.group(1)) == number
        objects[number] = match.group(2)
    return objects


def _streams(objects):
    out = []
    for body in objects.values():
        match = re.match(rb"<<(.*?)>>\nstream\n(.*)\nendstream$", body, re.S)
        if match:
            length = int(re.search(rb"/Length (\d+)", match.group(1)).group(1))
            assert len(match.group(2)) == length
            out.append(zlib.decompress(match.group(2)))
    return out


def _check_vector(data, texts):
    assert data.startswith(b"%PDF-1.4")
    objects = _objects(data)
    joined = b"".join(objects.values())
    assert b"/XObject" not in joined and b"/Image" not in joined and b"/DCTDecode" not in joined
    assert b"/FontFile2" in joined and b"/WinAnsiEncoding" in joined
    content = b"\n".join(_streams(objects))
    for text in texts:
        assert pdf._string(text.encode("cp1252")) + b" Tj" in content, text
    assert b" re " in content or b" c " in content  # paths are drawn as paths
    return content


def test_plot_model_pdf_is_vector(tmp_path):
    model = shared_input_layer()
    path = plot_model(model, to_file=tmp_path / "m.pdf", show_shapes=True)
    data = open(path, "rb").read()
    content = _check_vector(data, ["concatenate_1: Concatenate", "output: (None, 41344)"])
    assert content.count(b" Tj") >= 2 * len(model.layers)
    assert len(data) < 60_000  # the raster PDF of the same model was about 1.4 MB at 200 dpi


@pytest.mark.parametrize("rankdir", ["TB", "LR"])
def test_page_size_follows_the_layout(tmp_path, rankdir):
    path = plot_model(multilayer_perceptron(), to_file=tmp_path / "m.pdf", rankdir=rankdir)
    box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", open(path, "rb").read())
    width, height = float(box.group(1)), float(box.group(2))
    assert (width > height) is (rankdir == "LR")


def test_plot_history_pdf_is_vector(tmp_path):
    logs = {"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.7, 0.6]}
    plot_history(logs, tmp_path / "h.pdf")
    content = _check_vector((tmp_path / "h.pdf").read_bytes(), ["loss", "train", "epoch"])
    assert b" S Q" in content  # the curves are stroked lines


def test_text_is_escaped_and_non_latin_characters_become_question_marks(tmp_path):
    page = pdf.Page(100, 40)
    page.text(5, 20, "a(b)\\c \u00e9 \u4e2d", 10, "#000000")
    target = tmp_path / "t.pdf"
    with open(target, "wb") as f:
        page.write(f)
    content = b"\n".join(_streams(_objects(target.read_bytes())))
    assert b"(a\\(b\\)\\\\c \xe9 ?) Tj" in content


def test_text_width_matches_the_layout_font():
    from plait.plotting import draw

    for text in ["dense_1: Dense", "input: (None, 64, 64, 1)", "WWW iii"]:
        assert pdf.text_width(text, 11.0) == pytest.approx(draw.text_width(text, 11.0), rel=0.02)
