"""Outputs round-trip: GraphML (networkx, igraph, Gephi's label rule), GEXF, node-link JSON."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

import networkx as nx
import pytest

from kg.errors import OutputError
from kg.export import write_gexf, write_graphml, write_json, write_outputs

GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"


@pytest.fixture(scope="module")
def built(seeds_graph):
    graph, out = seeds_graph
    return graph, out


def test_graphml_round_trips_through_networkx(built, tmp_path):
    graph, _ = built
    path = write_graphml(graph, tmp_path / "again.graphml")
    again = nx.read_graphml(path)
    assert set(again.nodes) == set(graph.nodes)
    assert set(again.edges) == set(graph.edges)
    for node in list(graph.nodes)[:200]:
        assert again.nodes[node] == graph.nodes[node]
    for edge in list(graph.edges)[:200]:
        assert again.edges[edge] == graph.edges[edge]


def test_graphml_declares_every_attribute_with_a_named_key_gephi_reads_as_label(built):
    _, out = built
    root = ET.parse(out / "graph.graphml").getroot()
    keys = {(k.get("for"), k.get("attr.name")): k for k in root.iter(f"{GRAPHML}key")}
    ids = [k.get("id") for k in keys.values()]
    assert len(ids) == len(set(ids))
    # Gephi maps key id "d3" to the node label and "d7" to the edge label before it reads
    # attribute names; with named ids the node label is the key called "label".
    assert "d3" not in ids and "d7" not in ids
    assert keys[("node", "label")].get("id") == "label"
    assert {k.get("attr.type") for k in keys.values()} <= {
        "string",
        "int",
        "boolean",
        "double",
        "long",
    }
    assert keys[("node", "year_min")].get("attr.type") in ("int", "long")
    assert keys[("edge", "inferred")].get("attr.type") == "boolean"
    # Every node has a label; no value is a Python None or list repr.
    for node in root.iter(f"{GRAPHML}node"):
        values = {d.get("key"): d.text or "" for d in node.iter(f"{GRAPHML}data")}
        assert values.get("label")
        assert not any(v in ("None", "[]") or v.startswith("['") for v in values.values())


def test_graphml_reads_with_igraph(built):
    igraph = pytest.importorskip("igraph")
    graph, out = built
    again = igraph.Graph.Read_GraphML(str(out / "graph.graphml"))
    assert again.vcount() == graph.number_of_nodes()
    assert again.ecount() == graph.number_of_edges()
    assert again.is_directed()
    assert set(again.vs["label"]) == {d["label"] for _, d in graph.nodes(data=True)}
    assert set(again.es["relation"]) == {"introduces", "mentions", "builds_on"}


def test_gexf_round_trips_with_layout_and_colour(built, tmp_path):
    graph, _ = built
    path = write_gexf(graph, tmp_path / "g.gexf")
    again = nx.read_gexf(path)
    assert again.number_of_nodes() == graph.number_of_nodes()
    assert again.number_of_edges() == graph.number_of_edges()
    node, data = next(iter(again.nodes(data=True)))
    assert set(data["viz"]) >= {"color", "size", "position"}
    assert data["label"] == graph.nodes[node]["label"]
    text = path.read_text("utf-8")
    assert 'version="1.2"' in text


def test_node_link_json_round_trips(built, tmp_path):
    graph, _ = built
    path = write_json(graph, tmp_path / "g.json")
    data = json.loads(path.read_text("utf-8"))
    again = nx.node_link_graph(data, edges="edges", source="from", target="to")
    assert again.number_of_nodes() == graph.number_of_nodes()
    assert set(again.edges) == set(graph.edges)
    edge = next(iter(graph.edges))
    assert again.edges[edge] == graph.edges[edge]  # "source" (FILE:LINE) survives


def test_lists_and_none_are_refused_before_writing(tmp_path):
    graph = nx.DiGraph()
    graph.add_node("a", label="A", aliases=["x", "y"])
    with pytest.raises(ValueError, match="aliases"):
        write_graphml(graph, tmp_path / "bad.graphml")
    assert not list(tmp_path.iterdir())


def test_outputs_appear_whole_or_not_at_all(tmp_path):
    graph = nx.DiGraph()
    graph.add_node("a", label="A")
    (tmp_path / "one.txt").write_text("previous")

    def fine(g, path):
        with open(path, "w") as handle:
            handle.write("new")

    def broken(g, path):
        with open(path, "w") as handle:
            handle.write("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match="No space left on device"):
        write_outputs(graph, tmp_path, writers={"one.txt": fine, "two.txt": broken})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.txt"]
    assert (tmp_path / "one.txt").read_text() == "previous"


def test_output_files_get_the_usual_permissions(built):
    _, out = built
    mask = os.umask(0)
    os.umask(mask)
    for path in out.iterdir():
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask, path.name


def test_the_drawn_part_keeps_the_graphs_order_whatever_the_hash_seed(tmp_path):
    """A networkx subgraph of few nodes iterates them in set order, which changes with
    PYTHONHASHSEED; graph.html was then different on every run."""
    import subprocess
    import sys

    code = (
        "import networkx as nx\n"
        "from kg.viewer import neighbourhood, select_nodes\n"
        "G = nx.DiGraph()\n"
        "for i in range(300):\n"
        "    G.add_edge(f'n{i}', f'n{(i * 7) % 300}', relation='mentions')\n"
        "G.add_edges_from((f'n{i}', 'hub') for i in range(0, 300, 3))\n"
        "print(list(select_nodes(G, 40)), list(select_nodes(G, 40).edges))\n"
        "print(list(neighbourhood(G, 'n5', 1)))\n"
    )
    runs = {
        seed: subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(set(runs.values())) == 1
    graph_order = runs["1"].splitlines()[0]
    assert graph_order.startswith("['n0',")
