"""Layered ("Sugiyama") layout of a directed graph of boxes.

Knows nothing of models: it takes box sizes and edges and returns where to draw each box and
each edge. The steps are the classic ones:

1. cycle removal: edges closing a cycle are laid out reversed (drawn with their true direction);
2. ranks: longest path from the sources, then sources (and nodes with more outputs than inputs)
   are pulled down next to their consumers so edges stay short;
3. long edges are split by dummy nodes, one per rank they cross;
4. crossing reduction: median/barycenter sweeps down and up, keeping the best order found;
5. coordinates: each rank is placed as close as possible to its neighbours (a weighted least
   squares fit under the spacing constraints, solved exactly by pool-adjacent-violators), in
   alternating sweeps, so chains come out straight;
6. edges become polylines through their dummy nodes; the routes only run in the gaps between
   ranks and in the columns the dummy nodes reserve, so they never cross a box.

Everything is iterative (no recursion), so a 10,000-box chain lays out fine.

The layout is computed in rank-relative axes: `u` runs along a rank, `v` from rank to rank. For
`rankdir='TB'` u is x and v is y; `'LR'` swaps them; `'BT'` and `'RL'` mirror the result.
"""

__all__ = ["Layout", "layered_layout"]

RANKDIRS = ("TB", "LR", "BT", "RL")


class Layout:
    """The result of `layered_layout`, in the caller's units, origin top left.

    Attributes:
        boxes: `(x0, y0, x1, y1)` per node.
        edges: per input edge, the polyline `[(x, y), ...]` from its tail to its head (a
            reversed or self edge too); empty when an edge's ends are one node and
            `self_loops=False` was asked.
        ranks: the rank of each node (0 for the first rank).
        width, height: the extent of the drawing, margins included.
    """

    def __init__(self, boxes, edges, ranks, width, height):
        self.boxes = boxes
        self.edges = edges
        self.ranks = ranks
        self.width = width
        self.height = height


def layered_layout(
    sizes,
    edges,
    rankdir="TB",
    node_gap=20.0,
    rank_gap=30.0,
    edge_gap=8.0,
    margin=10.0,
    ports=None,
    pin_first=(),
    pin_last=(),
    sweeps=8,
):
    """Lays out a directed graph in ranks.

    Args:
        sizes: `(width, height)` of each node, in drawing units.
        edges: `(tail, head)` node indices. Cycles and self edges are allowed.
        rankdir: `'TB'` (ranks top to bottom), `'LR'`, `'BT'` or `'RL'`.
        node_gap: space between two boxes of one rank.
        rank_gap: space between two ranks.
        edge_gap: space kept around an edge passing through a rank.
        margin: empty border around the drawing.
        ports: optional `{edge_index: (tail_offset, head_offset)}`: where an edge leaves or
            enters its box, as an offset from the box's centre along the rank (`None` for
            automatic: several edges on one side of a box are spread across it).
        pin_first: nodes forced alone into the first rank (must have no incoming edges).
        pin_last: nodes forced into a last rank of their own (must have no outgoing edges).
        sweeps: rounds of crossing reduction.

    Returns:
        A `Layout`.
    """
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {list(RANKDIRS)}. Received: rankdir={rankdir!r}")
    n = len(sizes)
    along = 1 if rankdir in ("LR", "RL") else 0
    du = [float(s[along]) for s in sizes]
    dv = [float(s[1 - along]) for s in sizes]
    ports = ports or {}

    flow, loops = _remove_cycles(n, edges)
    rank = _assign_ranks(n, flow, set(pin_first), set(pin_last))
    graph = _LayeredGraph(n, du, dv, rank, flow, edges, ports, loops, edge_gap)
    order = _order(graph, sweeps)
    graph.assign_ports(order)
    u = _coordinates(graph, order, node_gap, edge_gap)
    v, band = _rank_positions(graph, order, rank_gap)
    return _finish(graph, order, u, v, band, edges, loops, rankdir, margin)


