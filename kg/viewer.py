"""The interactive HTML map: one self-contained page that opens from ``file://`` offline.

Takes a graph from :func:`kg.graph.build_graph`; returns the page as a string (or writes it).
Node and edge records are made by pyvis (``Network.from_nx`` on a *copy*: it edits the graph
it is given) and drawn by vis-network, whose script and style sheet are inlined from pyvis's
own copy: the page loads nothing from the network, not even fonts.

Nothing from the input text is ever parsed as HTML: the data goes into the page as JSON with
``<`` escaped, and the page's script puts text on screen with ``textContent`` only
(vis-network draws labels on a canvas and shows string tooltips as text).

Big graphs: the page shows at most :data:`DEFAULT_MAX_NODES` nodes, the most connected
ones (see :func:`select_nodes`); :func:`neighbourhood` gives the part of the graph around one
node for a focused page. Above :data:`PHYSICS_MAX_NODES` nodes positions are precomputed and
physics is off, since vis-network does not settle on big graphs.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import networkx as nx
from pyvis.network import Network

from kg.export import KIND_COLOURS, _atomic, layout

__all__ = [
    "DEFAULT_MAX_NODES",
    "PHYSICS_MAX_NODES",
    "neighbourhood",
    "render_html",
    "select_nodes",
    "write_html",
]

#: The default cap on nodes drawn: enough to see the field, few enough to stay responsive.
DEFAULT_MAX_NODES = 200
#: Above this many nodes drawn, positions are precomputed and physics stays off.
PHYSICS_MAX_NODES = 1000
_VIS_DIR = "vis-9.1.2"


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
    return graph.subgraph(ranked[:max_nodes]).copy()


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
    return graph.subgraph(reach).copy()


def _asset(name: str) -> str:
    root = resources.files("pyvis")
    for folder in ("templates/lib", "lib"):
        candidate = root.joinpath(folder, _VIS_DIR, name)
        if candidate.is_file():
            return candidate.read_text("utf-8")
    raise FileNotFoundError(f"pyvis does not ship {_VIS_DIR}/{name}")


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


def _records(graph: nx.DiGraph, *, physics: bool) -> tuple[list[dict], list[dict]]:
    """Node and edge records for vis-network, made by pyvis from a copy of the graph."""
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
                "info": _tooltip_fields(data),
            }
        )
    edges = []
    for record in network.edges:
        data = graph.edges[record["from"], record["to"]]
        relation = data.get("relation", "")
        edges.append(
            {
                "from": record["from"],
                "to": record["to"],
                "relation": relation,
                "kind_of_link": data.get("kind_of_link", ""),
                "inferred": bool(data.get("inferred", False)),
                "evidence": data.get("evidence", ""),
                "source": data.get("source", ""),
            }
        )
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


def render_html(
    graph: nx.DiGraph,
    *,
    max_nodes: int = DEFAULT_MAX_NODES,
    title: str = "kg: ML papers and concepts",
    note: str = "",
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

    Returns
    -------
    str
    """
    shown = select_nodes(graph, max_nodes)
    physics = shown.number_of_nodes() <= PHYSICS_MAX_NODES
    nodes, edges = _records(shown, physics=physics)
    cap_note = ""
    if shown.number_of_nodes() < graph.number_of_nodes():
        cap_note = (
            f"Showing the {shown.number_of_nodes()} most connected of "
            f"{graph.number_of_nodes()} nodes; use kg html NAME for one neighbourhood."
        )
    payload = {
        "nodes": nodes,
        "edges": edges,
        "kinds": {
            k: v for k, v in KIND_COLOURS.items() if any(n["info"]["kind"] == k for n in nodes)
        },
        "physics": physics,
        "title": title,
        "note": " ".join(part for part in (note, cap_note) if part),
        "total": graph.number_of_nodes(),
    }
    template = resources.files("kg").joinpath("assets/map.html").read_text("utf-8")
    return (
        template.replace("/*VIS_CSS*/", _asset("vis-network.css"))
        .replace("/*VIS_JS*/", _asset("vis-network.min.js").replace("</script", "<\\/script"))
        .replace("/*KG_DATA*/null", _json_for_script(payload))
        .replace("<!--NODE_COUNT-->", str(len(nodes)))
    )


def write_html(graph: nx.DiGraph, path: str | Path, **options: object) -> Path:
    """Write :func:`render_html` to ``path`` atomically."""
    text = render_html(graph, **options)  # type: ignore[arg-type]
    return _atomic(Path(path), lambda tmp: Path(tmp).write_text(text, "utf-8"))
