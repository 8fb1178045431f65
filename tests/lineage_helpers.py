"""Small builders shared by the lineage tests: an entry from sentences, and its lineage."""

from __future__ import annotations

from kg.claims import read_claims
from kg.extract import extract_entries
from kg.graph import build_graph
from kg.lineage import add_lineage
from kg.model import Entry, Paragraph
from kg.resolve import resolve
from kg.vocab import load_vocabulary

PAPER = "PAPER"


def entry(*texts: str, title: str = "", file: str = "t.txt", start: int = 1) -> Entry:
    """An entry whose title (if any) is line ``start`` and whose paragraphs follow."""
    first = start + (1 if title else 0)
    paragraphs = tuple(Paragraph(t, first + i, "abstract") for i, t in enumerate(texts))
    return Entry(
        file,
        start,
        first + len(texts) - 1,
        title=title,
        title_line=start if title else 0,
        paragraphs=paragraphs,
    )


def lineage_of(nlp, *entries: Entry) -> set[tuple[str, str, str, bool]]:
    """(child, link, parent, inferred) for every builds_on edge that starts at a concept or
    at a paper (then the child is ``PAPER``); paper -> paper edges are left out."""
    extracted = [read_claims(x) for x in extract_entries(list(entries), nlp)]
    graph = build_graph(add_lineage(resolve(extracted, load_vocabulary())))

    def label(node: str) -> str:
        return PAPER if graph.nodes[node]["kind"] == "paper" else graph.nodes[node]["label"]

    return {
        (label(u), d["kind_of_link"], label(v), d["inferred"])
        for u, v, d in graph.edges(data=True)
        if d["relation"] == "builds_on" and graph.nodes[v]["kind"] != "paper"
    }


def stated(nlp, *texts: str, title: str = "") -> set[tuple[str, str, str]]:
    """The stated (not inferred) links of one entry, as (child, link, parent)."""
    return {
        (c, k, p)
        for c, k, p, inferred in lineage_of(nlp, entry(*texts, title=title))
        if not inferred
    }
