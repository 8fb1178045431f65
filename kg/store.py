"""The graph as a SQLite database (``graph.db``), for queries that read only what they need.

Takes a graph from :func:`kg.graph.build_graph`; :func:`write_db` writes it to a file (through
:func:`kg.export.write_outputs`' staging when called as a writer), :func:`open_db` opens one
read-only, :func:`graph_to_memory` loads a graph (or a GraphML file) into an in-memory
database. For graphs bigger than memory, :class:`StoreWriter` writes the same file from a
build's papers, concepts and links as they are made, and :class:`StoredGraph` reads a file
back the way the writers of :mod:`kg.export` read a graph. It does not check that the graph
is acyclic or that its attributes make sense.

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
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from kg.errors import GraphFileError
from kg.graph import (
    concept_attributes,
    concept_node,
    edge_attributes,
    paper_attributes,
    replaces_edge,
)
from kg.model import Concept, Link, Paper

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "StoreWriter",
    "StoredGraph",
    "edge_data",
    "fold",
    "graph_to_memory",
    "node_data",
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


def _node_row(seq: int, node: str, data: dict) -> tuple:
    rest = {k: v for k, v in data.items() if k not in _NODE_COLUMNS}
    columns = (data.get(c) for c in _NODE_COLUMNS)
    return (seq, node, *columns, 0, json.dumps(rest, ensure_ascii=False))


def _edge_values(data: dict) -> tuple:
    """An edge's columns after ``seq, source, target``."""
    rest = {k: v for k, v in data.items() if k not in _EDGE_COLUMNS}
    return (*(data.get(k) for k in _EDGE_COLUMNS), json.dumps(rest, ensure_ascii=False))


_INSERT_NODE = f"INSERT INTO nodes VALUES ({','.join('?' * 13)})"
_INSERT_EDGE = f"INSERT INTO edges VALUES ({','.join('?' * 10)})"


def _fill(db: sqlite3.Connection, graph: Any) -> None:
    db.executescript(_SCHEMA)
    db.executemany(
        _INSERT_NODE,
        (_node_row(seq, n, d) for seq, (n, d) in enumerate(graph.nodes(data=True), start=1)),
    )
    db.executemany(
        _INSERT_EDGE,
        (
            (seq, u, v, *_edge_values(d))
            for seq, (u, v, d) in enumerate(graph.edges(data=True), start=1)
        ),
    )
    _finish(db)


_DEGREES = """
WITH touching(id) AS (SELECT source FROM edges UNION ALL SELECT target FROM edges),
counted(id, degree) AS (SELECT id, count(*) FROM touching GROUP BY id)
UPDATE nodes SET degree = counted.degree FROM counted WHERE counted.id = nodes.id
"""


def _finish(db: sqlite3.Connection) -> None:
    """Everything made from the nodes and edges tables: degrees, the alias and search
    indexes, the lineage trees, the counts; then the version stamps."""
    db.execute(_DEGREES)
    reader = db.cursor().execute(
        "SELECT seq, id, label, aliases, title, abstract FROM nodes ORDER BY seq"
    )
    while rows := reader.fetchmany(4096):
        aliases, texts = [], []
        for seq, node, label, alias_text, title, abstract in rows:
            data = {"label": label, "aliases": alias_text or "", "title": title}
            names = _names({k: v for k, v in data.items() if v is not None}, node)
            aliases += [(fold(n), node, n, rank) for rank, n in enumerate(names)]
            texts.append((seq, " | ".join(names), str(abstract or "")))
        db.executemany("INSERT INTO aliases VALUES (?,?,?,?)", aliases)
        db.executemany("INSERT INTO search (rowid, names, abstract) VALUES (?,?,?)", texts)
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


