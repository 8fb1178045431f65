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
import tempfile
from collections.abc import Callable
from pathlib import Path

import networkx as nx

from kg.errors import OutputError

__all__ = [
    "KIND_COLOURS",
    "layout",
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


def _check_flat(graph: nx.DiGraph) -> None:
    """GraphML holds scalars only; a list or None would be written as its Python repr."""
    for _, data in graph.nodes(data=True):
        for key, value in data.items():
            if value is None or isinstance(value, list | tuple | set | dict):
                raise ValueError(
                    f"node attribute {key!r} is {type(value).__name__}; flatten it first"
                )
    for _, _, data in graph.edges(data=True):
        for key, value in data.items():
            if value is None or isinstance(value, list | tuple | set | dict):
                raise ValueError(
                    f"edge attribute {key!r} is {type(value).__name__}; flatten it first"
                )


def write_graphml(graph: nx.DiGraph, path: str | Path) -> Path:
    """Write GraphML with named key ids, so Gephi reads ``label`` as the node label.

    With NetworkX's default ids (``d0``, ``d1`` ...) Gephi takes whatever attribute gets the
    id ``d3`` as every node's label; with named ids the key ``label`` is the label.

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
    _check_flat(graph)
    return _atomic(Path(path), lambda tmp: nx.write_graphml_xml(graph, tmp, named_key_ids=True))


def write_json(graph: nx.DiGraph, path: str | Path) -> Path:
    """Write node-link JSON (``networkx.node_link_data``, edges under ``"edges"``)."""
    data = nx.node_link_data(graph, edges="edges")
    return _atomic(
        Path(path),
        lambda tmp: Path(tmp).write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8"),
    )


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
            dx = x[start : start + chunk, None] - x[None, :]
            dy = y[start : start + chunk, None] - y[None, :]
            # Repulsion delta / d * k² / d: the squared distance is enough, no square root.
            squared = dx * dx + dy * dy
            np.maximum(squared, np.float32(1e-4), out=squared)
            push = k_squared / squared
            move_x[start : start + chunk] += (dx * push).sum(axis=1)
            move_y[start : start + chunk] += (dy * push).sum(axis=1)
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


def write_gexf(
    graph: nx.DiGraph,
    path: str | Path,
    *,
    positions: dict[str, tuple[float, float]] | None = None,
) -> Path:
    """Write GEXF 1.2 with ``viz`` colour, size and position, so Gephi opens it laid out.

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
    _check_flat(graph)
    positions = positions if positions is not None else layout(graph)
    copy = graph.copy()
    for node, data in copy.nodes(data=True):
        colour = KIND_COLOURS.get(data.get("kind", "paper"), "#999999")
        x, y = positions.get(node, (0.0, 0.0))
        data["viz"] = {
            "color": {
                "r": int(colour[1:3], 16),
                "g": int(colour[3:5], 16),
                "b": int(colour[5:7], 16),
                "a": 1.0,
            },
            "size": float(4 + 3 * math.sqrt(copy.degree(node))),
            "position": {"x": x, "y": y, "z": 0.0},
        }
    return _atomic(Path(path), lambda tmp: nx.write_gexf(copy, tmp, version="1.2draft"))


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
    except OSError as error:
        _remove(tmp)
        raise OutputError(str(path), error.strerror or str(error)) from error
    except BaseException:
        _remove(tmp)
        raise
    return tmp


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
