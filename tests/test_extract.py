"""Concept extraction and resolution: the hard cases, on sentences written here."""

from __future__ import annotations

import pytest

from kg.extract import build_pipeline, extract_entries
from kg.model import Entry, Paragraph
from kg.resolve import resolve
from kg.vocab import load_vocabulary


def entry(*texts: str, title: str = "", file: str = "t.txt") -> Entry:
    start = 2 if title else 1
    paragraphs = tuple(Paragraph(text, start + i, "abstract") for i, text in enumerate(texts))
    return Entry(
        file,
        1,
        start + len(texts) - 1,
        title=title,
        title_line=1 if title else 0,
        paragraphs=paragraphs,
    )


def mentions(nlp, *texts: str, title: str = ""):
    return next(extract_entries([entry(*texts, title=title)], nlp)).mentions


def names(nlp, *texts: str, title: str = "") -> set[str]:
    return {m.text for m in mentions(nlp, *texts, title=title)}


def concepts(nlp, *entries: Entry):
    corpus = resolve(list(extract_entries(list(entries), nlp)), load_vocabulary())
    return {c.label: c for c in corpus.concepts}, corpus


def test_known_names_with_kinds(nlp):
    found = {
        (m.text, m.kind)
        for m in mentions(
            nlp,
            "We fine-tune Llama 2 with LoRA and PPO, and evaluate on MMLU and HumanEval "
            "after pre-training on Common Crawl.",
        )
    }
    assert {
        ("Llama 2", "model"),
        ("LoRA", "method"),
        ("PPO", "method"),
        ("MMLU", "benchmark"),
        ("HumanEval", "benchmark"),
        ("Common Crawl", "dataset"),
    } <= found


def test_established_techniques_are_concepts_but_generic_phrases_are_not(nlp):
    found = names(
        nlp,
        "Large language models trained with reinforcement learning and knowledge "
        "distillation reach the state of the art; neural networks and deep learning "
        "help, as does our method.",
    )
    assert {"reinforcement learning", "knowledge distillation"} <= found
    assert not found & {
        "Large language models",
        "state of the art",
        "neural networks",
        "deep learning",
        "our method",
        "LLM",
    }


def test_no_false_merges(nlp):
    by_label, _ = concepts(
        nlp,
        entry("BERT and RoBERTa differ; GPT-4 and GPT-4o differ; Mistral 7B is not Mixtral 8x7B."),
    )
    assert {"BERT", "RoBERTa", "GPT-4", "GPT-4o", "Mistral 7B"} <= set(by_label)
    assert len({by_label[n].key for n in ("BERT", "RoBERTa", "GPT-4", "GPT-4o")}) == 4


def test_plurals_and_hyphen_variants_are_one_concept(nlp):
    by_label, _ = concepts(
        nlp,
        entry(
            "Transformers replaced the transformer; a mixture-of-experts layer is a Mixture of "
            "Experts; ZorbNets extend the ZorbNet."
        ),
    )
    keys = {c.key for c in by_label.values()}
    assert "Transformer" in by_label and "Transformers" not in by_label
    assert sum(1 for c in by_label.values() if "xpert" in c.label) == 1
    assert "ZorbNet" in by_label and "ZorbNets" in by_label["ZorbNet"].aliases
    assert len(keys) == len(by_label)


def test_acronym_and_long_form_are_one_concept(nlp):
    by_label, _ = concepts(
        nlp,
        entry(
            "We align models with reinforcement learning from human feedback (RLHF).",
            "RLHF needs a reward model.",
        ),
    )
    rlhf = by_label["RLHF"]
    assert "reinforcement learning from human feedback" in rlhf.aliases
    assert "reinforcement learning from human feedback" not in by_label


def test_unknown_acronym_pair_is_one_new_concept(nlp):
    by_label, _ = concepts(
        nlp, entry("We propose Sparse Quokka Routing (SQR), which routes tokens.", "SQR is fast.")
    )
    (key,) = {c.key for c in by_label.values() if "SQR" in (c.label, *c.aliases)}
    assert by_label["SQR"].key == key and "Sparse Quokka Routing" in by_label["SQR"].aliases
    assert by_label["SQR"].kind == "method"


