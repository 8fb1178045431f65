"""graph.db: written by kg build, read by every query; checked against the NetworkX queries."""

from __future__ import annotations

import json
import sqlite3

import networkx as nx
import pytest
from click.testing import CliRunner

from kg import lookup
from kg.cli import main
from kg.errors import ConceptNotFound, GraphFileError, KgError
from kg.store import SCHEMA_VERSION, graph_to_memory, open_db, write_db
from tests import graph_queries as reference


@pytest.fixture(scope="module")
def seeds(seeds_graph):
    graph, out = seeds_graph
    return graph, open_db(out / "graph.db"), out


def _plain(tree: dict) -> dict:
    """A lineage tree without the year range the SQL answer adds."""
    tree = {k: v for k, v in tree.items() if k != "year_max"}
    tree["children"] = [_plain(step) for step in tree["children"]]
    return tree


def _names(graph: nx.DiGraph) -> list[str]:
    labels = sorted({str(d.get("label", n)) for n, d in graph.nodes(data=True)})
    return labels[::3]


def test_kg_build_writes_a_database_that_sqlite_reads(seeds):
    graph, _db, out = seeds
    raw = sqlite3.connect(out / "graph.db")
    assert raw.execute("select count(*) from nodes").fetchone()[0] == graph.number_of_nodes()
    assert raw.execute("select count(*) from edges").fetchone()[0] == graph.number_of_edges()
    assert raw.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION


def test_nothing_the_graph_carries_is_lost(seeds):
    graph, db, _ = seeds
    stated = [(u, v) for u, v, s in graph.edges(data="stated_at") if s]
    assert stated
    part = lookup.neighbourhood(db, stated[0][0], 1)
    assert part.edges[stated[0]] == graph.edges[stated[0]]
    some = next(iter(graph.nodes))
    assert lookup.neighbourhood(db, some, 0).nodes[some] == graph.nodes[some]


def test_lineage_and_offspring_match_networkx(seeds):
    graph, db, _ = seeds
    for name in _names(graph):
        for depth in (None, 1, 2):
            assert _plain(lookup.lineage(db, name, depth=depth)) == reference.lineage(
                graph, name, depth=depth
            ), name
            assert _plain(lookup.offspring(db, name, depth=depth)) == reference.offspring(
                graph, name, depth=depth
            ), name


def test_cards_match_networkx(seeds):
    graph, db, _ = seeds
    for name in _names(graph):
        assert lookup.card(db, name) == reference.card(graph, name), name


def test_unknown_names_get_the_same_suggestions(seeds):
    graph, db, _ = seeds
    for name in ("Robertta", "tranformer", "LoRAA", "difusion models", "zzzzzz"):
        with pytest.raises(ConceptNotFound) as sql:
            lookup.find_node(db, name)
        with pytest.raises(ConceptNotFound) as networkx:
            reference.find_node(graph, name)
        assert str(sql.value) == str(networkx.value)


def test_paths_are_as_short_as_networkx_finds(seeds):
    graph, db, _ = seeds
    names = _names(graph)[::4]
    for source, target in zip(names, names[1:] + names[:1], strict=True):
        try:
            expected = reference.path_between(graph, source, target)
        except KgError:
            with pytest.raises(KgError):
                lookup.path_between(db, source, target)
            continue
        steps = lookup.path_between(db, source, target)
        assert len(steps) == len(expected), (source, target)
        assert [s["from"] for s in steps[:1]] == [s["from"] for s in expected[:1]]
        assert [s["to"] for s in steps[-1:]] == [s["to"] for s in expected[-1:]]


@pytest.mark.parametrize("text", ["diffusion", "lora", "bert", "of", "language model", "zzq"])
def test_search_matches_networkx(seeds, text):
    graph, db, _ = seeds
    hits = lookup.search(db, text, limit=10_000)
    expected = reference.search(graph, text, limit=10_000)
    assert [{k: v for k, v in h.items() if k != "snippet"} for h in hits] == expected
    for hit in hits[:5]:
        assert text.lower() in hit["snippet"].lower()


def test_stats_match_networkx(seeds):
    graph, db, _ = seeds
    assert lookup.stats(db) == reference.stats(graph)
    roots = [t["root"] for t in lookup.stats(db)["biggest_lineage_trees"]]
    assert len(roots) == len(set(roots))


# A small database built in the test.


