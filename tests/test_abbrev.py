"""Schwartz & Hearst (2003) acronym definitions: each rule of the paper, plus ML cases."""

from __future__ import annotations

import pytest

from kg.abbrev import find_abbreviations, match_long_form


def pairs(text: str) -> list[tuple[str, str]]:
    return [(a.short, a.long) for a in find_abbreviations(text)]


def test_long_form_then_short_form():
    assert pairs("We use Low-Rank Adaptation (LoRA) to adapt models.") == [
        ("LoRA", "Low-Rank Adaptation")
    ]


def test_short_form_then_long_form_in_parentheses():
    assert pairs("We propose SBS (Score-Before-Speaking), a framework.") == [
        ("SBS", "Score-Before-Speaking")
    ]


def test_first_letter_must_start_a_word():
    # "PPO" spelled inside "optimization" alone would be "policy optimization".
    assert pairs("which we call proximal policy optimization (PPO).") == [
        ("PPO", "proximal policy optimization")
    ]


def test_ml_case_a_lite_bert():
    assert pairs("We present A Lite BERT (ALBERT) for self-supervised learning.") == [
        ("ALBERT", "A Lite BERT")
    ]


def test_initialism_skips_small_words():
    assert pairs("Tree of Thoughts (ToT) generalizes chain of thought.") == [
        ("ToT", "Tree of Thoughts")
    ]


def test_version_suffix_need_not_be_spelled_out():
    assert pairs("We introduce Human-like Video Models (HVM-1), trained on video.") == [
        ("HVM-1", "Human-like Video Models")
    ]


def test_stands_for_definition():
    assert pairs(
        "a model called BERT, which stands for Bidirectional Encoder "
        "Representations from Transformers."
    ) == [("BERT", "Bidirectional Encoder Representations from Transformers")]


def test_offsets_point_at_both_forms():
    text = "Reinforcement learning from human feedback (RLHF) aligns models."
    (pair,) = find_abbreviations(text)
    assert text[pair.short_start : pair.short_end] == "RLHF"
    assert text[pair.long_start : pair.long_end] == "Reinforcement learning from human feedback"


@pytest.mark.parametrize(
    "text",
    [
        "as shown before (Vaswani et al., 2017).",
        "in steps (1), (4) and (ii).",
        "a model with (7B) parameters",
        "results (Figure 2) and (Table 3)",
        "an unrelated phrase (XYZ) here",
        "a collaboration focused on the responsible development of Large Language Models "
        "for Code (Code LLMs)",
        "using the $\\textit{human-aware losses}$ (HALOs)",
    ],
)
def test_negatives_yield_nothing(text):
    assert pairs(text) == []


def test_match_long_form_rejects_a_candidate_without_the_letters():
    assert match_long_form("QZX", "a completely different phrase") is None
