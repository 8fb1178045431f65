"""End to end: ``kg build`` on the seed pages, read back with networkx."""

from __future__ import annotations

from click.testing import CliRunner

from kg.cli import main

from .conftest import SEEDS


def test_build_on_seeds_prints_a_line_per_file_and_writes_all_outputs(tmp_path):
    result = CliRunner().invoke(main, ["build", str(SEEDS), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert (
        "000_8620321c7bf03104.txt: 98 entries (page says 98 papers); skipped 1 line: 1 chrome"
        in lines
    )
    assert (
        "001_26b34721f3c34067.txt: 24 entries (page says 24 papers); "
        "skipped 2 lines: 1 chrome, 1 noise" in lines
    )
    assert "002_1e4f734bca79940f.txt: 46 entries; skipped 16 lines: 2 chrome, 14 heading" in lines
    assert "003_57115e719641a175.txt: 119 entries; skipped 2 lines: 2 chrome" in lines
    assert "warning: 001_26b34721f3c34067.txt:23: dropped a line" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "graph.db",
        "graph.gexf",
        "graph.graphml",
        "graph.html",
        "graph.json",
    ]


def test_graphml_reads_back_with_the_paper_contract(seeds_graph):
    graph, _ = seeds_graph
    papers = {n: d for n, d in graph.nodes(data=True) if d["kind"] == "paper"}
    # Every paper has a label, a sources span per page, and no None or list values.
    for data in papers.values():
        assert data["label"]
        for source in data["sources"].split(";"):
            name, span = source.split(":")
            start, end = (int(x) for x in span.split("-"))
            assert name.endswith(".txt") and 1 <= start <= end
    # Sources across papers cover each entry once: 98 + 24 + 46 + 119 spans.
    spans = [s for d in papers.values() for s in d["sources"].split(";")]
    assert len(spans) == len(set(spans)) == 98 + 24 + 46 + 119


def papers_by_source(graph) -> dict[str, dict]:
    """Paper attributes by each ``FILE:START-END`` they were read from."""
    return {
        source: data
        for _, data in graph.nodes(data=True)
        if data["kind"] == "paper"
        for source in data["sources"].split(";")
    }


def test_untitled_entries_are_labelled_by_what_they_introduce(seeds_graph):
    by_source = papers_by_source(seeds_graph[0])
    llama = by_source["000_8620321c7bf03104.txt:135-136"]  # "We introduce LLaMA, ..."
    assert llama["title"] == "" or llama["title"].startswith("LLaMA")
    if not llama["title"]:
        assert llama["label"] == "LLaMA — untitled, 000_8620321c7bf03104.txt:135"
    ddpm = by_source["000_8620321c7bf03104.txt:46-47"]  # "We present high quality image ..."
    assert ddpm["label"] == "untitled, 000_8620321c7bf03104.txt:46"
    for data in by_source.values():
        assert data["title"] or "untitled, " in data["label"], data["label"]


def test_timeline_entries_carry_era_years(seeds_graph):
    by_source = papers_by_source(seeds_graph[0])
    lstm = by_source["002_1e4f734bca79940f.txt:7-8"]
    assert (lstm["title"], lstm["year_min"], lstm["year_max"]) == (
        "Long Short-Term Memory",
        1986,
        2016,
    )


def test_no_skipped_line_is_part_of_a_paper(seeds_graph):
    graph, _ = seeds_graph
    texts = " ".join(
        d.get("abstract", "") + " " + d.get("title", "") for _, d in graph.nodes(data=True)
    )
    for chrome in ("system_override", "Get trending papers", "Subscribe", "98 papers"):
        assert chrome not in texts


def _paper_at(graph, file: str, line: int) -> str | None:
    for node, data in graph.nodes(data=True):
        if data["kind"] != "paper":
            continue
        for source in data["sources"].split(";"):
            name, _, lines = source.rpartition(":")
            first, _, last = lines.partition("-")
            if name == file and int(first) <= line <= int(last or first):
                return node
    return None


def test_the_same_paper_on_two_seed_pages_is_one_node_and_look_alikes_are_not(seeds_graph):
    import json

    graph = seeds_graph[0]
    labels = SEEDS.parent / "tests" / "data" / "lineage"

    def merged(name: str) -> int:
        rows = [json.loads(line) for line in (labels / name).read_text("utf-8").splitlines()]
        return sum(
            (a := _paper_at(graph, row["a"]["file"], row["a"]["line"])) is not None
            and a == _paper_at(graph, row["b"]["file"], row["b"]["line"])
            for row in rows
        )

    assert merged("seed_duplicates.jsonl") >= 30  # of 44 pairs labelled by hand
    assert merged("seed_not_duplicates.jsonl") == 0  # sequels, same page, look-alikes
