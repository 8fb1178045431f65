"""The vocabulary file: round trip, conventions, and the look-up rules the matcher relies on."""

from __future__ import annotations

import json
from importlib import resources

from kg.vocab import load_vocabulary, name_key, plural_variants


def test_packaged_vocabulary_round_trips():
    vocabulary = load_vocabulary()
    assert load_vocabulary(text=vocabulary.to_jsonl()) == vocabulary
    assert len(vocabulary.terms) > 1000


def test_every_line_is_a_ruler_pattern_and_each_id_has_one_kind():
    text = resources.files("kg").joinpath("data/vocab.jsonl").read_text("utf-8")
    kinds: dict[str, str] = {}
    for line in text.splitlines():
        row = json.loads(line)
        assert set(row) == {"label", "pattern", "id"}
        assert kinds.setdefault(row["id"], row["label"]) == row["label"]


def test_capitalised_patterns_match_exactly_and_lower_case_ones_loosely():
    vocabulary = load_vocabulary()
    assert vocabulary.lookup("GLUE").kind == "benchmark"
    assert vocabulary.lookup("glue") is None
    assert vocabulary.lookup("Fine-Tuning").id == vocabulary.lookup("finetuning").id
    assert vocabulary.lookup("Mixture-of-Experts").id == vocabulary.lookup("MoE").id


def test_stopwords_are_never_concepts():
    vocabulary = load_vocabulary()
    for word in ("LLM", "LLMs", "GPU", "large language models", "state of the art"):
        assert vocabulary.is_stopword(word), word
        assert vocabulary.lookup(word) is None, word


def test_name_key_and_variants():
    assert name_key("Vision-Transformers") == name_key("vision transformer")
    assert name_key("GPT-4") != name_key("GPT-4o")
    assert "sparse-attentions" in plural_variants("sparse attention")


def test_progress_line_shows_done_total_and_rate(capsys):
    from kg.cli import _progress_bar

    update = _progress_bar()
    update(5, 10)
    update(10, 10)
    update(0, 0, finish=True)
    err = capsys.readouterr().err
    assert "10/10 entries" in err and "/s" in err
