"""The lineage layout: x follows the year, families stacked, no label boxes overlap."""

from __future__ import annotations

import networkx as nx

from kg.layout import NO_YEAR, lineage_layout, lineage_subgraph, overlaps


def _graph() -> nx.DiGraph:
    g = nx.DiGraph()
    for key, label, years in [
        ("t", "Transformer", (2017, 2017)),
        ("b", "BERT", (2018, 2018)),
        ("r", "RoBERTa", (2019, 2019)),
        ("d", "DistilBERT with a very long descriptive label", (2019, 2019)),
        ("a", "self-attention", None),
        ("x", "ResNet", (2015, 2017)),
        ("y", "ResNeXt", (2017, 2017)),
    ]:
        extra = {"year_min": years[0], "year_max": years[1]} if years else {}
        g.add_node(key, kind="model", label=label, **extra)
    g.add_node("p", kind="paper", label="Some paper")
    for child, parent in [("b", "t"), ("r", "b"), ("d", "b"), ("t", "a"), ("y", "x"), ("p", "b")]:
        g.add_edge(child, parent, relation="builds_on", kind_of_link="extends")
    return g


def test_papers_are_left_out_of_the_lineage_drawing():
    assert "p" not in lineage_subgraph(_graph())


def test_x_follows_the_year_and_no_year_is_leftmost():
    placed, columns = lineage_layout(_graph())
    assert columns[0]["label"] == NO_YEAR
    assert [c["x"] for c in columns] == sorted(c["x"] for c in columns)
    by_node = {p.node: p for p in placed}
    assert by_node["a"].x < by_node["x"].x < by_node["t"].x < by_node["b"].x < by_node["r"].x
    assert by_node["r"].x == by_node["d"].x and by_node["r"].y != by_node["d"].y
    assert by_node["x"].column == "2015–2017"  # a range, placed at its midpoint
    for first in placed:
        for second in placed:
            if first.year is not None and second.year is not None and first.year < second.year:
                assert first.x < second.x


def test_families_biggest_first_and_no_overlap():
    placed, _ = lineage_layout(_graph())
    by_node = {p.node: p for p in placed}
    assert by_node["t"].family == 0 and by_node["x"].family == 1
    assert max(p.box[3] for p in placed if p.family == 0) < min(
        p.box[1] for p in placed if p.family == 1
    )
    assert overlaps(placed) == []


def test_seed_lineage_layout_has_no_overlapping_labels(seeds_graph):
    graph, _ = seeds_graph
    placed, _ = lineage_layout(graph, max_nodes=200)
    assert len(placed) > 20
    assert overlaps(placed) == []


def test_max_nodes_keeps_whole_families():
    placed, _ = lineage_layout(_graph(), max_nodes=5)
    assert {p.node for p in placed} == {"t", "b", "r", "d", "a"}


def test_max_nodes_is_a_cap_even_when_the_biggest_family_is_cut():
    placed, _ = lineage_layout(_graph(), max_nodes=3)
    assert len(placed) == 3
    assert {p.family for p in placed} == {0}