def test_size_variants_keep_the_family_and_the_size(nlp):
    found = {
        (m.text, m.size)
        for m in mentions(nlp, "We compare Llama 2 70B with OPT-13B and InCoder-6.7B.")
    }
    assert {("Llama 2", "70B"), ("OPT", "13B"), ("InCoder", "6.7B")} <= found
    _, corpus = concepts(nlp, entry("We compare Llama 2 70B with Llama 2 7B."))
    sizes = {link.size for link in corpus.links if link.parent == "llama-2"}
    assert sizes == {"70B|7B"}


def test_names_inside_words_are_not_names(nlp):
    found = names(
        nlp,
        "Meta-rater filters data; RL-based training, BERTology and API-only access are discussed.",
    )
    assert "Meta" not in found
    assert "RL-based" not in found and "RL" in found
    assert not found & {"BERT", "API-only"}


def test_discovers_names_it_has_never_seen(nlp):
    found = {
        (m.text, m.kind, m.introduced)
        for m in mentions(
            nlp,
            "We introduce ZorbNet, a vision model trained on the Plinko dataset, and evaluate "
            "it on the QuuxBench benchmark against FrobLM-7B.",
        )
    }
    assert ("ZorbNet", "model", True) in found
    assert ("Plinko", "dataset", False) in found
    assert ("QuuxBench", "benchmark", False) in found
    assert ("FrobLM", "model", False) in found


def test_discovery_reads_kinds_from_the_subtitle_and_appositive(nlp):
    found = {
        (m.text, m.kind, m.introduced)
        for m in mentions(
            nlp, "Results on it are reported.", title="GrapeEval: A Multi-task Benchmark for Grapes"
        )
    }
    assert ("GrapeEval", "benchmark", True) in found
    found = {
        (m.text, m.kind)
        for m in mentions(nlp, "We present Wobble, an optimizer for sparse models.")
    }
    assert ("Wobble", "method") in found


def test_called_and_lowercase_names_after_an_introduction(nlp):
    found = {
        (m.text, m.introduced)
        for m in mentions(
            nlp,
            "We introduce softzap, a drop-in replacement for softmax. The resulting model, "
            "called FizzNet-2, is small.",
        )
    }
    assert ("softzap", True) in found and ("FizzNet-2", True) in found


def test_introduced_only_where_the_text_says_so(nlp):
    found = {
        m.text: m.introduced
        for m in mentions(nlp, "We propose FooNet, which outperforms BERT and GPT-4 on GLUE.")
    }
    assert found == {"FooNet": True, "BERT": False, "GPT-4": False, "GLUE": False}


@pytest.mark.parametrize(
    "text",
    [
        "As shown by (Vaswani et al., 2017) and in (1), (4).",
        "Get trending papers in your email inbox!",
        "Large language models (LLMs) run on GPUs through an API.",
        "The results in Figure 2 and Table 3 improve by 3.5% in December 2022.",
        "State-of-the-art AI systems are released under the Apache 2.0 license on GitHub.",
    ],
)
def test_negatives_yield_no_concepts(nlp, text):
    assert names(nlp, text) == set()


def test_discovery_alone_still_finds_shaped_names():
    nlp = build_pipeline(use_vocabulary=False)
    found = {m.text for m in mentions(nlp, "We compare QLoRA and RoBERTa with GPT-4 on SWE-bench.")}
    assert {"QLoRA", "RoBERTa", "GPT-4", "SWE-bench"} <= found


def test_evidence_is_the_sentence_and_source_is_file_and_line(nlp):
    (mention,) = [
        m for m in mentions(nlp, "First sentence here. We use RoBERTa now.") if m.text == "RoBERTa"
    ]
    assert mention.sentence == "We use RoBERTa now."
    assert mention.sentence[mention.start : mention.end] == "RoBERTa"
    assert mention.source == "t.txt:1"


def test_worker_processes_give_the_same_mentions_in_the_same_order(nlp):
    texts = [f"We introduce ZorbNet-{i}, based on BERT, and evaluate it on GLUE." for i in range(9)]
    entries = [entry(text, file=f"p{i}.txt") for i, text in enumerate(texts)]
    alone = [(m.text, m.source) for x in extract_entries(entries, nlp) for m in x.mentions]
    pooled = [
        (m.text, m.source)
        for x in extract_entries(entries, nlp, n_process=2, batch_size=2)
        for m in x.mentions
    ]
    assert pooled == alone and len(alone) == 27


