"""Write the graph to files: GraphML (Gephi, igraph), GEXF 1.2 (Gephi, laid out and
coloured), node-link JSON (scripts) and the HTML map (see :mod:`kg.viewer`).

Takes a graph from :func:`kg.graph.build_graph`; writes files and returns their paths. Every
file appears whole or not at all: it is written to a temporary file in the target folder and
renamed over the old one only when everything written in the same call succeeded. It does not
change the graph it is given.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TextIO
from xml.sax.saxutils import escape, quoteattr

import networkx as nx

from kg.errors import OutputError

__all__ = [
    "KIND_COLOURS",
    "gexf_to",
    "graphml_to",
    "json_to",
    "layout",
    "staged",
    "write_gexf",
    "write_graphml",
    "write_json",
    "write_outputs",
]

#: One colour per kind, shared by the HTML legend and the GEXF file.
KIND_COLOURS = {
    "paper": "#9aa5b1",
    "model": "#e4572e",
    "method": "#2e86ab",
    "benchmark": "#f3a712",
    "dataset": "#5b8e7d",
    "metric": "#a23b72",
    "task": "#6c5b7b",
    "org": "#3b3b58",
}
#: Above this many nodes the layout is a cheap ring per kind instead of a force layout,
#: which costs O(n²) per step.
MAX_FORCE_LAYOUT_NODES = 3000


# Characters XML 1.0 does not allow, even escaped; input text should not carry them, but a
# graph built by hand might.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TYPES = ((bool, "boolean"), (int, "int"), (float, "double"), (str, "string"))


def _attribute_types(items: Iterable[dict]) -> dict[str, str]:
    """Each attribute's GraphML type, checking that every value is a scalar.

    Raises
    ------
    ValueError
        A value is None, a list or another container: GraphML would hold its Python repr.
    """
    types: dict[str, str] = {}
    for data in items:
        for key, value in data.items():
            kind = next((name for cls, name in _TYPES if isinstance(value, cls)), None)
            if kind is None:
                raise ValueError(f"attribute {key!r} is {type(value).__name__}; flatten it first")
            if types.get(key, kind) != kind:
                kind = "string" if "string" in (kind, types[key]) else "double"
            types[key] = kind
    return types


def _xml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(_NOT_XML.sub("", str(value)))


def _xml_attr(value: object) -> str:
    return quoteattr(_NOT_XML.sub("", str(value)))


def graphml_to(graph: nx.DiGraph, path: str | Path) -> None:
    """Write GraphML, one element at a time (no document tree in memory).

    Key ids are the attribute names: Gephi's importer takes the key with id ``d3`` as the
    node label (and ``d7`` as the edge label) before it looks at attribute names, so with
    NetworkX's numbered ids another attribute would label every node. Node and edge
    attributes never share a name, so named ids are unique.
    """
    node_types = _attribute_types(data for _, data in graph.nodes(data=True))
    edge_types = _attribute_types(data for _, _, data in graph.edges(data=True))
    shared = set(node_types) & set(edge_types)
    if shared:
        raise ValueError(f"node and edge attributes share names {sorted(shared)}; rename one")
    with open(path, "w", encoding="utf-8") as out:
        out.write(
            "<?xml version='1.0' encoding='utf-8'?>\n"
            '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
            'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
        )
        for scope, types in (("node", node_types), ("edge", edge_types)):
            for name, kind in types.items():
                out.write(
                    f'  <key id={_xml_attr(name)} for="{scope}" attr.name={_xml_attr(name)} '
                    f'attr.type="{kind}" />\n'
                )
        out.write('  <graph edgedefault="directed">\n')
        for node, data in graph.nodes(data=True):
            out.write(f"    <node id={_xml_attr(node)}>\n")
            for key, value in data.items():
                out.write(f"      <data key={_xml_attr(key)}>{_xml(value)}</data>\n")
            out.write("    </node>\n")
        for child, parent, data in graph.edges(data=True):
            out.write(f"    <edge source={_xml_attr(child)} target={_xml_attr(parent)}>\n")
            for key, value in data.items():
                out.write(f"      <data key={_xml_attr(key)}>{_xml(value)}</data>\n")
            out.write("    </edge>\n")
        out.write("  </graph>\n</graphml>\n")


def write_graphml(graph: nx.DiGraph, path: str | Path) -> Path:
    """Write GraphML atomically (see :func:`graphml_to`).

    Parameters
    ----------
    graph : networkx.DiGraph
    path : str or Path

    Returns
    -------
    Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> G = nx.DiGraph()
    >>> G.add_node("a", label="A", kind="model"); G.add_node("b", label="B", kind="model")
    >>> G.add_edge("a", "b", relation="x")
    >>> path = write_graphml(G, pathlib.Path(tempfile.mkdtemp()) / "g.graphml")
    >>> sorted(nx.read_graphml(path).nodes(data="label"))
    [('a', 'A'), ('b', 'B')]
    """
    return _atomic(Path(path), lambda tmp: graphml_to(graph, tmp))


def json_to(graph: nx.DiGraph, path: str | Path) -> None:
    """Write node-link JSON, one record at a time.

    The format of ``networkx.node_link_data(G, edges="edges", source="from", target="to")``:
    an edge's ends are ``from`` and ``to`` because ``source`` is an edge attribute (the
    ``FILE:LINE`` of its evidence). Read it back with
    ``networkx.node_link_graph(data, edges="edges", source="from", target="to")``.
    """
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"directed": true, "multigraph": false, "graph": {},\n"nodes": [\n')
        for index, (node, data) in enumerate(graph.nodes(data=True)):
            out.write(("," if index else "") + json.dumps({"id": node, **data}, ensure_ascii=False))
            out.write("\n")
        out.write('],\n"edges": [\n')
        for index, (child, parent, data) in enumerate(graph.edges(data=True)):
            record = {"from": child, "to": parent, **data}
            out.write(("," if index else "") + json.dumps(record, ensure_ascii=False) + "\n")
        out.write("]}\n")


def write_json(graph: nx.DiGraph, path: str | Path) -> Path:
    """Write node-link JSON atomically (see :func:`json_to`)."""
    return _atomic(Path(path), lambda tmp: json_to(graph, tmp))


def layout(graph: nx.DiGraph, *, seed: int = 7) -> dict[str, tuple[float, float]]:
    """Node positions for a drawing: a force layout, or rings by kind for big graphs.

    Returns
    -------
    dict
        ``{node: (x, y)}`` scaled to about ±1000.

    Examples
    --------
    >>> G = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> sorted(layout(G))
    ['a', 'b', 'c']
    """
    if graph.number_of_nodes() == 0:
        return {}
    if graph.number_of_nodes() <= MAX_FORCE_LAYOUT_NODES:
        return _force_layout(graph, seed=seed)
    positions: dict[str, tuple[float, float]] = {}
    by_kind: dict[str, list[str]] = {}
    for node, kind in graph.nodes(data="kind", default="paper"):
        by_kind.setdefault(kind, []).append(node)
    for ring, (_kind, nodes) in enumerate(sorted(by_kind.items(), key=lambda item: -len(item[1]))):
        nodes.sort(key=lambda n: -graph.degree(n))
        radius = 300 + 250 * ring
        for index, node in enumerate(nodes):
            angle = 2 * math.pi * index / len(nodes)
            # Spiral inward by degree so the best-connected nodes sit on the ring itself.
            spread = radius * (1 + 0.3 * index / len(nodes))
            positions[node] = (spread * math.cos(angle), spread * math.sin(angle))
    return positions


def _force_layout(
    graph: nx.DiGraph, *, seed: int, iterations: int = 50
) -> dict[str, tuple[float, float]]:
    """Fruchterman & Reingold (1991) in NumPy, rows in chunks so memory stays O(n · chunk).

    Nodes repel with force k²/d and edges attract with d²/k, where k = √(area / n); the step
    size cools linearly to zero. (NetworkX's version needs SciPy above 500 nodes.)
    """
    import numpy as np

    nodes = list(graph.nodes)
    count = len(nodes)
    index = {node: i for i, node in enumerate(nodes)}
    rng = np.random.default_rng(seed)
    position = rng.random((count, 2), dtype=np.float32)
    pairs = [(index[u], index[v]) for u, v in graph.edges if u != v]
    edges = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    k_squared = np.float32(1.0 / count)
    chunk = 1024
    x, y = position[:, 0].copy(), position[:, 1].copy()
    for step in range(iterations):
        temperature = 0.1 * (1 - step / iterations)
        move_x = np.zeros(count, dtype=np.float32)
        move_y = np.zeros(count, dtype=np.float32)
        # x and y apart: reductions over an (n, n, 2) array are ten times slower.
        for start in range(0, count, chunk):
            dx = np.subtract.outer(x[start : start + chunk], x)
            dy = np.subtract.outer(y[start : start + chunk], y)
            # Repulsion delta / d * k² / d: the squared distance is enough, no square root.
            # In place and through einsum, to spare three (chunk, n) temporaries a step.
            push = np.multiply(dx, dx)
            push += dy * dy
            np.maximum(push, np.float32(1e-4), out=push)
            np.divide(k_squared, push, out=push)
            move_x[start : start + chunk] += np.einsum("ij,ij->i", dx, push)
            move_y[start : start + chunk] += np.einsum("ij,ij->i", dy, push)
        if len(edges):
            dx = x[edges[:, 0]] - x[edges[:, 1]]
            dy = y[edges[:, 0]] - y[edges[:, 1]]
            pull = np.sqrt(dx * dx + dy * dy) / np.sqrt(k_squared)
            np.add.at(move_x, edges[:, 0], -dx * pull)
            np.add.at(move_x, edges[:, 1], dx * pull)
            np.add.at(move_y, edges[:, 0], -dy * pull)
            np.add.at(move_y, edges[:, 1], dy * pull)
        length = np.maximum(np.sqrt(move_x * move_x + move_y * move_y), np.float32(1e-4))
        step_size = np.minimum(length, temperature) / length
        x += move_x * step_size
        y += move_y * step_size
    position = np.stack([x, y], axis=1)
    position -= position.mean(axis=0)
    scale = float(np.abs(position).max()) or 1.0
    position = position / scale * 1000
    return {node: (float(position[i, 0]), float(position[i, 1])) for node, i in index.items()}


def gexf_to(
    graph: nx.DiGraph,
    path: str | Path,
    *,
    positions: dict[str, tuple[float, float]] | None = None,
) -> None:
    """Write GEXF 1.2 with ``viz`` colour, size and position, one element at a time.

    Gephi opens it laid out (positions from :func:`layout` unless given) and coloured by kind
    (:data:`KIND_COLOURS`); node size grows with degree.
    """
    positions = positions if positions is not None else layout(graph)
    node_types = _attribute_types(data for _, data in graph.nodes(data=True))
    edge_types = _attribute_types(data for _, _, data in graph.edges(data=True))
    gexf_types = {"boolean": "boolean", "int": "integer", "double": "double", "string": "string"}
    node_ids = {name: str(i) for i, name in enumerate(node_types)}
    edge_ids = {name: str(i) for i, name in enumerate(edge_types)}
    with open(path, "w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<gexf xmlns="http://www.gexf.net/1.2draft" '
            'xmlns:viz="http://www.gexf.net/1.2draft/viz" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="http://www.gexf.net/1.2draft '
            'http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">\n'
            "  <meta><creator>kg</creator></meta>\n"
            '  <graph defaultedgetype="directed" mode="static" name="">\n'
        )
        for scope, types, ids in (("node", node_types, node_ids), ("edge", edge_types, edge_ids)):
            out.write(f'    <attributes mode="static" class="{scope}">\n')
            for name, kind in types.items():
                out.write(
                    f'      <attribute id="{ids[name]}" title={_xml_attr(name)} '
                    f'type="{gexf_types[kind]}" />\n'
                )
            out.write("    </attributes>\n")
        out.write("    <nodes>\n")
        for node, data in graph.nodes(data=True):
            colour = KIND_COLOURS.get(str(data.get("kind", "paper")), "#999999")
            r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
            x, y = positions.get(node, (0.0, 0.0))
            size = 4 + 3 * math.sqrt(graph.degree(node))
            label = data.get("label", node)
            out.write(f"      <node id={_xml_attr(node)} label={_xml_attr(label)}>\n")
            _gexf_values(out, data, node_ids)
            out.write(
                f'        <viz:color r="{r}" g="{g}" b="{b}" a="1.0" />\n'
                f'        <viz:size value="{size:.2f}" />\n'
                f'        <viz:position x="{x:.2f}" y="{y:.2f}" z="0.0" />\n'
                "      </node>\n"
            )
        out.write("    </nodes>\n    <edges>\n")
        for index, (child, parent, data) in enumerate(graph.edges(data=True)):
            out.write(
                f'      <edge source={_xml_attr(child)} target={_xml_attr(parent)} id="{index}">\n'
            )
            _gexf_values(out, data, edge_ids)
            out.write("      </edge>\n")
        out.write("    </edges>\n  </graph>\n</gexf>\n")


def _gexf_values(out: TextIO, data: dict, ids: dict[str, str]) -> None:
    if not data:
        return
    out.write("        <attvalues>\n")
    for key, value in data.items():
        out.write(f'          <attvalue for="{ids[key]}" value={_xml_attr(_plain(value))} />\n')
    out.write("        </attvalues>\n")


def _plain(value: object) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def write_gexf(
    graph: nx.DiGraph,
    path: str | Path,
    *,
    positions: dict[str, tuple[float, float]] | None = None,
) -> Path:
    """Write GEXF 1.2 atomically (see :func:`gexf_to`).

    Parameters
    ----------
    graph : networkx.DiGraph
    path : str or Path
    positions : dict, optional
        From :func:`layout`; computed when not given.

    Returns
    -------
    Path
    """
    return _atomic(Path(path), lambda tmp: gexf_to(graph, tmp, positions=positions))


def _atomic(path: Path, write: Callable[[str], object]) -> Path:
    """Write through a temporary file next to ``path`` and rename it into place."""
    staged = _stage(path, write)
    _commit([(staged, path)])
    return path


def _stage(path: Path, write: Callable[[str], object]) -> str:
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        os.close(handle)
    except OSError as error:
        raise OutputError(str(path), error.strerror or str(error)) from error
    try:
        write(tmp)
        # mkstemp makes the file private (0600); an output file gets the usual permissions.
        os.chmod(tmp, 0o666 & ~_umask())
    except OSError as error:
        _remove(tmp)
        raise OutputError(str(path), error.strerror or str(error)) from error
    except BaseException:
        _remove(tmp)
        raise
    return tmp


@contextlib.contextmanager
def staged(path: str | Path) -> Iterator[str]:
    """A temporary file next to ``path`` for a writer that cannot go through
    :func:`write_outputs` (it writes before the others can start); removed on exit unless it
    was moved away.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with staged(folder / "graph.db") as tmp:
    ...     Path(tmp).parent == folder
    True
    >>> list(folder.iterdir())
    []
    """
    tmp = _stage(Path(path), lambda _: None)
    try:
        yield tmp
    finally:
        _remove(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _commit(staged: list[tuple[str, Path]]) -> None:
    try:
        for tmp, path in staged:
            os.replace(tmp, path)
    except OSError as error:
        for tmp, _ in staged:
            _remove(tmp)
        raise OutputError(str(staged[0][1].parent), error.strerror or str(error)) from error


def _remove(tmp: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)


def write_outputs(
    graph: nx.DiGraph,
    folder: str | Path,
    *,
    writers: dict[str, Callable[[nx.DiGraph, str], object]],
) -> list[Path]:
    """Write several files into ``folder``, all or none.

    Each file is staged as a temporary file first; only when every writer has succeeded are
    they renamed into place, so a failure leaves the folder as it was.

    Parameters
    ----------
    graph : networkx.DiGraph
    folder : str or Path
    writers : dict
        ``{file name: writer(graph, temporary path)}``.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    OutputError
        A file could not be written; nothing in ``folder`` was replaced.
    """
    folder = Path(folder)
    staged: list[tuple[str, Path]] = []
    try:
        for name, writer in writers.items():
            target = folder / name
            staged.append((_stage(target, lambda tmp, w=writer: w(graph, tmp)), target))
    except BaseException:
        for tmp, _ in staged:
            _remove(tmp)
        raise
    _commit(staged)
    return [path for _, path in staged]
