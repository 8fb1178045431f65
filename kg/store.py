"""The graph as a SQLite database (``graph.db``), for queries that read only what they need.

Takes a graph from :func:`kg.graph.build_graph`; :func:`write_db` writes it to a file (through
:func:`kg.export.write_outputs`' staging when called as a writer), :func:`open_db` opens one
read-only, :func:`graph_to_memory` loads a graph (or a GraphML file) into an in-memory
database. It does not check that the graph is acyclic or that its attributes make sense.

Schema (version :data:`SCHEMA_VERSION`, in ``PRAGMA user_version``; ``PRAGMA application_id``
is :data:`APPLICATION_ID`, so a foreign SQLite file is recognised)

``nodes``
    ``seq`` (INTEGER PRIMARY KEY, the graph's node order), ``id`` (TEXT UNIQUE), ``label``,
    ``kind``, ``title``, ``abstract``, ``aliases`` (``|``-joined), ``papers``, ``year_min``,
    ``year_max``, ``sources`` (``;``-joined), ``degree`` (how many edges touch the node, either
    direction: what a path search costs to step through it), ``attrs`` (JSON object of every
    other attribute, so nothing the graph carries is lost). Indexed on ``kind``, ``(id,
    degree)``, and on ``papers`` for concepts.
``edges``
    ``seq`` (INTEGER PRIMARY KEY, the graph's edge order), ``source``, ``target`` (node ids;
    ``builds_on`` points child -> parent), ``relation``, ``kind_of_link``, ``inferred``
    (0/1, NULL when the edge has none), ``evidence``, ``location`` (the ``FILE:LINE`` the
    graph calls ``source``), ``stated_at``, ``attrs`` (JSON, the rest). Indexed on
    ``(source, relation, target)``, ``(target, relation, source)`` and ``(relation,
    inferred)``.
``aliases``
    ``folded`` (a spelling lower-cased without spaces, hyphens, dots...), ``node``, ``name``
    (the spelling), ``rank`` (0 the label, then the aliases, then the title). Indexed on
    ``folded`` and ``(node, rank)``.
``counts``
    ``what`` ("nodes" by ``kind``, "edges" by ``relation``, "builds_on_explicit"), ``key``,
    ``count``: the aggregates ``kg stats`` prints, counted once at build time.
``lineage_trees``
    ``root`` (a concept that builds on nothing and that something builds on), ``label``,
    ``size`` (how many nodes build on it, directly or not).
``search``
    FTS5 (trigram tokenizer: case-insensitive substring match) over ``names`` (label,
    aliases and title, `` | ``-joined) and ``abstract``; its rowid is ``nodes.seq``.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from kg.errors import GraphFileError

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "fold",
    "graph_to_memory",
    "open_db",
    "write_db",
]

#: Bumped whenever the tables change; a database with another version is rebuilt.
SCHEMA_VERSION = 2
#: ``PRAGMA application_id`` of a kg database ("KGdb").
APPLICATION_ID = 0x4B476462

_TABLES = ("nodes", "edges", "aliases", "counts", "lineage_trees", "search")
_FOLD = re.compile(r"[\s\-_./·'’]+")
_NODE_COLUMNS = (
    "label",
    "kind",
    "title",
    "abstract",
    "aliases",
    "papers",
    "year_min",
    "year_max",
    "sources",
)
_EDGE_COLUMNS = {
    "relation": "relation",
    "kind_of_link": "kind_of_link",
    "inferred": "inferred",
    "evidence": "evidence",
    "source": "location",
    "stated_at": "stated_at",
}
_SCHEMA = """
CREATE TABLE nodes (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, label TEXT, kind TEXT, title TEXT,
    abstract TEXT, aliases TEXT, papers INTEGER, year_min INTEGER, year_max INTEGER,
    sources TEXT, degree INTEGER NOT NULL DEFAULT 0, attrs TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE edges (
    seq INTEGER PRIMARY KEY, source TEXT NOT NULL, target TEXT NOT NULL, relation TEXT,
    kind_of_link TEXT, inferred INTEGER, evidence TEXT, location TEXT, stated_at TEXT,
    attrs TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE aliases (folded TEXT NOT NULL, node TEXT NOT NULL, name TEXT, rank INTEGER);
CREATE TABLE counts (what TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL);
CREATE TABLE lineage_trees (root TEXT PRIMARY KEY, label TEXT, size INTEGER);
CREATE VIRTUAL TABLE search USING fts5(names, abstract, tokenize='trigram');
"""
_INDEXES = """
CREATE INDEX edges_source ON edges (source, relation, target);
CREATE INDEX edges_target ON edges (target, relation, source);
CREATE INDEX edges_relation ON edges (relation, inferred);
CREATE INDEX nodes_kind ON nodes (kind);
CREATE INDEX nodes_degree ON nodes (id, degree);
CREATE INDEX nodes_concepts_by_papers ON nodes (papers DESC, label, seq)
    WHERE kind IS NOT 'paper';
CREATE INDEX aliases_folded ON aliases (folded);
CREATE INDEX aliases_node ON aliases (node, rank);
"""

_TREES = """
WITH RECURSIVE roots(id) AS (
    SELECT DISTINCT e.target FROM edges e JOIN nodes n ON n.id = e.target
    WHERE e.relation = 'builds_on' AND n.kind IS NOT 'paper' AND NOT EXISTS (
        SELECT 1 FROM edges o WHERE o.source = e.target AND o.relation = 'builds_on')
), reach(root, node) AS (
    SELECT id, id FROM roots
    UNION SELECT reach.root, e.source FROM reach
    JOIN edges e ON e.target = reach.node AND e.relation = 'builds_on'
)
INSERT INTO lineage_trees
SELECT root, coalesce(n.label, n.id), count(*) - 1 FROM reach JOIN nodes n ON n.id = root
GROUP BY root
"""
_COUNTS = """
INSERT INTO counts SELECT 'nodes', coalesce(kind, ''), count(*) FROM nodes GROUP BY kind;
INSERT INTO counts SELECT 'edges', coalesce(relation, ''), count(*) FROM edges GROUP BY relation;
INSERT INTO counts SELECT 'builds_on_explicit', '', count(*) FROM edges
    WHERE relation = 'builds_on' AND inferred IS NOT 1;
"""


def fold(name: str) -> str:
    """A spelling as the alias index keeps it.

    Examples
    --------
    >>> fold("Low-Rank Adaptation")
    'lowrankadaptation'
    """
    return _FOLD.sub("", name).lower()


def _names(data: dict, node: str) -> list[str]:
    names = [str(data.get("label", node))]
    names += [a for a in str(data.get("aliases", "")).split("|") if a]
    if data.get("title"):
        names.append(str(data["title"]))
    return names


def _fill(db: sqlite3.Connection, graph: Any) -> None:
    db.executescript(_SCHEMA)
    nodes, aliases, texts = [], [], []
    for seq, (node, data) in enumerate(graph.nodes(data=True), start=1):
        rest = {k: v for k, v in data.items() if k not in _NODE_COLUMNS}
        nodes.append(
            (
                seq,
                node,
                *(data.get(c) for c in _NODE_COLUMNS),
                graph.degree(node),
                json.dumps(rest, ensure_ascii=False),
            )
        )
        names = _names(data, node)
        aliases += [(fold(n), node, n, rank) for rank, n in enumerate(names)]
        texts.append((seq, " | ".join(names), str(data.get("abstract", ""))))
    db.executemany(f"INSERT INTO nodes VALUES ({','.join('?' * 13)})", nodes)
    db.executemany("INSERT INTO aliases VALUES (?,?,?,?)", aliases)
    db.executemany("INSERT INTO search (rowid, names, abstract) VALUES (?,?,?)", texts)
    edges = []
    for seq, (u, v, data) in enumerate(graph.edges(data=True), start=1):
        rest = {k: val for k, val in data.items() if k not in _EDGE_COLUMNS}
        values = [data.get(k) for k in _EDGE_COLUMNS]
        edges.append((seq, u, v, *values, json.dumps(rest, ensure_ascii=False)))
    db.executemany(f"INSERT INTO edges VALUES ({','.join('?' * 10)})", edges)
    db.executescript(_INDEXES)
    db.execute(_TREES)
    db.executescript(_COUNTS)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.commit()


def write_db(graph: Any, path: str | Path) -> None:
    """Write ``graph`` as a new database at ``path`` (replacing whatever file is there).

    Meant as a :func:`kg.export.write_outputs` writer, which hands it a staged temporary file.
    """
    path = Path(path)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        _fill(db, graph)
    finally:
        db.close()


def graph_to_memory(graph: Any) -> sqlite3.Connection:
    """An in-memory database holding ``graph`` (a NetworkX graph)."""
    db = sqlite3.connect(":memory:")
    _fill(db, graph)
    db.row_factory = sqlite3.Row
    return db


def _check(db: sqlite3.Connection, path: Path) -> None:
    try:
        (app,) = db.execute("PRAGMA application_id").fetchone()
        (version,) = db.execute("PRAGMA user_version").fetchone()
        if app == APPLICATION_ID and version == SCHEMA_VERSION:
            db.execute(f"SELECT count(*) FROM {', '.join(_TABLES)} WHERE 0").fetchone()
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise GraphFileError(str(path), "the database is locked") from None
        raise GraphFileError(str(path), f"not a kg database ({error})") from None
    except sqlite3.DatabaseError:
        raise GraphFileError(str(path), "not a SQLite database or truncated") from None
    if app != APPLICATION_ID:
        raise GraphFileError(str(path), "a SQLite file kg did not write")
    if version != SCHEMA_VERSION:
        age = "an older" if version < SCHEMA_VERSION else "a newer"
        raise GraphFileError(
            str(path), f"written by {age} kg (schema {version}, not {SCHEMA_VERSION})"
        )


def open_db(path: str | Path) -> sqlite3.Connection:
    """Open a database ``kg build`` wrote, read-only; a ``.graphml`` file is loaded in memory.

    Raises
    ------
    GraphFileError
        The file is missing, not SQLite, truncated, foreign, of another schema or locked.
    """
    path = Path(path)
    if not path.is_file():
        raise GraphFileError(str(path), "no such graph file")
    if path.suffix.lower() == ".graphml":
        from kg.query import load_graph

        return graph_to_memory(load_graph(path))
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=0.5)
    except sqlite3.Error as error:
        raise GraphFileError(str(path), f"cannot open ({error})") from None
    try:
        _check(db, path)
    except BaseException:
        db.close()
        raise
    db.row_factory = sqlite3.Row
    return db
