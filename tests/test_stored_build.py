"""The streamed build (``kg build --dask`` runs it): the graph written straight into graph.db
and the other files written from it are the files a build in memory writes.

These tests need no Dask: :func:`kg.pipeline.build_stored` takes any extractor, and by default
extracts here. ``tests/test_dask.py`` runs the same comparison through ``kg build --dask``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kg.export import gexf_to, graphml_to, json_to
from kg.pipeline import build_stored
from kg.spill import Spill
from kg.store import StoredGraph, open_db
from kg.viewer import DEFAULT_MAX_NODES, render_view, stored_view

from .conftest import SEEDS

TABLES = ("nodes", "edges", "aliases", "counts", "lineage_trees")


def rows(path: Path) -> dict[str, list]:
    """Every row of every table, in the file's own order (``seq``, then rowid)."""
    db = sqlite3.connect(path)
    try:
        tables = {t: db.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in TABLES}
        tables["search"] = db.execute("SELECT rowid, * FROM search ORDER BY rowid").fetchall()
        return tables
    finally:
        db.close()


@pytest.fixture(scope="module")
def stored(tmp_path_factory, nlp):
    folder = tmp_path_factory.mktemp("stored")
    scratch = folder / "scratch"
    scratch.mkdir()
    result = build_stored([SEEDS], folder / "graph.db", scratch=scratch)
    return result, folder / "graph.db", scratch


def test_the_streamed_database_is_the_one_a_build_in_memory_writes(stored, seeds_graph):
    result, path, scratch = stored
    assert result.entries == 287
    assert rows(path) == rows(seeds_graph[1] / "graph.db")
    assert list(scratch.iterdir()) == []  # the records kept on disk are gone


def test_files_written_from_the_database_are_the_files_written_from_the_graph(
    stored, seeds_graph, tmp_path
):
    _, path, _ = stored
    db = open_db(path)
    graph = StoredGraph(db)
    for name, writer in (("graph.graphml", graphml_to), ("graph.json", json_to)):
        writer(graph, tmp_path / name)
        assert (tmp_path / name).read_bytes() == (seeds_graph[1] / name).read_bytes(), name
    gexf_to(graph, tmp_path / "graph.gexf")
    assert (tmp_path / "graph.gexf").read_bytes() == (seeds_graph[1] / "graph.gexf").read_bytes()
    page = render_view(stored_view(db, DEFAULT_MAX_NODES))
    assert page == (seeds_graph[1] / "graph.html").read_text("utf-8")


def test_the_stored_build_reports_pages_as_the_build_in_memory_does(stored):
    result, _, _ = stored
    assert [(p.name, p.entries) for p in result.pages] == [
        ("000_8620321c7bf03104.txt", 98),
        ("001_26b34721f3c34067.txt", 24),
        ("002_1e4f734bca79940f.txt", 46),
        ("003_57115e719641a175.txt", 119),
    ]
    assert any("injected" in n.message for n in result.notices)


def test_a_failing_extractor_leaves_no_database_and_no_records(tmp_path):
    def extractor(entries):
        for number, _ in enumerate(entries):
            if number == 10:
                raise RuntimeError("worker lost")
            yield from ()

    with pytest.raises(RuntimeError, match="worker lost"):
        build_stored([SEEDS], tmp_path / "graph.db", extractor=extractor, scratch=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_no_entries_writes_nothing(tmp_path):
    page = tmp_path / "empty.txt"
    page.write_text("Sign in\nMenu\n", "utf-8")
    result = build_stored([page], tmp_path / "graph.db", scratch=tmp_path)
    assert result.entries == 0
    assert not (tmp_path / "graph.db").exists()


def test_a_spill_reads_back_by_position_while_it_is_iterated(tmp_path):
    with Spill(tmp_path) as spill:
        for number in range(1500):
            spill.append(("record", number))
        pairs = [(a, spill[1499 - a[1]]) for a in spill]
        assert len(pairs) == 1500
        assert all(a[1] + b[1] == 1499 for a, b in pairs)
        with pytest.raises(IndexError):
            spill[1500]
    assert list(tmp_path.iterdir()) == []


def test_a_process_that_only_resolves_and_writes_never_loads_spacy():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import kg.cli, kg.pipeline, kg.resolve, kg.lineage, kg.store, kg.viewer, kg.export\n"
        "from kg.resolve import _terms\n"
        "_terms('We train the models.')\n"
        "assert 'spacy' not in sys.modules, 'spaCy was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_stop_words_are_spacys():
    from spacy.lang.en.stop_words import STOP_WORDS

    from kg.resolve import _stop_words

    assert _stop_words() == STOP_WORDS


def test_resolution_does_not_depend_on_how_the_corpus_is_cut(nlp):
    """On a cluster every batch of entries is a part and every group-by has several buckets;
    resolution must give what one part and one bucket give (concepts, papers, links)."""
    from kg.claims import read_claims
    from kg.extract import extract_entries
    from kg.groupby import InProcess
    from kg.pipeline import segment_paths
    from kg.resolve import merge_facts, resolve, resolve_parts, summarise
    from kg.vocab import load_vocabulary

    pages, _ = segment_paths([SEEDS])
    entries = [entry for page in pages for entry in page.entries]
    extracted = [read_claims(item) for item in extract_entries(entries, nlp)]
    vocabulary = load_vocabulary()
    whole = resolve(extracted, vocabulary)
    batches = [
        summarise(extracted[first : first + 37], first, vocabulary)
        for first in range(0, len(extracted), 37)
    ]
    # ... and with every three parts' facts merged into one, as a cluster does.
    merged = [
        merge_facts([facts for _, facts in batches[i : i + 3]]) for i in range(0, len(batches), 3)
    ]
    fewer = [(records, merged[i // 3]) for i, (records, _) in enumerate(batches)]
    for parts in (batches, fewer):
        cut = resolve_parts(parts, vocabulary, InProcess(buckets=5))
        made = list(cut.papers)
        assert cut.concepts == whole.concepts
        assert tuple(paper for paper, _ in made) == whole.papers
        assert tuple(link for _, links in made for link in links) == whole.links
    # The seeds list papers on several pages: merging had something to do.
    assert sum(len(paper.sources) > 1 for paper in whole.papers) >= 20
