"""The interactive HTML map: one self-contained page that opens from ``file://`` offline.

Takes a graph from :func:`kg.graph.build_graph`; returns the page as a string (or writes it).
Node and edge records are made by pyvis (``Network.from_nx`` on a *copy*: it edits the graph
it is given) and drawn by vis-network, whose script and style sheet are inlined from pyvis's
own copy: the page loads nothing from the network, not even fonts.

Nothing from the input text is ever parsed as HTML: the data goes into the page as JSON with
``<`` escaped, and the page's script puts text on screen with ``textContent`` only
(vis-network draws labels on a canvas and shows string tooltips as text).

Two views. The **lineage view** (the default) draws the concepts linked by ``builds_on`` to
another concept at fixed positions from :func:`kg.layout.lineage_layout` (x by year, families
stacked), edges coloured by kind of link (:data:`LINK_COLOURS`), inferred ones dashed; papers
are not drawn there but listed in the side panel (which papers introduce and mention a
concept). The **overview** is the force-directed map of papers and concepts, with umbrella
concepts (:func:`umbrella_concepts`) hidden until the reader asks for them.

Big graphs: the overview shows at most :data:`DEFAULT_MAX_NODES` nodes, the most connected
ones (see :func:`select_nodes`); :func:`neighbourhood` gives the part of the graph around one
node for a focused page. Above :data:`PHYSICS_MAX_NODES` nodes positions are precomputed and
physics is off, since vis-network does not settle on big graphs.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import networkx as nx
from pyvis.network import Network

from kg.export import KIND_COLOURS, _atomic, layout
from kg.layout import FONT_SIZE, lineage_layout, lineage_subgraph

__all__ = [
    "DEFAULT_MAX_NODES",
    "LINK_COLOURS",
    "PHYSICS_MAX_NODES",
    "UMBRELLA_SHARE",
    "MapView",
    "graph_view",
    "neighbourhood",
    "render_html",
    "render_view",
    "select_nodes",
    "stored_view",
    "umbrella_concepts",
    "write_html",
]

#: The default cap on nodes drawn: enough to see the field, few enough to stay responsive.
DEFAULT_MAX_NODES = 200
#: Above this many nodes drawn, positions are precomputed and physics stays off.
PHYSICS_MAX_NODES = 1000
_VIS_DIR = "vis-9.1.2"
#: One colour per kind of ``builds_on`` link, for the edges and their legend.
LINK_COLOURS = {
    "fine-tunes": "#d64545",
    "extends": "#2e6fd8",
    "improves": "#2f9e44",
    "uses": "#8a94a0",
    "replaces": "#e8590c",
    "distills": "#9c36b5",
    "scales": "#c2255c",
}
#: A concept named by at least this share of papers is an umbrella term (hidden by default in
#: the overview) when no paper introduces it or its name is a lower-case common term. On the
#: seeds "fine-tuning" (25 % of papers) and "pre-training" (22 %) are above it; the next
#: common terms ("reinforcement learning", 13 %; "scaling laws", 10 %) are below.
UMBRELLA_SHARE = 0.15
#: How many paper labels the side panel lists per relation.
_PANEL_PAPERS = 12


def select_nodes(graph: nx.DiGraph, max_nodes: int = DEFAULT_MAX_NODES) -> nx.DiGraph:
    """The most connected part of the graph, at most ``max_nodes`` nodes.

    Nodes are ranked by degree (ties by label), and the induced subgraph of the top ones is
    returned as a new graph; a graph within the cap comes back whole (as a copy).

    Examples
    --------
    >>> G = nx.star_graph(5, create_using=nx.DiGraph)
    >>> sorted(select_nodes(G, 2).nodes)
    [0, 1]
    """
    if graph.number_of_nodes() <= max_nodes:
        return graph.copy()
    ranked = sorted(
        graph.nodes, key=lambda n: (-graph.degree(n), str(graph.nodes[n].get("label", n)))
    )
    return _induced(graph, set(ranked[:max_nodes]))


def _induced(graph: nx.DiGraph, keep: set) -> nx.DiGraph:
    """The subgraph on ``keep``, as a new graph, nodes and edges in the graph's order (a
    networkx subgraph of few nodes iterates them in set order, which changes run to run)."""
    part = nx.DiGraph()
    part.add_nodes_from((n, dict(d)) for n, d in graph.nodes(data=True) if n in keep)
    part.add_edges_from(
        (u, v, dict(d)) for u in list(part) for v, d in graph.succ[u].items() if v in keep
    )
    return part


def neighbourhood(graph: nx.DiGraph, node: str, depth: int = 2) -> nx.DiGraph:
    """The nodes within ``depth`` steps of ``node`` (either direction), as a new graph.

    Examples
    --------
    >>> G = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "d")])
    >>> sorted(neighbourhood(G, "b", 1).nodes)
    ['a', 'b', 'c']
    """
    reach = nx.single_source_shortest_path_length(
        graph.to_undirected(as_view=True), node, cutoff=depth
    )
    return _induced(graph, set(reach))


def _asset(name: str) -> str:
    root = resources.files("pyvis")
    for folder in ("templates/lib", "lib"):
        candidate = root.joinpath(folder, _VIS_DIR, name)
        if candidate.is_file():
            return candidate.read_text("utf-8")
    raise FileNotFoundError(f"pyvis does not ship {_VIS_DIR}/{name}")


def umbrella_concepts(graph: nx.DiGraph, share: float = UMBRELLA_SHARE) -> set[str]:
    """Concepts named by at least ``share`` of the papers and introduced by none (or, named in
    lower case, a common term rather than a name).

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> for p in "abc": G.add_node(p, kind="paper")
    >>> G.add_node("ft", kind="method", label="fine-tuning", papers=3)
    >>> G.add_node("T", kind="model", label="Transformer", papers=3)
    >>> G.add_edge("a", "T", relation="introduces")
    >>> sorted(umbrella_concepts(G))
    ['ft']
    """
    papers = sum(1 for _, d in graph.nodes(data=True) if d.get("kind") == "paper")
    if not papers:
        return set()
    introduced = {v for _, v, d in graph.edges(data=True) if d.get("relation") == "introduces"}
    found = set()
    for node, data in graph.nodes(data=True):
        if data.get("kind", "paper") == "paper":
            continue
        if int(data.get("papers", 0) or 0) < share * papers:
            continue
        label = str(data.get("label", node))
        if node not in introduced or label == label.lower():
            found.add(node)
    return found


def _papers_of(graph: nx.DiGraph, node: str) -> dict:
    """Short labels of the papers that introduce and that mention ``node``."""
    result: dict = {}
    for relation in ("introduces", "mentions"):
        labels = sorted(
            str(graph.nodes[p].get("label", p))
            for p, _, d in graph.in_edges(node, data=True)
            if d.get("relation") == relation and graph.nodes[p].get("kind") == "paper"
        )
        result[relation] = labels[:_PANEL_PAPERS]
        result[relation + "_count"] = len(labels)
    return result


def _tooltip_fields(data: dict) -> dict:
    years = ""
    if "year_min" in data:
        years = str(data["year_min"])
        if data.get("year_max") not in (None, data["year_min"]):
            years += f"–{data['year_max']}"
    return {
        "kind": data.get("kind", ""),
        "title": data.get("title", ""),
        "years": years,
        "aliases": data.get("aliases", ""),
        "sources": data.get("sources", ""),
        "papers": data.get("papers", 0),
    }


def _edge_record(graph: nx.DiGraph, child: str, parent: str) -> dict:
    data = graph.edges[child, parent]
    return {
        "from": child,
        "to": parent,
        "relation": data.get("relation", ""),
        "kind_of_link": data.get("kind_of_link", ""),
        "inferred": bool(data.get("inferred", False)),
        "evidence": data.get("evidence", ""),
        "source": data.get("source", ""),
    }


def _lineage_records(view: MapView, max_nodes: int) -> dict:
    """The lineage view: placed concepts, their ``builds_on`` edges, the year columns."""
    graph = view.lineage
    placed, columns = lineage_layout(graph, max_nodes=max_nodes)
    drawn = {p.node for p in placed}
    nodes = []
    for p in placed:
        data = graph.nodes[p.node]
        kind = data.get("kind", "")
        nodes.append(
            {
                "id": p.node,
                "label": str(data.get("label", p.node)),
                "color": KIND_COLOURS.get(kind, "#999999"),
                "x": p.x,
                "y": p.y,
                "year": p.year,
                "column": p.column,
                "family": p.family,
                "info": {**_tooltip_fields(data), **view.papers_of(p.node)},
            }
        )
    edges = [
        _edge_record(graph, child, parent)
        for child, parent, d in graph.edges(data=True)
        if d.get("relation") == "builds_on"
        and child in drawn
        and parent in drawn
        and child != parent
    ]
    return {
        "nodes": nodes,
        "edges": edges,
        "columns": columns,
        "font": FONT_SIZE,
        "left": min((p.box[0] for p in placed), default=0),
        "top": min((p.box[1] for p in placed), default=0),
    }


def _records(view: MapView, *, physics: bool) -> tuple[list[dict], list[dict]]:
    """Node and edge records for vis-network, made by pyvis from a copy of the drawn part.

    Umbrella terms and the papers of a concept are judged on the whole graph (the view's).
    """
    graph = view.shown
    positions = {} if physics else layout(graph)
    plain = nx.DiGraph()
    for node, data in graph.nodes(data=True):
        kind = data.get("kind", "paper")
        # vis-network scales size and label with "value": concepts by how many papers name them.
        value = max(1, int(data.get("papers", 0) or 0)) if kind != "paper" else 1
        attributes = {
            "label": str(data.get("label", node)),
            "color": KIND_COLOURS.get(kind, "#999999"),
            "value": value,
            "shape": "dot" if kind != "paper" else "square",
        }
        if not physics:
            x, y = positions[node]
            attributes.update(x=x, y=y, physics=False)
        plain.add_node(node, **attributes)
    for child, parent, data in graph.edges(data=True):
        plain.add_edge(child, parent, relation=data.get("relation", ""))
    network = Network(directed=True, cdn_resources="remote")
    network.from_nx(plain.copy(), show_edge_weights=False)
    umbrellas = view.umbrellas
    nodes = []
    for record in network.nodes:
        data = graph.nodes[record["id"]]
        nodes.append(
            {
                "id": record["id"],
                "label": record["label"],
                "color": record["color"],
                "value": record["value"],
                "shape": record["shape"],
                **({"x": record["x"], "y": record["y"], "physics": False} if not physics else {}),
                "umbrella": record["id"] in umbrellas,
                "info": {**_tooltip_fields(data), **view.papers_of(record["id"])},
            }
        )
    edges = [_edge_record(graph, record["from"], record["to"]) for record in network.edges]
    return nodes, edges


def _json_for_script(value: object) -> str:
    """JSON that cannot close the ``<script>`` element it sits in."""
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


@dataclass(frozen=True)
class MapView:
    """What the page needs of a graph: the drawn part, the lineage part, and a few facts
    about the whole. Made from a graph in memory (:func:`graph_view`) or from a database
    (:func:`stored_view`), so a graph bigger than memory can be drawn too.

    Attributes
    ----------
    shown : networkx.DiGraph
        The overview's nodes and edges (:func:`select_nodes`).
    lineage : networkx.DiGraph
        The concepts linked by ``builds_on`` (:func:`kg.layout.lineage_subgraph`).
    umbrellas : frozenset of str
        :func:`umbrella_concepts` of the whole graph.
    papers_of : callable
        ``papers_of(node)``: which papers introduce and mention it (labels and counts).
    total : int
        Nodes in the whole graph.
    contains : callable
        ``contains(node)``: is it a node of the whole graph?
    max_nodes : int
        The cap the view was made with.
    """

    shown: nx.DiGraph
    lineage: nx.DiGraph
    umbrellas: frozenset[str]
    papers_of: Callable[[str], dict]
    total: int
    contains: Callable[[str], bool]
    max_nodes: int


def graph_view(graph: nx.DiGraph, max_nodes: int = DEFAULT_MAX_NODES) -> MapView:
    """The :class:`MapView` of a graph in memory.

    Examples
    --------
    >>> G = nx.DiGraph([("a", "b")])
    >>> view = graph_view(G)
    >>> view.total, sorted(view.shown), view.contains("b")
    (2, ['a', 'b'], True)
    """
    return MapView(
        shown=select_nodes(graph, max_nodes),
        lineage=lineage_subgraph(graph),
        umbrellas=frozenset(umbrella_concepts(graph)),
        papers_of=lambda node: _papers_of(graph, node),
        total=graph.number_of_nodes(),
        contains=lambda node: node in graph,
        max_nodes=max_nodes,
    )


def stored_view(db: sqlite3.Connection, max_nodes: int = DEFAULT_MAX_NODES) -> MapView:
    """The :class:`MapView` of a kg database (:mod:`kg.store`), read with queries: the same
    view :func:`graph_view` makes of the graph the database holds.

    Examples
    --------
    >>> from kg.store import graph_to_memory
    >>> G = nx.DiGraph([("a", "b")])
    >>> view = stored_view(graph_to_memory(G))
    >>> view.total, sorted(view.shown), view.contains("b")
    (2, ['a', 'b'], True)
    """
    from kg.store import edge_data, node_data

    def rows(sql: str, *arguments: object) -> list[sqlite3.Row]:
        cursor = db.cursor()
        cursor.row_factory = sqlite3.Row
        return cursor.execute(sql, arguments).fetchall()

    total = int(db.execute("SELECT count(*) FROM nodes").fetchone()[0])
    # select_nodes: the best connected (ties by label, then graph order), in graph order.
    top = rows(
        """SELECT * FROM nodes WHERE seq IN (SELECT seq FROM nodes
        ORDER BY degree DESC, coalesce(label, id), seq LIMIT ?) ORDER BY seq""",
        max_nodes,
    )
    shown = nx.DiGraph()
    for row in top:
        shown.add_node(row["id"], **node_data(row))
    ids = json.dumps([row["id"] for row in top])
    for row in rows(
        """SELECT * FROM edges WHERE source IN (SELECT value FROM json_each(?1))
        AND target IN (SELECT value FROM json_each(?1)) ORDER BY seq""",
        ids,
    ):
        shown.add_edge(row["source"], row["target"], **edge_data(row))
    lineage = nx.DiGraph()
    for row in rows(
        """SELECT e.* FROM edges e
        JOIN nodes c ON c.id = e.source JOIN nodes p ON p.id = e.target
        WHERE e.relation = 'builds_on' AND e.source != e.target
        AND c.kind IS NOT 'paper' AND p.kind IS NOT 'paper' ORDER BY e.seq"""
    ):
        for node in (row["source"], row["target"]):
            if node not in lineage:
                lineage.add_node(
                    node, **node_data(rows("SELECT * FROM nodes WHERE id = ?", node)[0])
                )
        lineage.add_edge(row["source"], row["target"], **edge_data(row))
    papers = int(db.execute("SELECT count(*) FROM nodes WHERE kind = 'paper'").fetchone()[0])
    umbrellas = frozenset(
        row["id"]
        for row in rows(
            """SELECT id, coalesce(label, id) AS label, EXISTS (SELECT 1 FROM edges
            WHERE target = nodes.id AND relation = 'introduces') AS introduced FROM nodes
            WHERE kind IS NOT NULL AND kind != 'paper' AND coalesce(papers, 0) >= ?""",
            UMBRELLA_SHARE * papers,
        )
        if papers and (not row["introduced"] or row["label"] == row["label"].lower())
    )

    def papers_of(node: str) -> dict:
        result: dict = {}
        for relation in ("introduces", "mentions"):
            labels = sorted(
                str(label)
                for (label,) in db.execute(
                    """SELECT coalesce(p.label, p.id) FROM edges e JOIN nodes p
                    ON p.id = e.source WHERE e.target = ? AND e.relation = ?
                    AND p.kind = 'paper'""",
                    (node, relation),
                )
            )
            result[relation] = labels[:_PANEL_PAPERS]
            result[relation + "_count"] = len(labels)
        return result

    def contains(node: str) -> bool:
        return db.execute("SELECT 1 FROM nodes WHERE id = ?", (node,)).fetchone() is not None

    return MapView(shown, lineage, umbrellas, papers_of, total, contains, max_nodes)


def render_html(
    graph: nx.DiGraph,
    *,
    max_nodes: int = DEFAULT_MAX_NODES,
    title: str = "kg: ML papers and concepts",
    note: str = "",
    focus: str | None = None,
) -> str:
    """The page for ``graph`` (at most ``max_nodes`` nodes, the most connected).

    Parameters
    ----------
    graph : networkx.DiGraph
    max_nodes : int
        Cap on nodes drawn (:func:`select_nodes`).
    title : str
        Page title (escaped).
    note : str
        A line shown under the title (escaped), e.g. what a focused page is about.
    focus : str, optional
        A node key the page opens on (selected, its lineage highlighted), unless the URL
        fragment names another.

    Returns
    -------
    str
    """
    return render_view(graph_view(graph, max_nodes), title=title, note=note, focus=focus)


def render_view(
    view: MapView,
    *,
    title: str = "kg: ML papers and concepts",
    note: str = "",
    focus: str | None = None,
) -> str:
    """The page for a :class:`MapView` (see :func:`render_html`)."""
    shown = view.shown
    max_nodes = view.max_nodes
    physics = shown.number_of_nodes() <= PHYSICS_MAX_NODES
    nodes, edges = _records(view, physics=physics)
    cap_note = ""
    if shown.number_of_nodes() < view.total:
        cap_note = (
            f"Showing the {shown.number_of_nodes()} most connected of "
            f"{view.total} nodes; use kg html NAME for one neighbourhood."
        )
    lineage = _lineage_records(view, max_nodes)
    drawn_kinds = {n["info"]["kind"] for n in nodes + lineage["nodes"]}
    payload = {
        "nodes": nodes,
        "edges": edges,
        "lineage": lineage,
        "links": LINK_COLOURS,
        "focus": focus if focus is not None and view.contains(focus) else None,
        "kinds": {k: v for k, v in KIND_COLOURS.items() if k in drawn_kinds},
        "physics": physics,
        "title": title,
        "note": " ".join(part for part in (note, cap_note) if part),
        "total": view.total,
    }
    template = resources.files("kg").joinpath("assets/map.html").read_text("utf-8")
    return (
        template.replace("/*VIS_CSS*/", _asset("vis-network.css"))
        .replace("/*VIS_JS*/", _asset("vis-network.min.js").replace("</script", "<\\/script"))
        .replace("/*KG_DATA*/null", _json_for_script(payload))
        .replace("<!--NODE_COUNT-->", str(len(nodes)))
        .replace("<!--LINEAGE_COUNT-->", str(len(lineage["nodes"])))
    )


def write_html(graph: nx.DiGraph, path: str | Path, **options: object) -> Path:
    """Write :func:`render_html` to ``path`` atomically."""
    text = render_html(graph, **options)  # type: ignore[arg-type]
    return _atomic(Path(path), lambda tmp: Path(tmp).write_text(text, "utf-8"))