class StoreWriter:
    """Writes a new database as a build's parts arrive, without a graph in memory: what
    :func:`kg.graph.build_graph` then :func:`write_db` make, streamed (``kg build --dask``).

    Give it the papers and their links as they are made (:meth:`add_paper`, :meth:`add_links`),
    then the concepts (:meth:`add_concepts`), the lineage links, and :meth:`finish`. Nodes
    keep the order they came in (papers, then concepts) and edges the graph's order (by their
    child's node, then as they came), so the file is the one ``write_db`` writes for the same
    build. What it keeps in memory is a count per concept.

    Parameters
    ----------
    path : str or Path
        A new file (whatever is there is replaced).

    Examples
    --------
    >>> import tempfile
    >>> from kg.model import Concept, Link, Paper
    >>> path = Path(tempfile.mkdtemp()) / "graph.db"
    >>> writer = StoreWriter(path)
    >>> writer.add_paper(Paper("paper:x", "X", "X: ...", ("a.txt:1-2",), year_min=2020))
    >>> writer.add_links([Link("paper:x", "x", "introduces", "We propose X.", "a.txt:2")])
    >>> writer.add_concepts([Concept("x", "X", "model")])
    >>> writer.finish()
    >>> db = open_db(path)
    >>> [tuple(row) for row in db.execute("SELECT id, papers, year_min, degree FROM nodes")]
    [('paper:x', None, 2020, 1), ('concept:x', 1, 2020, 1)]
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self._db = sqlite3.connect(self.path)
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.executescript(_SCHEMA)
        # Edges as they come; one per (child, parent), as in a networkx graph.
        self._db.executescript(
            """CREATE TABLE staged (seq INTEGER PRIMARY KEY, source TEXT, target TEXT,
            relation TEXT, kind_of_link TEXT, inferred INTEGER, evidence TEXT, location TEXT,
            stated_at TEXT, attrs TEXT);
            CREATE UNIQUE INDEX staged_pair ON staged (source, target);"""
        )
        self._nodes = 0
        self._papers: Counter[str] = Counter()

    def add_paper(self, paper: Paper) -> None:
        """A paper node."""
        self._nodes += 1
        self._db.execute(_INSERT_NODE, _node_row(self._nodes, paper.key, paper_attributes(paper)))

    def add_links(self, links: Iterable[Link]) -> None:
        """Edges: the first link of a (child, parent) pair is its edge, except that a
        ``builds_on`` link replaces a ``mentions`` edge (:func:`kg.graph.replaces_edge`)."""
        for link in links:
            if link.relation in ("introduces", "mentions"):
                self._papers[link.parent] += 1
            child, parent = concept_node(link.child), concept_node(link.parent)
            for existing in ("mentions", "introduces", "builds_on"):
                if replaces_edge(link.relation, existing):
                    self._db.execute(
                        "DELETE FROM staged WHERE source = ? AND target = ? AND relation = ?",
                        (child, parent, existing),
                    )
            self._db.execute(
                "INSERT OR IGNORE INTO staged VALUES (NULL,?,?,?,?,?,?,?,?,?)",
                (child, parent, *_edge_values(edge_attributes(link))),
            )

    def names(self, paper: str, concept: str) -> bool:
        """Does ``paper`` introduce or mention ``concept`` (a concept key), so far?"""
        found = self._db.execute(
            "SELECT 1 FROM staged WHERE source = ? AND target = ? AND relation IN "
            "('introduces', 'mentions')",
            (paper, concept_node(concept)),
        ).fetchone()
        return found is not None

    def add_concepts(self, concepts: Iterable[Concept]) -> None:
        """Concept nodes, each with how many of the links so far name it."""
        for concept in concepts:
            self._nodes += 1
            attributes = concept_attributes(concept, self._papers[concept.key])
            self._db.execute(
                _INSERT_NODE, _node_row(self._nodes, concept_node(concept.key), attributes)
            )

    def finish(self) -> None:
        """Write everything made from the nodes and edges, and close the file."""
        db = self._db
        try:
            db.executescript(_STAGED_TO_EDGES)
            _finish(db)
        finally:
            db.close()

    def close(self) -> None:
        """Close without finishing (the file is then not a kg database)."""
        with contextlib.suppress(sqlite3.Error):
            self._db.close()


#: Edges between nodes that exist, in networkx's order; a concept's years are those of the
#: papers that introduce it (see kg.graph).
_STAGED_TO_EDGES = """
INSERT INTO edges
SELECT row_number() OVER (ORDER BY child.seq, s.seq), s.source, s.target, s.relation,
    s.kind_of_link, s.inferred, s.evidence, s.location, s.stated_at, s.attrs