def _remove_cycles(n, edges):
    """Returns `(flow, loops)`: each non-self edge as `(index, upper, lower, reversed)` with
    back edges of a depth-first search turned around, and the indices of self edges."""
    succ = [[] for _ in range(n)]
    loops = []
    for i, (a, b) in enumerate(edges):
        if a == b:
            loops.append(i)
        else:
            succ[a].append(b)
    state = [0] * n  # 0 unseen, 1 on the stack, 2 done
    back = set()
    for root in range(n):
        if state[root]:
            continue
        state[root] = 1
        stack = [(root, 0)]
        while stack:
            node, k = stack[-1]
            if k < len(succ[node]):
                stack[-1] = (node, k + 1)
                nxt = succ[node][k]
                if state[nxt] == 1:
                    back.add((node, nxt))
                elif state[nxt] == 0:
                    state[nxt] = 1
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                stack.pop()
    flow = []
    for i, (a, b) in enumerate(edges):
        if a != b:
            flow.append((i, b, a, True) if (a, b) in back else (i, a, b, False))
    return flow, loops


def _assign_ranks(n, flow, pin_first, pin_last):
    succ = [[] for _ in range(n)]
    pred = [[] for _ in range(n)]
    indegree = [0] * n
    for _, a, b, _ in flow:
        succ[a].append(b)
        pred[b].append(a)
        indegree[b] += 1
    start = 1 if pin_first else 0
    rank = [0 if i in pin_first else start for i in range(n)]
    topo = [i for i in range(n) if indegree[i] == 0]
    k = 0
    while k < len(topo):
        node = topo[k]
        k += 1
        for nxt in succ[node]:
            rank[nxt] = max(rank[nxt], rank[node] + 1)
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                topo.append(nxt)
    # Pull a node down next to its consumers when that shortens more edges than it stretches.
    for node in reversed(topo):
        if node in pin_first or not succ[node] or len(succ[node]) <= len(pred[node]):
            continue
        rank[node] = max(rank[node], min(rank[s] for s in succ[node]) - 1)
    if pin_last:
        last = max([rank[i] for i in range(n) if i not in pin_last] + [start - 1]) + 1
        for i in pin_last:
            rank[i] = max(rank[i], last)
    return rank


class _LayeredGraph:
    """Nodes (real ones first, then dummies) with neighbours in the rank above and below.

    Each adjacency entry is `(neighbour, edge_index)` into `self.segments`, whose items are
    `[upper, lower, upper_offset, lower_offset, weight]`: offsets are port positions along the
    rank, relative to the node's centre."""

    def __init__(self, n, du, dv, rank, flow, edges, ports, loops, edge_gap):
        self.real = n
        self.du = list(du)
        self.dv = list(dv)
        self.rank = list(rank)
        self.right_extra = [0.0] * n
        for i in loops:
            a = edges[i][0]
            self.right_extra[a] = max(self.right_extra[a], 2.0 * edge_gap + 4.0)
        self.up = [[] for _ in range(n)]
        self.down = [[] for _ in range(n)]
        self.segments = []
        self.chains = {}  # edge index -> (nodes from upper end to lower end, their segments)
        self.fixed_ports = {}  # (segment, end) -> offset given by the caller
        for index, a, b, flipped in flow:
            chain = [a]
            for r in range(rank[a] + 1, rank[b]):
                chain.append(self._add_dummy(r))
            chain.append(b)
            links = []
            self.chains[index] = (chain, links)
            given = ports.get(index, (None, None))
            upper_port, lower_port = (given[1], given[0]) if flipped else given
            for k in range(len(chain) - 1):
                top, bottom = chain[k], chain[k + 1]
                dummies = (top >= n) + (bottom >= n)
                seg = len(self.segments)
                self.segments.append([top, bottom, 0.0, 0.0, (1.0, 2.0, 8.0)[dummies]])
                links.append(seg)
                self.down[top].append((bottom, seg))
                self.up[bottom].append((top, seg))
                if k == 0 and upper_port is not None:
                    self.fixed_ports[(seg, 0)] = float(upper_port)
                if k == len(chain) - 2 and lower_port is not None:
                    self.fixed_ports[(seg, 1)] = float(lower_port)
        self.ranks = max(self.rank, default=-1) + 1

    def _add_dummy(self, r):
        self.du.append(0.0)
        self.dv.append(0.0)
        self.rank.append(r)
        self.right_extra.append(0.0)
        self.up.append([])
        self.down.append([])
        return len(self.rank) - 1

    def assign_ports(self, order):
        """Spreads the edges leaving (entering) a box across its bottom (top), in the order
        of their other ends, so merges and forks read clearly."""
        pos = _positions(order, len(self.rank))
        for node in range(self.real):
            for side, lists in ((0, self.down), (1, self.up)):
                entries = sorted(lists[node], key=lambda e: pos[e[0]])
                free = [seg for _, seg in entries if (seg, side) not in self.fixed_ports]
                width = self.du[node]
                step = min(width * 0.7 / max(len(free) - 1, 1), 24.0) if width else 0.0
                for k, seg in enumerate(free):
                    self.segments[seg][2 + side] = (k - (len(free) - 1) / 2) * step
        for (seg, end), offset in self.fixed_ports.items():
            self.segments[seg][2 + end] = offset


