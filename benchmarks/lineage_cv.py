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

Run:  python benchmarks/lineage_cv.py [--thresholds 0.5 0.6 0.7] [--rule-threshold 0.3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import lineage_quality as quality  # noqa: E402
import train_lineage_model as training  # noqa: E402

from kg.pipeline import build  # noqa: E402
from kg.scoring import load_model  # noqa: E402

FOLDS = 4
MODEL = ROOT / "kg" / "data" / "lineage_model.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.5, 0.6, 0.7])
    parser.add_argument("--rule-threshold", type=float, default=0.3)
    parser.add_argument("--rules-only", action="store_true", help="also score without a model")
    parser.add_argument("--errors", action="store_true", help="list false links and misses")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args()
    gold = quality.gold_predictions(quality.read_jsonl(quality.DATA / "train_gold.jsonl"))
    # Abstracts drawn but not labelled yet are not scored.
    sample = [
        row for row in quality.read_jsonl(quality.DATA / "train_sample.jsonl") if row["id"] in gold
    ]
    fold_of = {row["id"]: row["batch"] % FOLDS for row in sample}
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
                    rows += [(f, y) for e, f, y in train if fold_of[e] != fold]
                    index = training.feature_index(rows, training.MIN_COUNT)
                    w, b = training.fit(rows, index, training.L2)
                    model = training.model_record(index, w, b, threshold, args.rule_threshold)
                    MODEL.write_text(json.dumps(model), "utf-8")
                load_model.cache_clear()
                graph = build([quality.PWC / f for f in files], n_process=args.jobs).graph
                held = [row for row in sample if fold_of[row["id"]] == fold]
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
                f"   introduces P {ip:.2f} R {ir:.2f}   ({FOLDS}-fold, training abstracts)"
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