def _introduced(nlp, text: str) -> set[str]:
    entry = Entry("t.txt", 1, 1, paragraphs=(Paragraph(text, 1, "abstract"),))
    return {m.text for m in next(extract_entries([entry], nlp)).mentions if m.introduced}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("We propose a novel framework SBS (Score-Before-Speaking) for dialogue.", "SBS"),
        (
            "The proposed method, human checkpoint replay, consists of two steps.",
            "human checkpoint replay",
        ),
        ("In this paper, we propose a novel deep hashing network (DHN) for retrieval.", "DHN"),
        ("A novel dataset FooQA-2 is proposed for visual entailment.", "FooQA-2"),
        ("It can be represented as a network, referred to hereafter as ZorbIMP.", "ZorbIMP"),
        (
            "To this end, we propose topological attention, which attends to local features.",
            "topological attention",
        ),
        (
            "We propose a ranking strategy, namely Self-Involvement Ranker (SIR), for negatives.",
            "SIR",
        ),
        (
            "We introduce a new framework for search, Tree of Zorbs (ToZ), which generalizes it.",
            "Tree of Zorbs",
        ),
    ],
)
def test_forms_of_introduction(nlp, text, name):
    assert name in _introduced(nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "Then, we propose a new SVM training problem that aims to help detection.",
        "First, we introduce SCP as a general framework for constructing label covers.",
        "We propose an OOD-resistant Prototypical Network to tackle this task.",
        "A crucial step, often called re-ranking, is to compute similarities.",
        "SPARQL is a highly powerful query language for linked data.",
        "Furthermore, we propose two Bayesian optimisation strategies for tuning.",
        "It improves upon existing algorithms; namely Probabilistic Inference for Control (PILCO).",
        "A model is presented. The proposed model, although allowing more flexibility, is small.",
    ],
)
def test_what_is_not_an_introduction(nlp, text):
    assert _introduced(nlp, text) == set()


def test_a_name_after_a_word_of_use_ends_before_and_or_for(nlp):
    found = names(
        nlp,
        "We propose a lightweight network based on DenseNet for Hyperspectral Image "
        "Classification. Inspired by GoogLeNet and PeleeNet, we design a dense layer. "
        "We align the series using Dynamic Time Warping and Beam Search.",
    )
    assert {"DenseNet", "GoogLeNet", "PeleeNet"} <= found
    assert "DenseNet for Hyperspectral Image Classification" not in found
    assert "GoogLeNet and PeleeNet" not in found
    assert "Dynamic Time Warping and Beam Search" not in found


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("We then applied a Bonferroni correction to all comparisons.", "Bonferroni correction"),
        ("The states of the walker form a Markov chain on the graph.", "Markov chain"),
        (
            "An approximation based on the Gauss-Hermite quadrature is proposed.",
            "Gauss-Hermite quadrature",
        ),
        (
            "Significance was assessed with the Fisher exact test for each pair.",
            "Fisher exact test",
        ),
        (
            "The layout is computed with a regularized Kamada-Kawai algorithm.",
            "Kamada-Kawai algorithm",
        ),
        ("The trace is estimated with Hutchinson's estimator.", "Hutchinson's estimator"),
    ],
)
def test_techniques_named_after_a_person_keep_their_head_noun(nlp, text, name):
    found = {m.text: m.kind for m in mentions(nlp, text)}
    assert found.get(name) == "method", found


def test_a_technique_named_after_a_person_is_never_the_entrys_own(nlp):
    found = {m.text: m.introduced for m in mentions(nlp, "We propose a Kamada-Kawai algorithm.")}
    assert found == {"Kamada-Kawai algorithm": False}


@pytest.mark.parametrize(
    "text",
    [
        "Markov chains are everywhere. Bayesian model averaging helps.",  # sentence start
        "We compare a Bayesian model with a frequentist one.",  # adjective + generic head
        "We use the Cora, Citeseer and Pubmed citation network datasets.",  # head not last
        "The Llama 2 13B -- Chat model is a baseline.",  # after a dash: part of a name
        "It was trained on English text with a Dutch tokenizer model.",  # languages
    ],
)
def test_capitals_before_a_head_noun_that_name_no_technique(nlp, text):
    found = {m.text for m in mentions(nlp, text)}
    assert not {"Markov chains", "Bayesian model", "Pubmed citation network", "Chat model"} & found
    assert not any(name.startswith(("English", "Dutch")) for name in found), found