def _positions(order, count):
    pos = [0] * count
    for layer in order:
        for k, node in enumerate(layer):
            pos[node] = k
    return pos


def _order(graph, sweeps):
    """Orders each rank to reduce crossings; returns a list of node lists, one per rank."""
    order = [[] for _ in range(graph.ranks)]
    seen = [False] * len(graph.rank)
    # Start from a depth-first walk so that the branches of one fork stay together.
    for root in range(len(graph.rank)):
        if seen[root] or graph.up[root]:
            continue
        stack = [root]
        seen[root] = True
        while stack:
            node = stack.pop()
            order[graph.rank[node]].append(node)
            for child, _ in reversed(graph.down[node]):
                if not seen[child]:
                    seen[child] = True
                    stack.append(child)
    for node in range(len(graph.rank)):
        if not seen[node]:  # only reachable from above through cycles, which were removed
            order[graph.rank[node]].append(node)
    best = [list(layer) for layer in order]
    best_crossings = _crossings(graph, best)
    stale = 0
    for sweep in range(sweeps):
        if best_crossings == 0:
            break
        down = sweep % 2 == 0
        ranks = range(1, graph.ranks) if down else range(graph.ranks - 2, -1, -1)
        for r in ranks:
            _sort_by_median(
                graph,
                order,
                r,
                order[r - 1] if down else order[r + 1],
                graph.up if down else graph.down,
            )
        crossings = _crossings(graph, order)
        if crossings < best_crossings:
            best, best_crossings, stale = [list(layer) for layer in order], crossings, 0
        else:
            stale += 1
            if stale >= 3:
                break
    return best


def _sort_by_median(graph, order, r, fixed, adjacency):
    where = {node: k for k, node in enumerate(fixed)}
    layer = order[r]
    keys = []
    for k, node in enumerate(layer):
        spots = sorted(where[other] for other, _ in adjacency[node])
        if not spots:
            keys.append((k, k))  # no neighbour on that side: stay put
            continue
        m = len(spots) // 2
        median = spots[m] if len(spots) % 2 else (spots[m - 1] + spots[m]) / 2
        # Scale to this rank's slots so nodes without neighbours keep their place.
        keys.append((median * max(len(layer), 1) / max(len(fixed), 1), k))
    order[r] = [node for _, node in sorted(zip(keys, layer))]


def _crossings(graph, order):
    """Counts edge crossings between consecutive ranks (inversions, with a Fenwick tree)."""
    pos = _positions(order, len(graph.rank))
    total = 0
    for r in range(graph.ranks - 1):
        ends = sorted((pos[top], pos[bottom]) for top in order[r] for bottom, _ in graph.down[top])
        size = len(order[r + 1]) + 1
        tree = [0] * (size + 1)
        seen = 0
        for _, b in ends:
            # crossings with earlier edges that end strictly to the right of b
            i, below = b + 1, 0
            while i > 0:
                below += tree[i]
                i -= i & -i
            total += seen - below
            seen += 1
            i = b + 1
            while i <= size:
                tree[i] += 1
                i += i & -i
    return total


