"""The lineage answer key (tests/data/lineage/) is whole and quotes its entries verbatim."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

DATA = Path(__file__).parent / "data" / "lineage"


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text("utf-8").splitlines() if line]


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_every_drawn_entry_has_exactly_one_answer():
    drawn = Counter(row["set"] for row in _rows("sample.jsonl"))
    assert drawn == {"tune": 100, "test": 100, "seed": 40}
    answered = [row["id"] for row in _rows("gold.jsonl")]
    assert sorted(answered) == sorted(row["id"] for row in _rows("sample.jsonl"))


def test_evidence_is_quoted_from_its_entry():
    texts = {row["id"]: _flat(row["text"]) for row in _rows("sample.jsonl")}
    for row in _rows("gold.jsonl"):
        for link in row["builds_on"]:
            assert _flat(link["evidence"]) in texts[row["id"]], (row["id"], link["evidence"])


def test_both_annotators_labelled_the_whole_test_half():
    test_half = sorted(row["id"] for row in _rows("sample.jsonl") if row["set"] == "test")
    for name in ("annotator_a.jsonl", "annotator_b.jsonl"):
        assert sorted(row["id"] for row in _rows(name)) == test_half
