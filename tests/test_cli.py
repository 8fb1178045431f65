"""Every query command through CliRunner, on the graph built from the seeds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def graph_file(seeds_graph):
    return str(seeds_graph[1] / "graph.graphml")


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def ancestors(tree: dict) -> list[str]:
    found = []
    for step in tree["children"]:
        found.append(step["node"])
        found += ancestors(step)
    return found


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("RoBERTa", {"BERT", "Transformer"}),
        ("QLoRA", {"LoRA"}),
        ("Mixtral", {"Mistral 7B"}),
        ("Llemma", {"Code Llama", "Llama 2"}),
        ("DiT", {"Vision Transformer"}),
    ],
)
def test_lineage_finds_the_ancestors_the_pages_state(graph_file, name, expected):
    result = run("lineage", name, "--graph", graph_file, "--json")
    assert result.exit_code == 0, result.output
    tree = json.loads(result.output)
    assert expected <= set(ancestors(tree))


def test_lineage_steps_carry_link_evidence_and_source(graph_file):
    tree = json.loads(run("lineage", "roberta", "--graph", graph_file, "--json").output)
    step = next(s for s in tree["children"] if s["node"] == "BERT")
    assert step["kind_of_link"] == "improves"
    assert "undertrained" in step["evidence"]
    assert re.fullmatch(r"\d{3}_[0-9a-f]+\.txt:\d+", step["source"])


def test_lineage_text_is_a_tree(graph_file):
    result = run("lineage", "RoBERTa", "--graph", graph_file, "--depth", "1")
    assert result.exit_code == 0
    assert result.output.splitlines()[0].startswith("RoBERTa [model]")
    assert "└── BERT [model]" in result.output or "├── BERT [model]" in result.output


def test_descendants_of_transformer(graph_file):
    result = run("lineage", "Transformer", "--descendants", "--graph", graph_file, "--json")
    assert result.exit_code == 0
    grown = set(ancestors(json.loads(result.output)))
    assert {"BERT", "Vision Transformer"} <= grown
    assert len(grown) >= 10


def test_show_card(graph_file):
    card = json.loads(run("show", "low-rank adaptation", "--graph", graph_file, "--json").output)
    assert card["label"] == "LoRA" and card["kind"] == "method"
    assert card["introduced_by"] and card["mentioned_by"]
    text = run("show", "LoRA", "--graph", graph_file).output
    assert text.startswith("LoRA [method")


def test_path_between_two_concepts(graph_file):
    steps = json.loads(run("path", "QLoRA", "Transformer", "--graph", graph_file, "--json").output)
    assert steps[0]["from"] == "QLoRA" and steps[-1]["to"] == "Transformer"


def test_search(graph_file):
    hits = json.loads(run("search", "diffusion", "--graph", graph_file, "--json").output)
    assert hits[0]["label"] == "diffusion models"
    matched = [h["matched"] for h in hits]
    assert matched == sorted(matched, key=lambda m: m != "name")


def test_stats(graph_file):
    data = json.loads(run("stats", "--graph", graph_file, "--json").output)
    assert data["nodes_by_kind"]["paper"] > 200
    assert data["builds_on_explicit"] > 0 and data["builds_on_inferred"] > 0
    assert data["most_mentioned"][0]["papers"] >= data["most_mentioned"][-1]["papers"]


def test_html_for_one_neighbourhood(graph_file, tmp_path):
    target = tmp_path / "mixtral.html"
    result = run("html", "Mixtral", "--depth", "1", "--graph", graph_file, "-o", str(target))
    assert result.exit_code == 0, result.output
    assert "Mixtral" in target.read_text("utf-8")


def test_unknown_name_suggests_and_exits_1(graph_file):
    result = run("lineage", "Robertta", "--graph", graph_file)
    assert result.exit_code == 1
    assert result.output.startswith("Error: no concept named 'Robertta'. Did you mean: RoBERTa")
    assert "Traceback" not in result.output


def test_missing_graph_file_is_one_line(tmp_path):
    result = run("stats", "--graph", str(tmp_path / "none.graphml"))
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {tmp_path / 'none.graphml'}: no such graph file. Build it first with: kg build\n"
    )


def test_every_command_has_help_with_an_example_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text("utf-8")
    for name in main.commands:
        result = run(name, "--help")
        assert result.exit_code == 0
        assert "Example:" in result.output, name
        assert f"kg {name}" in readme, name
