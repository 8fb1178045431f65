"""A graph in memory: read a GraphML file back, find a node by name in it.

Takes a graph from :func:`kg.graph.build_graph` (or read back with :func:`load_graph`); it
never changes the graph. The query commands read ``graph.db`` instead (:mod:`kg.lookup`);
``kg build --focus`` and a ``--graph FILE.graphml`` use this module.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import networkx as nx

from kg.errors import ConceptNotFound, GraphFileError

__all__ = ["find_node", "load_graph"]

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
