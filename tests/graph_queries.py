"""The NetworkX queries kg answered before graph.db, kept as the reference for kg.lookup.

tests/test_store.py checks that the SQL queries give the same answers on the seeds build.

Takes a graph from :func:`kg.graph.build_graph` (or read back with :func:`load_graph`);
returns plain data (dicts and lists), ready to print or dump as JSON. It never changes the
graph.

Direction, once: ``builds_on`` edges point child -> parent (RoBERTa -> BERT). So what a node
builds on (its *lineage*) is reached by following edges forward, which NetworkX calls
``descendants``, and what builds on it (its *offspring*) by following them backward, NetworkX's
``ancestors``: the opposite of the words. Only :func:`lineage` and :func:`offspring` deal with
that (through ``_reach``); nothing else calls ``nx.ancestors``/``nx.descendants``.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections import Counter
from pathlib import Path

import networkx as nx

from kg.errors import ConceptNotFound, GraphFileError

__all__ = [
    "card",
    "find_node",
    "lineage",
    "load_graph",
    "offspring",
    "path_between",
    "search",
    "stats",
]

#: How many "did you mean" suggestions an unknown name gets.
MAX_SUGGESTIONS = 3
_FOLD = re.compile(r"[\s\-_./·'’]+")


def _fold(name: str) -> str:
    return _FOLD.sub("", name).lower()


def load_graph(path: str | Path) -> nx.DiGraph:
    """Read a graph written by ``kg build`` (GraphML).

    Raises
    ------
    GraphFileError
        The file is missing or is not a graph ``kg`` wrote.
    """
    path = Path(path)
    if not path.is_file():
        raise GraphFileError(str(path), "no such graph file")
    try:
        graph = nx.read_graphml(path)
    except Exception as error:  # networkx raises several kinds for a bad file
        raise GraphFileError(
            str(path), f"not a readable GraphML file ({type(error).__name__})"
        ) from error
    if not isinstance(graph, nx.DiGraph) or graph.is_multigraph():
        graph = nx.DiGraph(graph)
    return graph


def _names(graph: nx.DiGraph, node: str) -> list[str]:
    data = graph.nodes[node]
    names = [str(data.get("label", node))]
    names += [a for a in str(data.get("aliases", "")).split("|") if a]
    if data.get("title"):
        names.append(str(data["title"]))
    return names


def find_node(graph: nx.DiGraph, name: str) -> str:
    """The node a name refers to, found forgivingly (case, hyphens, spaces, aliases).

    A concept is preferred over a paper with the same name; among concepts, the one with
    more papers.

    Raises
    ------
    ConceptNotFound
        No node has that name; the error carries close matches.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_node("concept:roberta", label="RoBERTa", kind="model", aliases="Roberta")
    >>> G.add_node("concept:bert", label="BERT", kind="model", aliases="")
    >>> find_node(G, "roberta")
    'concept:roberta'
    >>> find_node(G, "ROBERTAA")
    Traceback (most recent call last):
    ...
    kg.errors.ConceptNotFound: no concept named 'ROBERTAA'. Did you mean: RoBERTa, BERT?
    """
    if name in graph:
        return name
    wanted = _fold(name)
    matches = [node for node in graph.nodes if any(_fold(n) == wanted for n in _names(graph, node))]
    if matches:
        return min(
            matches,
            key=lambda n: (
                graph.nodes[n].get("kind") == "paper",
                _fold(str(graph.nodes[n].get("label", ""))) != wanted,
                -int(graph.nodes[n].get("papers", 0) or 0),
                n,
            ),
        )
    labels: dict[str, str] = {}
    for node in graph.nodes:
        for label in _names(graph, node)[:2]:
            labels.setdefault(_fold(label), str(graph.nodes[node].get("label", node)))
    close = difflib.get_close_matches(wanted, list(labels), n=MAX_SUGGESTIONS, cutoff=0.6)
    raise ConceptNotFound(name, list(dict.fromkeys(labels[c] for c in close)))


def _builds_on(graph: nx.DiGraph) -> nx.DiGraph:
    return graph.edge_subgraph(
        (u, v) for u, v, r in graph.edges(data="relation") if r == "builds_on"
    )


def _reach(lineage_graph: nx.DiGraph, node: str, *, forward: bool) -> set[str]:
    """Everything ``node`` builds on (forward) or that builds on it (backward).

    The one place that maps kg's words onto NetworkX's, which run the other way.
    """
    return nx.descendants(lineage_graph, node) if forward else nx.ancestors(lineage_graph, node)


def _step(graph: nx.DiGraph, child: str, parent: str, depth: int) -> dict:
    data = graph.edges[child, parent]
    return {
        "child": str(graph.nodes[child].get("label", child)),
        "parent": str(graph.nodes[parent].get("label", parent)),
        "kind_of_link": data.get("kind_of_link", ""),
        "inferred": bool(data.get("inferred", False)),
        "evidence": data.get("evidence", ""),
        "source": data.get("source", ""),
        "depth": depth,
    }


def _tree(graph: nx.DiGraph, node: str, *, forward: bool, max_depth: int | None) -> dict:
    lineage_graph = _builds_on(graph)
    seen = {node}

    def grow(current: str, depth: int) -> list[dict]:
        if current not in lineage_graph or (max_depth is not None and depth >= max_depth):
            return []
        neighbours = (
            lineage_graph.successors(current) if forward else lineage_graph.predecessors(current)
        )
        branches = []
        for other in sorted(neighbours, key=lambda n: _year(graph, n)):
            if other in seen:
                continue
            seen.add(other)
            child, parent = (current, other) if forward else (other, current)
            step = _step(graph, child, parent, depth + 1)
            step["node"] = str(graph.nodes[other].get("label", other))
            step["kind"] = graph.nodes[other].get("kind", "")
            step["year"] = graph.nodes[other].get("year_min")
            step["children"] = grow(other, depth + 1)
            branches.append(step)
        return branches

    data = graph.nodes[node]
    return {
        "node": str(data.get("label", node)),
        "kind": data.get("kind", ""),
        "year": data.get("year_min"),
        "children": grow(node, 0),
    }


def _year(graph: nx.DiGraph, node: str) -> tuple[int, str]:
    year = graph.nodes[node].get("year_min")
    return (int(year) if year is not None else 9999, str(graph.nodes[node].get("label", node)))


def lineage(graph: nx.DiGraph, name: str, *, depth: int | None = None) -> dict:
    """What a node builds on, as a tree: its parents, their parents, and so on.

    Follows ``builds_on`` edges forward (child -> parent), which in NetworkX terms are the
    node's *descendants*.

    Parameters
    ----------
    graph : networkx.DiGraph
    name : str
        Found with :func:`find_node`.
    depth : int, optional
        Steps to follow; all by default.

    Returns
    -------
    dict
        ``{"node", "kind", "year", "children": [step, ...]}``; each step has ``node``,
        ``kind``, ``year``, ``kind_of_link``, ``inferred``, ``evidence``, ``source``,
        ``depth`` and its own ``children``. Parents are ordered oldest first.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> for key in ("roberta", "bert", "transformer"):
    ...     G.add_node(key, label=key.capitalize(), kind="model")
    >>> G.add_edge("roberta", "bert", relation="builds_on", kind_of_link="improves",
    ...            evidence="RoBERTa improves BERT.", source="a.txt:3")
    >>> G.add_edge("bert", "transformer", relation="builds_on", kind_of_link="uses",
    ...            evidence="BERT uses the Transformer.", source="a.txt:5")
    >>> tree = lineage(G, "Roberta")
    >>> [tree["children"][0]["node"], tree["children"][0]["children"][0]["node"]]
    ['Bert', 'Transformer']
    """
    return _tree(graph, find_node(graph, name), forward=True, max_depth=depth)


def offspring(graph: nx.DiGraph, name: str, *, depth: int | None = None) -> dict:
    """What builds on a node, as a tree: its children, their children, and so on.

    Follows ``builds_on`` edges backward (parent <- child), which in NetworkX terms are the
    node's *ancestors*.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> for key in ("roberta", "bert", "transformer"):
    ...     G.add_node(key, label=key.capitalize(), kind="model")
    >>> G.add_edge("roberta", "bert", relation="builds_on")
    >>> G.add_edge("bert", "transformer", relation="builds_on")
    >>> tree = offspring(G, "transformer")
    >>> [tree["children"][0]["node"], tree["children"][0]["children"][0]["node"]]
    ['Bert', 'Roberta']
    """
    return _tree(graph, find_node(graph, name), forward=False, max_depth=depth)


def card(graph: nx.DiGraph, name: str) -> dict:
    """A node's card: kind, years, aliases, papers that introduce or mention it, neighbours.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_node("c", label="LoRA", kind="method", aliases="Low-Rank Adaptation", papers=1)
    >>> G.add_node("p", label="LoRA paper", kind="paper", title="LoRA: ...")
    >>> G.add_edge("p", "c", relation="introduces", evidence="We propose LoRA.", source="a:1")
    >>> card(G, "low-rank adaptation")["introduced_by"][0]["paper"]
    'LoRA paper'
    """
    node = find_node(graph, name)
    data = graph.nodes[node]
    result: dict = {
        "id": node,
        "label": data.get("label", node),
        "kind": data.get("kind", ""),
        "aliases": [a for a in str(data.get("aliases", "")).split("|") if a],
        "year_min": data.get("year_min"),
        "year_max": data.get("year_max"),
    }
    if data.get("kind") == "paper":
        result.update(
            title=data.get("title", ""),
            sources=[s for s in str(data.get("sources", "")).split(";") if s],
            abstract=data.get("abstract", ""),
            introduces=[
                _label(graph, v)
                for _, v, r in graph.out_edges(node, data="relation")
                if r == "introduces"
            ],
            mentions=[
                _label(graph, v)
                for _, v, r in graph.out_edges(node, data="relation")
                if r == "mentions"
            ],
        )
    introduced_by, mentioned_by = [], []
    for paper, _, edge in graph.in_edges(node, data=True):
        record = {
            "paper": _label(graph, paper),
            "evidence": edge.get("evidence", ""),
            "source": edge.get("source", ""),
        }
        if edge.get("relation") == "introduces":
            introduced_by.append(record)
        elif edge.get("relation") == "mentions":
            mentioned_by.append(record)
    result["introduced_by"] = introduced_by
    result["mentioned_by"] = mentioned_by
    result["builds_on"] = [
        _step(graph, node, v, 1)
        for _, v, r in graph.out_edges(node, data="relation")
        if r == "builds_on"
    ]
    result["built_upon_by"] = [
        _step(graph, u, node, 1)
        for u, _, r in graph.in_edges(node, data="relation")
        if r == "builds_on"
    ]
    return result


def _label(graph: nx.DiGraph, node: str) -> str:
    return str(graph.nodes[node].get("label", node))


def path_between(graph: nx.DiGraph, source: str, target: str) -> list[dict]:
    """The shortest chain of edges linking two nodes, in either direction.

    Returns
    -------
    list of dict
        One record per edge, ``{"from", "to", "relation", "forward", "evidence", "source"}``
        where ``forward`` tells whether the edge points along the path.

    Raises
    ------
    ConceptNotFound
        A name is unknown.
    KgError
        The nodes are not connected.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_node("a", label="A"); G.add_node("b", label="B"); G.add_node("c", label="C")
    >>> G.add_edge("a", "b", relation="builds_on"); G.add_edge("c", "b", relation="builds_on")
    >>> [(s["from"], s["to"], s["forward"]) for s in path_between(G, "A", "C")]
    [('A', 'B', True), ('B', 'C', False)]
    """
    from kg.errors import KgError

    start, end = find_node(graph, source), find_node(graph, target)
    try:
        nodes = nx.shortest_path(graph.to_undirected(as_view=True), start, end)
    except nx.NetworkXNoPath:
        raise KgError(
            f"no path between {_label(graph, start)!r} and {_label(graph, end)!r}"
        ) from None
    steps = []
    for a, b in itertools.pairwise(nodes):
        forward = graph.has_edge(a, b)
        data = graph.edges[a, b] if forward else graph.edges[b, a]
        steps.append(
            {
                "from": _label(graph, a),
                "to": _label(graph, b),
                "relation": data.get("relation", ""),
                "forward": forward,
                "evidence": data.get("evidence", ""),
                "source": data.get("source", ""),
            }
        )
    return steps


def search(graph: nx.DiGraph, text: str, *, limit: int = 20) -> list[dict]:
    """Nodes whose name, alias, title or abstract contains ``text`` (case-insensitive).

    Name matches come first, then by how many papers name the concept.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_node("a", label="LoRA", kind="method", papers=3)
    >>> G.add_node("b", label="QLoRA", kind="method", papers=1)
    >>> [hit["label"] for hit in search(G, "lora")]
    ['LoRA', 'QLoRA']
    """
    wanted = text.lower()
    hits = []
    for node, data in graph.nodes(data=True):
        names = " | ".join(_names(graph, node)).lower()
        in_name = wanted in names
        if not in_name and wanted not in str(data.get("abstract", "")).lower():
            continue
        hits.append(
            {
                "id": node,
                "label": data.get("label", node),
                "kind": data.get("kind", ""),
                "papers": int(data.get("papers", 0) or 0),
                "matched": "name" if in_name else "abstract",
            }
        )
    hits.sort(
        key=lambda h: (
            h["matched"] != "name",
            _fold(h["label"]) != _fold(text),
            -h["papers"],
            h["label"],
        )
    )
    return hits[:limit]


def stats(graph: nx.DiGraph, *, top: int = 10) -> dict:
    """Counts by kind and relation, most-mentioned concepts, biggest lineage trees.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_node("p", kind="paper", label="P"); G.add_node("c", kind="model", label="C", papers=1)
    >>> G.add_edge("p", "c", relation="mentions")
    >>> stats(G)["nodes_by_kind"]
    {'model': 1, 'paper': 1}
    """
    kinds = Counter(str(k) for _, k in graph.nodes(data="kind", default=""))
    relations = Counter(str(r) for *_, r in graph.edges(data="relation", default=""))
    concepts = [(n, d) for n, d in graph.nodes(data=True) if d.get("kind") != "paper"]
    mentioned = sorted(
        concepts, key=lambda item: (-int(item[1].get("papers", 0) or 0), str(item[1].get("label")))
    )
    lineage_graph = _builds_on(graph)
    trees = []
    roots = [
        n
        for n in lineage_graph
        if lineage_graph.out_degree(n) == 0 and graph.nodes[n].get("kind") != "paper"
    ]
    sizes: dict[str, int] = {}
    for root in roots:
        size = len(_reach(lineage_graph, root, forward=False))
        sizes[_label(graph, root)] = max(size, sizes.get(_label(graph, root), 0))
    trees = [{"root": root, "size": size} for root, size in sizes.items()]
    trees.sort(key=lambda t: (-t["size"], t["root"]))
    explicit = sum(
        1
        for *_, d in graph.edges(data=True)
        if d.get("relation") == "builds_on" and not d.get("inferred")
    )
    return {
        "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
        "nodes_by_kind": dict(sorted(kinds.items())),
        "edges_by_relation": dict(sorted(relations.items())),
        "builds_on_explicit": explicit,
        "builds_on_inferred": relations.get("builds_on", 0) - explicit,
        "most_mentioned": [
            {
                "label": d.get("label", n),
                "kind": d.get("kind"),
                "papers": int(d.get("papers", 0) or 0),
            }
            for n, d in mentioned[:top]
        ],
        "biggest_lineage_trees": trees[:top],
    }
