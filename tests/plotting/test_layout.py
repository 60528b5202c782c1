import pytest
from hypothesis import given, settings, strategies as st

from plait.plotting.draw import segment_hits_rect
from plait.plotting.layout import layered_layout


@st.composite
def dags(draw, max_nodes=24):
    """Random DAGs: edges only go from a lower to a higher index (a topological order),
    box sizes vary like layer boxes do."""
    n = draw(st.integers(1, max_nodes))
    sizes = [(draw(st.integers(30, 220)), draw(st.integers(12, 90))) for _ in range(n)]
    pairs = [(a, b) for b in range(n) for a in range(b)]
    edges = draw(st.lists(st.sampled_from(pairs), max_size=3 * n, unique=True)) if pairs else []
    return sizes, edges


def overlaps(a, b):
    return a[0] < b[2] - 1e-6 and b[0] < a[2] - 1e-6 and a[1] < b[3] - 1e-6 and b[1] < a[3] - 1e-6


def check_invariants(sizes, edges, layout, rankdir):
    n = len(sizes)
    assert len(layout.boxes) == n
    # every box placed, at its size, inside the drawing
    for (w, h), (x0, y0, x1, y1) in zip(sizes, layout.boxes):
        assert x1 - x0 == pytest.approx(w) and y1 - y0 == pytest.approx(h)
        assert x0 >= 0 and y0 >= 0 and x1 <= layout.width + 1e-6 and y1 <= layout.height + 1e-6
    for i in range(n):
        for j in range(i + 1, n):
            assert not overlaps(layout.boxes[i], layout.boxes[j]), (i, j)
    axis = {"TB": 1, "BT": 1, "LR": 0, "RL": 0}[rankdir]
    forward = 1 if rankdir in ("TB", "LR") else -1
    for (a, b), pts in zip(edges, layout.edges):
        assert layout.ranks[a] < layout.ranks[b]
        assert len(pts) >= 2
        # starts on the tail's box, ends on the head's box
        assert _on_border(pts[0], layout.boxes[a]) and _on_border(pts[-1], layout.boxes[b])
        # runs monotonically along the rank axis, so it never turns back
        coords = [p[axis] * forward for p in pts]
        assert all(c1 <= c2 + 1e-6 for c1, c2 in zip(coords, coords[1:]))
        for p, q in zip(pts, pts[1:]):
            for box in layout.boxes:
                assert not segment_hits_rect(p, q, box), (a, b, p, q, box)


def _on_border(p, box, eps=1e-6):
    x0, y0, x1, y1 = box
    inside = x0 - eps <= p[0] <= x1 + eps and y0 - eps <= p[1] <= y1 + eps
    edge = min(abs(p[0] - x0), abs(p[0] - x1), abs(p[1] - y0), abs(p[1] - y1)) < eps
    return inside and edge


@settings(max_examples=120, deadline=None)
@given(dags(), st.sampled_from(["TB", "LR", "BT", "RL"]))
def test_random_dags_keep_invariants(graph, rankdir):
    sizes, edges = graph
    layout = layered_layout(sizes, edges, rankdir=rankdir)
    check_invariants(sizes, edges, layout, rankdir)


@settings(max_examples=40, deadline=None)
@given(dags(max_nodes=12))
def test_ports_given_by_the_caller_are_used(graph):
    sizes, edges = graph
    ports = {k: (-sizes[a][0] / 4, sizes[b][0] / 4) for k, (a, b) in enumerate(edges)}
    layout = layered_layout(sizes, edges, ports=ports)
    check_invariants(sizes, edges, layout, "TB")
    for (a, b), pts in zip(edges, layout.edges):
        ax0, _, ax1, _ = layout.boxes[a]
        bx0, _, bx1, _ = layout.boxes[b]
        assert pts[0][0] == pytest.approx((ax0 + ax1) / 2 - sizes[a][0] / 4)
        assert pts[-1][0] == pytest.approx((bx0 + bx1) / 2 + sizes[b][0] / 4)


