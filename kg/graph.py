"""Turn a resolved :class:`~kg.model.Corpus` into a NetworkX graph.

Takes a ``Corpus``; returns a new ``networkx.DiGraph`` whose attributes are the contract the
outputs and the queries rely on. Every attribute is a string, int, float or bool (lists are
``|``-joined, a missing year is no attribute at all), so the graph writes to GraphML as is.

Nodes
    ``kind`` ("paper" or a concept kind), ``label``; papers also ``title``, ``sources``
    (``FILE:START-END`` joined by ``;``), ``abstract``, ``year_min``/``year_max`` when known;
    concepts also ``aliases`` and ``papers`` (how many papers name them).
Edges
    ``relation`` ("introduces", "mentions", "builds_on"), ``evidence``, ``source``
    (``FILE:LINE``); ``builds_on`` edges also ``kind_of_link`` and ``inferred``; a mention of a
    sized variant ("Llama 2 70B") ``variant_size``; a link several entries state
    ``stated_at`` (every ``FILE:LINE``, ``;``-joined).

``builds_on`` points child -> parent (RoBERTa -> BERT), between concepts, from a paper to a
concept (what a paper that introduces nothing named builds on) and between papers. A paper
that builds on a concept has that edge instead of a ``mentions`` edge. It does not check
that lineage is acyclic; :mod:`kg.lineage` makes it so.
"""

from __future__ import annotations

from collections import Counter

import networkx as nx

from kg.model import Concept, Corpus, Link, Paper

__all__ = [
    "CONCEPT_PREFIX",
    "PAPER_PREFIX",
    "build_graph",
    "concept_attributes",
    "concept_node",
    "edge_attributes",
    "is_paper",
    "paper_attributes",
    "replaces_edge",
]

PAPER_PREFIX = "paper:"
CONCEPT_PREFIX = "concept:"


def concept_node(key: str) -> str:
    """The node id of a concept key.

    Examples
    --------
    >>> concept_node("roberta")
    'concept:roberta'
    """
    return key if key.startswith(PAPER_PREFIX) else f"{CONCEPT_PREFIX}{key}"


def is_paper(graph: nx.DiGraph, node: str) -> bool:
    """True for paper nodes.

    Examples
    --------
    >>> G = nx.DiGraph(); G.add_node("paper:x", kind="paper")
    >>> is_paper(G, "paper:x")
    True
    """
    return graph.nodes[node].get("kind") == "paper"


def edge_attributes(link: Link) -> dict:
    """The attributes of the edge a link becomes (see the module docstring)."""
    attributes: dict = {"relation": link.relation, "evidence": link.evidence, "source": link.source}
    if link.relation == "builds_on":
        attributes["kind_of_link"] = link.kind_of_link
        attributes["inferred"] = link.inferred
    if link.size:
        attributes["variant_size"] = link.size
    if link.stated_at:
        attributes["stated_at"] = ";".join(link.stated_at)
    return attributes


def paper_attributes(paper: Paper) -> dict:
    """The attributes of a paper node."""
    attributes: dict = {
        "kind": "paper",
        "label": paper.label,
        "title": paper.title,
        "sources": ";".join(paper.sources),
        "abstract": paper.abstract,
    }
    if paper.year_min is not None:
        attributes["year_min"] = paper.year_min
    if paper.year_max is not None:
        attributes["year_max"] = paper.year_max
    return attributes


def concept_attributes(concept: Concept, papers: int) -> dict:
    """The attributes of a concept node named by ``papers`` papers (its years come later,
    from the papers that introduce it)."""
    return {
        "kind": concept.kind,
        "label": concept.label,
        "aliases": "|".join(concept.aliases),
        "papers": papers,
    }


def replaces_edge(relation: str, existing: str) -> bool:
    """Does a link of ``relation`` replace an edge of ``existing`` between the same nodes?
    Only ``builds_on`` over ``mentions``: a paper that builds on a concept mentions it too,
    and the edge says the more. Otherwise the first link of a pair is its edge."""
    return relation == "builds_on" and existing == "mentions"


def build_graph(corpus: Corpus) -> nx.DiGraph:
    """Build the knowledge graph.

    Parameters
    ----------
    corpus : Corpus

    Returns
    -------
    networkx.DiGraph
        A new graph (see the module docstring for its attributes).

    Examples
    --------
    >>> from kg.model import Concept, Corpus, Link, Paper
    >>> corpus = Corpus(
    ...     papers=(Paper("paper:roberta", "RoBERTa", "RoBERTa: ...", ("a.txt:3-4",)),),
    ...     concepts=(Concept("roberta", "RoBERTa", "model"), Concept("bert", "BERT", "model")),
    ...     links=(Link("paper:roberta", "roberta", "introduces", "We present RoBERTa.", "a.txt:4"),
    ...            Link("roberta", "bert", "builds_on", "RoBERTa is based on BERT.", "a.txt:4",
    ...                 kind_of_link="improves")))
    >>> G = build_graph(corpus)
    >>> sorted(G.edges(data="relation"))  # doctest: +NORMALIZE_WHITESPACE
    [('concept:roberta', 'concept:bert', 'builds_on'),
     ('paper:roberta', 'concept:roberta', 'introduces')]
    >>> G.nodes["concept:roberta"]["papers"]
    1
    """
    graph = nx.DiGraph()
    for paper in corpus.papers:
        graph.add_node(paper.key, **paper_attributes(paper))
    paper_counts: Counter[str] = Counter()
    for link in corpus.links:
        if link.relation in ("introduces", "mentions"):
            paper_counts[link.parent] += 1
    for concept in corpus.concepts:
        graph.add_node(
            concept_node(concept.key), **concept_attributes(concept, paper_counts[concept.key])
        )
    for link in corpus.links:
        child, parent = concept_node(link.child), concept_node(link.parent)
        if child not in graph or parent not in graph:
            continue
        if graph.has_edge(child, parent):
            if not replaces_edge(link.relation, graph.edges[child, parent]["relation"]):
                continue
            graph.remove_edge(child, parent)
        graph.add_edge(child, parent, **edge_attributes(link))
    _add_concept_years(graph)
    return graph


def _add_concept_years(graph: nx.DiGraph) -> None:
    """A concept's years are those of the papers that introduce it."""
    for paper, concept, relation in list(graph.edges(data="relation")):
        if relation != "introduces":
            continue
        paper_data, concept_data = graph.nodes[paper], graph.nodes[concept]
        for attribute, pick in (("year_min", min), ("year_max", max)):
            if attribute in paper_data:
                current = concept_data.get(attribute)
                value = paper_data[attribute]
                concept_data[attribute] = value if current is None else pick(current, value)
