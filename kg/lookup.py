"""Questions asked of a graph database: find a node, its lineage, its card, paths, search, stats.

Takes a connection from :func:`kg.store.open_db` (or :func:`kg.store.graph_to_memory`);
returns plain data (dicts and lists), ready to print or dump as JSON, the same the NetworkX
queries in ``tests/graph_queries.py`` give. It reads only the rows a question needs (the alias
index, recursive SQL over the indexed edges, the FTS5 index) and never writes.

Direction, once: ``builds_on`` edges point child -> parent (RoBERTa -> BERT). What a node
builds on (its *lineage*) is reached by following edges from ``source`` to ``target``; what
builds on it (its *offspring*) from ``target`` to ``source``.
"""

from __future__ import annotations

import difflib
import itertools
import json
import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from kg.errors import ConceptNotFound, KgError
from kg.store import edge_data, fold, node_data

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["card", "find_node", "lineage", "node_data", "offspring", "path_between", "search"]
__all__ += ["edge_data", "neighbourhood", "stats"]

#: How many "did you mean" suggestions an unknown name gets.
MAX_SUGGESTIONS = 3


def _node(db: sqlite3.Connection, node: str) -> dict[str, Any]:
    return node_data(db.execute("SELECT * FROM nodes WHERE id = ?", (node,)).fetchone())


def find_node(db: sqlite3.Connection, name: str) -> str:
    """The node a name refers to, found forgivingly (case, hyphens, spaces, aliases).

    A concept is preferred over a paper with the same name; among concepts, the one with
    more papers.

    Raises
    ------
    ConceptNotFound
        No node has that name; the error carries close matches.
    """
    if db.execute("SELECT 1 FROM nodes WHERE id = ?", (name,)).fetchone():
        return name
    wanted = fold(name)
    row = db.execute(
        """SELECT n.id FROM aliases a JOIN nodes n ON n.id = a.node WHERE a.folded = ?
        ORDER BY coalesce(n.kind = 'paper', 0), (
            SELECT folded FROM aliases WHERE node = n.id AND rank = 0) != ?,
            -coalesce(n.papers, 0), n.id LIMIT 1""",
        (wanted, wanted),
    ).fetchone()
    if row:
        return row[0]
    # difflib's ratio is at most 2 * shorter / (sum of lengths): only these lengths can pass.
    low, high = int(len(wanted) * 0.6 / 1.4), int(len(wanted) * 1.4 / 0.6) + 1
    labels: dict[str, str] = {}
    for folded, label in db.execute(
        """SELECT a.folded, coalesce(n.label, n.id) FROM aliases a JOIN nodes n ON n.id = a.node
        WHERE a.rank < 2 AND length(a.folded) BETWEEN ? AND ? ORDER BY n.seq, a.rank""",
        (low, high),
    ):
        labels.setdefault(folded, label)
    close = difflib.get_close_matches(wanted, list(labels), n=MAX_SUGGESTIONS, cutoff=0.6)
    raise ConceptNotFound(name, list(dict.fromkeys(labels[c] for c in close)))


def _step(row: sqlite3.Row, child: str, parent: str, depth: int) -> dict:
    return {
        "child": child,
        "parent": parent,
        "kind_of_link": row["kind_of_link"] or "",
        "inferred": bool(row["inferred"]),
        "evidence": row["evidence"] or "",
        "source": row["location"] or "",
        "depth": depth,
    }


def _reach_sql(forward: bool, limited: bool) -> str:
    near, far = ("source", "target") if forward else ("target", "source")
    if limited:
        reach = f"""reach(node, d) AS (SELECT :node, 0 UNION SELECT e.{far}, d + 1 FROM reach
            JOIN edges e ON e.{near} = reach.node AND e.relation = 'builds_on'
            WHERE d + 1 < :depth)"""
    else:
        reach = f"""reach(node) AS (SELECT :node UNION SELECT e.{far} FROM reach
            JOIN edges e ON e.{near} = reach.node AND e.relation = 'builds_on')"""
    return f"""WITH RECURSIVE {reach}
        SELECT e.source, e.target, e.kind_of_link, e.inferred, e.evidence, e.location,
            n.id AS other, coalesce(n.label, n.id) AS label, coalesce(n.kind, '') AS kind,
            n.year_min, n.year_max
        FROM edges e JOIN (SELECT DISTINCT node FROM reach) r ON e.{near} = r.node
        JOIN nodes n ON n.id = e.{far}
        WHERE e.relation = 'builds_on' ORDER BY e.seq"""