FROM staged s JOIN nodes child ON child.id = s.source JOIN nodes parent ON parent.id = s.target;
DROP TABLE staged;
WITH years(id, low, high) AS (
    SELECT e.target, min(p.year_min), max(p.year_max) FROM edges e
    JOIN nodes p ON p.id = e.source WHERE e.relation = 'introduces' GROUP BY e.target
)
UPDATE nodes SET year_min = coalesce(years.low, nodes.year_min),
    year_max = coalesce(years.high, nodes.year_max)
FROM years WHERE years.id = nodes.id;
"""


class StoredGraph:
    """A kg database read the way the file writers (:mod:`kg.export`) read a graph:
    ``nodes``, ``edges`` (iterated, or called with ``data=``), ``degree``,
    ``number_of_nodes``, ``number_of_edges``; rows are read as they are iterated, so a
    graph bigger than memory can be written out.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_node("a", kind="model", label="A"); G.add_edge("a", "b", relation="mentions")
    >>> stored = StoredGraph(graph_to_memory(G))
    >>> list(stored.nodes), list(stored.edges(data=True)), stored.degree("a")
    (['a', 'b'], [('a', 'b', {'relation': 'mentions'})], 1)
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._degrees: dict[str, int] | None = None
        self.nodes = _Rows(self._node_rows)
        self.edges = _Rows(self._edge_rows)

    def number_of_nodes(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM nodes").fetchone()[0])

    def number_of_edges(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM edges").fetchone()[0])

    def degree(self, node: str) -> int:
        if self._degrees is None:
            self._degrees = dict(self._db.execute("SELECT id, degree FROM nodes"))
        return self._degrees[node]

    def _node_rows(self, data: bool | str = False, default: Any = None) -> Iterator[Any]:
        cursor = self._db.cursor()
        cursor.row_factory = sqlite3.Row
        for row in cursor.execute("SELECT * FROM nodes ORDER BY seq"):
            if data is False:
                yield row["id"]
            elif data is True:
                yield row["id"], node_data(row)
            else:
                yield row["id"], node_data(row).get(data, default)

    def _edge_rows(self, data: bool = False, default: Any = None) -> Iterator[Any]:
        cursor = self._db.cursor()
        cursor.row_factory = sqlite3.Row
        for row in cursor.execute("SELECT * FROM edges ORDER BY seq"):
            if data:
                yield row["source"], row["target"], edge_data(row)
            else:
                yield row["source"], row["target"]


class _Rows:
    """``graph.nodes`` / ``graph.edges``: iterable, and callable with ``data=``."""

    def __init__(self, rows: Callable[..., Iterator[Any]]) -> None:
        self._rows = rows

    def __iter__(self) -> Iterator[Any]:
        return self._rows()

    def __call__(self, data: bool | str = False, default: Any = None) -> Iterator[Any]:
        return self._rows(data, default)


#: The columns in the order kg.graph gives a node's attributes (papers have the first five
#: and the years, concepts kind, label, aliases, papers and the years).
_NODE_ORDER = ("kind", "label", "title", "sources", "abstract", "aliases", "papers")
_NODE_ORDER += ("year_min", "year_max")


_EDGE_ORDER = (("relation", "relation"), ("evidence", "evidence"), ("source", "location"))
_EDGE_ORDER += (("kind_of_link", "kind_of_link"), ("inferred", "inferred"))


def node_data(row: sqlite3.Row) -> dict[str, Any]:
    """A ``nodes`` row as the graph's attribute dict (absent attributes left out), in the
    order :mod:`kg.graph` gives them, so files written from either are the same."""
    data = {c: row[c] for c in _NODE_ORDER if row[c] is not None}
    data.update(json.loads(row["attrs"]))
    return data


def edge_data(row: sqlite3.Row) -> dict[str, Any]:
    """An ``edges`` row as the graph's attribute dict (absent attributes left out), in the
    order :func:`kg.graph.edge_attributes` gives them."""
    data = {key: row[column] for key, column in _EDGE_ORDER if row[column] is not None}
    if "inferred" in data:
        data["inferred"] = bool(data["inferred"])
    data.update(json.loads(row["attrs"]))
    if row["stated_at"] is not None:
        data["stated_at"] = row["stated_at"]
    return data
