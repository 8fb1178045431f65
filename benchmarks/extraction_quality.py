"""Precision, recall and F1 of concept extraction, per kind, against hand-labelled entries.

Two labelled sets (see docs/annotation.md for the rules both follow):

* ``tests/data/gold_concepts.jsonl``: 40 entries sampled at random from the four seed pages;
* ``tests/data/heldout_concepts.jsonl``: 22 entries on two pages written for testing only
  (``tests/data/heldout/``), never used to tune the extractor.

Each is scored twice: with the vocabulary, and with discovery alone (no vocabulary), to show
how much of the recall comes from finding names the vocabulary does not know.

A predicted concept matches a labelled one when any of their spellings are equal up to case,
hyphens, spaces and a plural ``s``; per-kind scores also need the kinds to agree ("any kind"
ignores kinds). Concepts are counted once per entry.

Run:  python benchmarks/extraction_quality.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.extract import build_pipeline, extract_entries  # noqa: E402
from kg.model import KINDS  # noqa: E402
from kg.pipeline import segment_paths  # noqa: E402
from kg.resolve import concept_keys, key_of  # noqa: E402
from kg.vocab import Vocabulary, load_vocabulary, name_key  # noqa: E402

CORE = ("model", "method", "benchmark", "dataset")
SETS = {
    "seeds sample (40 entries)": (ROOT / "tests/data/gold_concepts.jsonl", ROOT / "seeds"),
    "held-out pages (22 entries)": (
        ROOT / "tests/data/heldout_concepts.jsonl",
        ROOT / "tests/data/heldout",
    ),
}
#: A second annotator labelled the same entries independently (same rules, no access to the
#: first labels); scoring one annotator against the other shows how far people agree.
SECOND_ANNOTATOR = {
    "seeds sample (40 entries)": ROOT / "tests/data/gold_concepts_b.jsonl",
    "held-out pages (22 entries)": ROOT / "tests/data/heldout_concepts_b.jsonl",
}


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def scores(self) -> tuple[float, float, float]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1


def predicted_concepts(
    gold_path: Path, pages_dir: Path, *, use_vocabulary: bool
) -> tuple[list[dict], dict]:
    """Run the extractor on the labelled entries; return the gold records and, per entry,
    the predicted concepts as ``{key: (kind, {spellings})}``."""
    gold = [json.loads(line) for line in gold_path.read_text("utf-8").splitlines() if line.strip()]
    pages, _ = segment_paths([pages_dir])
    entries = {(e.file, e.start): e for page in pages for e in page.entries}
    wanted = [entries[(g["file"], g["start"])] for g in gold if (g["file"], g["start"]) in entries]
    nlp = build_pipeline(use_vocabulary=use_vocabulary)
    vocabulary = (
        load_vocabulary() if use_vocabulary else Vocabulary((), load_vocabulary().stopwords)
    )
    extracted = list(extract_entries(wanted, nlp))
    keys = concept_keys([m for item in extracted for m in item.mentions], vocabulary)
    terms = {t.id: t for t in vocabulary.terms}
    predictions: dict[tuple[str, int], dict[str, tuple[str, set[str]]]] = {}
    for item in extracted:
        found: dict[str, tuple[str, set[str]]] = {}
        kinds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for mention in item.mentions:
            key = key_of(mention, keys)
            spellings = found.get(key, ("", set()))[1]
            spellings.add(mention.text)
            if mention.long_form:
                spellings.add(mention.long_form)
            if key in terms:
                spellings.update(terms[key].patterns)
            kinds[key][mention.kind] += 1
            found[key] = ("", spellings)
        predictions[(item.entry.file, item.entry.start)] = {
            key: (
                terms[key].kind if key in terms else max(kinds[key], key=kinds[key].get),
                spellings,
            )
            for key, (_, spellings) in found.items()
        }
    return gold, predictions


def _match(gold_concepts: list[dict], predicted: dict) -> dict[int, str]:
    """A maximum one-to-one matching of labelled to predicted concepts by shared spelling."""
    import networkx as nx

    graph = nx.Graph()
    for index, concept in enumerate(gold_concepts):
        names = {name_key(n) for n in [concept["name"], *concept.get("aliases", [])]}
        graph.add_node(("g", index))
        for key, (_, spellings) in predicted.items():
            if names & {name_key(s) for s in spellings}:
                graph.add_edge(("g", index), ("p", key))
    gold_side = {n for n in graph if n[0] == "g"}
    matching = nx.bipartite.maximum_matching(graph, top_nodes=gold_side)
    return {node[1]: other[1] for node, other in matching.items() if node[0] == "g"}


def labelled_as_predictions(path: Path) -> dict:
    """Another annotator's labels in the shape of :func:`predicted_concepts`'s predictions."""
    predictions = {}
    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        predictions[(record["file"], record["start"])] = {
            f"{index}:{concept['name']}": (concept["kind"], {concept["name"], *concept["aliases"]})
            for index, concept in enumerate(record["concepts"])
        }
    return predictions


def score(gold: list[dict], predictions: dict) -> tuple[dict[str, Counts], Counts, list[dict]]:
    per_kind: dict[str, Counts] = {kind: Counts() for kind in KINDS}
    any_kind = Counts()
    errors = []
    for record in gold:
        predicted = dict(predictions.get((record["file"], record["start"]), {}))
        where = f"{record['file']}:{record['start']}"
        matched = _match(record["concepts"], predicted)
        for index, concept in enumerate(record["concepts"]):
            if index not in matched:
                per_kind[concept["kind"]].fn += 1
                any_kind.fn += 1
                errors.append({"entry": where, "missed": concept["name"], "kind": concept["kind"]})
                continue
            kind, _ = predicted.pop(matched[index])
            any_kind.tp += 1
            if kind == concept["kind"]:
                per_kind[kind].tp += 1
            else:
                per_kind[concept["kind"]].fn += 1
                per_kind[kind].fp += 1
                errors.append(
                    {
                        "entry": where,
                        "wrong_kind": concept["name"],
                        "kind": kind,
                        "gold": concept["kind"],
                    }
                )
        for key, (kind, spellings) in predicted.items():
            per_kind[kind].fp += 1
            any_kind.fp += 1
            errors.append({"entry": where, "extra": sorted(spellings)[0], "kind": kind, "key": key})
    return per_kind, any_kind, errors


def table(per_kind: dict[str, Counts], any_kind: Counts) -> list[str]:
    rows = [f"  {'kind':10} {'P':>6} {'R':>6} {'F1':>6}   {'TP':>4} {'FP':>4} {'FN':>4}"]
    core = Counts()
    for kind in KINDS:
        counts = per_kind[kind]
        if kind in CORE:
            core.tp, core.fp, core.fn = (
                core.tp + counts.tp,
                core.fp + counts.fp,
                core.fn + counts.fn,
            )
        p, r, f = counts.scores()
        rows.append(
            f"  {kind:10} {p:6.2f} {r:6.2f} {f:6.2f}   {counts.tp:4} {counts.fp:4} {counts.fn:4}"
        )
    for name, counts in (("core four", core), ("any kind", any_kind)):
        p, r, f = counts.scores()
        rows.append(
            f"  {name:10} {p:6.2f} {r:6.2f} {f:6.2f}   {counts.tp:4} {counts.fp:4} {counts.fn:4}"
        )
    return rows


def show(report: dict, label: str, per_kind: dict, any_kind: Counts, errors: list, args) -> None:
    """Add one scoring to the JSON report, and print it unless --json."""
    report[label] = {
        "per_kind": {
            k: dict(zip(("precision", "recall", "f1"), c.scores(), strict=True))
            for k, c in per_kind.items()
        },
        "errors": errors,
    }
    if not args.json:
        print(label)
        print("\n".join(table(per_kind, any_kind)))
        for error in errors if args.errors else []:
            print("   ", error)
        print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print scores and errors as JSON")
    parser.add_argument(
        "--errors", action="store_true", help="list every miss, extra and wrong kind"
    )
    args = parser.parse_args()
    report = {}
    for set_name, (gold_path, pages_dir) in SETS.items():
        for use_vocabulary in (True, False):
            gold, predictions = predicted_concepts(
                gold_path, pages_dir, use_vocabulary=use_vocabulary
            )
            mode = "vocabulary + discovery" if use_vocabulary else "discovery only"
            show(report, f"{set_name}, {mode}", *score(gold, predictions), args)
        second = SECOND_ANNOTATOR.get(set_name)
        if second is not None and second.exists():
            gold = [json.loads(x) for x in gold_path.read_text("utf-8").splitlines() if x.strip()]
            label = f"{set_name}, second annotator scored against the first"
            show(report, label, *score(gold, labelled_as_predictions(second)), args)
    if args.json:
        print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
