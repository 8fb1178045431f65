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


def test_copies_found_by_group_by_are_those_of_one_pass_over_the_entries():
    """Near copies are found per 5-gram and per entry in buckets; the answer must be what
    one pass in entry order finds: the first MAX_SHINGLE_POSTINGS entries of each 5-gram
    indexed, each entry's three most shared earlier entries, ties to the first counted.
    Random entries over few 5-grams, so that caps and ties happen."""
    import random
    from array import array
    from collections import Counter

    from kg.groupby import InProcess
    from kg.resolve import (
        MAX_SHINGLE_POSTINGS,
        MIN_SHARED_SHINGLES,
        _PaperFacts,
        _reduce_copies,
        _reduce_shingles,
        _split_heads,
        _split_own,
        _split_shingles,
    )

    rng = random.Random(5)
    own = [sorted(rng.sample(range(1, 60), rng.randint(0, 12))) for _ in range(300)]

    every = Counter(s for shingles in own for s in shingles)
    index: dict[int, list[int]] = {s: [] for s, n in every.items() if n > 1}
    expected = []
    for number, shingles in enumerate(own):
        counts = Counter(other for s in shingles for other in index.get(s, []))
        for other, common in counts.most_common(3):
            if common / (min(len(shingles), len(own[other])) or 1) >= MIN_SHARED_SHINGLES:
                expected.append((number, other))
        for s in shingles:
            if s in index and len(index[s]) < MAX_SHINGLE_POSTINGS:
                index[s].append(number)
    assert len(expected) > 50 and max(len(p) for p in index.values()) == MAX_SHINGLE_POSTINGS

    parts = []
    for first in range(0, 300, 70):
        part = _PaperFacts()
        for number in range(first, min(first + 70, 300)):
            if own[number]:
                part.shingle_entries.append(number)
                part.shingle_data.extend(array("I", own[number]))
                part.shingle_ends.append(len(part.shingle_data))
        parts.append(part)
    for engine in (InProcess(), InProcess(buckets=4)):
        shared = engine.group([parts], [_split_shingles], _reduce_shingles)
        copies = engine.group([shared, parts], [_split_heads, _split_own], _reduce_copies)
        rows = sorted(tuple(row) for found in copies for row in found.tolist())
        assert [(row[0], row[4]) for row in rows] == expected


def test_name_candidates_by_group_by_are_those_of_one_pass_over_the_entries():
    """Entries that introduce the same named artifact, or whose title names what another
    introduces, are proposed in buckets; the answer must be what one pass finds: only names
    of a kind that identifies a paper, spelled as names, introduced by at most MAX_LISTINGS
    entries."""
    import random
    from collections import Counter

    from kg.groupby import InProcess
    from kg.model import Concept
    from kg.resolve import (
        MAX_LISTINGS,
        _Keys,
        _PaperFacts,
        _reduce_names,
        _split_concepts,
        _split_names,
    )

    rng = random.Random(9)
    concepts = {
        f"c{i}": Concept(
            f"c{i}",
            f"Net{i}" if i % 5 else "net " + "abcdefgh"[i % 8],
            "task" if i % 7 == 0 else "model",
        )
        for i in range(40)
    }
    # Most entries introduce nothing, so that most names have few introducers.
    intro = {n: rng.sample(sorted(concepts), rng.choice([0] * 5 + [1, 1, 2])) for n in range(200)}
    titles = {n: rng.sample(sorted(concepts), rng.choice([0, 0, 1, 2])) for n in range(200)}

    def identifying(keys: list[str]) -> list[str]:
        return [k for k in dict.fromkeys(keys) if concepts[k].kind == "model"]

    named = {k for k, c in concepts.items() if c.label[0].isupper()}
    introducers = Counter(k for keys in intro.values() for k in set(identifying(keys)))
    by_intro: dict[str, list[int]] = {}
    by_title: dict[str, list[int]] = {}
    expected = []
    for number in range(200):
        for key in identifying(intro[number]):
            if introducers[key] > MAX_LISTINGS or key not in named:
                continue
            expected += [(number, o) for o in by_intro.get(key, []) + by_title.get(key, [])]
            by_intro.setdefault(key, []).append(number)
        for key in identifying(titles[number]):
            if introducers[key] > MAX_LISTINGS or not introducers[key] or key not in named:
                continue
            expected += [(number, o) for o in by_intro.get(key, [])]
            by_title.setdefault(key, []).append(number)
    assert len({pair for pair in expected if pair[0] != pair[1]}) > 20

    parts = []
    for first in range(0, 200, 45):
        part = _PaperFacts()
        for number in range(first, min(first + 45, 200)):
            nodes = [f"n:{k}" for k in intro[number]], [f"n:{k}" for k in titles[number]]
            if any(nodes):
                part.names.append((number, *nodes))
        parts.append(part)
    keys = _Keys()  # every node its own concept: "n:c3" is c3
    for engine in (InProcess(), InProcess(buckets=3)):
        found = engine.group(
            [parts, [concepts]], [_split_names, _split_concepts], _reduce_names, (keys,)
        )
        rows = sorted(tuple(row) for rows in found for row in rows.tolist())
        assert [(row[0], row[4]) for row in rows] == expected