def _coordinates(graph, order, node_gap, edge_gap):
    """Positions along the rank (centres), by alternating least-squares sweeps."""
    count = len(graph.rank)
    u = [0.0] * count
    seps = []
    for layer in order:
        gaps = []
        for k in range(1, len(layer)):
            a, b = layer[k - 1], layer[k]
            gap = node_gap if a < graph.real and b < graph.real else edge_gap
            gaps.append(graph.du[a] / 2 + graph.right_extra[a] + graph.du[b] / 2 + gap)
        seps.append(gaps)
        x = 0.0
        for k, node in enumerate(layer):
            if k:
                x += gaps[k - 1]
            u[node] = x
    # Centre the initial packing so that ranks start symmetric about one axis.
    for layer in order:
        if layer:
            shift = (u[layer[0]] + u[layer[-1]]) / 2
            for node in layer:
                u[node] -= shift
    segs = graph.segments
    for sweep in range(8):
        direction = ("down", "up", "both")[sweep % 3] if sweep < 7 else "both"
        ranks = range(graph.ranks) if direction != "up" else range(graph.ranks - 1, -1, -1)
        for r in ranks:
            layer = order[r]
            if not layer:
                continue
            targets, weights = [], []
            for node in layer:
                total = weight = 0.0
                if direction in ("down", "both"):
                    for other, seg in graph.up[node]:
                        s = segs[seg]
                        total += s[4] * (u[other] + s[2] - s[3])
                        weight += s[4]
                if direction in ("up", "both"):
                    for other, seg in graph.down[node]:
                        s = segs[seg]
                        total += s[4] * (u[other] + s[3] - s[2])
                        weight += s[4]
                if weight:
                    targets.append(total / weight)
                    weights.append(weight)
                else:
                    targets.append(u[node])
                    weights.append(0.05)
            for node, x in zip(layer, _fit_spaced(targets, weights, seps[r])):
                u[node] = x
    for _ in range(2):
        _straighten(graph, order, seps, u)
    return u


def _straighten(graph, order, seps, u):
    """Puts each run of one-to-one links (a chain of layers, the dummy nodes of a long edge)
    on one line where its neighbours leave room: the line of the edge entering the run if
    possible, else of the edge leaving it, else as near its current mean as the room allows."""
    slot = {}
    for r, layer in enumerate(order):
        for k, node in enumerate(layer):
            slot[node] = (r, k)
    segs = graph.segments
    down, up = graph.down, graph.up

    def linked(node):  # the single node below when the link is one-to-one
        if len(down[node]) == 1 and len(up[down[node][0][0]]) == 1:
            return down[node][0]
        return None

    for first in range(len(graph.rank)):
        if len(up[first]) == 1 and linked(up[first][0][0]) is not None:
            continue  # not the start of a run
        run = [first]
        while linked(run[-1]) is not None:
            run.append(linked(run[-1])[0])
        if len(run) < 2:
            continue
        lo, hi = float("-inf"), float("inf")
        for node in run:
            r, k = slot[node]
            layer = order[r]
            if k > 0:
                lo = max(lo, u[layer[k - 1]] + seps[r][k - 1])
            if k + 1 < len(layer):
                hi = min(hi, u[layer[k + 1]] - seps[r][k])
        if lo > hi:
            continue
        wanted = []
        if len(up[first]) == 1:
            other, seg = up[first][0]
            wanted.append(u[other] + segs[seg][2] - segs[seg][3])
        if len(down[run[-1]]) == 1:
            other, seg = down[run[-1]][0]
            wanted.append(u[other] + segs[seg][3] - segs[seg][2])
        mean = sum(u[node] for node in run) / len(run)
        wanted.append(min(max(mean, lo), hi))
        x = next(x for x in wanted if lo <= x <= hi)
        for node in run:
            u[node] = x