def test_chain_is_one_straight_column():
    n = 50
    layout = layered_layout([(100, 30)] * n, [(k, k + 1) for k in range(n - 1)])
    assert layout.ranks == list(range(n))
    centres = {round((b[0] + b[2]) / 2, 6) for b in layout.boxes}
    assert len(centres) == 1
    assert all(len(pts) == 2 and pts[0][0] == pts[1][0] for pts in layout.edges)


def test_long_chain_lays_out_without_recursion():
    n = 5000
    layout = layered_layout([(80, 20)] * n, [(k, k + 1) for k in range(n - 1)] + [(0, n - 1)])
    assert layout.ranks[-1] == n - 1


def test_source_is_pulled_down_next_to_its_consumer():
    # 0 -> 1 -> 2 -> 3, and a second input 4 that only feeds 3
    layout = layered_layout([(60, 20)] * 5, [(0, 1), (1, 2), (2, 3), (4, 3)])
    assert layout.ranks == [0, 1, 2, 3, 2]


def test_crossing_free_graph_is_drawn_without_crossings():
    # two parallel chains whose inputs are listed crosswise
    edges = [(0, 3), (1, 2), (2, 4), (3, 5)]
    layout = layered_layout([(60, 20)] * 6, edges)
    segments = [(p, q) for pts in layout.edges for p, q in zip(pts, pts[1:])]
    for i, (p, q) in enumerate(segments):
        for r, s in segments[i + 1 :]:
            assert not _proper_cross(p, q, r, s)


def _proper_cross(p, q, r, s):
    def side(a, b, c):
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    d1, d2, d3, d4 = side(p, q, r), side(p, q, s), side(r, s, p), side(r, s, q)
    return d1 * d2 < 0 and d3 * d4 < 0


def test_cycles_and_self_edges_are_drawn_with_their_direction():
    sizes = [(80, 30)] * 3
    edges = [(0, 1), (1, 2), (2, 0), (1, 1)]
    layout = layered_layout(sizes, edges)
    back = layout.edges[2]
    assert _on_border(back[0], layout.boxes[2]) and _on_border(back[-1], layout.boxes[0])
    loop = layout.edges[3]
    assert _on_border(loop[0], layout.boxes[1]) and _on_border(loop[-1], layout.boxes[1])
    for k, pts in enumerate(layout.edges):
        for p, q in zip(pts, pts[1:]):
            for box in layout.boxes:
                assert not segment_hits_rect(p, q, box), k


def test_pinned_nodes_get_ranks_of_their_own():
    # 0 pinned first feeds 1 and 2; 3 pinned last is fed by 1 while 2 is a deeper sink
    edges = [(0, 1), (1, 2), (1, 3), (2, 4)]
    layout = layered_layout([(50, 20)] * 5, edges, pin_first=[0], pin_last=[3])
    assert layout.ranks[0] == 0 and min(layout.ranks[1:]) == 1
    assert layout.ranks[3] == max(layout.ranks) and layout.ranks.count(layout.ranks[3]) == 1


def test_lr_puts_ranks_left_to_right():
    layout = layered_layout([(120, 30), (80, 30)], [(0, 1)], rankdir="LR")
    (a, b) = layout.boxes
    assert a[2] < b[0]
    assert layout.width > layout.height


def test_empty_graph():
    layout = layered_layout([], [])
    assert layout.boxes == [] and layout.edges == []


def test_unknown_rankdir_is_an_error():
    with pytest.raises(ValueError, match=r"rankdir must be one of .*Received: rankdir='XY'"):
        layered_layout([(10, 10)], [], rankdir="XY")


@pytest.mark.parametrize(
    "p, q, hit",
    [
        ((0, 5), (20, 5), True),  # straight through
        ((0, 0), (10, 0), False),  # along the top edge
        ((5, -5), (5, 0), False),  # ends on the border
        ((5, -5), (5, 1), True),  # pokes in
        ((-5, -5), (-1, 20), False),  # passes beside
        ((-5, 12), (5, 5), True),  # diagonal into a corner region
    ],
)
def test_segment_hits_rect(p, q, hit):
    assert segment_hits_rect(p, q, (0, 0, 10, 10)) is hit