@pytest.fixture
def small(tmp_path):
    graph = nx.DiGraph()
    graph.add_node("paper:p", kind="paper", label="P", title="RoBERTa paper", abstract="A study.")
    graph.add_node("concept:roberta", kind="model", label="RoBERTa", aliases="Roberta", papers=1)
    graph.add_node("concept:bert", kind="model", label="BERT", papers=2, year_min=2018)
    graph.add_node("concept:transformer", kind="model", label="Transformer", papers=3)
    graph.add_edge("paper:p", "concept:roberta", relation="introduces", evidence="We propose.")
    graph.add_edge(
        "concept:roberta",
        "concept:bert",
        relation="builds_on",
        kind_of_link="improves",
        inferred=False,
        evidence="RoBERTa improves BERT.",
        source="a.txt:3",
        stated_at="a.txt:3;b.txt:9",
    )
    graph.add_edge("concept:bert", "concept:transformer", relation="builds_on", inferred=True)
    path = tmp_path / "graph.db"
    write_db(graph, path)
    return path


def test_each_query_on_a_small_database(small):
    db = open_db(small)
    tree = lookup.lineage(db, "roberta")
    assert tree["children"][0]["node"] == "BERT"
    assert tree["children"][0]["children"][0]["node"] == "Transformer"
    assert lookup.offspring(db, "transformer", depth=1)["children"][0]["node"] == "BERT"
    assert lookup.card(db, "Roberta")["introduced_by"][0]["paper"] == "P"
    steps = lookup.path_between(db, "P", "Transformer")
    assert [s["to"] for s in steps] == ["RoBERTa", "BERT", "Transformer"]
    assert [h["label"] for h in lookup.search(db, "bert")] == ["BERT", "RoBERTa", "P"]
    assert lookup.stats(db)["biggest_lineage_trees"] == [{"root": "Transformer", "size": 2}]
    assert (
        json.loads(db.execute("select attrs from edges where stated_at is not null").fetchone()[0])
        == {}
    )


def test_path_search_goes_round_a_hub_it_does_not_need(monkeypatch):
    graph = nx.DiGraph()
    graph.add_edges_from([("a", "p1"), ("p1", "c"), ("p2", "c"), ("b", "p2"), ("a", "hub")])
    graph.add_edges_from(("hub", f"leaf{i}") for i in range(2000))
    db = graph_to_memory(graph)
    assert db.execute("SELECT degree FROM nodes WHERE id = 'hub'").fetchone()[0] == 2001
    read: list[int] = []
    expand = lookup._expand
    monkeypatch.setattr(
        lookup, "_expand", lambda d, f: read.append(len(rows := expand(d, f))) or rows
    )
    steps = lookup.path_between(db, "a", "b")
    assert [s["from"] for s in steps] == ["a", "p1", "c", "p2"]
    assert sum(read) < 20  # the hub's 2,001 edges were never read


def test_graphml_is_loaded_into_memory(tmp_path):
    graph = nx.DiGraph()
    graph.add_node("a", label="A", kind="model")
    path = tmp_path / "g.graphml"
    nx.write_graphml(graph, path)
    assert lookup.find_node(open_db(path), "a") == "a"
    assert lookup.find_node(graph_to_memory(graph), "A") == "a"


def _error(path) -> str:
    with pytest.raises(GraphFileError) as caught:
        open_db(path)
    return str(caught.value)


def test_missing_database(tmp_path):
    assert "no such graph file" in _error(tmp_path / "none.db")


def test_corrupt_and_truncated_files(small, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    assert "not a SQLite database" in _error(junk)
    cut = tmp_path / "cut.db"
    cut.write_bytes(small.read_bytes()[:2000])
    assert "kg build" in _error(cut)


def test_foreign_sqlite_file(tmp_path):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("create table t (x)").connection.commit()
    assert "kg did not write" in _error(other)


@pytest.mark.parametrize(("version", "word"), [(0, "older"), (SCHEMA_VERSION + 1, "newer")])
def test_schema_version_mismatch(small, version, word):
    raw = sqlite3.connect(small)
    raw.execute(f"pragma user_version = {version}")
    raw.commit()
    raw.close()
    assert f"{word} kg" in _error(small)


def test_locked_database(small):
    raw = sqlite3.connect(small)
    raw.execute("pragma locking_mode = exclusive")
    raw.execute("begin exclusive")
    try:
        assert "locked" in _error(small)
    finally:
        raw.rollback()
        raw.close()


def test_cli_errors_are_one_line_with_exit_code_1(small, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\0" * 4096)
    for path in (junk, tmp_path / "none.db"):
        for args in (["stats"], ["lineage", "BERT"], ["search", "bert"], ["show", "BERT"]):
            result = CliRunner().invoke(main, [*args, "--graph", str(path)])
            assert result.exit_code == 1
            assert result.output.count("\n") == 1 and result.output.startswith("Error: ")
            assert "kg build" in result.output


def test_cli_reads_the_database(small):
    result = CliRunner().invoke(main, ["lineage", "RoBERTa", "--graph", str(small)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].startswith("└── BERT [model] (2018)")


def test_a_database_missing_a_table(small):
    raw = sqlite3.connect(small)
    raw.execute("drop table counts")
    raw.commit()
    raw.close()
    assert "not a kg database" in _error(small)
