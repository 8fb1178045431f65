"""Fit the lineage scorer (``kg/data/lineage_model.json``) on the tuning side of the answer key.

For every entry of the sets named by ``--fit`` (default: the tuning half of
``tests/data/lineage/sample.jsonl`` and the 800 training abstracts of
``train_sample.jsonl``), each name the entry's own work might build on becomes one example,
with the features :func:`kg.claims.pair_features` gives it; it is positive when the labels
have a link from the entry's own work (``PAPER`` or a name the entry introduces) to that
name. A logistic model is fitted with L2 regularisation by gradient descent (NumPy, no other
dependency). The candidate-level precision and recall per threshold are printed, by 5-fold
cross-validation over entries, or on ``--held`` (a set not fitted on); the threshold is
the highest-F1 one whose precision is at least ``--min-precision`` unless ``--threshold``
sets it (the shipped one was chosen on whole graphs by ``benchmarks/lineage_cv.py``), and
``--rule-threshold`` the lower one for pairs a rule found too. The test half is never read.

Run:  python benchmarks/train_lineage_model.py [--fit tune,train] [--held SET]
      [--threshold 0.6] [--rule-threshold 0.3] [--out PATH] [--dry-run]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.claims import pair_features  # noqa: E402
from kg.extract import build_pipeline, extract_entries  # noqa: E402
from kg.pipeline import segment_paths  # noqa: E402
from kg.vocab import name_key  # noqa: E402

DATA = ROOT / "tests" / "data" / "lineage"
PWC = ROOT.parent / "shared" / "corpora" / "pwc-dev"
OUT = ROOT / "kg" / "data" / "lineage_model.json"
L2 = 0.5
MIN_COUNT = 3
STEPS = 3000
RATE = 0.5
FOLDS = 5
SEED = 9


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]


#: Where each set's entries and labels are: (sample file, its ``set`` value, answer file).
SETS = {
    "tune": ("sample.jsonl", "gold.jsonl"),
    "train": ("train_sample.jsonl", "train_gold.jsonl"),
}


def examples(corpus: Path, which: str) -> list[tuple[str, frozenset[str], int]]:
    """(entry id, features, label) for every candidate pair of one set ("tune" or "train")."""
    sample_file, gold_file = SETS[which]
    if not (DATA / gold_file).exists():
        return []
    rows = [r for r in read_jsonl(DATA / sample_file) if r["set"] == which]
    gold = {g["id"]: g for g in read_jsonl(DATA / gold_file)}
    pages, _ = segment_paths([corpus / f for f in sorted({r["file"] for r in rows})])
    entries = [e for page in pages for e in page.entries]
    wanted = []
    for row in rows:
        entry = next(
            (e for e in entries if e.file == row["file"] and e.start <= row["end"] <= e.end), None
        )
        if entry is not None and row["id"] in gold:
            wanted.append((row["id"], entry))
    found = []
    nlp = build_pipeline()
    extracted_entries = extract_entries([e for _, e in wanted], nlp)
    for (entry_id, _), extracted in zip(wanted, extracted_entries, strict=True):
        record = gold[entry_id]
        own = {"PAPER"} | {i["name"] for i in record.get("introduces", [])}
        parents = {
            name_key(n)
            for link in record.get("builds_on", [])
            if link["child"] in own
            for n in (link["parent"], *link.get("parent_aliases", []))
        }
        for features, claim in pair_features(extracted).values():
            keys = {name_key(claim.parent.text), name_key(claim.parent.long_form or "")}
            found.append((entry_id, features, int(bool(keys & parents))))
    return found


def feature_index(rows, min_count: int) -> dict[str, int]:
    """Features seen in at least ``min_count`` examples (rarer ones only overfit)."""
    counts: dict[str, int] = {}
    for features, _ in rows:
        for f in features:
            counts[f] = counts.get(f, 0) + 1
    kept = sorted(f for f, n in counts.items() if n >= min_count)
    return {f: i for i, f in enumerate(kept)}


def fit(
    rows: list[tuple[frozenset[str], int]], index: dict[str, int], l2: float = L2
) -> tuple[numpy.ndarray, float]:
    x = numpy.zeros((len(rows), len(index)))
    for i, (features, _) in enumerate(rows):
        for f in features:
            if f in index:
                x[i, index[f]] = 1.0
    y = numpy.array([label for _, label in rows], dtype=float)
    w, b = numpy.zeros(len(index)), 0.0
    for _ in range(STEPS):
        p = 1.0 / (1.0 + numpy.exp(-(x @ w + b)))
        gradient = x.T @ (p - y) / len(y) + l2 * w / len(y)
        w -= RATE * gradient
        b -= RATE * float(numpy.mean(p - y))
    return w, b


def model_record(
    index: dict[str, int], w, b: float, threshold: float, rule_threshold: float | None
) -> dict:
    """The model as ``kg/data/lineage_model.json`` holds it: weights rounded, the smallest
    left out (they change no decision)."""
    weights = {f: round(float(w[i]), 4) for f, i in sorted(index.items()) if abs(w[i]) >= 0.01}
    model = {"bias": round(float(b), 4), "threshold": threshold, "weights": weights}
    if rule_threshold is not None:
        model["rule_threshold"] = rule_threshold
    return model


def probabilities(rows, index, w, b) -> list[float]:
    out = []
    for features, _ in rows:
        score = b + sum(w[index[f]] for f in features if f in index)
        out.append(1.0 / (1.0 + numpy.exp(-score)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--min-precision", type=float, default=0.85)
    parser.add_argument("--threshold", type=float, help="use this threshold, not the chosen one")
    parser.add_argument(
        "--rule-threshold", type=float, help="keep a pair the rules found from this probability"
    )
    parser.add_argument("--fit", default="tune,train", help="sets to fit on (tune, train)")
    parser.add_argument("--held", choices=tuple(SETS), help="score on this set, not by folds")
    parser.add_argument("--corpus", type=Path, default=PWC)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--dry-run", action="store_true", help="report, write nothing")
    parser.add_argument("--l2", type=float, default=L2, help="L2 penalty")
    parser.add_argument("--min-count", type=int, default=MIN_COUNT, help="rarest feature kept")
    args = parser.parse_args()
    fitted = [name for name in args.fit.split(",") if name]
    data = [row for name in fitted for row in examples(args.corpus, name)]
    ids = sorted({entry_id for entry_id, _, _ in data})
    scored: list[tuple[float, int]] = []
    if args.held:
        held = [(f, y) for _, f, y in examples(args.corpus, args.held)]
        train = [(f, y) for _, f, y in data]
        index = feature_index(train, args.min_count)
        w, b = fit(train, index, args.l2)
        scored = list(zip(probabilities(held, index, w, b), [y for _, y in held], strict=True))
        how = f"fitted on {'+'.join(fitted)}, scored on {args.held}"
    else:
        random.Random(SEED).shuffle(ids)
        fold_of = {entry_id: i % FOLDS for i, entry_id in enumerate(ids)}
        for fold in range(FOLDS):
            train = [(f, y) for e, f, y in data if fold_of[e] != fold]
            held = [(f, y) for e, f, y in data if fold_of[e] == fold]
            index = feature_index(train, args.min_count)
            w, b = fit(train, index, args.l2)
            scored += list(zip(probabilities(held, index, w, b), [y for _, y in held], strict=True))
        how = f"{FOLDS}-fold cross-validation by entry, {'+'.join(fitted)}"
    positives = sum(y for _, y in scored)
    print(f"{len(data)} candidate pairs to fit on, {len(ids)} entries; scored {len(scored)}")
    print(f"{'threshold':>9} {'P':>6} {'R':>6} {'F1':>6}  ({how}; R of positive candidates)")
    best = (0.0, 0.5)
    for threshold in [t / 20 for t in range(2, 20)]:
        tp = sum(1 for p, y in scored if p >= threshold and y)
        fp = sum(1 for p, y in scored if p >= threshold and not y)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / positives if positives else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        print(f"{threshold:9.2f} {precision:6.2f} {recall:6.2f} {f1:6.2f}")
        if precision >= args.min_precision and f1 > best[0]:
            best = (f1, threshold)
    if args.threshold is not None:
        best = (0.0, args.threshold)
    everything = [(f, y) for _, f, y in data]
    index = feature_index(everything, args.min_count)
    w, b = fit(everything, index, args.l2)
    model = model_record(index, w, b, best[1], args.rule_threshold)
    print(f"chosen threshold {best[1]:.2f}; {len(model['weights'])} features kept")
    for f, value in sorted(model["weights"].items(), key=lambda kv: -abs(kv[1]))[:20]:
        print(f"  {value:+.2f} {f}")
    if not args.dry_run:
        args.out.write_text(json.dumps(model, indent=0) + "\n", "utf-8")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
