"""Precision and recall of what entries introduce and what they build on, against the answer key.

The answer key (``tests/data/lineage/``, rules in ``docs/annotation.md``) holds 240 entries
drawn by ``benchmarks/draw_lineage_sample.py``: a tuning half and a test half of 100 real
abstracts each from ``../shared/corpora/pwc-dev/``, and 40 seed entries. Two annotators
labelled every entry independently; the answer key (``gold.jsonl``) is their adjudicated
union. Their separate labels are kept for the test half (``annotator_a.jsonl``,
``annotator_b.jsonl``), and their agreement is reported from them.

The 800 training abstracts of the lineage scorer (``train_sample.jsonl``, one annotator
each, ``train_gold.jsonl``; drawn by ``benchmarks/draw_training_sample.py``) are scored too,
as a fourth set: ``introduces`` there is a fair check of the rules on the 400 labelled last
(batches 8-15: no rule was written from them), less so on the first 400 (rules were written
from their errors on 2026-12-06); ``builds_on`` is not (the scorer is fitted on them; see
``benchmarks/lineage_cv.py`` for its cross-validated numbers). ``--no-train`` leaves them out.

The graph is built as a user builds it: every pwc-dev page in one build, the seed pages in
another. An entry's predictions are then read off the graph:

* ``introduces``: the concepts its paper node introduces, by evidence in the entry's lines;
* ``builds_on``: concept -> concept edges whose evidence lies in the entry's lines, and
  paper -> concept edges from its paper node (the child is then ``PAPER``). Paper -> paper
  edges are derived from concept lineage and are not scored.

A predicted and a labelled link match when their children and their parents share a
spelling (case, hyphens, spaces and a plural ``s`` aside; labels and aliases both count);
``PAPER`` matches ``PAPER``. Matching is one-to-one. The kind of link is scored on the matched
pairs only. Hand-judged precision on edges outside the answer key
(``tests/data/lineage/judged_edges.jsonl``) is reported beside it.

Errors are listed for one set at a time (``--errors tune`` by default): tuning the extractor
on the test half's errors would make its numbers meaningless.

Run:  python benchmarks/lineage_quality.py [--errors tune|test|seed|train|none] [--json] [-j 2]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.pipeline import build  # noqa: E402
from kg.vocab import name_key  # noqa: E402

DATA = ROOT / "tests" / "data" / "lineage"
PWC = ROOT.parent / "shared" / "corpora" / "pwc-dev"
SETS = ("tune", "test", "seed", "train")
SET_NAMES = {
    "train": "pwc-dev training abstracts (800, one annotator; the scorer is fitted on them)",
    "tune": "pwc-dev tuning half (100 abstracts)",
    "test": "pwc-dev test half (100 abstracts)",
    "seed": "seed sample (40 entries)",
}
PAPER = "PAPER"
#: Introductions of these kinds are not scored (docs/annotation.md).
UNSCORED_KINDS = frozenset({"task", "metric", "org"})
#: How many of the most frequent misses and false links to list.
MAX_LISTED = 40


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    def scores(self) -> tuple[float, float, float]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1


@dataclass(frozen=True)
class Pair:
    """One link: child and parent spellings, the kind of link, and how to show it."""

    child: frozenset[str]
    parent: frozenset[str]
    kind: str
    shown: str
    inferred: bool = False


@dataclass
class Prediction:
    introduces: list[tuple[frozenset[str], str]] = field(default_factory=list)
    links: list[Pair] = field(default_factory=list)


def _keys(names: list[str]) -> frozenset[str]:
    return frozenset(k for k in (name_key(n) for n in names if n) if k)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]


def gold_predictions(records: list[dict]) -> dict[str, Prediction]:
    """Annotations in the shape of predictions (to score one annotator against another)."""
    result = {}
    for record in records:
        prediction = Prediction()
        for item in record.get("introduces", []):
            if item.get("kind") in UNSCORED_KINDS:
                continue
            prediction.introduces.append(
                (_keys([item["name"], *item.get("aliases", [])]), item["name"])
            )
        prediction.links = _gold_pairs(record)
        result[record["id"]] = prediction
    return result


def _gold_pairs(record: dict) -> list[Pair]:
    aliases = {item["name"]: item.get("aliases", []) for item in record.get("introduces", [])}
    pairs = []
    for link in record.get("builds_on", []):
        child = link["child"]
        child_names = (
            frozenset([PAPER])
            if child == PAPER
            else _keys([child, *aliases.get(child, []), *link.get("child_aliases", [])])
        )
        parent_names = _keys([link["parent"], *link.get("parent_aliases", [])])
        shown = f"{child} -{link['kind']}-> {link['parent']}"
        pairs.append(Pair(child_names, parent_names, link["kind"], shown))
    return pairs


def _names(graph: nx.DiGraph, node: str) -> list[str]:
    data = graph.nodes[node]
    return [str(data.get("label", node)), *str(data.get("aliases", "")).split("|")]


def _lines(source: str) -> tuple[str, int] | None:
    file, _, line = source.rpartition(":")
    return (file, int(line)) if line.isdigit() else None


def _edge_sources(data: dict) -> list[tuple[str, int]]:
    sources = [str(data.get("source") or ""), *str(data.get("stated_at") or "").split(";")]
    return [found for found in (_lines(s) for s in sources if s) if found]


def predictions_from_graph(graph: nx.DiGraph, rows: list[dict]) -> dict[str, Prediction]:
    """What the build says about each sampled entry (see the module docstring)."""
    by_file: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_file[row["file"]].append(row)

    def entries_at(file: str, line: int) -> list[str]:
        return [r["id"] for r in by_file.get(file, []) if r["start"] <= line <= r["end"]]

    paper_of: dict[str, str] = {}
    for node, data in graph.nodes(data=True):
        if data.get("kind") != "paper":
            continue
        for source in str(data.get("sources", "")).split(";"):
            file, _, span = source.rpartition(":")
            start, _, end = span.partition("-")
            if not start.isdigit():
                continue
            for row in by_file.get(file, []):
                if row["start"] <= int(end or start) and int(start) <= row["end"]:
                    paper_of[row["id"]] = node
    papers_of_node = defaultdict(set)
    for entry_id, node in paper_of.items():
        papers_of_node[node].add(entry_id)

    result = {row["id"]: Prediction() for row in rows}
    for child, parent, data in graph.edges(data=True):
        relation = data.get("relation")
        child_is_paper = graph.nodes[child].get("kind") == "paper"
        places = {e for file, line in _edge_sources(data) for e in entries_at(file, line)}
        if relation == "introduces" and graph.nodes[parent].get("kind") not in UNSCORED_KINDS:
            for entry_id in places & papers_of_node.get(child, set()):
                names = _names(graph, parent)
                result[entry_id].introduces.append((_keys(names), names[0]))
        elif relation == "builds_on":
            if child_is_paper and graph.nodes[parent].get("kind") == "paper":
                continue
            if child_is_paper:
                places &= papers_of_node.get(child, set())
                child_names, child_shown = frozenset([PAPER]), PAPER
            else:
                child_names, child_shown = _keys(_names(graph, child)), _names(graph, child)[0]
            parent_shown = _names(graph, parent)[0]
            inferred = bool(data.get("inferred"))
            kind = str(data.get("kind_of_link", ""))
            shown = f"{child_shown} -{kind}{', inferred' if inferred else ''}-> {parent_shown}"
            pair = Pair(child_names, _keys(_names(graph, parent)), kind, shown, inferred)
            for entry_id in places:
                result[entry_id].links.append(pair)
    return result


def _match(gold: list, predicted: list, same) -> dict[int, int]:
    """A maximum one-to-one matching, gold index -> predicted index."""
    graph = nx.Graph()
    graph.add_nodes_from(("g", i) for i in range(len(gold)))
    for i, g in enumerate(gold):
        for j, p in enumerate(predicted):
            if same(g, p):
                graph.add_edge(("g", i), ("p", j))
    matching = nx.bipartite.maximum_matching(graph, top_nodes=[("g", i) for i in range(len(gold))])
    return {a[1]: b[1] for a, b in matching.items() if a[0] == "g"}


def _same_pair(gold: Pair, predicted: Pair) -> bool:
    return bool(gold.child & predicted.child) and bool(gold.parent & predicted.parent)


@dataclass
class Report:
    introduces: Counts = field(default_factory=Counts)
    links: Counts = field(default_factory=Counts)
    stated: Counts = field(default_factory=Counts)
    inferred_fp: int = 0
    inferred_tp: int = 0
    kinds: Counter = field(default_factory=Counter)
    misses: Counter = field(default_factory=Counter)
    false_links: Counter = field(default_factory=Counter)
    intro_misses: Counter = field(default_factory=Counter)
    intro_extras: Counter = field(default_factory=Counter)


def score(gold: dict[str, Prediction], predicted: dict[str, Prediction], ids: list[str]) -> Report:
    report = Report()
    for entry_id in ids:
        want, got = gold.get(entry_id, Prediction()), predicted.get(entry_id, Prediction())
        matched = _match(want.introduces, got.introduces, lambda g, p: bool(g[0] & p[0]))
        report.introduces.tp += len(matched)
        report.introduces.fn += len(want.introduces) - len(matched)
        report.introduces.fp += len(got.introduces) - len(matched)
        for i, (_, name) in enumerate(want.introduces):
            if i not in matched:
                report.intro_misses[f"{entry_id}: {name}"] += 1
        hit = set(matched.values())
        for j, (_, name) in enumerate(got.introduces):
            if j not in hit:
                report.intro_extras[f"{entry_id}: {name}"] += 1

        links = list(dict.fromkeys(got.links))
        pairs = _match(want.links, links, _same_pair)
        report.links.tp += len(pairs)
        report.links.fn += len(want.links) - len(pairs)
        report.links.fp += len(links) - len(pairs)
        for i, j in pairs.items():
            report.kinds[(want.links[i].kind, links[j].kind)] += 1
        for i, pair in enumerate(want.links):
            if i not in pairs:
                report.misses[f"{entry_id}: {pair.shown}"] += 1
        used = set(pairs.values())
        for j, pair in enumerate(links):
            if pair.inferred:
                report.inferred_tp += j in used
                report.inferred_fp += j not in used
            if j not in used:
                report.false_links[f"{entry_id}: {pair.shown}"] += 1
    return report


def _row(name: str, counts: Counts) -> str:
    p, r, f = counts.scores()
    return f"  {name:28} {p:6.2f} {r:6.2f} {f:6.2f}   {counts.tp:4} {counts.fp:4} {counts.fn:4}"


def print_report(title: str, report: Report) -> None:
    print(title)
    print(f"  {'':28} {'P':>6} {'R':>6} {'F1':>6}   {'TP':>4} {'FP':>4} {'FN':>4}")
    print(_row("builds_on (pair match)", report.links))
    print(_row("introduces", report.introduces))
    agreed = sum(n for (g, p), n in report.kinds.items() if g == p)
    total = sum(report.kinds.values())
    if total:
        print(f"  kind of link agrees on {agreed}/{total} matched pairs ({agreed / total:.2f})")
    inferred = report.inferred_tp + report.inferred_fp
    if inferred:
        print(f"  inferred links: {report.inferred_tp}/{inferred} right")
    print()


def print_errors(report: Report) -> None:
    for heading, counter in (
        ("missed links", report.misses),
        ("false links", report.false_links),
        ("missed introductions", report.intro_misses),
        ("false introductions", report.intro_extras),
    ):
        print(f"  {heading} ({sum(counter.values())}):")
        for text, _ in counter.most_common(MAX_LISTED):
            print(f"    {text}")
    print()


def judged_precision(graph: nx.DiGraph | None = None) -> dict | None:
    """What the hand judges said of the drawn edges, and how many of them ``graph`` still has.

    Returns ``{"right", "judged", "agreed", "still_drawn"}`` (``still_drawn`` is ``None``
    without a graph), or ``None`` when nothing has been judged.
    """
    path = DATA / "judged_edges.jsonl"
    if not path.exists():
        return None
    judged = read_jsonl(path)
    result = {
        "right": sum(1 for j in judged if j["verdict"] == "right"),
        "judged": len(judged),
        "agreed": sum(1 for j in judged if j["judge_a"] == j["judge_b"]),
        "still_drawn": None,
    }
    if graph is not None:
        drawn = set()
        for child, parent, data in graph.edges(data=True):
            if data.get("relation") == "builds_on":
                node = graph.nodes[child]
                shown = (
                    node.get("title") or node.get("label") if node.get("kind") == "paper" else None
                )
                label = shown or node.get("label")
                drawn.add((label, graph.nodes[parent].get("label"), data.get("source")))
        result["still_drawn"] = sum(
            1 for j in judged if (j["child"], j["parent"], j["source"]) in drawn
        )
    return result


def print_judged(judged: dict) -> None:
    right, total = judged["right"], judged["judged"]
    print("hand-judged builds_on edges outside the answer key (judged_edges.jsonl)")
    print(
        f"  right {right}/{total} ({right / total:.2f});"
        f" the two judges agreed on {judged['agreed']}/{total}"
    )
    if judged["still_drawn"] is not None:
        print(f"  {judged['still_drawn']}/{total} of them are still drawn by this build")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--errors", choices=(*SETS, "none"), default="tune")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="extraction processes")
    parser.add_argument("--corpus", type=Path, default=PWC)
    parser.add_argument("--no-train", action="store_true", help="leave the training set out")
    args = parser.parse_args()

    rows = read_jsonl(DATA / "sample.jsonl")
    gold = gold_predictions(read_jsonl(DATA / "gold.jsonl"))
    if (DATA / "train_gold.jsonl").exists() and not args.no_train:
        train_gold = gold_predictions(read_jsonl(DATA / "train_gold.jsonl"))
        # Abstracts drawn but not labelled yet are not scored.
        rows += [r for r in read_jsonl(DATA / "train_sample.jsonl") if r["id"] in train_gold]
        gold.update(train_gold)
    judged_path = DATA / "judged_edges.jsonl"
    judged_rows = read_jsonl(judged_path) if judged_path.exists() else []
    judged_files = {str(j["source"]).rpartition(":")[0] for j in judged_rows}
    pwc_graph = None
    predicted: dict[str, Prediction] = {}
    for pages, which in ((args.corpus, ("tune", "test", "train")), (ROOT / "seeds", ("seed",))):
        wanted = [r for r in rows if r["set"] in which]
        files = sorted(
            {r["file"] for r in wanted} | (judged_files if pages == args.corpus else set())
        )
        graph = build(
            [pages / f for f in files if (pages / f).exists()] or [pages], n_process=args.jobs
        ).graph
        predicted.update(predictions_from_graph(graph, wanted))
        if pages == args.corpus:
            pwc_graph = graph

    summary = {}
    for which in SETS:
        ids = [r["id"] for r in rows if r["set"] == which and r["id"] in gold]
        if not ids:
            continue
        report = score(gold, predicted, ids)
        summary[which] = {
            "builds_on": dict(
                zip(("precision", "recall", "f1"), report.links.scores(), strict=True)
            ),
            "introduces": dict(
                zip(("precision", "recall", "f1"), report.introduces.scores(), strict=True)
            ),
        }
        if not args.json:
            print_report(SET_NAMES[which], report)
            if which == args.errors:
                print_errors(report)
    a, b = DATA / "annotator_a.jsonl", DATA / "annotator_b.jsonl"
    if a.exists() and b.exists():
        first, second = gold_predictions(read_jsonl(a)), gold_predictions(read_jsonl(b))
        for which in SETS:
            ids = [r["id"] for r in rows if r["set"] == which and r["id"] in first]
            if not ids:
                continue
            report = score(first, second, ids)
            summary[f"agreement {which}"] = {
                "builds_on": report.links.scores(),
                "introduces": report.introduces.scores(),
            }
            if not args.json:
                print_report(f"annotator B scored against A, {SET_NAMES[which]}", report)
    judged = judged_precision(pwc_graph)
    if judged:
        summary["hand-judged"] = judged
        if not args.json:
            print_judged(judged)
    if args.json:
        print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
