"""Would another learner do better than the lineage scorer's logistic model, on the same
features?

Every candidate pair of the tuning half and the training abstracts (the examples
``benchmarks/train_lineage_model.py`` fits on) is scored by 5-fold cross-validation over
entries with each learner; the table gives average precision and the recall reached at a
few precisions. ``--graphs`` also builds the pwc-dev pages with a random forest in place of
the shipped model, 4-fold over the training abstracts as ``benchmarks/lineage_cv.py`` does,
and scores ``builds_on`` on the held-out folds (slow: a forest is asked one pair at a time).
The test half is never read.

Needs scikit-learn, which ``kg`` itself does not: ``pip install scikit-learn``.

Run:  python benchmarks/lineage_learners.py [--graphs] [--threshold 0.5]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from pathlib import Path

import numpy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import lineage_quality as quality  # noqa: E402
import train_lineage_model as training  # noqa: E402

import kg.claims  # noqa: E402
from kg.pipeline import build  # noqa: E402

FOLDS = 5
GRAPH_FOLDS = 4
SEED = 9
PRECISIONS = (0.7, 0.8, 0.85)


def _matrix(rows: list[frozenset[str]], index: dict[str, int]):
    from scipy.sparse import csr_matrix

    cells = [(i, index[f]) for i, features in enumerate(rows) for f in features if f in index]
    data = numpy.ones(len(cells))
    shape = (len(rows), len(index))
    if not cells:
        return csr_matrix(shape)
    return csr_matrix((data, tuple(numpy.array(cells).T)), shape=shape)


def _learners() -> dict[str, Callable | None]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    return {
        "kg's logistic": None,
        "scikit-learn logistic": lambda: LogisticRegression(C=1.0, max_iter=2000),
        "random forest": _forest,
        "gradient-boosted trees": lambda: HistGradientBoostingClassifier(
            max_iter=300, learning_rate=0.05, random_state=0
        ),
    }


def _forest():
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=150, min_samples_leaf=2, random_state=0)


def candidate_table(examples: list[tuple[str, frozenset[str], int]]) -> None:
    from sklearn.metrics import average_precision_score, precision_recall_curve

    ids = sorted({e for e, _, _ in examples})
    random.Random(SEED).shuffle(ids)
    fold = {e: i % FOLDS for i, e in enumerate(ids)}
    labels = numpy.array([y for _, _, y in examples])
    print(f"{len(examples)} candidate pairs, {labels.sum()} right; {FOLDS}-fold by entry")
    print(f"{'learner':24} {'AP':>6}" + "".join(f"  R@P{p:.2f}" for p in PRECISIONS))
    for name, make in _learners().items():
        scores = numpy.zeros(len(examples))
        for k in range(FOLDS):
            fit = [i for i, (e, _, _) in enumerate(examples) if fold[e] != k]
            held = [i for i, (e, _, _) in enumerate(examples) if fold[e] == k]
            rows = [(examples[i][1], examples[i][2]) for i in fit]
            index = training.feature_index(rows, training.MIN_COUNT)
            held_rows = [(examples[i][1], examples[i][2]) for i in held]
            if make is None:
                w, b = training.fit(rows, index, training.L2)
                scores[held] = training.probabilities(held_rows, index, w, b)
                continue
            x_fit = _matrix([f for f, _ in rows], index)
            x_held = _matrix([f for f, _ in held_rows], index)
            if "boosted" in name:  # it takes dense input only
                x_fit, x_held = x_fit.toarray(), x_held.toarray()
            model = make().fit(x_fit, labels[fit])
            scores[held] = model.predict_proba(x_held)[:, 1]
        precision, recall, _ = precision_recall_curve(labels, scores)
        reached = [
            max((r for p, r in zip(precision, recall, strict=True) if p >= floor), default=0.0)
            for floor in PRECISIONS
        ]
        row = "".join(f"  {r:8.2f}" for r in reached)
        print(f"{name:24} {average_precision_score(labels, scores):6.3f}{row}")


class _ForestScorer:
    """Stands in for :class:`kg.scoring.LineageModel` with a fitted forest."""

    def __init__(self, forest, index: dict[str, int], threshold: float, rule_threshold: float):
        self.forest, self.index = forest, index
        self.threshold, self.rule_threshold = threshold, rule_threshold

    def accepts(self, features) -> bool:
        features = set(features)
        p = self.forest.predict_proba(_matrix([frozenset(features)], self.index))[0, 1]
        floor = self.threshold
        if "rule_fired" in features:
            floor = min(floor, self.rule_threshold)
        return p >= floor


def graph_scores(tune, train, threshold: float, rule_threshold: float, jobs: int) -> None:
    gold = quality.gold_predictions(quality.read_jsonl(quality.DATA / "train_gold.jsonl"))
    sample = [r for r in quality.read_jsonl(quality.DATA / "train_sample.jsonl") if r["id"] in gold]
    fold_of = {row["id"]: row["batch"] % GRAPH_FOLDS for row in sample}
    pages = [quality.PWC / f for f in sorted({row["file"] for row in sample})]
    totals = quality.Counts()
    original = kg.claims.load_model
    try:
        for fold in range(GRAPH_FOLDS):
            rows = [(f, y) for _, f, y in tune]
            rows += [(f, y) for e, f, y in train if fold_of[e] != fold]
            index = training.feature_index(rows, training.MIN_COUNT)
            forest = _forest().fit(_matrix([f for f, _ in rows], index), [y for _, y in rows])
            scorer = _ForestScorer(forest, index, threshold, rule_threshold)
            kg.claims.load_model = lambda scorer=scorer: scorer
            graph = build(pages, n_process=jobs).graph
            held = [row for row in sample if fold_of[row["id"]] == fold]
            predicted = quality.predictions_from_graph(graph, held)
            totals.add(quality.score(gold, predicted, [row["id"] for row in held]).links)
    finally:
        kg.claims.load_model = original
    p, r, f1 = totals.scores()
    print(
        f"random forest in the build, threshold {threshold:.2f}: builds_on P {p:.2f} R {r:.2f}"
        f" F1 {f1:.2f} ({GRAPH_FOLDS}-fold, training abstracts)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--graphs", action="store_true", help="also build graphs with a forest")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--rule-threshold", type=float, default=0.3)
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args()
    try:
        import sklearn  # noqa: F401
    except ImportError:
        sys.exit("lineage_learners.py needs scikit-learn: pip install scikit-learn")
    tune = training.examples(quality.PWC, "tune")
    train = training.examples(quality.PWC, "train")
    candidate_table(tune + train)
    if args.graphs:
        graph_scores(tune, train, args.threshold, args.rule_threshold, args.jobs)


if __name__ == "__main__":
    main()
