"""Fixed positions for the lineage view of the HTML map: families of concepts on a time axis.

Takes a graph from :func:`kg.graph.build_graph` (or a part of it); returns plain data: node
positions, label boxes, year columns. The lineage view draws the concepts that take part in
``builds_on`` edges between concepts; papers are left out of the drawing (the page lists them
in its side panel), so paper -> concept and paper -> paper links are not placed here.

* x follows the year: a concept's year is that of the papers that introduce it (``year_min``
  to ``year_max``; a range counts as its midpoint). Each distinct year is a column, columns
  run left to right in year order, each as wide as its widest label, so labels of two columns
  never meet. Concepts with no year get a column of their own at the left ("no year").
* Families (weakly connected components of the concept ``builds_on`` subgraph) are stacked
  top to bottom, biggest first; inside a family, the nodes of one column are spread down in
  rows, ordered by their neighbours' rows (a one-pass barycentre, to cut crossings); past
  :data:`MAX_ROWS` rows a column spreads into lanes side by side, still inside its year.
* Label boxes are estimated from the text length and font size (:func:`label_box`); rows are
  as tall as a dot plus its label plus a gap, so no two boxes overlap (:func:`overlaps`).

Does not check that the graph's years are sane, nor measure real text: the estimate is an
upper bound for the page's sans-serif font at :data:`FONT_SIZE`.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

__all__ = [
    "FONT_SIZE",
    "MAX_ROWS",
    "NO_YEAR",
    "Placed",
    "label_box",
    "lineage_layout",
    "lineage_subgraph",
    "node_year",
    "overlaps",
    "year_label",
]

#: Label font size (canvas units) the page draws the lineage view with.
FONT_SIZE = 14
#: Column label of concepts whose introducing paper has no year.
NO_YEAR = "no year"
#: Width of one character as a share of the font size (generous for sans-serif text).
_CHAR_WIDTH = 0.62
_DOT = 10  # dot radius
_ROW_GAP = 14
_COLUMN_GAP = 48
_LANE_GAP = 16
#: Rows a year column holds per family before it spreads into another lane beside it.
MAX_ROWS = 12
_FAMILY_GAP = 60


@dataclass(frozen=True)
class Placed:
    """One node of the lineage view.

    Fields: ``node`` (graph key), ``x``, ``y`` (the dot's centre), ``column`` (the year
    column's label), ``year`` (float or None), ``family`` (0 = biggest), ``box``
    ``(left, top, right, bottom)`` around the dot and its label below it.
    """

    node: str
    x: float
    y: float
    column: str
    year: float | None
    family: int
    box: tuple[float, float, float, float]


def node_year(data: dict) -> float | None:
    """A node's year: ``year_min``, or the midpoint of ``year_min``–``year_max``.

    >>> node_year({"year_min": 2018, "year_max": 2020}), node_year({})
    (2019.0, None)
    """
    low = data.get("year_min")
    if low is None:
        return None
    high = data.get("year_max", low)
    return (float(low) + float(high)) / 2


def year_label(data: dict) -> str:
    """The year column a node goes in: its year, its range ("2017–2020"), or :data:`NO_YEAR`.

    >>> year_label({"year_min": 2017, "year_max": 2020}), year_label({"year_min": 2019})
    ('2017–2020', '2019')
    """
    low = data.get("year_min")
    if low is None:
        return NO_YEAR
    high = data.get("year_max", low)
    return f"{int(low)}" if int(high) == int(low) else f"{int(low)}–{int(high)}"


def label_box(label: str, font_size: float = FONT_SIZE) -> tuple[float, float]:
    """Estimated ``(width, height)`` of a one-line label.

    >>> label_box("BERT", 10)
    (24.8, 13.0)
    """
    return (round(len(label) * font_size * _CHAR_WIDTH, 3), round(font_size * 1.3, 3))


def lineage_subgraph(graph: nx.DiGraph) -> nx.DiGraph:
    """The concepts linked by ``builds_on`` to another concept, with those edges, as a new graph."""
    part = nx.DiGraph()
    for child, parent, data in graph.edges(data=True):
        if data.get("relation") != "builds_on" or child == parent:
            continue
        if "paper" in (graph.nodes[child].get("kind"), graph.nodes[parent].get("kind")):
            continue
        part.add_node(child, **graph.nodes[child])
        part.add_node(parent, **graph.nodes[parent])
        part.add_edge(child, parent, **data)
    return part


def _families(part: nx.DiGraph) -> list[list[str]]:
    components = [sorted(c) for c in nx.weakly_connected_components(part)]
    return sorted(components, key=lambda c: (-len(c), str(part.nodes[c[0]].get("label", c[0]))))


def _centre(part: nx.DiGraph, rank: dict[str, float], n: str, label: str) -> tuple[float, str]:
    """Sort key: the mean row of a node's already placed neighbours, then its label."""
    seen = [rank[p] for p in part.successors(n) if p in rank]
    seen += [rank[c] for c in part.predecessors(n) if c in rank]
    return (sum(seen) / len(seen) if seen else float("inf"), label.lower())


def lineage_layout(
    graph: nx.DiGraph, *, max_nodes: int | None = None, font_size: float = FONT_SIZE
) -> tuple[list[Placed], list[dict]]:
    """Positions for the lineage view of ``graph``, and its year columns.

    Parameters
    ----------
    graph : networkx.DiGraph
        The full graph (or a part); only concept -> concept ``builds_on`` edges count.
    max_nodes : int, optional
        Keep whole families, biggest first, while they fit in this many nodes (the first
        family is always kept, cut to its best-connected nodes if it alone is too big).

    Returns
    -------
    (list of Placed, list of dict)
        The placed nodes, and one ``{"label", "x"}`` per column, left to right (x of its
        first lane).
    """
    part = lineage_subgraph(graph)
    families = _families(part)
    if max_nodes is not None:
        kept: list[list[str]] = []
        total = 0
        for family in families:
            if total + len(family) > max_nodes:
                if not kept:
                    ranked = sorted(family, key=lambda n: (-part.degree(n), n))
                    kept.append(sorted(ranked[:max_nodes]))
                    total = len(kept[0])
                continue
            kept.append(family)
            total += len(family)
        families = kept
    years = {n: node_year(part.nodes[n]) for family in families for n in family}
    labels = {n: str(part.nodes[n].get("label", n)) for n in years}
    height = label_box("x", font_size)[1]
    row = 2 * _DOT + height + _ROW_GAP

    column_of = {n: year_label(part.nodes[n]) for n in years}
    keys = sorted({(y, column_of[n]) for n, y in years.items() if y is not None})
    columns: list[str] = [NO_YEAR] if any(y is None for y in years.values()) else []
    columns += [label for _, label in keys]
    members_of = []  # per family: column -> its nodes
    for family in families:
        by_column: dict[str, list[str]] = {}
        for n in family:
            by_column.setdefault(column_of[n], []).append(n)
        members_of.append(by_column)
    # A column holds at most MAX_ROWS rows per family; more nodes go into lanes side by side.
    lanes = {c: max([-(-len(m.get(c, [])) // MAX_ROWS) for m in members_of] + [1]) for c in columns}
    half = {c: label_box(c, font_size)[0] / 2 for c in columns}
    for n, column in column_of.items():
        half[column] = max(half[column], label_box(labels[n], font_size)[0] / 2, _DOT)
    lane_x: dict[str, list[float]] = {}
    left = 0.0
    for column in columns:
        step = 2 * half[column] + _LANE_GAP
        lane_x[column] = [left + half[column] + k * step for k in range(lanes[column])]
        left += lanes[column] * step - _LANE_GAP + _COLUMN_GAP

    placed: list[Placed] = []
    top = 0.0
    for number, by_column in enumerate(members_of):
        rank: dict[str, float] = {}
        spot: dict[str, tuple[int, int]] = {}
        depth = 0
        for column in columns:  # older columns first: parents tend to be older
            members = by_column.get(column, [])
            if not members:
                continue
            order = sorted(members, key=lambda n: _centre(part, rank, n, labels[n]))
            rows = -(-len(order) // -(-len(order) // MAX_ROWS))
            for index, n in enumerate(order):
                spot[n] = (index // rows, index % rows)
                rank[n] = index % rows
            depth = max(depth, rows)
        for column, members in by_column.items():
            for n in members:
                lane, line = spot[n]
                cx, cy = lane_x[column][lane], top + line * row + _DOT
                w = label_box(labels[n], font_size)[0]
                box = (cx - max(w / 2, _DOT), cy - _DOT, cx + max(w / 2, _DOT), cy + _DOT + height)
                placed.append(Placed(n, cx, cy, column, years[n], number, box))
        top += depth * row + _FAMILY_GAP
    placed.sort(key=lambda p: (p.family, p.x, p.y))
    grid = [{"label": c, "x": lane_x[c][0]} for c in columns]
    return placed, grid


def overlaps(placed: list[Placed]) -> list[tuple[str, str]]:
    """Pairs of nodes whose label boxes overlap (an empty list for a good layout).

    >>> a = Placed("a", 0, 0, "2020", 2020.0, 0, (0, 0, 10, 10))
    >>> b = Placed("b", 5, 5, "2020", 2020.0, 0, (5, 5, 15, 15))
    >>> overlaps([a, b])
    [('a', 'b')]
    """
    ordered = sorted(placed, key=lambda p: p.box[0])
    found = []
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if second.box[0] >= first.box[2]:
                break
            if first.box[1] < second.box[3] and second.box[1] < first.box[3]:
                found.append((first.node, second.node))
    return found
