"""The learned scorer's part in reading claims: what it may decide and what it may not."""

from __future__ import annotations

import pytest

import kg.claims
from kg.claims import read_claims
from kg.extract import extract_entries
from kg.scoring import LineageModel, load_model
from tests.lineage_helpers import entry

TEXT = (
    "We introduce ZorbNet, which extends PPO by adding a trust region. "
    "We adopt LSTM to encode the history. "
    "The policy is trained with Adam on Atari."
)


def claims_under(nlp, monkeypatch, model: LineageModel, text: str = TEXT) -> set[tuple[str, str]]:
    monkeypatch.setattr(kg.claims, "load_model", lambda: model)
    extracted = read_claims(next(extract_entries([entry(text)], nlp)))
    return {(c.link, c.parent.text) for c in extracted.claims if c.parent}


def test_a_model_that_takes_nothing_keeps_the_rules_specific_forms(nlp, monkeypatch):
    nothing = LineageModel({}, -50.0, 0.5)
    kept = claims_under(nlp, monkeypatch, nothing)
    assert ("extends", "PPO") in kept  # a specific form: the rules decide
    assert not any(link == "uses" for link, _ in kept)  # "uses" is the model's to judge


def test_a_model_that_takes_everything_adds_its_own_candidates(nlp, monkeypatch):
    everything = LineageModel({}, 50.0, 0.5)
    kept = claims_under(nlp, monkeypatch, everything)
    assert {("extends", "PPO"), ("uses", "LSTM"), ("uses", "Adam")} <= kept
    assert ("uses", "Atari") not in kept  # a benchmark is never a candidate parent


def test_the_packaged_model_loads_with_both_thresholds():
    model = load_model()
    assert model is not None
    assert 0.0 < model.threshold < 1.0
    assert model.rule_threshold is not None and model.rule_threshold <= model.threshold


@pytest.mark.parametrize(
    "sentence",
    [
        "Training with ZorbNet exceeds PPO-based RLHF in control.",
        "ZorbNet outperforms PPO on every task.",
        "We present a method for fine-tuning PPO on small data.",
    ],
)
def test_comparisons_and_purposes_are_never_candidates(nlp, monkeypatch, sentence):
    everything = LineageModel({}, 50.0, 0.5)
    text = f"We introduce ZorbNet. {sentence} We adopt LSTM to encode the history."
    kept = claims_under(nlp, monkeypatch, everything, text)
    assert ("uses", "LSTM") in kept
    assert not any(parent == "PPO" for _, parent in kept)