def _fit_spaced(targets, weights, gaps):
    """Minimises sum(w * (x - t)**2) subject to x[k+1] - x[k] >= gaps[k] (pool adjacent
    violators on the gap-shifted targets)."""
    offsets = [0.0]
    for g in gaps:
        offsets.append(offsets[-1] + g)
    blocks = []  # [weighted sum, weight, count]
    for t, w, off in zip(targets, weights, offsets):
        blocks.append([w * (t - off), w, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            s, w2, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += w2
            blocks[-1][2] += c
    out = []
    for s, w, c in blocks:
        level = s / w
        for _ in range(c):
            out.append(level + offsets[len(out)])
    return out


def _rank_positions(graph, order, rank_gap):
    """Returns each rank's band `(top, bottom)` along v, and the node centres along v."""
    band = []
    top = 0.0
    for layer in order:
        height = max((graph.dv[node] for node in layer), default=0.0)
        band.append((top, top + height))
        top += height + rank_gap
    v = [0.0] * len(graph.rank)
    for r, layer in enumerate(order):
        for node in layer:
            v[node] = (band[r][0] + band[r][1]) / 2
    return v, band


def _finish(graph, order, u, v, band, edges, loops, rankdir, margin):
    n = graph.real
    low = min((u[i] - graph.du[i] / 2 for i in range(len(u))), default=0.0)
    high = max((u[i] + graph.du[i] / 2 + graph.right_extra[i] for i in range(len(u))), default=0.0)
    shift = margin - low
    extent_u = high - low + 2 * margin
    extent_v = (band[-1][1] if band else 0.0) + 2 * margin

    def point(pu, pv):
        pu, pv = pu + shift, pv + margin
        if rankdir == "TB":
            return (pu, pv)
        if rankdir == "BT":
            return (pu, extent_v - pv)
        if rankdir == "LR":
            return (pv, pu)
        return (extent_v - pv, pu)

    boxes = []
    for i in range(n):
        a = point(u[i] - graph.du[i] / 2, v[i] - graph.dv[i] / 2)
        b = point(u[i] + graph.du[i] / 2, v[i] + graph.dv[i] / 2)
        boxes.append((min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])))
    routes = [[] for _ in edges]
    segs = graph.segments
    for index, (chain, links) in graph.chains.items():
        pts = []
        for k, node in enumerate(chain):
            r = graph.rank[node]
            if k > 0:  # entering from above
                x = u[node] + segs[links[k - 1]][3]
                pts.append((x, band[r][0]))
                if node < n:
                    pts.append((x, v[node] - graph.dv[node] / 2))
            if k < len(chain) - 1:  # leaving downwards
                x = u[node] + segs[links[k]][2]
                if node < n:
                    pts.append((x, v[node] + graph.dv[node] / 2))
                pts.append((x, band[r][1]))
        pts = _simplify(pts)
        flipped = edges[index][0] != chain[0]
        if flipped:
            pts.reverse()
        routes[index] = [point(pu, pv) for pu, pv in pts]
    for index in loops:
        node = edges[index][0]
        right = u[node] + graph.du[node] / 2
        reach = right + graph.right_extra[node] - 2.0
        y0, y1 = v[node] - graph.dv[node] / 4, v[node] + graph.dv[node] / 4
        pts = [(right, y0), (reach, y0), (reach, y1), (right, y1)]
        routes[index] = [point(pu, pv) for pu, pv in pts]
    if rankdir in ("TB", "BT"):
        width, height = extent_u, extent_v
    else:
        width, height = extent_v, extent_u
    return Layout(boxes, routes, graph.rank[:n], width, height)


def _simplify(pts):
    """Drops repeated points and middle points of straight runs."""
    out = []
    for p in pts:
        if out and abs(out[-1][0] - p[0]) < 1e-9 and abs(out[-1][1] - p[1]) < 1e-9:
            continue
        if len(out) >= 2:
            (ax, ay), (bx, by) = out[-2], out[-1]
            if abs((bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax)) < 1e-9:
                out[-1] = p
                continue
        out.append(p)
    return out
