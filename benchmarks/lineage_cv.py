"""Cross-validate the lineage scorer on whole graphs: what the build draws on abstracts the
scorer was not fitted on.

The training abstracts (``tests/data/lineage/train_sample.jsonl``, 800, labelled by one
annotator each; abstracts drawn but not labelled yet are left out) are split into
:data:`FOLDS` folds by their annotation batch. For each fold, the scorer is fitted on the
tuning half and the other folds, the pwc-dev pages are built as a user builds them, and
``builds_on`` / ``introduces`` are scored on the held-out fold as
``benchmarks/lineage_quality.py`` scores them. The folds' counts are summed. The test half is
never read.

The tuning half is a poor place to choose a threshold: years of rules were written against
it, so the rules' own claims look better there than on text nobody here has read (rules
alone, 2026-12-06: builds_on precision 0.70 on the tuning half, 0.51 on the training
abstracts).

Two questions it also answers, to tell what limits lineage:

- ``--fraction F`` fits each fold on a fraction F of the other folds' abstracts (drawn at
  random, fixed seed): the learning curve. If more labelled abstracts would help, the score
  rises with F.
- ``--gold-introductions`` builds with what the answer key says each held-out entry
  introduces (among the names the extractor found): how far lineage would get if
  introductions were perfect.

Run:  python benchmarks/lineage_cv.py [--thresholds 0.5 0.6 0.7] [--rule-threshold 0.3]
          [--fraction 0.5] [--gold-introductions]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import lineage_quality as quality  # noqa: E402
import train_lineage_model as training  # noqa: E402

from kg.claims import read_claims  # noqa: E402
from kg.extract import build_pipeline, extract_entries  # noqa: E402
from kg.model import Entry, ExtractedEntry  # noqa: E402
from kg.pipeline import build  # noqa: E402
from kg.scoring import load_model  # noqa: E402
from kg.vocab import name_key  # noqa: E402

FOLDS = 4
MODEL = ROOT / "kg" / "data" / "lineage_model.json"
#: Seed of the draw of training abstracts for ``--fraction``.
FRACTION_SEED = 7


def gold_introductions(
    sample: list[dict], records: dict[str, dict], jobs: int
) -> Callable[[Iterable[Entry]], list[ExtractedEntry]]:
    """An extractor (:data:`kg.pipeline.Extractor`) that marks introduced exactly the names
    the answer key says a sampled entry introduces, and no other; entries outside the sample
    are extracted as usual."""
    introduced: dict[tuple[str, int], set[str]] = {}
    for row in sample:
        record = records[row["id"]]
        names = {
            name_key(n)
            for item in record.get("introduces", [])
            for n in (item["name"], *item.get("aliases", []))
        }
        for line in range(row["start"], row["end"] + 1):
            introduced[(row["file"], line)] = names

    def extract(entries: Iterable[Entry]) -> list[ExtractedEntry]:
        found = extract_entries(entries, build_pipeline(), n_process=jobs)
        return [read_claims(_marked(item, introduced)) for item in found]

    return extract


def _marked(item: ExtractedEntry, introduced: dict[tuple[str, int], set[str]]) -> ExtractedEntry:
    entry: Entry = item.entry
    names = introduced.get((Path(entry.file).name, entry.start))
    if names is None:
        return item
    mentions = tuple(replace(m, introduced=name_key(m.text) in names) for m in item.mentions)
    return replace(item, mentions=mentions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.5, 0.6, 0.7])
    parser.add_argument("--rule-threshold", type=float, default=0.3)
    parser.add_argument("--rules-only", action="store_true", help="also score without a model")
    parser.add_argument("--errors", action="store_true", help="list false links and misses")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument(
        "--fraction", type=float, default=1.0, help="fit on this fraction of the other folds"
    )
    parser.add_argument(
        "--gold-introductions",
        action="store_true",
        help="take what held-out entries introduce from the answer key",
    )
    args = parser.parse_args()
    gold = quality.gold_predictions(quality.read_jsonl(quality.DATA / "train_gold.jsonl"))
    # Abstracts drawn but not labelled yet are not scored.
    sample = [
        row for row in quality.read_jsonl(quality.DATA / "train_sample.jsonl") if row["id"] in gold
    ]
    fold_of = {row["id"]: row["batch"] % FOLDS for row in sample}
    kept = set(
        random.Random(FRACTION_SEED).sample(sorted(fold_of), round(len(fold_of) * args.fraction))
    )
    records = {r["id"]: r for r in quality.read_jsonl(quality.DATA / "train_gold.jsonl")}
    tune = training.examples(quality.PWC, "tune")
    train = training.examples(quality.PWC, "train")
    files = sorted({row["file"] for row in sample})
    saved = Path(tempfile.mkdtemp()) / "model.json"
    shutil.copy(MODEL, saved)
    settings: list[float | None] = [None] if args.rules_only else []
    settings += args.thresholds
    try:
        for threshold in settings:
            totals = {"links": quality.Counts(), "introduces": quality.Counts()}
            errors = quality.Report()
            for fold in range(FOLDS):
                if threshold is None:
                    MODEL.unlink()
                else:
                    rows = [(f, y) for _, f, y in tune]
                    rows += [(f, y) for e, f, y in train if fold_of[e] != fold and e in kept]
                    index = training.feature_index(rows, training.MIN_COUNT)
                    w, b = training.fit(rows, index, training.L2)
                    model = training.model_record(index, w, b, threshold, args.rule_threshold)
                    MODEL.write_text(json.dumps(model), "utf-8")
                load_model.cache_clear()
                held = [row for row in sample if fold_of[row["id"]] == fold]
                extractor = (
                    gold_introductions(held, records, args.jobs)
                    if args.gold_introductions
                    else None
                )
                pages = [quality.PWC / f for f in files]
                graph = build(pages, n_process=args.jobs, extractor=extractor).graph
                predicted = quality.predictions_from_graph(graph, held)
                report = quality.score(gold, predicted, [row["id"] for row in held])
                totals["links"].add(report.links)
                totals["introduces"].add(report.introduces)
                errors.false_links.update(report.false_links)
                errors.misses.update(report.misses)
                if threshold is None:
                    shutil.copy(saved, MODEL)
            name = "rules only" if threshold is None else f"threshold {threshold:.2f}"
            p, r, f1 = totals["links"].scores()
            ip, ir, _ = totals["introduces"].scores()
            print(
                f"{name:16} builds_on P {p:.2f} R {r:.2f} F1 {f1:.2f}"
                f"   introduces P {ip:.2f} R {ir:.2f}   ({FOLDS}-fold, training abstracts"
                f"{f', fitted on {args.fraction:.0%} of the others' if args.fraction < 1 else ''}"
                f"{', introductions from the key' if args.gold_introductions else ''})"
            )
            if args.errors:
                for heading, counter in (("false", errors.false_links), ("missed", errors.misses)):
                    print(f"  {heading} links ({sum(counter.values())}):")
                    for text in sorted(counter):
                        print(f"    {text}")
    finally:
        shutil.copy(saved, MODEL)
        load_model.cache_clear()


if __name__ == "__main__":
    main()
