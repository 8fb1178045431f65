"""Shared fixtures: the pipeline is built once per session from spacy.blank("en")."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.extract import build_pipeline

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def nlp():
    return build_pipeline()


@pytest.fixture(scope="session")
def seeds_graph(tmp_path_factory):
    """``kg build`` on seeds/ once, read back from its GraphML."""
    import networkx as nx
    from click.testing import CliRunner

    from kg.cli import main

    out = tmp_path_factory.mktemp("seeds-build")
    result = CliRunner().invoke(main, ["build", str(SEEDS), "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return nx.read_graphml(out / "graph.graphml"), out