def _tree(db: sqlite3.Connection, node: str, *, forward: bool, max_depth: int | None) -> dict:
    data = _node(db, node)
    root = {
        "node": str(data.get("label", node)),
        "kind": data.get("kind", ""),
        "year": data.get("year_min"),
        "year_max": data.get("year_max"),
    }
    if max_depth is not None and max_depth < 1:
        return {**root, "children": []}
    near = "source" if forward else "target"
    neighbours: dict[str, list[sqlite3.Row]] = {}
    rows = db.execute(
        _reach_sql(forward, max_depth is not None), {"node": node, "depth": max_depth}
    )
    for row in rows:
        neighbours.setdefault(row[near], []).append(row)
    labels = {node: root["node"]}
    seen = {node}

    def grow(current: str, depth: int) -> list[dict]:
        if max_depth is not None and depth >= max_depth:
            return []
        branches = []
        ordered = sorted(
            neighbours.get(current, []),
            key=lambda r: (int(r["year_min"]) if r["year_min"] is not None else 9999, r["label"]),
        )
        for row in ordered:
            other = row["other"]
            if other in seen:
                continue
            seen.add(other)
            labels[other] = row["label"]
            child, parent = (current, other) if forward else (other, current)
            step = _step(row, labels[child], labels[parent], depth + 1)
            step.update(node=row["label"], kind=row["kind"], year=row["year_min"])
            step["year_max"] = row["year_max"]
            step["children"] = grow(other, depth + 1)
            branches.append(step)
        return branches

    return {**root, "children": grow(node, 0)}


def lineage(db: sqlite3.Connection, name: str, *, depth: int | None = None) -> dict:
    """What a node builds on, as a tree: its parents, their parents, and so on.

    Returns ``{"node", "kind", "year", "year_max", "children": [step, ...]}``; each step has
    ``node``, ``kind``, ``year``, ``year_max``, ``kind_of_link``, ``inferred``, ``evidence``,
    ``source``, ``depth`` and its own ``children``. Parents are ordered oldest first.
    """
    return _tree(db, find_node(db, name), forward=True, max_depth=depth)


def offspring(db: sqlite3.Connection, name: str, *, depth: int | None = None) -> dict:
    """What builds on a node, as a tree: its children, their children, and so on."""
    return _tree(db, find_node(db, name), forward=False, max_depth=depth)


def _split(value: Any, sep: str) -> list[str]:
    return [part for part in str(value or "").split(sep) if part]


def card(db: sqlite3.Connection, name: str) -> dict:
    """A node's card: kind, years, aliases, papers that introduce or mention it, neighbours."""
    node = find_node(db, name)
    data = _node(db, node)
    label = str(data.get("label", node))
    result: dict = {
        "id": node,
        "label": data.get("label", node),
        "kind": data.get("kind", ""),
        "aliases": _split(data.get("aliases"), "|"),
        "year_min": data.get("year_min"),
        "year_max": data.get("year_max"),
    }
    out = db.execute(
        """SELECT e.*, coalesce(n.label, n.id) AS other FROM edges e JOIN nodes n ON n.id = e.target
        WHERE e.source = ? ORDER BY e.seq""",
        (node,),
    ).fetchall()
    into = db.execute(
        """SELECT e.*, coalesce(n.label, n.id) AS other FROM edges e JOIN nodes n ON n.id = e.source
        WHERE e.target = ? ORDER BY e.seq""",
        (node,),
    ).fetchall()
    if data.get("kind") == "paper":
        result.update(
            title=data.get("title", ""),
            sources=_split(data.get("sources"), ";"),
            abstract=data.get("abstract", ""),
            introduces=[r["other"] for r in out if r["relation"] == "introduces"],
            mentions=[r["other"] for r in out if r["relation"] == "mentions"],
        )
    records = {"introduces": [], "mentions": []}
    for row in into:
        if row["relation"] in records:
            records[row["relation"]].append(
                {
                    "paper": row["other"],
                    "evidence": row["evidence"] or "",
                    "source": row["location"] or "",
                }
            )
    result["introduced_by"] = records["introduces"]
    result["mentioned_by"] = records["mentions"]
    result["builds_on"] = [
        _step(r, label, r["other"], 1) for r in out if r["relation"] == "builds_on"
    ]
    result["built_upon_by"] = [
        _step(r, r["other"], label, 1) for r in into if r["relation"] == "builds_on"
    ]
    return result


