"""A small learned scorer for lineage claims about an entry's own work.

Takes the features :func:`kg.claims.pair_features` gives a (focal artifact, parent) pair
and says whether to keep the pair: a logistic model, ``P(keep) = 1 / (1 + exp(-(b + sum of
the weights of the pair's features)))``, kept when it reaches the model's threshold (a
lower one for a pair a rule found too). The weights were fitted on the tuning half of the
answer key and 800 more labelled abstracts (``tests/data/lineage/``) by
``benchmarks/train_lineage_model.py`` and ship as ``kg/data/lineage_model.json``; without
that file the rules alone decide. It reads no text itself and changes nothing it is given.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

__all__ = ["LineageModel", "load_model"]

MODEL_FILE = "data/lineage_model.json"


@dataclass(frozen=True)
class LineageModel:
    """Feature weights, a bias and the probability from which a pair is kept.

    A pair a lineage rule also found (feature ``rule_fired``) is kept from
    ``rule_threshold``, which may be lower: the rules are right more often than the pairs
    only the model proposes.

    Examples
    --------
    >>> model = LineageModel({"cue:uses": 2.0}, -1.0, 0.5, rule_threshold=0.2)
    >>> round(model.probability({"cue:uses"}), 3), model.accepts({"kind:model"})
    (0.731, False)
    >>> model.accepts({"kind:model", "rule_fired"})
    True
    """

    weights: dict[str, float]
    bias: float
    threshold: float
    rule_threshold: float | None = None

    def probability(self, features: Iterable[str]) -> float:
        score = self.bias + sum(self.weights.get(f, 0.0) for f in features)
        return 1.0 / (1.0 + math.exp(-score))

    def accepts(self, features: Iterable[str]) -> bool:
        features = set(features)
        threshold = self.threshold
        if "rule_fired" in features and self.rule_threshold is not None:
            threshold = min(threshold, self.rule_threshold)
        return self.probability(features) >= threshold


@functools.cache
def load_model() -> LineageModel | None:
    """The packaged model, or ``None`` when the package ships none (the rules decide)."""
    path = resources.files("kg").joinpath(MODEL_FILE)
    if not path.is_file():
        return None
    data = json.loads(path.read_text("utf-8"))
    rule_threshold = data.get("rule_threshold")
    return LineageModel(
        dict(data["weights"]),
        float(data["bias"]),
        float(data["threshold"]),
        None if rule_threshold is None else float(rule_threshold),
    )