def _expand(db: sqlite3.Connection, frontier: list[str]) -> list[tuple[str, str, int]]:
    """(frontier node, neighbour, neighbour's degree) for every edge touching the frontier.

    Read from indexes alone (``edges_source``/``edges_target`` hold both ends and
    ``nodes_degree`` the degree), never from the wide rows that carry abstracts and evidence:
    a hub's tens of thousands of edges then cost milliseconds, not a second.
    """
    ids = json.dumps(frontier)
    # INDEXED BY: left to itself the planner takes the unique index on id and then reads
    # each neighbour's whole row for its degree.
    return db.execute(
        """SELECT e.source, e.target, n.degree FROM edges e
        JOIN nodes n INDEXED BY nodes_degree ON n.id = e.target
        WHERE e.source IN (SELECT value FROM json_each(?1))
        UNION ALL
        SELECT e.target, e.source, n.degree FROM edges e
        JOIN nodes n INDEXED BY nodes_degree ON n.id = e.source
        WHERE e.target IN (SELECT value FROM json_each(?1))""",
        (ids,),
    ).fetchall()


def _touching(db: sqlite3.Connection, node: str, others: str) -> str | None:
    """A neighbour of ``node`` among ``others`` (node ids as a JSON list), if any.

    Only the index is scanned, no row read.
    """
    row = db.execute(
        """SELECT target FROM edges WHERE source = ?1
            AND target IN (SELECT value FROM json_each(?2))
        UNION ALL SELECT source FROM edges WHERE target = ?1
            AND source IN (SELECT value FROM json_each(?2))
        LIMIT 1""",
        (node, others),
    ).fetchone()
    return None if row is None else str(row[0])


def _degree(db: sqlite3.Connection, node: str) -> int:
    return int(db.execute("SELECT degree FROM nodes WHERE id = ?", (node,)).fetchone()[0])


#: Edges one step of the path search reads at most, unless a single node has more.
_STEP_EDGES = 2000


def _cheapest_first(frontier: dict[str, int]) -> Iterator[list[str]]:
    """The frontier's nodes in batches, fewest edges first, each batch about _STEP_EDGES."""
    batch: list[str] = []
    edges = 0
    for node in sorted(frontier, key=lambda n: (frontier[n], n)):
        if batch and edges + frontier[node] > _STEP_EDGES:
            yield batch
            batch, edges = [], 0
        batch.append(node)
        edges += frontier[node]
    if batch:
        yield batch


def _shortest(db: sqlite3.Connection, start: str, end: str) -> list[str] | None:
    """A shortest undirected path, by breadth-first search from both ends.

    Each round grows the side whose frontier has fewer edges to read (the sum of its nodes'
    degrees), and reads that frontier's nodes fewest edges first, stopping at the first
    node the other side has reached. Stopping mid-round is safe: with the sides at depths
    ``a`` and ``b`` and no meeting yet, every path is at least ``a + b + 1`` long, and any
    meeting found in this round gives exactly that. So a hub concept that thousands of
    papers mention is expanded only when no cheaper node of its round meets the other side.
    """
    if start == end:
        return [start]
    sides = [{start: (None, 0)}, {end: (None, 0)}]
    frontiers = [{start: _degree(db, start)}, {end: _degree(db, end)}]
    while frontiers[0] and frontiers[1]:
        side = 0 if sum(frontiers[0].values()) <= sum(frontiers[1].values()) else 1
        mine, theirs = sides[side], sides[1 - side]
        grown: dict[str, int] = {}
        their_ids = ""  # the other side as JSON, made once a round and only if a hub asks
        for batch in _cheapest_first(frontiers[side]):
            if frontiers[side][batch[0]] > _STEP_EDGES:  # a hub: ask before reading it all
                their_ids = their_ids or json.dumps(list(theirs))
                there = _touching(db, batch[0], their_ids)
                if there is not None:
                    mine[there] = (batch[0], mine[batch[0]][1] + 1)
                    return _walk(sides[0], there)[::-1] + _walk(sides[1], there)[1:]
            for here, there, degree in _expand(db, batch):
                if there in mine:
                    continue
                mine[there] = (here, mine[here][1] + 1)
                grown[there] = degree
                if there in theirs:
                    return _walk(sides[0], there)[::-1] + _walk(sides[1], there)[1:]
        frontiers[side] = grown
    return None


def _walk(side: dict[str, tuple[str | None, int]], node: str | None) -> list[str]:
    """From ``node`` back to the side's start."""
    nodes = []
    while node is not None:
        nodes.append(node)
        node = side[node][0]
    return nodes


def path_between(db: sqlite3.Connection, source: str, target: str) -> list[dict]:
    """The shortest chain of edges linking two nodes, in either direction.

    Returns one record per edge, ``{"from", "to", "relation", "forward", "evidence",
    "source"}`` where ``forward`` tells whether the edge points along the path.

    Raises
    ------
    ConceptNotFound
        A name is unknown.
    KgError
        The nodes are not connected.
    """
    start, end = find_node(db, source), find_node(db, target)
    nodes = _shortest(db, start, end)

    def label(node: str) -> str:
        return str(_node(db, node).get("label", node))

    if nodes is None:
        raise KgError(f"no path between {label(start)!r} and {label(end)!r}")
    steps = []
    for a, b in itertools.pairwise(nodes):
        row = db.execute("SELECT * FROM edges WHERE source = ? AND target = ?", (a, b)).fetchone()
        forward = row is not None
        if row is None:
            row = db.execute(
                "SELECT * FROM edges WHERE source = ? AND target = ?", (b, a)
            ).fetchone()
        steps.append(
            {
                "from": label(a),
                "to": label(b),
                "relation": row["relation"] or "",
                "forward": forward,
                "evidence": row["evidence"] or "",
                "source": row["location"] or "",
            }
        )
    return steps


def neighbourhood(db: sqlite3.Connection, node: str, depth: int = 2) -> nx.DiGraph:
    """The nodes within ``depth`` steps of ``node`` (either direction), as a new graph."""
    import networkx as nx

    seen, frontier = {node}, [node]
    for _ in range(depth):
        frontier = [b for _, b, _ in _expand(db, frontier) if b not in seen and not seen.add(b)]
        if not frontier:
            break
    ids = json.dumps(sorted(seen))
    graph = nx.DiGraph()
    for row in db.execute(
        "SELECT * FROM nodes WHERE id IN (SELECT value FROM json_each(?)) ORDER BY seq", (ids,)
    ):
        graph.add_node(row["id"], **node_data(row))
    for row in db.execute(
        """SELECT * FROM edges WHERE source IN (SELECT value FROM json_each(?1))
        AND target IN (SELECT value FROM json_each(?1)) ORDER BY seq""",
        (ids,),
    ):
        graph.add_edge(row["source"], row["target"], **edge_data(row))
    return graph


def search(db: sqlite3.Connection, text: str, *, limit: int = 20) -> list[dict]:
    """Nodes whose name, alias, title or abstract contains ``text`` (case-insensitive).

    Name matches come first, then by how many papers name the concept. Found through the
    FTS5 index (substrings of three characters or more); each hit carries a ``snippet`` of
    the text that matched, the match in ``[...]``.
    """
    folded = fold(text)
    if len(text) < 3:  # too short for the trigram index: read every node
        return _scan(db, text, limit)
    phrase = '"' + text.replace('"', '""') + '"'
    order = """ORDER BY (SELECT folded FROM aliases WHERE node = n.id AND rank = 0) IS NOT ?,
        -coalesce(n.papers, 0), coalesce(n.label, n.id), n.seq LIMIT ?"""
    select = """SELECT n.seq, n.id, coalesce(n.label, n.id) AS label,
        coalesce(n.kind, '') AS kind, coalesce(n.papers, 0) AS papers
        FROM search s JOIN nodes n ON n.seq = s.rowid WHERE search MATCH ?"""
    named = db.execute(f"{select} {order}", (f"names : {phrase}", folded, limit)).fetchall()
    rows = [(row, "name") for row in named]
    if len(rows) < limit:
        seen = {row["seq"] for row in named}
        more = db.execute(
            f"{select} {order}", (f"abstract : {phrase}", folded, limit + len(named))
        ).fetchall()
        rows += [(row, "abstract") for row in more if row["seq"] not in seen]
    hits = [
        {
            "id": row["id"],
            "label": row["label"],
            "kind": row["kind"],
            "papers": int(row["papers"] or 0),
            "matched": matched,
            "_seq": row["seq"],
        }
        for row, matched in rows
    ]
    return _with_snippets(db, hits[:limit], text)


def _scan(db: sqlite3.Connection, text: str, limit: int) -> list[dict]:
    wanted = text.lower()
    hits = []
    for row in db.execute(
        """SELECT n.seq, n.id, coalesce(n.label, n.id) AS label, coalesce(n.kind, '') AS kind,
        coalesce(n.papers, 0) AS papers, s.names, s.abstract
        FROM search s JOIN nodes n ON n.seq = s.rowid ORDER BY n.seq"""
    ):
        in_name = wanted in row["names"].lower()
        if in_name or wanted in str(row["abstract"] or "").lower():
            hit = {k: row[k] for k in ("id", "label", "kind", "papers")}
            hits.append({**hit, "matched": "name" if in_name else "abstract", "_seq": row["seq"]})
    hits.sort(
        key=lambda h: (
            h["matched"] != "name",
            fold(h["label"]) != fold(text),
            -h["papers"],
            h["label"],
        )
    )
    return _with_snippets(db, hits[:limit], text)


def _with_snippets(db: sqlite3.Connection, hits: list[dict], text: str) -> list[dict]:
    for hit in hits:
        seq = hit.pop("_seq")
        column = "names" if hit["matched"] == "name" else "abstract"
        hit["snippet"] = _snippet(db, seq, column, text)
    return hits


def _snippet(db: sqlite3.Connection, seq: int, column: str, text: str, width: int = 60) -> str:
    (value,) = db.execute(f"SELECT {column} FROM search WHERE rowid = ?", (seq,)).fetchone()
    value = " ".join(str(value or "").split())
    at = value.lower().find(text.lower())
    if at < 0:
        return value[:width]
    start, stop = max(0, at - width // 2), at + len(text)
    head = ("…" if start else "") + value[start:at]
    tail = value[stop : stop + width // 2] + ("…" if stop + width // 2 < len(value) else "")
    return f"{head}[{value[at:stop]}]{tail}"


def stats(db: sqlite3.Connection, *, top: int = 10) -> dict:
    """Counts by kind and relation, most-mentioned concepts, biggest lineage trees.

    The trees are those of concept roots (a concept that builds on nothing), each root once,
    sized by how many nodes build on it; ``kg build`` counts them into ``lineage_trees``,
    and the nodes and edges into ``counts``.
    """
    counts: dict[str, dict[str, int]] = {"nodes": {}, "edges": {}, "builds_on_explicit": {}}
    for what, key, count in db.execute("SELECT what, key, count FROM counts ORDER BY what, key"):
        counts[what][key] = count
    kinds, relations = counts["nodes"], counts["edges"]
    nodes, edges = sum(kinds.values()), sum(relations.values())
    explicit = counts["builds_on_explicit"].get("", 0)
    mentioned = db.execute(
        """SELECT coalesce(label, id) AS label, kind, coalesce(papers, 0) AS papers FROM nodes
        WHERE kind IS NOT 'paper' ORDER BY papers DESC, label, seq LIMIT ?""",
        (top,),
    ).fetchall()
    trees = db.execute(
        """SELECT label, max(size) AS size FROM lineage_trees GROUP BY label
        ORDER BY -max(size), label LIMIT ?""",
        (top,),
    ).fetchall()
    return {
        "nodes": nodes,
        "edges": edges,
        "nodes_by_kind": kinds,
        "edges_by_relation": relations,
        "builds_on_explicit": explicit,
        "builds_on_inferred": relations.get("builds_on", 0) - explicit,
        "most_mentioned": [
            {"label": r["label"], "kind": r["kind"], "papers": int(r["papers"])} for r in mentioned
        ],
        "biggest_lineage_trees": [{"root": r["label"], "size": r["size"]} for r in trees],
    }
